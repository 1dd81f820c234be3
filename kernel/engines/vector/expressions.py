"""Compile checked expressions into narwhals expressions over the evaluation frames.

Row-wise parts become plain expressions. Period aggregates (``sum(paid)``) and ranking
functions (``top_share(x)``) need more than one row: they are computed into a temporary column
(of the customers or the periods frame) and the expression refers to it.

Meaning (docs/concepts.md): ranking orders the population by the value, larger first, ties by
customer_id; totals are summed exactly as integers of 1/10,000 so no row order can change a
rank; arithmetic past the largest number (or dividing by 0) gives a missing value; a comparison
with a missing value is false; a missing boolean counts as false.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import narwhals.stable.v2 as nw
import polars as pl

from tierkit.contract import MONEY_SCALE, Function
from tierkit.engines.vector.frames import ID, ORDER, PERIOD, Frames
from tierkit.ruleset.compiled import CompiledExpr
from tierkit.ruleset.expr import Binary, Call, Expr, ListLit, Literal, Name, Previous, Unary
from tierkit.ruleset.language import AGGREGATES, RANKING
from tierkit.ruleset.types import Type

SCALE = MONEY_SCALE
DIGITS = 12
"""Ranking results are rounded to this many decimals."""


class Compiler:
    """Compiles the expressions of one ruleset against one pair of frames."""

    def __init__(self, frames: Frames, functions: Mapping[str, Function]) -> None:
        self.frames = frames
        self.functions = functions
        # Exact sums in 128-bit integers where the backend has them (polars, DuckDB); Spark has
        # none, and its 64-bit sums stop with an overflow past 2^63 ten-thousandths (9.2e14 in
        # all), so there they are taken as 38-digit decimals, exact as wide.
        backend = frames.customers.implementation
        self.exact: Any = nw.Decimal(38, 0) if backend.is_pyspark() else nw.Int128
        self.types: Mapping[Expr, Type] = {}

    def column(self, compiled: CompiledExpr, name: str) -> None:
        """Add the value of ``compiled`` to the frames as column ``name``."""
        self.types = compiled.node_types
        per_period = compiled.type.per_period
        expr = self.expr(compiled.tree, per_period)
        if compiled.type.base == "boolean":
            expr = expr.fill_null(False)
        self.frames.add(name, expr, per_period=per_period)

    def condition(self, compiled: CompiledExpr) -> nw.Expr:
        self.types = compiled.node_types
        return self.expr(compiled.tree, False).fill_null(False)

    def per_period(self, node: Expr) -> bool:
        found = self.types.get(node)
        return bool(found and found.per_period)

    # ------------------------------------------------------------------------------------------

    def expr(self, node: Expr, level: bool) -> nw.Expr:
        """``node`` as an expression over the periods frame (``level``) or the customers frame."""
        match node:
            case Literal(value=value):
                return nw.lit(value)
            case ListLit():
                raise AssertionError("lists are compiled by their operator")
            case Name(name=name):
                return self.name(name, level)
            case Previous(name=name):
                return self.name(f"previous.{name}", level)
            case Unary(op=op, operand=inner):
                operand = self.expr(inner, level)
                if op == "not":
                    return ~operand.fill_null(False)
                return -operand if op == "-" else operand
            case Binary():
                return self.binary(node, level)
            case Call():
                return self.call(node, level)

    def name(self, name: str, level: bool) -> nw.Expr:
        if level and not self.frames.is_period_column(name):
            self.frames.ensure_in_periods(name)
        return self.frames.col(name)

    def binary(self, node: Binary, level: bool) -> nw.Expr:
        op = node.op
        if op in ("in", "not in"):
            return self.membership(node, level)
        left = self.expr(node.left, level)
        right = self.expr(node.right, level)
        if op == "and":
            return left.fill_null(False) & right.fill_null(False)
        if op == "or":
            return left.fill_null(False) | right.fill_null(False)
        if op == "+":
            return _finite(left + right)
        if op == "-":
            return _finite(left - right)
        if op == "*":
            return _finite(left * right)
        if op == "/":
            return nw.when(right != 0).then(_finite(left / right))
        if op == "%":
            return nw.when(right != 0).then(_finite(left % right))
        compared = {
            "==": left == right,
            "!=": left != right,
            "<": left < right,
            "<=": left <= right,
            ">": left > right,
            ">=": left >= right,
        }[op]
        return compared.fill_null(False)

    def membership(self, node: Binary, level: bool) -> nw.Expr:
        needle = self.expr(node.left, level)
        haystack = node.right
        if isinstance(haystack, ListLit):
            values = [_constant(item) for item in haystack.items]
            found = needle.is_in(values).fill_null(False)
        else:  # a collect decision: one boolean column per value it can give
            assert isinstance(node.left, Literal) and isinstance(haystack, Name | Previous)
            base = haystack.name if isinstance(haystack, Name) else f"previous.{haystack.name}"
            found = self.name(f"{base}::{node.left.value}", level).fill_null(False)
        if node.op == "in":
            return found
        return (~found) & ~needle.is_null()

    # functions --------------------------------------------------------------------------------

    def call(self, node: Call, level: bool) -> nw.Expr:
        name = node.func
        if name in AGGREGATES:
            return self.name(self.aggregate(node), level)
        if name in RANKING:
            column = self.ranking(node)
            return self.name(column, level)
        if name == "bands":
            return self.bands(node, self.expr(node.args[0], level))
        args = [self.expr(a, level) for a in node.args]
        if name == "missing":
            return args[0].is_null()
        if name == "coalesce":
            result = args[-1]
            for arg in reversed(args[:-1]):
                result = nw.when(~arg.is_null()).then(arg).otherwise(result)
            return result
        if name == "date":
            assert isinstance(node.args[0], Literal) and isinstance(node.args[0].value, str)
            return nw.lit(dt.date.fromisoformat(node.args[0].value))
        return self.functions[name].compile(*args)

    def bands(self, node: Call, value: nw.Expr) -> nw.Expr:
        edges = [_number(i) for i in node.args[1].items]  # type: ignore[union-attr]
        points = [_number(i) for i in node.args[2].items]  # type: ignore[union-attr]
        result = nw.lit(points[-1])
        for edge, point in reversed(list(zip(edges, points, strict=False))):
            result = nw.when(value < edge).then(nw.lit(point)).otherwise(result)
        return nw.when(~value.is_null()).then(result)

    def aggregate(self, node: Call) -> str:
        """Collapse a per-period argument to one value per customer; the new column's name."""
        frames = self.frames
        arg = frames.temp()
        frames.add(arg, self.expr(node.args[0], True), per_period=True)
        out = frames.temp()
        col = nw.col(arg)
        func = node.func
        assert frames.periods is not None
        periods = frames.periods
        if func == "last":
            last = periods.select(nw.col(PERIOD).max().alias("__last"))
            rows = periods.join(last, how="cross").filter(nw.col(PERIOD) == nw.col("__last"))
            frames.join_scalar(rows.select(ID, col.alias(out)), [out])
            return out
        if func == "trend":
            return self.trend(arg, out)
        exact = (col * SCALE).round(0).cast(self.exact)
        agg = {
            "any": col.fill_null(False).cast(nw.Int64).max() > 0,
            "all": col.fill_null(False).cast(nw.Int64).min() > 0,
            "count": col.fill_null(False).cast(nw.Int64).sum().cast(nw.Float64),
            # One division each, by an expression: polars divides by a literal by multiplying
            # with its reciprocal (182.98 came out as 182.98000000000002), other backends don't.
            "sum": (exact.sum().cast(nw.Float64) / SCALE).round(4),
            "mean": exact.sum().cast(nw.Float64) / (col.count().cast(nw.Float64) * SCALE),
            "min": col.min(),
            "max": col.max(),
        }[func]
        rows = periods.group_by(ID).agg(agg.alias(out))
        frames.join_scalar(rows, [out])
        if func in ("sum", "count"):
            frames.customers = frames.customers.with_columns(nw.col(out).fill_null(0.0))
        if func == "mean":
            frames.customers = frames.customers.with_columns(
                nw.when(nw.col(out).is_finite()).then(nw.col(out)).alias(out)
            )
        return out

    def trend(self, arg: str, out: str) -> str:
        """Least-squares slope against the period number, over periods with a value."""
        frames = self.frames
        assert frames.periods is not None
        y = (nw.col(arg) * SCALE).round(0).cast(self.exact)
        x = nw.col(PERIOD).cast(self.exact)
        has = ~nw.col(arg).is_null()
        rows = (
            frames.periods.with_columns(__y=nw.when(has).then(y), __x=nw.when(has).then(x))
            .group_by(ID)
            .agg(
                nw.col("__y").count().alias("__n"),
                nw.col("__x").sum().alias("__sx"),
                nw.col("__y").sum().alias("__sy"),
                (nw.col("__x") * nw.col("__y")).sum().alias("__sxy"),
                (nw.col("__x") * nw.col("__x")).sum().alias("__sxx"),
            )
        )
        n = nw.col("__n").cast(self.exact)
        numerator = (n * nw.col("__sxy") - nw.col("__sx") * nw.col("__sy")).cast(nw.Float64)
        denominator = (n * nw.col("__sxx") - nw.col("__sx") * nw.col("__sx")).cast(nw.Float64)
        slope = nw.when(denominator != 0).then(numerator / (denominator * SCALE))
        frames.join_scalar(rows.select(ID, slope.alias(out)), [out])
        return out

    def ranking(self, node: Call) -> str:
        """Rank the population (per period for per-period values); the new column's name."""
        frames = self.frames
        level = self.per_period(node.args[0])
        value = frames.temp()
        member = frames.temp()
        frames.add(value, self.expr(node.args[0], level), per_period=level)
        among = next((k.value for k in node.kwargs if k.name == "among"), None)
        condition = nw.lit(True) if among is None else self.expr(among, level).fill_null(False)
        frames.add(member, condition & ~nw.col(value).is_null(), per_period=level)
        by = next((k.value for k in node.kwargs if k.name == "by"), None)
        groups: list[str] = []
        if by is not None:  # a missing group value is a group of its own, as in SQL
            groups.append(frames.temp())
            frames.add(groups[0], self.expr(by, level), per_period=level)
        frame = frames.periods if level else frames.customers
        assert frame is not None
        out = frames.temp()
        if frame.implementation.is_polars():
            native = nw.to_native(frame)
            ties = ORDER if ORDER in native.collect_schema().names() else ID
            ranked = _rank_by_sorting(
                native, node.func, value, member, out, level, ties, groups=groups
            )
            frames.replace(nw.from_native(ranked), [out], per_period=level)
            return out
        frames.replace(
            _rank_by_windows(
                frame, node.func, value, member, out, level, self.exact, groups=groups
            ),
            [out],
            per_period=level,
        )
        return out


RANK_NEEDS: dict[str, tuple[str, ...]] = {
    "top_share": ("__pos", "__n"),
    "pct_rank": ("__pos", "__n"),
    "cum_share": ("__ptot", "__pcum"),
    "share": ("__ptot",),
    "minmax": ("__min", "__max"),
    "zscore": ("__n", "__tot", "__sq"),
}
"""The window columns each ranking function reads (:func:`_rank`); only those are computed.
Polars drops unused columns from its plan by itself, DuckDB does not drop unused window
functions: a cumulative share over 1M customers computed all eight (0.27 s for the variance
alone)."""


def _rank_columns(func: str, columns: dict[str, Any]) -> dict[str, Any]:
    """Of ``columns`` (name: expression), those that ``func`` needs."""
    return {name: columns[name] for name in RANK_NEEDS[func] if name in columns}


def _rank_by_windows(
    frame: nw.LazyFrame[Any],
    func: str,
    value: str,
    member: str,
    out: str,
    per_period: bool,
    exact: Any,
    *,
    groups: list[str] | None = None,
) -> nw.LazyFrame[Any]:
    """The ranking with window functions over the whole frame (DuckDB, Spark).

    Customers that are not ranked get null values: window sums and counts skip them, so where
    they fall in the order does not matter. Working on the whole frame, not on a filtered copy
    joined back, keeps the query plan linear: with a join per ranking, DuckDB's plan doubled
    with each ranking (eight rankings took 20 s on 12 customers). ``groups`` (``by=``) are
    further partitions: each group is ranked on its own.
    """
    part = [*([PERIOD] if per_period else []), *(groups or [])]
    order = ["__neg", ORDER if ORDER in frame.collect_schema().names() else ID]

    def over(expr: nw.Expr, *, ordered: bool = False) -> nw.Expr:
        if ordered:
            return expr.over(*part, order_by=order)
        return expr.over(*part) if part else expr

    xi = nw.col("__xi")
    ranked = (
        frame.with_columns(__x=nw.when(nw.col(member)).then(nw.col(value)))
        .with_columns(__neg=-nw.col("__x"), __xi=(nw.col("__x") * SCALE).round(0).cast(exact))
        .with_columns(__xp=nw.when(xi > 0).then(xi).otherwise(nw.lit(0).cast(exact)))
        .with_columns(
            **_rank_columns(
                func,
                {
                    "__pos": over(xi.cum_count(), ordered=True).cast(nw.Float64),
                    "__n": over(xi.count()).cast(nw.Float64),
                    "__tot": over(xi.sum()),
                    "__ptot": over(nw.col("__xp").sum()),
                    "__pcum": over(nw.col("__xp").cum_sum(), ordered=True),
                    "__min": over(nw.col("__x").min()),
                    "__max": over(nw.col("__x").max()),
                },
            )
        )
    )
    if func == "zscore":
        ranked = ranked.with_columns(__sq=over((_deviation(nw, exact) ** 2).sum()))
    # Ratios of exact integers, rounded so that 3/5 is 0.6 on every backend (polars may
    # divide by multiplying with the reciprocal) and `top_share(x) <= 0.6` holds for it.
    rank = nw.when(nw.col(member)).then(_rank(func, nw, exact).round(DIGITS)).alias(out)
    made = ["__x", "__neg", "__xi", "__xp", *RANK_NEEDS[func]]
    return ranked.with_columns(rank).drop(*made)


def _rank_by_sorting(
    frame: pl.LazyFrame,
    func: str,
    value: str,
    member: str,
    out: str,
    per_period: bool,
    ties: str = ID,
    *,
    groups: list[str] | None = None,
) -> pl.LazyFrame:
    """The ranking on polars: the frame sorted by value, then running sums in row order.

    The same numbers as the window functions with ``order_by`` used on the other backends
    (the tests compare them), without their cost: polars' ordered windows take 0.24 s for 1M
    customers where a sort and a running sum take 0.11 s, and no join brings the ranks back.
    Customers that are not ranked (not in ``among``, or no value) get null values, sort last
    and add nothing to the running sums. Ties are broken by ``ties``: the id, or the customer's
    place in id order (:data:`~tierkit.engines.vector.frames.ORDER`), which sorts faster.
    ``groups`` (``by=``) are ranked each on its own, like periods.
    """
    inside = pl.col(member)
    within = [*([PERIOD] if per_period else []), *(groups or [])]
    part = within or ["__all"]

    def running(expr: pl.Expr) -> pl.Expr:
        return expr.over(within) if within else expr  # keeps the row order in each partition

    def total(expr: pl.Expr) -> pl.Expr:
        # A column, not a broadcast scalar: polars divides by a scalar by multiplying with its
        # reciprocal, which overflows for tiny spreads (minmax of 2.2e-311 gave inf and NaN)
        # and is not correctly rounded; DuckDB and Spark divide.
        return expr.over(part)

    xi = pl.col("__xi")
    ranked = (
        frame.with_columns(__x=pl.when(inside).then(pl.col(value)), __all=pl.lit(0))
        .with_columns(__neg=-pl.col("__x"), __xi=(pl.col("__x") * SCALE).round(0).cast(pl.Int128))
        .with_columns(__xp=pl.when(xi > 0).then(xi).otherwise(pl.lit(0, pl.Int128)))
        .sort(*within, "__neg", ties, nulls_last=True)
        .with_columns(
            **_rank_columns(
                func,
                {
                    "__pos": running(xi.cum_count()).cast(pl.Float64),
                    "__n": total(xi.count()).cast(pl.Float64),
                    "__tot": total(xi.sum()),
                    "__ptot": total(pl.col("__xp").sum()),
                    "__pcum": running(pl.col("__xp").cum_sum()),
                    "__min": total(pl.col("__x").min()),
                    "__max": total(pl.col("__x").max()),
                },
            )
        )
    )
    if func == "zscore":
        ranked = ranked.with_columns(__sq=total((_deviation(pl, pl.Int128) ** 2).sum()))
    rank = pl.when(inside).then(_rank(func, pl).round(DIGITS)).alias(out)
    made = ["__x", "__neg", "__xi", "__xp", *RANK_NEEDS[func]]
    return ranked.with_columns(rank).drop(*made, "__all")


def _rank(func: str, ns: Any, exact: Any = None) -> Any:
    """The ranking function ``func`` from the running columns, in narwhals or polars (``ns``)."""
    pos, n = ns.col("__pos"), ns.col("__n")
    if func == "top_share":
        return pos / n
    if func == "pct_rank":
        return ns.when(n > 1).then((n - pos) / (n - 1)).otherwise(ns.lit(1.0))
    # cum_share and share are shares of the positive total (the sum of max(x, 0)), so that
    # losses cannot push a share above 1 or turn a negative net total into everyone's A
    positive = ns.col("__ptot").cast(ns.Float64)
    # polars divides by a column holding one value by multiplying with its reciprocal, which
    # is not correctly rounded (-1e13 / 50000 gave -200000000.00000003, DuckDB -2e8): adding
    # "x * 0" makes the divisor a full column, so the division is a division, as in minmax
    positive = ns.col("__x") * 0.0 + positive
    if func == "cum_share":
        ahead = (ns.col("__pcum") - ns.col("__xp")).cast(ns.Float64)
        return ns.when(positive > 0).then(ahead / positive)
    if func == "share":
        return ns.when(positive > 0).then(ns.col("__xi").cast(ns.Float64) / positive)
    if func == "minmax":
        spread = ns.col("__max") - ns.col("__min")
        # polars divides by a column holding one value by multiplying with its reciprocal,
        # which overflows for a tiny spread (2.2e-311 gave inf): "x * 0 + spread" is a full
        # column, so the division is a division (as in plugins/_window.divide)
        divisor = ns.col("__x") * 0.0 + spread
        return (
            ns.when(spread > 0)
            .then((ns.col("__x") - ns.col("__min")) / divisor)
            .otherwise(ns.lit(0.0))
        )
    # zscore: the deviation from the exact mean over the square root of the variance, __sq
    # being the sum of squared deviations (see _deviation), in units of 1/SCALE
    variance = ns.col("__sq").cast(ns.Float64) / n
    deviation = _deviation(ns, ns.Int128 if exact is None else exact)
    return ns.when(variance > 0).then(deviation / variance.sqrt()).otherwise(ns.lit(0.0))


def _deviation(ns: Any, exact: Any) -> Any:
    """A member's deviation from the mean of its partition, in float64 and units of 1/SCALE
    (``ns``: narwhals or polars; ``exact``: the integer type; needs ``__xi``, ``__tot``, ``__n``).

    A z-score is not money: its variance is taken in floating point, as the mean of squared
    deviations (two passes), never as a sum of squared amounts: squares of 128-bit amounts
    wrapped around on polars and stopped DuckDB from 10^15 per customer, and E[x²] - E[x]² in
    float64 loses every digit of a small spread around a large mean. The deviation is taken
    exactly from the whole part of the mean (integers), then the fraction is subtracted, so
    1e15 + 0.0001 and 1e15 + 0.0002 still differ by 1.
    """
    if exact != ns.Int128:  # Spark's 38-digit decimals overflow in floor division: floats
        mean = ns.col("__tot").cast(ns.Float64) / ns.col("__n")
        return ns.col("__xi").cast(ns.Float64) - mean
    n = ns.col("__n").cast(exact)
    whole = ns.col("__tot") // n
    fraction = (ns.col("__tot") - whole * n).cast(ns.Float64) / ns.col("__n")
    return (ns.col("__xi") - whole).cast(ns.Float64) - fraction


def _finite(value: nw.Expr) -> nw.Expr:
    """``value`` where it is a finite number, else missing: arithmetic past the largest float
    (``x * 1e300 * 1e300``) gives infinity, and infinity minus infinity NaN, which every backend
    orders above all numbers, so ``NaN > 0`` would be true and put the customer in a category."""
    return nw.when(value.is_finite()).then(value)


def _constant(node: Expr) -> str | float | bool:
    if isinstance(node, Literal) and isinstance(node.value, str | bool):
        return node.value
    return _number(node)


def _number(node: Expr) -> float:
    if isinstance(node, Literal):
        return float(node.value)
    assert isinstance(node, Unary) and isinstance(node.operand, Literal)
    value = float(node.operand.value)
    return -value if node.op == "-" else value
