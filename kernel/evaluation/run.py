"""Run a compiled ruleset over prepared tables with the vector engine."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import narwhals.stable.v2 as nw
import polars as pl

from tierkit.columns import ID, OVERLAP
from tierkit.columns import decision_columns as decision_columns
from tierkit.engines import engine_named
from tierkit.engines.vector.collect import collect_results
from tierkit.engines.vector.decide import check_overlap, overlap_columns
from tierkit.engines.vector.engine import VectorEngine
from tierkit.engines.vector.expressions import Compiler
from tierkit.engines.vector.frames import internal
from tierkit.errors import TierkitError
from tierkit.evaluation.criteria import compute_criteria
from tierkit.evaluation.nearmiss_periods import period_ladder
from tierkit.registry import Registry
from tierkit.ruleset.attributes import criteria_for
from tierkit.ruleset.compiled import CompiledDecision, CompiledRuleset


class UndecidedCustomer(TierkitError):
    """A decision without a default left a customer undecided."""


class CountMismatch(TierkitError):
    """Customers in and customers out differ: a bug, the run stops."""


@dataclass(frozen=True)
class EvaluationResult:
    """One row per customer: decisions, rules, reasons, and the values the rules used."""

    results: pl.DataFrame
    """The result columns: decisions with rule and reason, then the values the rules used."""
    columns_used: tuple[str, ...]
    values: pl.DataFrame
    """Every per-customer criterion, derived fact and decision, for explanations and tests."""
    periods: pl.DataFrame | None = None
    """The per-period values, where the main decision's near miss needs them."""


def evaluate_tables(
    ruleset: CompiledRuleset,
    registry: Registry,
    tables: Mapping[str, nw.LazyFrame[Any]],
    as_of: date,
    previous: pl.DataFrame | None = None,
    engine: str = "vector",
    lap: Callable[[str], None] | None = None,
) -> EvaluationResult:
    """Decide every customer of ``tables['customers']``.

    ``engine`` decides the decision tables: ``vector`` (frame expressions) or ``durable``
    (durable_rules, one fact per customer; derived facts are still computed as frames).
    ``lap`` is told when the plan of the criteria is built (``criteria``), before it runs.
    """
    decider = engine_named(engine, registry)
    criteria = criteria_for(ruleset.criteria.values(), registry.criteria)
    customers = tables["customers"]
    frames = compute_criteria(ruleset, criteria, tables, customers, as_of, names=False)
    _add_previous(frames, ruleset, previous)
    compiler = Compiler(frames, registry.functions)
    by_vector: list[CompiledDecision] = []  # their text is put back after sorting
    for step in ruleset.order:
        if step.kind == "derive":
            compiler.column(ruleset.derived[step.name].expr, step.name)
        else:
            decider.add_decision(compiler, ruleset.decisions[step.name])
            if decider.lazy:
                by_vector.append(ruleset.decisions[step.name])
    used = _used_columns(ruleset)
    keep = [ID, "name"]
    for decision in ruleset.decisions.values():
        keep += decision_columns(decision)  # a collect decision keeps one flag per value
    keep += [c for c in used if c not in keep]
    if lap is not None:
        lap("criteria")
    everything = collect_results(frames, customers, by_vector)
    everything = _without_overlaps(everything, by_vector)
    values = everything.select([c for c in everything.columns if not c.startswith("__")])
    result = values.select(keep)
    _check_complete(ruleset, result)
    count_in = nw.to_native(customers.select(nw.len()).collect(backend="polars")).item()
    if result.height != count_in:
        raise CountMismatch(f"{count_in} customers in but {result.height} out; this is a bug")
    periods = frames.collect_periods() if period_ladder(ruleset) is not None else None
    return EvaluationResult(result, tuple(used), values, periods)


def decide_vector(
    ruleset: CompiledRuleset, registry: Registry, inputs: pl.DataFrame
) -> pl.DataFrame:
    """Only the decisions, with the vector engine, on given per-customer inputs.

    ``inputs`` holds ``customer_id`` and every criterion, derived fact and ``previous.NAME``
    column the decisions read (one value per customer). Returns ``customer_id`` and, per
    decision, the value, ``NAME.rule`` and ``NAME.because`` (or ``NAME::VALUE`` flags for
    ``hit: collect``). This is the reference the durable engine must agree with.
    """
    return VectorEngine(registry.functions).decide(ruleset, inputs)


def _used_columns(ruleset: CompiledRuleset) -> list[str]:
    """Criteria and derived facts with one value per customer that the rules refer to."""
    return [
        name
        for name in ruleset.names_used_by_decisions()
        if not (
            ruleset.criteria[name].per_period
            if name in ruleset.criteria
            else ruleset.derived[name].expr.type.per_period
        )
    ]


def _add_previous(frames: Any, ruleset: CompiledRuleset, previous: pl.DataFrame | None) -> None:
    names = sorted(
        {p for d in ruleset.decisions.values() for r in d.rules for p in r.when.previous}
        | {p for f in ruleset.derived.values() for p in f.expr.previous}
    )
    for name in names:
        decision = ruleset.decisions[name]
        column = f"previous.{name}"
        # a collect decision is read through one true/false column per value ('x' in previous.f)
        flags = [f"{name}::{o}" for o in decision.outcomes] if decision.hit == "collect" else []
        wanted = [name, *flags]
        if previous is not None and all(c in previous.columns for c in wanted):
            # named as inside the frames already: Spark reads a dot as a field of a struct
            spelled = [internal(f"previous.{c}") for c in wanted]
            rows = previous.select(
                ID, *(pl.col(c).alias(s) for c, s in zip(wanted, spelled, strict=True))
            )
            frames.join_scalar(like(frames.customers, rows), spelled)
        else:
            kind = decision.type.base
            dtype: Any = {"boolean": nw.Boolean, "number": nw.Float64}.get(kind, nw.String)
            frames.add(column, nw.lit(None).cast(dtype), per_period=False)
            for flag in flags:
                frames.add(f"previous.{flag}", nw.lit(None).cast(nw.Boolean), per_period=False)


def like(frame: nw.LazyFrame[Any], data: pl.DataFrame) -> nw.LazyFrame[Any]:
    """``data`` as a lazy frame of ``frame``'s backend, joinable with it.

    A join needs both sides on one backend (and on DuckDB in one connection, on Spark in one
    session): the previous run comes from the history store as a polars frame.
    """
    native: Any = nw.to_native(frame)
    if frame.implementation.is_duckdb():
        # a relation of the same connection, read from the Arrow table below by its name
        tierkit_previous_rows = data.to_arrow()  # noqa: F841 (read by name in the query)
        rows: nw.LazyFrame[Any] = nw.from_native(
            native.query("__rows", "select * from tierkit_previous_rows")
        )
        return rows
    if frame.implementation.is_pyspark():
        spark_rows: nw.LazyFrame[Any] = nw.from_native(
            native.sparkSession.createDataFrame(data.to_arrow())
        )
        return spark_rows
    return nw.from_native(data.lazy())


def _without_overlaps(everything: pl.DataFrame, decisions: list[CompiledDecision]) -> pl.DataFrame:
    """Stop when a customer breaks a ``unique`` or ``any`` decision; else drop the columns
    that say so."""
    columns = overlap_columns(decisions)
    for decision in decisions:
        if OVERLAP + decision.name in columns:
            check_overlap(decision, everything.select(ID, OVERLAP + decision.name))
    return everything.drop(columns)


def _check_complete(ruleset: CompiledRuleset, result: pl.DataFrame) -> None:
    for decision in ruleset.decisions.values():
        if decision.default is not None or decision.hit == "collect":
            continue
        undecided = result.filter(pl.col(decision.name).is_null())
        if undecided.height:
            ids = ", ".join(undecided[ID].head(5).to_list())
            raise UndecidedCustomer(
                f"decision '{decision.name}' decided no value for {undecided.height} "
                f"customer(s), e.g. {ids}; add a default"
            )
