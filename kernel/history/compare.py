"""Comparing a decision between two runs: change per customer, transition matrix, movers.

A decision's outcomes are ordered as its table lists them, and the first is the best: with
outcomes A, B, C a customer going from C to A moves *up*. Values that are not among the
outcomes (a previous version of the ruleset had them) cannot be ranked: they count as a change
only when equal values compare *same*.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import polars as pl

from tierkit.by_id import beside
from tierkit.ruleset.compiled import ThenValue

ID = "customer_id"
UP, DOWN, SAME, NEW, GONE = "up", "down", "same", "new", "gone"
NEW_LABEL, GONE_LABEL = "(new)", "(gone)"


class Decision(Protocol):
    """What comparing needs of a decision; :class:`CompiledDecision` is one."""

    @property
    def name(self) -> str: ...

    @property
    def outcomes(self) -> tuple[ThenValue, ...]: ...

    @property
    def hit(self) -> str: ...


@dataclass(frozen=True)
class StoredDecision:
    """A decision as the history store remembers it, without its ruleset."""

    name: str
    outcomes: tuple[ThenValue, ...]
    hit: str = "first"


WHOLE = 2.0**53
"""Below this, every whole float is exactly an integer: ``10.0`` is labelled ``10``."""


def label(value: Any) -> str:
    """A value as text the way a ruleset writes it: ``true``/``false`` for booleans, a whole
    number without ``.0`` (``then: 10`` beside ``then: 2.5`` is the float ``10.0``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < WHOLE:
        return str(int(value))
    return str(value)


def compare_previous(
    results: pl.DataFrame, previous: pl.DataFrame | None, decision: Decision
) -> pl.DataFrame:
    """Add ``NAME.previous`` and ``NAME.change`` (up, down, same, new) to ``results``.

    ``previous`` is the previous run's results (``None`` when there is none). A customer absent
    from it, or without a value there, is ``new``. A change between values that are not both
    outcomes of the decision, and not equal, cannot be ranked and is left missing.
    """
    name = decision.name
    dtype = results.schema[name]
    column, change = f"{name}.previous", f"{name}.change"
    if previous is not None and name in previous.columns:
        before = previous.select(ID, pl.col(name).cast(dtype, strict=False).alias(column))
        joined = beside(results, before)
    else:
        joined = results.with_columns(pl.lit(None, dtype=dtype).alias(column))
    now, then = _rank(name, dtype, decision), _rank(column, dtype, decision)
    joined = joined.with_columns(
        pl.when(pl.col(column).is_null())
        .then(pl.lit(NEW))
        .when(pl.col(name) == pl.col(column))
        .then(pl.lit(SAME))
        .when(now < then)
        .then(pl.lit(UP))
        .when(now > then)
        .then(pl.lit(DOWN))
        .otherwise(pl.lit(None, dtype=pl.String))
        .alias(change)
    )
    return joined.select(place_after(results.columns, name, [column, change]))


def place_after(columns: list[str], name: str, added: list[str]) -> list[str]:
    """Column order with ``added`` right after the last of the decision's own columns."""
    own = {name, *(f"{name}{s}" for s in (".rule", ".because", ".decided", ".override"))}
    kept = [c for c in columns if c not in added]
    last = max((i for i, c in enumerate(kept) if c in own), default=len(kept) - 1)
    return [*kept[: last + 1], *added, *kept[last + 1 :]]


def transitions(a: pl.DataFrame, b: pl.DataFrame, decision: Decision) -> pl.DataFrame:
    """One row per customer of either run: ``from`` and ``to`` (labels), ranks and the change.

    A customer only in ``b`` comes from ``(new)``; one only in ``a`` goes to ``(gone)``.
    """
    name = decision.name
    for frame, which in ((a, "first"), (b, "second")):
        if name in frame.columns:
            continue
        raise ValueError(f"the {which} run's results have no decision '{name}'")
    left = a.select(ID, label_expr(name, a.schema[name]).alias("from"))
    right = b.select(ID, label_expr(name, b.schema[name]).alias("to"))
    both = left.with_columns(pl.lit(True).alias("__a")).join(
        right.with_columns(pl.lit(True).alias("__b")), on=ID, how="full", coalesce=True
    )
    order = {label(o): i for i, o in enumerate(decision.outcomes)}
    rank_from = pl.col("from").replace_strict(order, default=None, return_dtype=pl.Int64)
    rank_to = pl.col("to").replace_strict(order, default=None, return_dtype=pl.Int64)
    both = both.with_columns(
        pl.when(pl.col("__a").is_null())
        .then(pl.lit(NEW_LABEL))
        .otherwise(pl.col("from"))
        .alias("from"),
        pl.when(pl.col("__b").is_null())
        .then(pl.lit(GONE_LABEL))
        .otherwise(pl.col("to"))
        .alias("to"),
        rank_from.alias("from_rank"),
        rank_to.alias("to_rank"),
    )
    change = (
        pl.when(pl.col("__a").is_null())
        .then(pl.lit(NEW))
        .when(pl.col("__b").is_null())
        .then(pl.lit(GONE))
        .when(pl.col("from") == pl.col("to"))
        .then(pl.lit(SAME))
        .when(pl.col("to_rank") < pl.col("from_rank"))
        .then(pl.lit(UP))
        .when(pl.col("to_rank") > pl.col("from_rank"))
        .then(pl.lit(DOWN))
        .otherwise(pl.lit(None, dtype=pl.String))
    )
    return both.with_columns(change.alias("change")).drop("__a", "__b").sort(ID)


def transition_matrix(a: pl.DataFrame, b: pl.DataFrame, decision: Decision) -> pl.DataFrame:
    """Customers counted by their value in run ``a`` (rows) and in run ``b`` (columns).

    The first column, ``from``, holds the row labels. Rows and columns are the decision's
    outcomes in table order (always present, zero when empty), then values the ruleset does not
    list (sorted), then ``(new)`` (a row: customers only in ``b``) and ``(gone)`` (a column:
    customers only in ``a``) when there are any.
    """
    pairs = transitions(a, b, decision)
    outcomes = [label(o) for o in decision.outcomes]
    extra = sorted(
        (set(pairs["from"].to_list()) | set(pairs["to"].to_list()))
        - {*outcomes, NEW_LABEL, GONE_LABEL}
    )
    rows = [*outcomes, *extra] + ([NEW_LABEL] if NEW_LABEL in pairs["from"] else [])
    columns = [*outcomes, *extra] + ([GONE_LABEL] if GONE_LABEL in pairs["to"] else [])
    counts = {(f, t): n for f, t, n in pairs.group_by("from", "to").len().iter_rows()}
    return pl.DataFrame(
        {"from": rows, **{t: [counts.get((f, t), 0) for f in rows] for t in columns}},
        schema={"from": pl.String, **dict.fromkeys(columns, pl.Int64)},
    )


def change_counts(a: pl.DataFrame, b: pl.DataFrame, decision: Decision) -> dict[str, int]:
    """How many customers moved up, down, stayed the same, are new, or are gone."""
    pairs = transitions(a, b, decision)
    counts = dict.fromkeys((UP, DOWN, SAME, NEW, GONE), 0)
    for change, n in pairs.group_by("change").len().iter_rows():
        counts[change if change is not None else "unranked"] = n
    return counts


def movers(
    a: pl.DataFrame, b: pl.DataFrame, decision: Decision, limit: int | None = 10
) -> pl.DataFrame:
    """Customers in both runs whose value changed, biggest moves first.

    Columns: customer_id, name, from, to, change, steps (outcome positions moved; positive is
    up), and from run ``b``: rule and because (the rule that decided the new value), override
    (when an override set it) and value (the strategy's value). Sorted by the size of the move,
    then by value (larger first), then customer_id. ``limit=None`` keeps every mover.
    """
    name = decision.name
    pairs = transitions(a, b, decision).filter(
        pl.col("change").is_in([UP, DOWN]) | pl.col("change").is_null()
    )
    details = [
        (f"{name}.rule", "rule", pl.Int64),
        (f"{name}.because", "because", pl.String),
        (f"{name}.override", "override", pl.String),
        ("value", "value", pl.Float64),
        ("name", "name", pl.String),
    ]
    taken = b.select(
        ID,
        *(
            (pl.col(source) if source in b.columns else pl.lit(None, dtype=dtype)).alias(target)
            for source, target, dtype in details
        ),
    )
    moved = pairs.join(taken, on=ID, how="left").with_columns(
        (pl.col("from_rank") - pl.col("to_rank")).alias("steps")
    )
    moved = moved.sort(
        [pl.col("steps").abs(), pl.col("value"), pl.col(ID)],
        descending=[True, True, False],
        nulls_last=True,
    ).select(ID, "name", "from", "to", "change", "steps", "rule", "because", "override", "value")
    return moved if limit is None else moved.head(limit)


def label_expr(column: str, dtype: pl.DataType) -> pl.Expr:
    """:func:`label` for a whole column."""
    if dtype == pl.Boolean:
        return (
            pl.when(pl.col(column))
            .then(pl.lit("true"))
            .when(~pl.col(column))
            .then(pl.lit("false"))
            .otherwise(pl.lit(None, dtype=pl.String))
        )
    if dtype.is_float():
        whole = (pl.col(column) == pl.col(column).round(0)) & (pl.col(column).abs() < WHOLE)
        return (
            pl.when(whole)
            .then(pl.col(column).cast(pl.Int64, strict=False).cast(pl.String))
            .otherwise(pl.col(column).cast(pl.String))
        )
    return pl.col(column).cast(pl.String)


def _rank(column: str, dtype: pl.DataType, decision: Decision) -> pl.Expr:
    """The outcome position of a value (0 is the best), missing for a value not listed."""
    order = {label(o): i for i, o in enumerate(decision.outcomes)}
    return label_expr(column, dtype).replace_strict(order, default=None, return_dtype=pl.Int64)


def category_overlap(
    a: pl.DataFrame, b: pl.DataFrame, decision: str, outcomes: Sequence[str]
) -> list[dict[str, Any]]:
    """Per value of ``decision``: customers with it in ``a``, in ``b``, in both, and the overlap
    (both / either; ``None`` when no customer has it in either). Customers in both only."""
    pairs = a.select(ID, label_expr(decision, a.schema[decision]).alias("a")).join(
        b.select(ID, label_expr(decision, b.schema[decision]).alias("b")), on=ID
    )
    rows = []
    for outcome in outcomes:
        in_a = int((pairs["a"] == outcome).sum())
        in_b = int((pairs["b"] == outcome).sum())
        both = int(((pairs["a"] == outcome) & (pairs["b"] == outcome)).sum())
        either = in_a + in_b - both
        rows.append(
            {
                "category": outcome,
                "in_first": in_a,
                "in_second": in_b,
                "in_both": both,
                "overlap": round(both / either, 6) if either else None,
            }
        )
    return rows
