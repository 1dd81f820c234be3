"""Write a ruleset's decisions as a DMN 1.5 model (decision tables), for Camunda, Drools/KIE.

Each decision becomes a decision with a decision table: its hit policy (and aggregation), one
output (``outputValues`` from the decision's outcomes, ``defaultOutputEntry`` from its default),
one rule per rule (``because`` as the rule's description). Conditions become input columns:

- a comparison of a name with a constant (``tenure >= 24``, ``region == 'North'``,
  ``region in ['North', 'South']``, ``missing(x)``, ``flag``, ``not flag``), and several joined
  by ``and``, become unary tests in the name's column (``>=24``, ``"North"``, ``null``,
  ``true``); two bounds on one name become a range (``[10..50)``);
- anything else becomes a column of its own whose input expression is the condition in FEEL,
  with ``true`` for the rules that have it.

Criteria and derived facts become input data; a decision read by another becomes a required
decision. ``previous.NAME`` becomes the input data ``previous_NAME``.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from tierkit.dmn.read import DmnError
from tierkit.ruleset.compiled import CompiledDecision, CompiledRuleset, ThenValue
from tierkit.ruleset.expr import Binary, Call, Expr, ListLit, Literal, Name, Previous, Unary
from tierkit.ruleset.hit import AGGREGATE_DMN
from tierkit.ruleset.types import Type

DMN_NS = "https://www.omg.org/spec/DMN/20230324/MODEL/"
FEEL = "https://www.omg.org/spec/DMN/20230324/FEEL/"
_TYPES = {"number": "number", "text": "string", "boolean": "boolean", "date": "date"}
_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}


def feel_literal(value: ThenValue) -> str:
    """A value as a FEEL literal."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return repr(value)


def _subject_name(node: Expr) -> str | None:
    if isinstance(node, Name):
        return node.name
    if isinstance(node, Previous):
        return f"previous_{node.name}"
    return None


@dataclass
class _Test:
    subject: str
    """A name, or the FEEL text of a whole condition (``kind == "expr"``)."""
    kind: str
    entry: str
    low: tuple[str, str] | None = None
    """For range merging: (operator, FEEL value) of a lower bound."""
    high: tuple[str, str] | None = None


def _unary(node: Expr) -> _Test | None:
    """One condition as a unary test on a name, if it is one."""
    if isinstance(node, Name | Previous):
        return _Test(_subject_name(node) or "", "name", "true")
    if isinstance(node, Unary) and node.op == "not":
        inner = _unary(node.operand)
        if inner is None or inner.kind != "name":
            return None
        return _Test(inner.subject, "name", f"not({inner.entry})")
    if isinstance(node, Call) and node.func == "missing" and len(node.args) == 1:
        subject = _subject_name(node.args[0])
        return _Test(subject, "name", "null") if subject else None
    if not isinstance(node, Binary):
        return None
    if node.op in _FLIP:
        left, right, op = node.left, node.right, node.op
        if isinstance(left, Literal) and _subject_name(right):
            left, right, op = right, left, _FLIP[op]
        subject = _subject_name(left)
        if subject is None or not isinstance(right, Literal):
            return None
        value = feel_literal(right.value)
        if op == "==":
            return _Test(subject, "name", value)
        if op == "!=":  # not not(3): a comparison with a missing value is false
            return _Test(subject, "name", f"!={value}")
        test = _Test(subject, "name", f"{op}{value}")
        if op in (">", ">="):
            test.low = (op, value)
        else:
            test.high = (op, value)
        return test
    if node.op in ("in", "not in") and isinstance(node.right, ListLit):
        subject = _subject_name(node.left)
        if subject is None or not all(isinstance(i, Literal) for i in node.right.items):
            return None
        values = ",".join(feel_literal(i.value) for i in node.right.items if isinstance(i, Literal))
        return _Test(subject, "name", values if node.op == "in" else f"not({values})")
    if node.op == "or":
        parts = [_unary(p) for p in _flatten(node, "or")]
        if any(p is None or p.kind != "name" or p.entry.startswith("not(") for p in parts):
            return None
        subjects = {p.subject for p in parts if p is not None}
        if len(subjects) != 1:
            return None
        return _Test(subjects.pop(), "name", ",".join(p.entry for p in parts if p is not None))
    return None


def _flatten(node: Expr, op: str) -> list[Expr]:
    if isinstance(node, Binary) and node.op == op:
        return [*_flatten(node.left, op), *_flatten(node.right, op)]
    return [node]


def feel(node: Expr) -> str:
    """Any condition as FEEL text."""
    if isinstance(node, Literal):
        return feel_literal(node.value)
    if isinstance(node, Name | Previous):
        return _subject_name(node) or ""
    if isinstance(node, ListLit):
        return "[" + ", ".join(feel(i) for i in node.items) + "]"
    if isinstance(node, Unary):
        return (
            f"not({feel(node.operand)})" if node.op == "not" else f"{node.op}{feel(node.operand)}"
        )
    if isinstance(node, Binary):
        if node.op == "in":
            return f"list contains({feel(node.right)}, {feel(node.left)})"
        if node.op == "not in":
            return f"not(list contains({feel(node.right)}, {feel(node.left)}))"
        if node.op == "%":
            return f"modulo({feel(node.left)}, {feel(node.right)})"
        op = {"==": "=", "!=": "!="}.get(node.op, node.op)
        return f"({feel(node.left)} {op} {feel(node.right)})"
    if isinstance(node, Call):
        if node.func == "missing" and len(node.args) == 1:
            return f"({feel(node.args[0])} = null)"
        args = ", ".join([*(feel(a) for a in node.args), *(feel(k.value) for k in node.kwargs)])
        return f"{node.func}({args})"
    raise DmnError(f"cannot write {type(node).__name__} as FEEL")


def _rule_tests(tree: Expr) -> list[_Test]:
    """A rule's condition as tests, at most one per name (bounds merged into a range)."""
    if isinstance(tree, Literal) and tree.value is True:
        return []
    tests: list[_Test] = []
    by_subject: dict[str, _Test] = {}
    for part in _flatten(tree, "and"):
        test = _unary(part)
        if test is not None and test.subject in by_subject:
            merged = _range(by_subject[test.subject], test)
            if merged is not None:
                by_subject[test.subject].entry = merged
                continue
            test = None
        if test is None:
            tests.append(_Test(feel(part), "expr", "true"))
            continue
        by_subject[test.subject] = test
        tests.append(test)
    return tests


def _range(first: _Test, second: _Test) -> str | None:
    low = first.low or second.low
    high = first.high or second.high
    if low is None or high is None or (first.low and second.low) or (first.high and second.high):
        return None
    opening = "[" if low[0] == ">=" else "("
    closing = "]" if high[0] == "<=" else ")"
    return f"{opening}{low[1]}..{high[1]}{closing}"


@dataclass
class _Table:
    columns: list[tuple[str, str]] = field(default_factory=list)
    """(kind, subject) in order of first use."""
    rows: list[dict[tuple[str, str], str]] = field(default_factory=list)


def _table(decision: CompiledDecision) -> _Table:
    table = _Table()
    for rule in decision.rules:
        row: dict[tuple[str, str], str] = {}
        for test in _rule_tests(rule.when.tree):
            key = (test.kind, test.subject)
            if key not in table.columns:
                table.columns.append(key)
            row[key] = test.entry
        table.rows.append(row)
    return table


def _id(text: str) -> str:
    return "_" + re.sub(r"[^A-Za-z0-9_.-]", "_", text)


def write_model(ruleset: CompiledRuleset) -> str:
    """The DMN 1.5 XML of a ruleset's decisions."""
    ET.register_namespace("", DMN_NS)
    root = ET.Element(
        f"{{{DMN_NS}}}definitions",
        {
            "id": _id(ruleset.name),
            "name": ruleset.name,
            "namespace": f"https://tierkit.dev/rulesets/{ruleset.name}",
            "expressionLanguage": FEEL,
            "typeLanguage": FEEL,
            "exporter": "tierkit",
        },
    )
    inputs: dict[str, str] = {}
    decisions = list(ruleset.decisions.values())
    for decision in decisions:
        _decision(root, ruleset, decision, inputs)
    for name, base in inputs.items():
        data = ET.SubElement(
            root, f"{{{DMN_NS}}}inputData", {"id": _id("in_" + name), "name": name}
        )
        ET.SubElement(data, f"{{{DMN_NS}}}variable", {"name": name, "typeRef": base})
    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _type_of(ruleset: CompiledRuleset, name: str) -> Type | None:
    if name in ruleset.criteria:
        return ruleset.criteria[name].type
    if name in ruleset.derived:
        return ruleset.derived[name].expr.type
    if name in ruleset.decisions:
        return ruleset.decisions[name].type
    if name.startswith("previous_") and name[9:] in ruleset.decisions:
        return ruleset.decisions[name[9:]].type
    return None


def _type_ref(kind: Type | None) -> str:
    if kind is None:
        return "Any"
    if kind.base == "list":
        return "Any"
    return _TYPES.get(kind.base, "Any")


def _decision(
    root: ET.Element, ruleset: CompiledRuleset, decision: CompiledDecision, inputs: dict[str, str]
) -> None:
    ns = f"{{{DMN_NS}}}"
    element = ET.SubElement(
        root, ns + "decision", {"id": _id(decision.name), "name": decision.name}
    )
    if decision.title:
        ET.SubElement(element, ns + "description").text = decision.title
    value_type = "string"
    if decision.outcomes:
        first = decision.outcomes[0]
        value_type = (
            "boolean"
            if isinstance(first, bool)
            else "string"
            if isinstance(first, str)
            else "number"
        )
    if decision.aggregate is not None:
        value_type = "number"
    ET.SubElement(element, ns + "variable", {"name": decision.name, "typeRef": value_type})
    table = _table(decision)
    known = {*ruleset.criteria, *ruleset.derived, *ruleset.decisions}
    known |= {f"previous_{d}" for d in ruleset.decisions}
    used = sorted({s for k, s in table.columns if k == "name"} | (_names_in(table) & known))
    for name in used:
        requirement = ET.SubElement(
            element, ns + "informationRequirement", {"id": _id(f"req_{decision.name}_{name}")}
        )
        if name in ruleset.decisions:
            ET.SubElement(requirement, ns + "requiredDecision", {"href": "#" + _id(name)})
        else:
            ET.SubElement(requirement, ns + "requiredInput", {"href": "#" + _id("in_" + name)})
            inputs.setdefault(name, _type_ref(_type_of(ruleset, name)))
    attributes = {"id": _id(f"table_{decision.name}"), "hitPolicy": decision.policy.upper()}
    if decision.aggregate is not None:
        attributes["aggregation"] = AGGREGATE_DMN[decision.aggregate]
    dt = ET.SubElement(element, ns + "decisionTable", attributes)
    for number, (kind, subject) in enumerate(table.columns, start=1):
        column = ET.SubElement(
            dt, ns + "input", {"id": _id(f"{decision.name}_in{number}"), "label": subject}
        )
        type_ref = "boolean" if kind == "expr" else _type_ref(_type_of(ruleset, subject))
        expression = ET.SubElement(column, ns + "inputExpression", {"typeRef": type_ref})
        ET.SubElement(expression, ns + "text").text = subject
    output = ET.SubElement(
        dt,
        ns + "output",
        {"id": _id(f"{decision.name}_out"), "name": decision.name, "typeRef": value_type},
    )
    if decision.outcomes and decision.aggregate is None:
        values = ET.SubElement(output, ns + "outputValues")
        ET.SubElement(values, ns + "text").text = ",".join(
            feel_literal(o) for o in decision.outcomes
        )
    if decision.default is not None:
        default = ET.SubElement(output, ns + "defaultOutputEntry")
        ET.SubElement(default, ns + "text").text = feel_literal(decision.default.then)
    for rule, row in zip(decision.rules, table.rows, strict=True):
        entry = ET.SubElement(dt, ns + "rule", {"id": _id(f"{decision.name}_r{rule.index}")})
        if rule.because:
            ET.SubElement(entry, ns + "description").text = rule.because
        for key in table.columns:
            cell = ET.SubElement(
                entry,
                ns + "inputEntry",
                {"id": _id(f"{decision.name}_r{rule.index}_{table.columns.index(key) + 1}")},
            )
            ET.SubElement(cell, ns + "text").text = row.get(key, "-")
        out = ET.SubElement(
            entry, ns + "outputEntry", {"id": _id(f"{decision.name}_r{rule.index}_out")}
        )
        ET.SubElement(out, ns + "text").text = feel_literal(rule.then)


def _names_in(table: _Table) -> set[str]:
    """Names read by the whole-condition columns (for their requirements)."""
    found: set[str] = set()
    for kind, subject in table.columns:
        if kind == "expr":
            found.update(
                re.findall(r"(?<![\"\w])([A-Za-z_][A-Za-z0-9_]*)(?![\w(])", _no_strings(subject))
            )
    return found


def _no_strings(text: str) -> str:
    return re.sub(r'"(?:[^"\\]|\\.)*"', '""', text)
