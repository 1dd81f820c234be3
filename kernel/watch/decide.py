"""Decide some customers (or every one) at one as-of date, with frozen ranking functions.

The same steps as a batch run (:func:`tierkit.evaluation.run.evaluate_tables`): the criteria
through their plugins, the derived facts, then the decisions on the vector or durable engine;
only the ranking functions differ (:mod:`tierkit.watch.frozen`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import narwhals.stable.v2 as nw
import polars as pl

from tierkit.columns import ID
from tierkit.engines.vector.collect import collect_results
from tierkit.engines.vector.decide import decide
from tierkit.evaluation.criteria import compute_criteria
from tierkit.evaluation.run import _add_previous, _without_overlaps, decision_columns
from tierkit.registry import Registry
from tierkit.ruleset.attributes import criteria_for
from tierkit.ruleset.compiled import CompiledDecision, CompiledRuleset
from tierkit.watch.frozen import FrozenCompiler, FrozenRankings


def decide_customers(
    ruleset: CompiledRuleset,
    registry: Registry,
    tables: Mapping[str, pl.LazyFrame],
    as_of: date,
    previous: pl.DataFrame | None,
    frozen: FrozenRankings,
    *,
    engine: str = "vector",
    learn: bool = False,
) -> pl.DataFrame:
    """Every customer of ``tables['customers']``: the decisions (value, rule, because) and
    every per-customer value, under public names.

    ``learn`` computes the ranking functions as
    a batch run does and keeps their population in ``frozen``.
    """
    criteria = criteria_for(ruleset.criteria.values(), registry.criteria)
    narrow = {name: nw.from_native(frame) for name, frame in tables.items()}
    customers = narrow["customers"]
    frames = compute_criteria(ruleset, criteria, narrow, customers, as_of, names=False)
    _add_previous(frames, ruleset, previous)
    compiler = FrozenCompiler(frames, registry.functions, frozen, learn=learn)
    by_vector: list[CompiledDecision] = []
    for step in ruleset.order:
        if step.kind == "derive":
            compiler.column(ruleset.derived[step.name].expr, step.name)
        elif engine == "durable":
            from tierkit.engines import add_decision

            decided = add_decision(
                ruleset.decisions[step.name], registry, frames.collect_customers()
            )
            frames.replace_customers(decided)
        else:
            decide(compiler, ruleset.decisions[step.name])
            by_vector.append(ruleset.decisions[step.name])
    everything = collect_results(frames, customers, by_vector)
    everything = _without_overlaps(everything, by_vector)
    return everything.select([c for c in everything.columns if not c.startswith("__")])


def decision_names(ruleset: CompiledRuleset) -> list[str]:
    """The decisions whose changes are reported: those that give one value (``hit: first``)."""
    return [d.name for d in ruleset.decisions.values() if d.hit == "first"]


def outcome_columns(ruleset: CompiledRuleset) -> list[str]:
    """Every column the decisions add (value, rule, because)."""
    return [c for d in ruleset.decisions.values() for c in decision_columns(d)]


def as_lazy(frame: Any) -> pl.LazyFrame:
    return frame.lazy() if isinstance(frame, pl.DataFrame) else frame


__all__ = ["ID", "decide_customers", "decision_names", "outcome_columns"]
