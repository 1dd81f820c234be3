"""Checking function calls: built-ins, rankings, aggregates, bands, dates, plugins' functions."""

from __future__ import annotations

import datetime as dt
import itertools

from tierkit.contract import Function, ValueType
from tierkit.errors import (
    ArityError,
    RankingOutsideDeriveError,
    TypeMismatchError,
    UnknownFunctionError,
    did_you_mean,
    suggest,
)
from tierkit.ruleset.check_state import (
    CheckerState,
    ExprProblem,
    constant_number,
    rankings_in,
    usage,
)
from tierkit.ruleset.expr import (
    Call,
    Expr,
    ListLit,
    Literal,
    Name,
)
from tierkit.ruleset.language import AGGREGATES, BUILTIN_NAMES, RANKING
from tierkit.ruleset.types import BOOLEAN, Type


class CallChecks(CheckerState):
    """Function calls."""

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
                hint=f"usage: {usage(node.func)}",
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
                hint=f"add a derived fact, e.g. rank: {usage(node.func)}, and use its name here",
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
        ranked = next(rankings_in(by), None)
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
            number = constant_number(item)
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
