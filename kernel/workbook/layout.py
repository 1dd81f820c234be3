"""The shape of a ruleset workbook, shared by the writer and the reader (docs/excel.md).

A decision's conditions are laid out DMN-style: one column per name the rules test, each cell
a test on that name (``>= 0.95``, ``"North"``, ``in ['North', 'South']``, ``true``; ``-`` or
empty for any). A cell's test and its column's name make one condition; a rule's conditions
are joined by ``and``. Conditions that are not such tests stay whole in a ``when`` column.
"""

from __future__ import annotations

import re

from tierkit.ruleset.expr import (
    COMPARISONS,
    MEMBERSHIP,
    Binary,
    Call,
    Expr,
    ListLit,
    Literal,
    Name,
    Previous,
    Unary,
    unparse,
)
from tierkit.ruleset.expr_parse import SyntaxProblem, parse_expression

RULESET_SHEET = "ruleset"
CRITERIA_SHEET = "criteria"
DERIVE_SHEET = "derive"
EXAMPLES_SHEET = "examples"
POLICIES_SHEET = "policies"
FIXED_SHEETS = (DERIVE_SHEET, CRITERIA_SHEET, POLICIES_SHEET, RULESET_SHEET, EXAMPLES_SHEET)

DECISION = "decision"
"""The label in A1 that makes a sheet a decision table."""
BLOCK_LABELS = (
    "decision",
    "title",
    "description",
    "hit",
    "aggregate",
    "outcomes",
    "default",
    "default because",
)
WHEN, THEN, BECAUSE, RULE = "when", "then", "because", "rule"
RESERVED_HEADERS = (WHEN, THEN, BECAUSE, RULE)
ANY = "-"
COMMENT = "#"

CRITERIA_HEADERS = ("name", "use", "per", "periods", "params", "title", "type")
DERIVE_HEADERS = ("name", "expression")
EXAMPLES_HEADERS = ("name", "example")
RULESET_HEADERS = ("key", "value")
POLICY_KEY = "value"
"""The policies sheet's first header: the main decision's value the row is for."""
SCALAR_KEYS = ("tierkit", "name", "title", "description", "strategy", "main")
"""Top-level keys written as plain cells; every other top-level key is YAML text."""
TOP_ORDER = (
    "tierkit",
    "name",
    "title",
    "description",
    "strategy",
    "window",
    "criteria",
    "derive",
    "decisions",
    "main",
    "policies",
    "tests",
)

NOTES = {
    DECISION: "# How to edit: one rule per row, tried as the hit policy says. A cell under a "
    "name holds a test on it: >= 0.95, < 75, \"North\", in ['North', 'South'], true, false; "
    "- or empty for any. The when column holds any other condition. then is required.",
    DERIVE_SHEET: "# How to edit: one derived fact per row, an expression over criteria and "
    "earlier facts (docs/ruleset-reference.md).",
    CRITERIA_SHEET: "# How to edit: one criterion per row; params as YAML, e.g. {share: 0.8}.",
    POLICIES_SHEET: "# How to edit: one row per value of the main decision, one column per "
    "policy; an empty cell gives no value.",
    RULESET_SHEET: "# How to edit: window, policies and other keys are YAML text.",
    EXAMPLES_SHEET: "# How to edit: one example per row, its given/expect/population as YAML.",
}

SUBJECT = re.compile(r"^(?:previous\.)?[A-Za-z_][A-Za-z0-9_]*$")
_MEMBERSHIP = re.compile(r"^(?:not\s+in|in)(?![A-Za-z0-9_])")


def cell_condition(subject: str, cell: str) -> str | None:
    """The condition a cell's test makes with its column's name; ``None`` for any."""
    text = cell.strip()
    if text in ("", ANY):
        return None
    if text.lower() == "true":
        return subject
    if text.lower() == "false":
        return f"not {subject}"
    if text.startswith(COMPARISONS) or _MEMBERSHIP.match(text):
        return f"{subject} {text}"
    return f"{subject} == {text}"


def join_conditions(parts: list[str]) -> tuple[str, list[tuple[int, int]]]:
    """Conditions joined by ``and`` (an ``or`` in parentheses), with each one's offsets."""
    text = ""
    spans: list[tuple[int, int]] = []
    for part in parts:
        if text:
            text += " and "
        tree = parse_expression(part)
        wrap = len(parts) > 1 and (
            isinstance(tree, SyntaxProblem) or (isinstance(tree, Binary) and tree.op == "or")
        )
        start = len(text) + (1 if wrap else 0)
        text += f"({part})" if wrap else part
        spans.append((start, start + len(part)))
    return text, spans


def _subject(node: Expr) -> str | None:
    if isinstance(node, Name):
        return node.name
    if isinstance(node, Previous):
        return f"previous.{node.name}"
    return None


def _constant(node: Expr) -> bool:
    if isinstance(node, Literal):
        return True
    if isinstance(node, ListLit):
        return all(_constant(i) for i in node.items)
    if isinstance(node, Unary) and node.op == "-":
        return _constant(node.operand)
    return False


def _flatten(node: Expr) -> list[Expr]:
    if isinstance(node, Binary) and node.op == "and":
        return [*_flatten(node.left), *_flatten(node.right)]
    return [node]


def _cell(node: Expr, text: str) -> tuple[str, str] | None:
    """One condition as (name, test), if it is a test of a name against constants."""
    subject = _subject(node)
    if subject is not None:
        return subject, "true"
    if isinstance(node, Unary) and node.op == "not":
        inner = _subject(node.operand)
        return (inner, "false") if inner else None
    if not isinstance(node, Binary) or node.op not in (*COMPARISONS, *MEMBERSHIP):
        return None
    subject = _subject(node.left)
    if subject is None or not _constant(node.right):
        return None
    value = text[node.right.start : node.right.end]
    if node.op != "==":
        return subject, f"{node.op} {value}"
    if isinstance(node.right, Literal) and not isinstance(node.right.value, bool):
        if isinstance(node.right.value, str) and not re.search(r'["\\]', node.right.value):
            return subject, f'"{node.right.value}"'
        return subject, value
    return subject, f"== {value}"


def condition_tests(when: str | bool) -> list[tuple[str, str]] | None:
    """A rule's condition as tests on names, or ``None`` when it must stay whole.

    Only when the tests, read back, give the very same expression. A name tested twice
    (``x >= 10 and x < 50``) takes two columns.
    """
    if when is True:
        return []
    if not isinstance(when, str):
        return None
    tree = parse_expression(when)
    if isinstance(tree, SyntaxProblem | Call):
        return None
    tests: list[tuple[str, str]] = []
    for part in _flatten(tree):
        found = _cell(part, when)
        if found is None or found[0] in RESERVED_HEADERS:
            return None
        tests.append(found)
    parts = [cell_condition(s, c) or "" for s, c in tests]
    back = parse_expression(join_conditions(parts)[0])
    if isinstance(back, SyntaxProblem) or unparse(back) != unparse(tree):
        return None
    return tests
