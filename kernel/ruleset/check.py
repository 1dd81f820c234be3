"""Name resolution and type checking of one expression.

:func:`check_expression` walks a parsed tree against the names a ruleset defines, infers the
type of every node, and reports every problem it finds with its character offset. It never
evaluates anything.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Literal as TypingLiteral

from tierkit.contract import Function, ValueType
from tierkit.errors import (
    ArityError,
    RankingOutsideDeriveError,
    RulesetProblem,
    TypeMismatchError,
    UnknownFunctionError,
    UnknownNameError,
    did_you_mean,
    suggest,
)
from tierkit.ruleset.expr import (
    ARITHMETIC,
    COMPARISONS,
    Binary,
    Call,
    Expr,
    ListLit,
    Literal,
    Name,
    Previous,
    Unary,
)
from tierkit.ruleset.language import AGGREGATES, BUILTIN_NAMES, RANKING
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


class _Checker:
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
        if isinstance(node, Literal):
            return _literal_type(node.value)
        if isinstance(node, ListLit):
            return self.list_literal(node)
        if isinstance(node, Name):
            return self.name(node)
        if isinstance(node, Previous):
            return self.previous(node)
        if isinstance(node, Unary):
            return self.unary(node)
        if isinstance(node, Binary):
            return self.binary(node)
        return self.call(node)

    # names ------------------------------------------------------------------------------------

    def name(self, node: Name) -> Type | None:
        symbol = self.symbols.get(node.name)
        if symbol is None:
            if node.name in BUILTIN_NAMES or node.name in self.functions:
                self.problem(
                    UnknownNameError,
                    f"'{node.name}' is a function; call it as {node.name}(...)",
                    node,
                )
                return None
            best = suggest(node.name, self.symbols)
            self.problem(
                UnknownNameError,
                f"unknown name '{node.name}'" + (f" (did you mean '{best}'?)" if best else ""),
                node,
                hint=None if best else _names_hint(self.symbols),
            )
            return None
        return symbol.type

    def previous(self, node: Previous) -> Type | None:
        decided = self.decisions.get(node.name)
        if decided is None and node.name in self.symbols:
            return None  # a decision already reported as malformed
        if decided is None:
            best = suggest(node.name, self.decisions)
            self.problem(
                UnknownNameError,
                f"'previous.{node.name}': no decision named '{node.name}'"
                + (f" (did you mean 'previous.{best}'?)" if best else ""),
                node,
                hint="previous.NAME gives a decision's value in the last stored run; decisions: "
                + ", ".join(sorted(self.decisions)),
            )
            return None
        return Type(decided.base, per_period=False, nullable=True, item=decided.item)

    # operators --------------------------------------------------------------------------------

    def unary(self, node: Unary) -> Type | None:
        operand = self.visit(node.operand)
        if operand is None:
            return None
        if node.op == "not":
            if operand.base != "boolean":
                self.problem(
                    TypeMismatchError,
                    f"'not' needs true/false, found {operand.describe()}",
                    node.operand,
                )
                return None
            return Type("boolean", operand.per_period, nullable=False)
        if operand.base != "number":
            self.problem(
                TypeMismatchError,
                f"'{node.op}' needs a number, found {operand.describe()}",
                node.operand,
            )
            return None
        return operand

    def binary(self, node: Binary) -> Type | None:
        left = self.visit(node.left)
        right = self.visit(node.right)
        if left is None or right is None:
            return None
        per_period = left.per_period or right.per_period
        op = node.op
        if op in ("and", "or"):
            for side, side_type in ((node.left, left), (node.right, right)):
                if side_type.base != "boolean":
                    self.problem(
                        TypeMismatchError,
                        f"'{op}' needs true/false on both sides, found {side_type.describe()}",
                        side,
                    )
                    return None
            return Type("boolean", per_period, nullable=False)
        if op in ARITHMETIC:
            for side, side_type in ((node.left, left), (node.right, right)):
                if side_type.base != "number":
                    self.problem(
                        TypeMismatchError,
                        f"'{op}' needs numbers on both sides, found {side_type.describe()}",
                        side,
                    )
                    return None
            nullable = left.nullable or right.nullable or op in ("/", "%")
            return Type("number", per_period, nullable)
        if op in COMPARISONS:
            return self.comparison(node, left, right, per_period)
        return self.membership(node, left, right)

    def comparison(self, node: Binary, left: Type, right: Type, per_period: bool) -> Type | None:
        if left.base == "list" or right.base == "list":
            self.problem(TypeMismatchError, f"'{node.op}' cannot compare a list; use 'in'", node)
            return None
        if left.base != right.base:
            self.problem(
                TypeMismatchError,
                f"cannot compare {left.describe()} with {right.describe()} using '{node.op}'",
                node,
                hint=_mismatch_hint(node, left, right),
            )
            return None
        if node.op not in ("==", "!=") and left.base in ("text", "boolean"):
            self.problem(
                TypeMismatchError,
                f"'{node.op}' orders numbers and dates; {left.describe()} can only be compared "
                "with == or !=",
                node,
            )
            return None
        return Type("boolean", per_period, nullable=False)

    def membership(self, node: Binary, left: Type, right: Type) -> Type | None:
        if right.base != "list":
            self.problem(
                TypeMismatchError,
                f"'{node.op}' needs a list on the right, such as ['A', 'B'], found "
                f"{right.describe()}",
                node.right,
            )
            return None
        if left.base == "list":
            self.problem(
                TypeMismatchError, f"'{node.op}' needs a single value on the left", node.left
            )
            return None
        if right.item is not None and left.base != right.item:
            self.problem(
                TypeMismatchError,
                f"'{node.op}': {left.describe()} is never in {right.describe()}",
                node,
            )
            return None
        return Type("boolean", left.per_period, nullable=False)

    def list_literal(self, node: ListLit) -> Type | None:
        item: str | None = None
        for element in node.items:
            if not isinstance(element, Literal) and not (
                isinstance(element, Unary) and isinstance(element.operand, Literal)
            ):
                self.problem(TypeMismatchError, "a list holds only constant values", element)
                return None
            element_type = self.visit(element)
            if element_type is None:
                return None
            if item is not None and element_type.base != item:
                self.problem(
                    TypeMismatchError, f"a list mixes {item}s and {element_type.base}s", element
                )
                return None
            item = element_type.base
        return Type("list", nullable=False, item=item)  # type: ignore[arg-type]

    # functions --------------------------------------------------------------------------------

    def call(self, node: Call) -> Type | None:
        name = node.func
        if name in BUILTIN_NAMES:
            return self.builtin(node)
        function = self.functions.get(name)
        if function is None:
            best = suggest(name, [*BUILTIN_NAMES, *self.functions])
            self.problem(
                UnknownFunctionError,
                f"unknown function '{name}'" + (f" (did you mean '{best}'?)" if best else ""),
                node,
                end=node.name_end,
                hint=None
                if best
                else "functions: " + ", ".join(sorted([*BUILTIN_NAMES, *self.functions])),
            )
            for arg in node.args:
                self.visit(arg)
            return None
        return self.plugin_function(node, function)

    def arity(self, node: Call, low: int, high: int, keywords: tuple[str, ...] = ()) -> bool:
        count = len(node.args)
        ok = True
        for keyword in node.kwargs:
            if keyword.name not in keywords:
                allowed = f"; it takes {', '.join(k + '=' for k in keywords)}" if keywords else ""
                self.result.problems.append(
                    ExprProblem(
                        ArityError,
                        f"{node.func}() has no argument named '{keyword.name}'{allowed}"
                        + did_you_mean(keyword.name, keywords),
                        keyword.start,
                        len(keyword.name),
                    )
                )
                ok = False
        if not low <= count <= high:
            if low == high:
                wanted = f"{low} argument{'s' if low != 1 else ''}"
            elif high >= 99:
                wanted = f"at least {low} arguments"
            else:
                wanted = f"{low} to {high} arguments"
            self.problem(
                ArityError,
                f"{node.func}() takes {wanted}, got {count}",
                node,
                hint=f"usage: {_usage(node.func)}",
            )
            ok = False
        return ok

    def builtin(self, node: Call) -> Type | None:
        name = node.func
        if name in RANKING:
            return self.ranking(node)
        if name in AGGREGATES:
            return self.aggregate(node)
        if name == "bands":
            return self.bands(node)
        if name == "missing":
            if not self.arity(node, 1, 1):
                return None
            arg = self.visit(node.args[0])
            return None if arg is None else Type("boolean", arg.per_period, nullable=False)
        if name == "coalesce":
            return self.coalesce(node)
        return self.date(node)

    def ranking(self, node: Call) -> Type | None:
        if not self.allow_ranking:
            self.problem(
                RankingOutsideDeriveError,
                f"{node.func}() ranks the whole population and is allowed only in derive:, "
                "not in a decision",
                node,
                end=node.name_end,
                hint=f"add a derived fact, e.g. rank: {_usage(node.func)}, and use its name here",
            )
            return None
        if not self.arity(node, 1, 1, ("among", "by")):
            return None
        value = self.number_arg(node, node.args[0])
        for keyword in node.kwargs:
            if keyword.name == "by":
                if not self.group(node, keyword.value):
                    return None
                continue
            among = self.visit(keyword.value)
            if among is not None and among.base != "boolean":
                self.problem(
                    TypeMismatchError,
                    f"among= needs a condition (true/false), found {among.describe()}",
                    keyword.value,
                )
                return None
            if (
                among is not None
                and value is not None
                and among.per_period
                and not (value.per_period)
            ):
                self.problem(
                    TypeMismatchError,
                    "among= has one value per period but the ranked value has one per customer",
                    keyword.value,
                )
                return None
        if value is None:
            return None
        return Type("number", value.per_period, nullable=True)

    def group(self, node: Call, by: Expr) -> bool:
        """``by=`` of a ranking: one text, number or true/false value per customer, such as a
        customer attribute (``by=region``), and no ranking of its own."""
        ranked = next(_rankings(by), None)
        named = self.symbols.get(by.name) if isinstance(by, Name) else None
        what = None
        if ranked is not None:
            what = f"{ranked.func}() ranks them instead"
        elif named is not None and named.ranking is not None:
            what = f"'{named.name}' is {named.ranking}(), which ranks them instead"
        if what is not None:
            self.problem(
                TypeMismatchError,
                f"by= groups customers by a value of their own, such as a region; {what}",
                ranked or by,
                hint="group by a customer attribute or a derived fact, e.g. by=region",
            )
            return False
        group = self.visit(by)
        if group is None:
            return False
        if group.per_period:
            self.problem(
                TypeMismatchError,
                f"by= needs one value per customer, found {group.describe()}",
                by,
                hint="group by a customer attribute such as region, or collapse the periods "
                "first, e.g. by=last(segment)",
            )
            return False
        if group.base not in ("text", "number", "boolean"):
            self.problem(
                TypeMismatchError,
                f"by= needs a text, number or true/false value per customer, found "
                f"{group.describe()}",
                by,
            )
            return False
        return True

    def aggregate(self, node: Call) -> Type | None:
        if not self.arity(node, 1, 1):
            return None
        arg = self.visit(node.args[0])
        if arg is None:
            return None
        if not arg.per_period:
            self.problem(
                TypeMismatchError,
                f"{node.func}() collapses values per period, but its argument has one value per "
                "customer",
                node.args[0],
                hint="use per: period on the criterion, or drop the function",
            )
            return None
        if node.func in ("any", "all", "count"):
            if arg.base != "boolean":
                self.problem(
                    TypeMismatchError,
                    f"{node.func}() needs a condition per period, found {arg.describe()}",
                    node.args[0],
                )
                return None
            return BOOLEAN if node.func != "count" else Type("number", nullable=False)
        if node.func == "last":
            return Type(arg.base, False, True, arg.item)
        if arg.base != "number" and not (node.func in ("min", "max") and arg.base == "date"):
            self.problem(
                TypeMismatchError,
                f"{node.func}() needs numbers per period, found {arg.describe()}",
                node.args[0],
            )
            return None
        nullable = node.func != "sum"
        return Type(arg.base, False, nullable)

    def bands(self, node: Call) -> Type | None:
        if not self.arity(node, 3, 3):
            return None
        value = self.number_arg(node, node.args[0])
        edges = self.number_list(node.args[1], "edges")
        points = self.number_list(node.args[2], "points")
        if edges is None or points is None or value is None:
            return None
        if any(b <= a for a, b in itertools.pairwise(edges)):
            self.problem(
                TypeMismatchError, "bands() edges must be in increasing order", node.args[1]
            )
            return None
        if len(points) != len(edges) + 1:
            self.problem(
                ArityError,
                f"bands() needs one more point than edges: {len(edges)} edges make "
                f"{len(edges) + 1} bands, found {len(points)} points",
                node.args[2],
            )
            return None
        return Type("number", value.per_period, value.nullable)

    def number_list(self, node: Expr, what: str) -> list[float] | None:
        if not isinstance(node, ListLit):
            self.problem(
                TypeMismatchError,
                f"bands() {what} must be a list of numbers, such as [10, 20]",
                node,
            )
            return None
        values: list[float] = []
        for item in node.items:
            number = _constant_number(item)
            if number is None:
                self.problem(TypeMismatchError, f"bands() {what} must be numbers", item)
                return None
            values.append(number)
        self.visit(node)
        return values

    def coalesce(self, node: Call) -> Type | None:
        if not self.arity(node, 2, 99):
            return None
        types = [self.visit(arg) for arg in node.args]
        if any(t is None for t in types):
            return None
        known = [t for t in types if t is not None]
        first = known[0]
        for arg, arg_type in zip(node.args[1:], known[1:], strict=True):
            if arg_type.base != first.base:
                self.problem(
                    TypeMismatchError,
                    f"coalesce() mixes {first.describe()} and {arg_type.describe()}",
                    arg,
                )
                return None
        return Type(
            first.base, any(t.per_period for t in known), all(t.nullable for t in known), first.item
        )

    def date(self, node: Call) -> Type | None:
        if not self.arity(node, 1, 1):
            return None
        arg = node.args[0]
        if not isinstance(arg, Literal) or not isinstance(arg.value, str):
            self.problem(
                TypeMismatchError, "date() needs a text constant such as '2026-01-31'", arg
            )
            return None
        try:
            dt.date.fromisoformat(arg.value)
        except ValueError:
            self.problem(
                TypeMismatchError,
                f"date(): '{arg.value}' is not a date in the form YYYY-MM-DD",
                arg,
            )
            return None
        return Type("date", nullable=False)

    def plugin_function(self, node: Call, function: Function) -> Type | None:
        required = sum(1 for a in function.args if not a.optional)
        if not self.arity(node, required, len(function.args)):
            return None
        per_period = False
        nullable = False
        for arg, spec in zip(node.args, function.args, strict=False):
            arg_type = self.visit(arg)
            if arg_type is None:
                return None
            if arg_type.base != spec.type.value:
                self.problem(
                    TypeMismatchError,
                    f"{node.func}() argument '{spec.name}' needs "
                    f"{Type(spec.type.value).describe()}, found {arg_type.describe()}",
                    arg,
                )
                return None
            per_period = per_period or arg_type.per_period
            nullable = nullable or arg_type.nullable
        return Type(
            function.returns.value, per_period, nullable or function.returns != ValueType.BOOLEAN
        )

    def number_arg(self, node: Call, arg: Expr) -> Type | None:
        arg_type = self.visit(arg)
        if arg_type is None:
            return None
        if arg_type.base != "number":
            self.problem(
                TypeMismatchError, f"{node.func}() needs a number, found {arg_type.describe()}", arg
            )
            return None
        return arg_type


def _literal_type(value: object) -> Type:
    if isinstance(value, bool):
        return BOOLEAN
    if isinstance(value, int | float):
        return Type("number", nullable=False)
    return Type("text", nullable=False)


def _constant_number(node: Expr) -> float | None:
    if (
        isinstance(node, Literal)
        and isinstance(node.value, int | float)
        and not isinstance(node.value, bool)
    ):
        return float(node.value)
    if isinstance(node, Unary) and node.op in ("-", "+"):
        inner = _constant_number(node.operand)
        return None if inner is None else (-inner if node.op == "-" else inner)
    return None


def _usage(name: str) -> str:
    builtin = BUILTIN_NAMES.get(name)
    return builtin.signature if builtin else f"{name}(...)"


def _names_hint(symbols: Mapping[str, Symbol]) -> str | None:
    if not symbols:
        return "define it under criteria:, derive: or decisions:"
    return "known names: " + ", ".join(sorted(symbols))


def _mismatch_hint(node: Binary, left: Type, right: Type) -> str | None:
    texts = [s for s, t in ((node.left, left), (node.right, right)) if t.base == "text"]
    if texts and isinstance(texts[0], Literal):
        return (
            "remove the quotes to compare with a number"
            if (isinstance(texts[0].value, str) and _is_number(texts[0].value))
            else None
        )
    return None


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def check_expression(
    tree: Expr,
    symbols: Mapping[str, Symbol],
    decisions: Mapping[str, Type],
    functions: Mapping[str, Function],
    *,
    allow_ranking: bool,
) -> CheckResult:
    """Resolve names and infer types in ``tree``; collect every problem."""
    checker = _Checker(symbols, decisions, functions, allow_ranking)
    checker.result.type = checker.visit(tree)
    return checker.result


def ranking_of(tree: Expr) -> str | None:
    """The ranking function an expression is (``top_share`` for ``top_share(x)``), or None."""
    return tree.func if isinstance(tree, Call) and tree.func in RANKING else None


def _rankings(node: Expr) -> Iterator[Call]:
    """The calls of ranking functions in ``node``, outermost first."""
    if isinstance(node, Call):
        if node.func in RANKING:
            yield node
        for arg in (*node.args, *(k.value for k in node.kwargs)):
            yield from _rankings(arg)
    elif isinstance(node, Unary):
        yield from _rankings(node.operand)
    elif isinstance(node, Binary):
        yield from _rankings(node.left)
        yield from _rankings(node.right)
    elif isinstance(node, ListLit):
        for item in node.items:
            yield from _rankings(item)
