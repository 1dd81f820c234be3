"""What checking an expression shares: the names it may use, the problems found, the types
inferred so far, and small helpers of the checks."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Literal as TypingLiteral

from tierkit.contract import Function
from tierkit.errors import (
    RulesetProblem,
)
from tierkit.ruleset.expr import (
    Binary,
    Call,
    Expr,
    Literal,
    Unary,
    walk,
)
from tierkit.ruleset.language import BUILTIN_NAMES, RANKING
from tierkit.ruleset.types import BOOLEAN, Type

SymbolKind = TypingLiteral["criterion", "derived", "decision"]


@dataclass(frozen=True)
class Symbol:
    """A name an expression can use."""

    name: str
    kind: SymbolKind
    type: Type | None  # None while unknown (a derived fact in a cycle or with errors)
    ranking: str | None = None
    """For a derived fact that is a ranking function (``rank: top_share(x)``), its name."""


@dataclass(frozen=True)
class ExprProblem:
    """A problem at a character offset of the expression text."""

    kind: type[RulesetProblem]
    message: str
    offset: int
    length: int
    hint: str | None = None


@dataclass
class CheckResult:
    type: Type | None
    node_types: dict[Expr, Type] = field(default_factory=dict)
    problems: list[ExprProblem] = field(default_factory=list)


class CheckerState:
    """The state of checking one expression; :meth:`visit` types a node and remembers it."""

    def __init__(
        self,
        symbols: Mapping[str, Symbol],
        decisions: Mapping[str, Type],
        functions: Mapping[str, Function],
        allow_ranking: bool,
    ) -> None:
        self.symbols = symbols
        self.decisions = decisions
        self.functions = functions
        self.allow_ranking = allow_ranking
        self.result = CheckResult(None)

    def problem(
        self,
        kind: type[RulesetProblem],
        message: str,
        node: Expr,
        hint: str | None = None,
        *,
        end: int | None = None,
    ) -> None:
        stop = node.end if end is None else end
        self.result.problems.append(
            ExprProblem(kind, message, node.start, max(1, stop - node.start), hint)
        )

    def visit(self, node: Expr) -> Type | None:
        found = self._visit(node)
        if found is not None:
            self.result.node_types[node] = found
        return found

    def _visit(self, node: Expr) -> Type | None:
        raise NotImplementedError  # the checker dispatches on the node's kind


def literal_type(value: object) -> Type:
    if isinstance(value, bool):
        return BOOLEAN
    if isinstance(value, int | float):
        return Type("number", nullable=False)
    return Type("text", nullable=False)


def constant_number(node: Expr) -> float | None:
    if (
        isinstance(node, Literal)
        and isinstance(node.value, int | float)
        and not isinstance(node.value, bool)
    ):
        return float(node.value)
    if isinstance(node, Unary) and node.op in ("-", "+"):
        inner = constant_number(node.operand)
        return None if inner is None else (-inner if node.op == "-" else inner)
    return None


def usage(name: str) -> str:
    builtin = BUILTIN_NAMES.get(name)
    return builtin.signature if builtin else f"{name}(...)"


def names_hint(symbols: Mapping[str, Symbol]) -> str | None:
    if not symbols:
        return "define it under criteria:, derive: or decisions:"
    return "known names: " + ", ".join(sorted(symbols))


def mismatch_hint(node: Binary, left: Type, right: Type) -> str | None:
    texts = [s for s, t in ((node.left, left), (node.right, right)) if t.base == "text"]
    if texts and isinstance(texts[0], Literal):
        return (
            "remove the quotes to compare with a number"
            if (isinstance(texts[0].value, str) and is_number(texts[0].value))
            else None
        )
    return None


def is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def rankings_in(node: Expr) -> Iterator[Call]:
    """The calls of ranking functions in ``node``, outermost first."""
    return (n for n in walk(node) if isinstance(n, Call) and n.func in RANKING)
