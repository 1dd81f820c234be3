"""Where a cumulative-share line lies for each customer: the value at which
``cum_share(value) < b`` starts or stops holding for that customer, the others' values as they
are (the near miss of :mod:`tierkit.evaluation.nearmiss`)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import polars as pl


@dataclass(frozen=True)
class Ranked:
    """The customers a cumulative share ranks, in its order (largest value first), with the
    numbers every line on it needs; one per ranking fact. Columns of polars, not numpy: a run
    does not import numpy."""

    u: pl.Series
    """The ranked values, largest first."""
    prefix: pl.Series
    """P[k], the sum of the first k (k = 0..n)."""
    customers: pl.DataFrame
    """Per customer (in the values' order): ``v`` its value, ``share`` its share ahead (missing:
    not ranked), ``p`` its place in the order (n: not ranked)."""

    @staticmethod
    def of(values: pl.DataFrame, name: str, measure: str) -> Ranked | None:
        order = (
            values.select(pl.col(measure).cast(pl.Float64), pl.col(name))
            .with_row_index("__row")
            .filter(pl.col(name).is_not_null())
            .sort([name, measure], descending=[False, True])  # the ranking's own order
        )
        u = order[measure]
        lowest = u.min()
        if order.is_empty() or u.null_count() or not isinstance(lowest, float) or lowest < 0:
            return None
        n = len(u)
        place = pl.Series("p", [n] * values.height, dtype=pl.Int64).scatter(
            order["__row"], pl.int_range(n, eager=True, dtype=pl.Int64)
        )
        return Ranked(
            u=u,
            prefix=pl.concat([pl.Series([0.0]), u.cum_sum()]),
            customers=values.select(
                pl.col(measure).cast(pl.Float64).alias("v"), pl.col(name).alias("share")
            ).with_columns(place),
        )


def cum_share_line(ranked: Ranked | None, b: float, height: int) -> pl.Series:
    """Per customer, the value at which ``cum_share(value) < b`` starts or stops holding for
    that customer, the others' values as they are (missing: unknown); see
    :func:`cum_share_lines`."""
    return cum_share_lines(ranked, [b], height)[0]


def cum_share_lines(ranked: Ranked | None, shares: list[float], height: int) -> list[pl.Series]:
    """:func:`cum_share_line` for each of ``shares``, computed in one query: the searches of
    every line side by side, then the lines."""
    if ranked is None:
        return [pl.Series([None] * height, dtype=pl.Float64) for _ in shares]
    found = {i: line for i, b in enumerate(shares) if (line := _line_exprs(ranked, b, i))}
    searched = ranked.customers.lazy().with_columns(
        e for searches, _ in found.values() for e in searches
    )
    columns = searched.select(line.alias(f"l{i}") for i, (_, line) in found.items()).collect()
    return [
        columns[f"l{i}"] if i in found else pl.Series([None] * height, dtype=pl.Float64)
        for i in range(len(shares))
    ]


def _line_exprs(ranked: Ranked, b: float, i: int) -> tuple[list[pl.Expr], pl.Expr] | None:
    """Per customer, the value at which ``cum_share(value) < b`` starts or stops holding for
    that customer, the others' values as they are (missing: unknown).

    The ranked customers by value, largest first: u[0] >= u[1] >= ..., P[k] the sum of the
    first k. A customer whose value v' lies below the first k of the *others* has P[k] ahead of
    it, out of T_o + v' (T_o: the others' total), so the line holds when v' > P[k] / b - T_o.
    Over all stretches it holds from one value on, v*, found by bisecting
    H[k] = P[k] - b * u[k-1], which grows with k when values are >= 0 and b <= 1. A customer
    below the line needs more than v*; one inside falls out at v*. With negative values the
    cut-off of the population is kept (missing here).
    """
    if not 0 < b <= 1:
        return None
    u, prefix = ranked.u, ranked.prefix
    n = len(u)
    heads = pl.concat([pl.Series([-math.inf]), prefix.slice(1) - b * u])  # H[0..n]
    lows = pl.concat([u, pl.Series([-math.inf])])  # u[k], k = 0..n
    total = float(prefix[n])
    v, p = pl.col("v").fill_null(0.0), pl.col("p")
    others = pl.when(p < n).then(total - pl.col("v")).otherwise(pl.lit(total)).fill_null(total)
    at = pl.lit(heads)
    k, j = pl.col(f"__k{i}"), pl.col(f"__j{i}")
    searches = [
        # below the line: the largest stretch above the customer's own place that holds
        pl.min_horizontal(
            (at.search_sorted(b * others, side="left").cast(pl.Int64) - 1).clip(0, None), p
        ).alias(f"__k{i}"),
        # inside: the lowest stretch of the others (without the customer) that still holds
        (
            pl.max_horizontal(
                p, at.search_sorted(b * others + v, side="left").cast(pl.Int64) - 2
            ).clip(None, n - 1)
            + 1
        ).alias(f"__j{i}"),
    ]
    below = pl.max_horizontal(pl.lit(lows).gather(k), pl.lit(prefix).gather(k) / b - others)
    above = pl.max_horizontal(pl.lit(lows).gather(j), (pl.lit(prefix).gather(j) - v) / b - others)
    line = (
        pl.when(pl.col("v").is_null())
        .then(pl.lit(None, dtype=pl.Float64))
        .when(pl.col("share") < b)
        .then(above)
        .otherwise(below)
    )
    return searches, line
