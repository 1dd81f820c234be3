"""Helpers for criterion tests: the same small tables on polars and on DuckDB, and a runner."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

import duckdb
import narwhals.stable.v2 as nw
import polars as pl

from tierkit.contract import CUSTOMER_KEY, MONEY_SCALE, Criterion, Window
from tierkit.data.keys import key_of
from tierkit.evaluation.criteria import with_customer_id
from tierkit.plugins import assessments, growth, payments, profit, shipments, tenure

BACKENDS = ("polars", "polars-keyed", "duckdb")
"""``polars-keyed``: polars tables with the kernel's ``customer_key`` column, which the
built-in criteria group by when it is there (and return instead of ``customer_id``)."""

Row = tuple[str, int, Any]


def criteria() -> dict[str, Criterion]:
    """Every built-in criterion by name, straight from the plugin modules' hooks."""
    found: dict[str, Criterion] = {}
    for module in (payments, shipments, profit, tenure, assessments, growth):
        for criterion in module.tierkit_criteria():
            found[criterion.name] = criterion
    return found


def money(text: str) -> int:
    """An amount written as decimal text, as the kernel stores MONEY: ten-thousandths."""
    return int(Decimal(text) * MONEY_SCALE)


def d(text: str) -> date:
    return date.fromisoformat(text)


def table(backend: str, data: Mapping[str, Sequence[Any]], schema: Mapping[str, Any],
          con: duckdb.DuckDBPyConnection | None = None) -> nw.LazyFrame[Any]:
    """A narwhals lazy frame of ``data`` (columns typed by ``schema``) on ``backend``."""
    frame = pl.DataFrame(dict(data), schema=dict(schema))
    if backend == "polars":
        return nw.from_native(frame.lazy())
    if backend == "polars-keyed":
        key = key_of(pl.col("customer_id")).alias(CUSTOMER_KEY)
        return nw.from_native(frame.lazy().with_columns(key))
    connection = con if con is not None else duckdb.connect()
    return nw.from_native(connection.from_arrow(frame.to_arrow()))


def run(criterion: Criterion, tables: Mapping[str, nw.LazyFrame[Any]], window: Window,
        params: Mapping[str, Any] | None = None, per_period: bool = False) -> list[Row]:
    """Call ``compute`` as the kernel does (defaults overlaid, ``_per_period``) and collect.

    Checks the result's columns and types, and returns its rows sorted by customer and period.
    """
    resolved = {p.name: p.default for p in criterion.params}
    resolved.update(params or {})
    resolved["_per_period"] = per_period
    frame = criterion.compute(tables, window, resolved)
    assert isinstance(frame, nw.LazyFrame), type(frame)
    if CUSTOMER_KEY in frame.collect_schema().names():
        frame = _with_ids(frame, tables)
    collected = frame.collect()
    value_type = nw.Boolean if criterion.type.value == "boolean" else nw.Float64
    assert dict(collected.schema) == {
        "customer_id": nw.String, "period": nw.Int64, "value": value_type,
    }, collected.schema
    return sorted(collected.rows(), key=lambda row: (row[0], row[1]))


def _with_ids(
    frame: nw.LazyFrame[Any], tables: Mapping[str, nw.LazyFrame[Any]]
) -> nw.LazyFrame[Any]:
    """A result keyed by ``customer_key`` with ``customer_id`` back in its place, as the kernel
    puts it back (here the ids of every table stand for the customers table)."""
    pairs = pl.concat(
        [
            nw.to_native(t.select(CUSTOMER_KEY, "customer_id").collect())
            for t in tables.values()
            if CUSTOMER_KEY in t.collect_schema().names()
        ]
    ).unique()
    columns = [c if c != CUSTOMER_KEY else "customer_id" for c in frame.collect_schema().names()]
    return with_customer_id(frame, nw.from_native(pairs.lazy())).select(columns)
