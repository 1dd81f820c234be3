"""A decision's result columns, built from the rules durable_rules fired.

They are built with the same expressions as the vector engine
(:mod:`tierkit.engines.vector.decide`), only on "which rule decided" instead of on the
conditions, so their types match exactly:
the value, ``NAME.rule`` (0 for the default) and ``NAME.because`` for ``hit: first``; one
``NAME::VALUE`` flag per value and ``NAME`` (the matching values, ``", "``-joined in table
order; the default's when no rule matched) for ``hit: collect``.
"""

from __future__ import annotations

import narwhals.stable.v2 as nw
import polars as pl

from tierkit.columns import BECAUSE, ID, OVERLAP, RULE
from tierkit.engines.runner import UNDECIDED
from tierkit.engines.vector.decide import check_overlap, decision_exprs
from tierkit.ruleset.compiled import CompiledDecision

_RULE_NO = "__durable_rule"


def first_columns(work: pl.DataFrame, decision: CompiledDecision, rules: list[int]) -> pl.DataFrame:
    """Add a ``hit: first`` decision's columns, given the rule that decided each row."""
    numbers = pl.Series(_RULE_NO, rules, dtype=pl.Int64)
    decided = pl.when(pl.col(_RULE_NO) != UNDECIDED).then(pl.col(_RULE_NO))
    default = decision.default
    value: pl.Expr = pl.lit(default.then if default else None)
    rule: pl.Expr = pl.lit(0 if default else None)
    because: pl.Expr = pl.lit(default.because if default else None)
    for compiled in reversed(decision.rules):
        chosen = decided == compiled.index
        value = pl.when(chosen).then(pl.lit(compiled.then)).otherwise(value)
        rule = pl.when(chosen).then(pl.lit(compiled.index)).otherwise(rule)
        because = pl.when(chosen).then(pl.lit(compiled.because)).otherwise(because)
    name = decision.name
    added = work.with_columns(numbers).with_columns(
        value.alias(name),
        rule.cast(pl.Int64).alias(name + RULE),
        because.cast(pl.String).alias(name + BECAUSE),
    )
    return added.drop(_RULE_NO)


def collect_columns(
    work: pl.DataFrame, decision: CompiledDecision, matched: set[tuple[int, int]]
) -> pl.DataFrame:
    """Add a ``hit: collect`` decision's columns, given every ``(row, rule)`` that matched."""
    rows = range(work.height)
    hits = {
        r.index: pl.Series([(row, r.index) in matched for row in rows], dtype=pl.Boolean)
        for r in decision.rules
    }
    matched_rows = {row for row, _ in matched}
    nothing = pl.Series([row not in matched_rows for row in rows], dtype=pl.Boolean)
    default = decision.default
    name = decision.name
    flags: list[pl.Expr] = []
    parts: list[pl.Expr] = []
    for outcome in decision.outcomes:
        flag: pl.Expr = pl.lit(False)
        for rule in decision.rules:
            if rule.then == outcome:
                flag = flag | pl.lit(hits[rule.index])
        if default is not None and outcome == default.then:
            flag = flag | pl.lit(nothing)  # the default, when no rule matched
        flags.append(flag.alias(f"{name}::{outcome}"))
        parts.append(pl.when(pl.col(f"{name}::{outcome}")).then(pl.lit(str(outcome))))
    if not parts:
        return work.with_columns(pl.lit("").alias(name))
    joined = pl.concat_str(parts, separator=", ", ignore_nulls=True).fill_null("")
    return work.with_columns(flags).with_columns(joined.alias(name))


def matched_columns(
    work: pl.DataFrame, decision: CompiledDecision, matched: set[tuple[int, int]]
) -> pl.DataFrame:
    """Add the columns of a decision under any other hit policy, given every ``(row, rule)``
    that matched: the vector engine's own expressions, over "rule i matched" columns.

    A customer that breaks ``unique`` or ``any`` stops the run, as on the vector engine.
    """
    rows = range(work.height)
    hits = [f"__durable_hit{r.index}" for r in decision.rules]
    flagged = work.with_columns(
        pl.Series(column, [(row, r.index) in matched for row in rows], dtype=pl.Boolean)
        for column, r in zip(hits, decision.rules, strict=True)
    )
    frame = nw.from_native(flagged)
    for name, expr in decision_exprs(decision, [nw.col(c) for c in hits]):
        frame = frame.with_columns(expr.alias(name))  # one after the other: later ones read earlier
    done = nw.to_native(frame).drop(hits)
    overlap = OVERLAP + decision.name
    if overlap in done.columns:
        check_overlap(decision, done.select(ID, overlap))
        done = done.drop(overlap)
    return done
