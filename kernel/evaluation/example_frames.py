"""The evaluation frames of one example, built from its given values, and the ruleset's derived
facts and decisions run over them as in a real run."""

from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl

from tierkit.columns import OVERLAP
from tierkit.contract import Criterion, ValueType
from tierkit.engines.vector.decide import (
    check_overlap,
    decide,
)
from tierkit.engines.vector.expressions import Compiler
from tierkit.engines.vector.frames import ID, PERIOD, Frames
from tierkit.errors import HitPolicyError
from tierkit.evaluation.example_values import (
    EXAMPLE_CUSTOMER,
    MATCH,
    PREVIOUS,
    ExampleFailure,
    Given,
    Row,
    Values,
    contains,
    outcome_text,
)
from tierkit.registry import Registry
from tierkit.ruleset.attributes import criterion_for
from tierkit.ruleset.compiled import CompiledDecision, CompiledRuleset, CriterionBinding
from tierkit.ruleset.types import Type


def evaluate_rows(
    ruleset: CompiledRuleset, registry: Registry, given: Given, example: str
) -> Values:
    """Build the frames from the given values and run the derived facts and decisions."""
    frames, grid, given_steps = _frames(ruleset, registry, given, example)
    compiler = Compiler(frames, registry.functions)
    for step in ruleset.order:
        if step.name in given_steps:
            continue
        if step.kind == "derive":
            compiler.column(ruleset.derived[step.name].expr, step.name)
            continue
        decision = ruleset.decisions[step.name]
        decide(compiler, decision)
        if decision.hit == "collect":
            for rule in decision.rules:
                frames.add(
                    f"{MATCH}.{decision.name}.{rule.index}",
                    compiler.condition(rule.when),
                    per_period=False,
                )
    customers = frames.collect_customers()
    for name in ruleset.decisions:
        if OVERLAP + name in customers.columns:
            try:
                check_overlap(ruleset.decisions[name], customers.select(ID, OVERLAP + name))
            except HitPolicyError as error:
                raise ExampleFailure(f"example '{example}': {error}") from error
    return Values(customers, frames.collect_periods(), grid)


# --------------------------------------------------------------------------------------------
# building the frames


def _frames(
    ruleset: CompiledRuleset, registry: Registry, given: Given, example: str
) -> tuple[Frames, range, set[str]]:
    ids = given.ids
    window = ruleset.periods
    per_period = [b for b in ruleset.criteria.values() if b.per_period]
    low = min([0, *(window - b.periods for b in per_period)])
    grid = range(low, window)
    scalar: dict[str, pl.Series] = {
        ID: pl.Series(ID, ids, pl.String),
        "name": pl.Series("name", ids, pl.String),
    }
    periodic: dict[str, list[Any]] = {}
    for name, binding in ruleset.criteria.items():
        criterion = criterion_for(binding, registry.criteria)
        if binding.per_period:
            periodic[name] = _criterion_periods(binding, criterion, given, grid, example)
        else:
            scalar[name] = _series(name, binding.type, _criterion_values(name, criterion, given))
    given_steps: set[str] = set()
    for name, fact in ruleset.derived.items():
        if name not in given.names:
            continue
        given_steps.add(name)
        if fact.expr.type.per_period:
            periodic[name] = _given_periods(name, given, grid, window, example)
        else:
            scalar[name] = _series(
                name, fact.expr.type, [_scalar(row, name, example) for row in given.rows]
            )
    for name, decision in ruleset.decisions.items():
        if name in given.names:  # used by later decisions as it is
            given_steps.add(name)
            scalar.update(_decision_columns(name, decision, given, example))
    for name in _previous_names(ruleset, given):
        scalar.update(_decision_columns(PREVIOUS + name, ruleset.decisions[name], given, example))
    customers = pl.DataFrame(list(scalar.values()))
    periods_frame: pl.DataFrame | None = None
    needs_periods = bool(periodic) or any(f.expr.type.per_period for f in ruleset.derived.values())
    if needs_periods:
        types = {
            **{n: b.type for n, b in ruleset.criteria.items() if b.per_period},
            **{n: f.expr.type for n, f in ruleset.derived.items() if f.expr.type.per_period},
        }
        columns = [
            pl.Series(ID, [i for i in ids for _ in grid], pl.String),
            pl.Series(PERIOD, [p for _ in ids for p in grid], pl.Int64),
            *(_series(n, types[n], values) for n, values in periodic.items()),
        ]
        periods_frame = pl.DataFrame(columns)
    return Frames.of_values(customers, periods_frame), grid, given_steps


def _criterion_values(name: str, criterion: Criterion, given: Given) -> list[Any]:
    neutral = _neutral(criterion)
    return [row.get(name, neutral) for row in given.rows]


def _criterion_periods(
    binding: CriterionBinding, criterion: Criterion, given: Given, grid: range, example: str
) -> list[Any]:
    """The criterion's values on the whole grid, customer by customer."""
    shift = grid.stop - binding.periods
    neutral = _neutral(criterion)
    values: list[Any] = []
    for row in given.rows:
        if binding.name in row:
            own = _period_list(row, binding.name, binding.periods, example, given)
        else:
            own = [neutral] * binding.periods
        values += [own[p - shift] if shift <= p < shift + binding.periods else None for p in grid]
    return values


def _given_periods(name: str, given: Given, grid: range, window: int, example: str) -> list[Any]:
    """A given per-period derived fact: a list for the window (or the whole grid), ending at
    the last period; missing for rows that do not give it."""
    values: list[Any] = []
    for row in given.rows:
        if name not in row or row[name] is None:
            values += [None] * len(grid)
            continue
        size = len(row[name]) if isinstance(row[name], list) else -1
        length = size if size in (window, len(grid)) else window
        own = _period_list(row, name, length, example, given)
        start = grid.stop - length
        values += [own[p - start] if p >= start else None for p in grid]
    return values


def _period_list(row: Row, name: str, length: int, example: str, given: Given) -> list[Any]:
    value = row[name]
    if value is None:
        return [None] * length
    who = "" if row[ID] == EXAMPLE_CUSTOMER and len(given.rows) == 1 else f" (customer {row[ID]})"
    if not isinstance(value, list):
        raise ExampleFailure(
            f"example '{example}'{who}: '{name}' has one value per period; give a list of "
            f"{length} values, oldest first"
        )
    if len(value) != length:
        raise ExampleFailure(
            f"example '{example}'{who}: '{name}' needs {length} values, one per period oldest "
            f"first, found {len(value)}"
        )
    return list(value)


def _scalar(row: Row, name: str, example: str) -> Any:
    value = row.get(name)
    if isinstance(value, list):
        raise ExampleFailure(
            f"example '{example}': '{name}' has one value per customer, found a list"
        )
    return value


def _decision_columns(
    column: str, decision: CompiledDecision, given: Given, example: str
) -> dict[str, pl.Series]:
    """Columns of a decision given by the example (or of ``previous.NAME``)."""
    values = [row.get(column) for row in given.rows]
    if decision.hit == "first":
        for value in values:
            if isinstance(value, list):
                raise ExampleFailure(f"example '{example}': '{column}' is one value, not a list")
        return {column: _series(column, Type(decision.type.base), values)}
    lists = [[] if v is None else (v if isinstance(v, list) else [v]) for v in values]
    result = {
        column: pl.Series(
            column, [", ".join(outcome_text(o) for o in decision.outcomes if o in v) for v in lists]
        )
    }
    for outcome in decision.outcomes:
        flag = f"{column}::{outcome}"
        result[flag] = pl.Series(flag, [contains(v, outcome) for v in lists], pl.Boolean)
    return result


def _previous_names(ruleset: CompiledRuleset, given: Given) -> list[str]:
    used = {p for d in ruleset.decisions.values() for r in d.rules for p in r.when.previous}
    used |= {p for f in ruleset.derived.values() for p in f.expr.previous}
    used |= {
        n.removeprefix(PREVIOUS)
        for n in given.names
        if n.startswith(PREVIOUS) and n.removeprefix(PREVIOUS) in ruleset.decisions
    }
    return sorted(used)


def _neutral(criterion: Criterion) -> Any:
    if criterion.neutral is None:
        return None
    if criterion.type == ValueType.NUMBER:
        return float(criterion.neutral)
    return criterion.neutral


_DTYPES: dict[str, Any] = {
    "number": pl.Float64,
    "boolean": pl.Boolean,
    "text": pl.String,
    "date": pl.Date,
}


def _series(name: str, kind: Type, values: list[Any]) -> pl.Series:
    dtype = _DTYPES.get(kind.base, pl.String)
    if dtype == pl.Float64:
        values = [
            float(v) if isinstance(v, int | float) and not isinstance(v, bool) else v
            for v in values
        ]
    if dtype == pl.Date:
        values = [date.fromisoformat(v) if isinstance(v, str) else v for v in values]
    return pl.Series(name, values, dtype)
