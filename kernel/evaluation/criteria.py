"""Compute the ruleset's criteria with their plugins and fill customers without rows.

A customer with no rows gets the criterion's neutral value (0 for sums and counts, missing for
rates and scores); per-period criteria get it for every period of their own window.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import narwhals.stable.v2 as nw

from tierkit.contract import CUSTOMER_KEY, Criterion, ValueType, Window
from tierkit.engines.vector.frames import ID, KEY, ORDER, PERIOD, Frames
from tierkit.errors import PluginError
from tierkit.ruleset.compiled import CompiledRuleset, CriterionBinding

VALUE = "value"


def compute_criteria(
    ruleset: CompiledRuleset,
    criteria: Mapping[str, Criterion],
    tables: Mapping[str, nw.LazyFrame[Any]],
    customers: nw.LazyFrame[Any],
    as_of: date,
    *,
    names: bool = True,
) -> Frames:
    """Frames holding every criterion of the ruleset, under the ruleset's names.

    With ``names=False`` the customers' names stay out of the frames (the caller adds them to
    the result): carrying a text column through every join and sort costs time and memory.
    """
    present = customers.collect_schema().names()
    keyed = CUSTOMER_KEY in present
    keep = [
        nw.col(ID),
        *([nw.col("name")] if names else []),
        *([nw.col(ORDER)] if ORDER in present else []),
        *([nw.col(CUSTOMER_KEY).alias(KEY)] if keyed else []),
    ]
    frames = Frames(customers.select(keep))
    window = Window(as_of, ruleset.period, ruleset.periods)
    period_bindings = [b for b in ruleset.criteria.values() if b.per_period]
    if period_bindings:
        frames.periods = _grid(frames.customers, window, period_bindings)
    for binding in ruleset.criteria.values():
        criterion = criteria[binding.criterion]
        own = window.with_periods(binding.periods)
        params = {**binding.params, "_per_period": binding.per_period}
        try:
            computed = criterion.compute(tables, own, params)
            columns = computed.collect_schema().names()
        except Exception as exc:
            raise PluginError(
                criterion.plugin,
                "compute",
                f"criterion '{criterion.name}' failed: {type(exc).__name__}: {exc}",
            ) from exc
        by_key = ID not in columns and CUSTOMER_KEY in columns and keyed
        if VALUE not in columns or not (ID in columns or by_key):
            expected = "customer_id (or customer_key)" if keyed else "customer_id"
            raise PluginError(
                criterion.plugin,
                "compute",
                f"criterion '{criterion.name}' returned columns {columns}, "
                f"expected {expected}, period and value",
            )
        on = KEY if by_key else ID
        customer = nw.col(CUSTOMER_KEY).alias(KEY) if by_key else nw.col(ID).cast(nw.String)
        value = _typed(nw.col(VALUE), criterion).alias(binding.name)
        if binding.per_period:
            shift = ruleset.periods - binding.periods
            rows = computed.select(
                customer, (nw.col(PERIOD).cast(nw.Int64) + shift).alias(PERIOD), value
            )
            frames.join_periods(rows, [binding.name], on=on)
            frames.periods = frames.periods.with_columns(_fill(binding, criterion, shift))  # type: ignore[union-attr]
        else:
            rows = computed.select(customer, value)
            frames.join_scalar(rows, [binding.name], on=on)
            if criterion.neutral is not None:
                frames.customers = frames.customers.with_columns(
                    nw.col(binding.name).fill_null(_neutral(criterion))
                )
    return frames


def with_customer_id(
    computed: nw.LazyFrame[Any], customers: nw.LazyFrame[Any]
) -> nw.LazyFrame[Any]:
    """A criterion's result with ``customer_id``, also when it names customers by their
    :data:`CUSTOMER_KEY` (the key is joined to the customers' ids, then dropped)."""
    columns = computed.collect_schema().names()
    if ID in columns or CUSTOMER_KEY not in columns:
        return computed
    ids = customers.select(CUSTOMER_KEY, ID)
    return computed.join(ids, on=CUSTOMER_KEY, how="inner").drop(CUSTOMER_KEY)


def _typed(expr: nw.Expr, criterion: Criterion) -> nw.Expr:
    if criterion.type == ValueType.BOOLEAN:
        return expr.cast(nw.Boolean)
    if criterion.type == ValueType.NUMBER:
        return expr.cast(nw.Float64)
    return expr


def _neutral(criterion: Criterion) -> Any:
    if criterion.type == ValueType.NUMBER and criterion.neutral is not None:
        return float(criterion.neutral)
    return criterion.neutral


def _fill(binding: CriterionBinding, criterion: Criterion, shift: int) -> nw.Expr:
    """Neutral value inside the criterion's own periods, missing outside them."""
    column = nw.col(binding.name)
    if criterion.neutral is None:
        return column
    inside = (nw.col(PERIOD) >= shift) & (nw.col(PERIOD) < shift + binding.periods)
    return (
        nw.when(inside)
        .then(column.fill_null(_neutral(criterion)))
        .otherwise(column)
        .alias(binding.name)
    )


def _grid(
    customers: nw.LazyFrame[Any], window: Window, bindings: list[CriterionBinding]
) -> nw.LazyFrame[Any]:
    """Every customer × every period any per-period criterion covers (same backend)."""
    low = min(window.periods - b.periods for b in bindings)
    present = customers.collect_schema().names()
    # with the customers' place in id order, per-period rankings break ties as the others do
    ids = customers.select(ID, *(c for c in (ORDER, KEY) if c in present))
    return nw.concat(
        [
            ids.with_columns(nw.lit(p, dtype=nw.Int64).alias(PERIOD))
            for p in range(min(low, 0), window.periods)
        ]
    )
