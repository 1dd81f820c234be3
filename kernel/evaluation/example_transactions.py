"""Criteria computed by their plugins from an example's tiny transaction tables."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

import narwhals.stable.v2 as nw
import polars as pl

from tierkit.contract import OpenedSource
from tierkit.data.keys import with_customer_keys
from tierkit.data.prepare import needed_columns, prepare_tables
from tierkit.engines.vector.frames import ID, PERIOD
from tierkit.errors import DataInvalid
from tierkit.evaluation.criteria import compute_criteria
from tierkit.evaluation.example_values import EXAMPLE_CUSTOMER, ExampleFailure, TransactionTables
from tierkit.registry import Registry
from tierkit.ruleset.attributes import criteria_for
from tierkit.ruleset.compiled import CompiledRuleset


def criteria_from_transactions(
    ruleset: CompiledRuleset,
    registry: Registry,
    tables: TransactionTables,
    as_of: date,
    ids: Sequence[str] = (EXAMPLE_CUSTOMER,),
    *,
    label: str = "example",
) -> dict[str, dict[str, Any]]:
    """Every criterion of ``ruleset`` computed by its plugin from tiny tables, per customer.

    ``tables`` maps a table name to rows, as an example would write them in YAML
    (``payments: [{customer_id: a, paid_at: 2026-01-05, amount: 100}]``). Rows are read the way
    a CSV file is read (same parsing, exact money, same bad-data rules); a row without
    ``customer_id`` belongs to the only customer when there is one. The customers are ``ids``
    plus any ``customers`` rows (which may add ``since``, ``segment``...). A table the criteria
    need but the example does not give is empty. Returns, per customer, each criterion's value
    (a list oldest first for per-period criteria), with neutral values filled in.
    """
    criteria = criteria_for(ruleset.criteria.values(), registry.criteria)
    needs = needed_columns(criteria.values())
    single = ids[0] if len(ids) == 1 else None
    opened: dict[str, nw.LazyFrame[Any]] = {}
    origins: dict[str, str] = {}
    given = {name: [dict(r) for r in rows] for name, rows in tables.items()}
    for rows in given.values():
        for row in rows:
            if row.get(ID) is None and single is not None:
                row[ID] = single
    customer_rows = given.get("customers", [])
    known = {str(r.get(ID)) for r in customer_rows}
    customer_rows += [{ID: i} for i in ids if i not in known]
    for row in customer_rows:
        row.setdefault("name", row.get(ID))
    for table in sorted({*needs, *given, "customers"}):
        rows = customer_rows if table == "customers" else given.get(table, [])
        columns = list(needs.get(table, {}))
        origins[table] = f"{label}: transactions.{table}"
        opened[table] = nw.from_native(_text_frame(rows, columns).lazy())
    try:
        prepared = prepare_tables(
            OpenedSource(opened, origins), criteria.values(), as_of, f"{label}: transactions"
        )
    except DataInvalid as exc:
        raise ExampleFailure(exc.render()) from None
    keyed = with_customer_keys(prepared.tables)
    frames_in = {name: nw.from_native(frame) for name, frame in keyed.items()}
    frames = compute_criteria(ruleset, criteria, frames_in, frames_in["customers"], as_of)
    customers = frames.collect_customers()
    values: dict[str, dict[str, Any]] = {}
    for row in customers.iter_rows(named=True):
        values[row[ID]] = {n: row[n] for n, b in ruleset.criteria.items() if not b.per_period}
    periods = frames.collect_periods()
    if periods is not None:
        for name, binding in ruleset.criteria.items():
            if not binding.per_period:
                continue
            shift = ruleset.periods - binding.periods
            own = periods.filter(
                (pl.col(PERIOD) >= shift) & (pl.col(PERIOD) < shift + binding.periods)
            )
            for key, group in own.group_by(ID):
                values.setdefault(str(key[0]), {})[name] = group.sort(PERIOD)[name].to_list()
    return {i: values.get(i, {}) for i in values}


def _text_frame(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> pl.DataFrame:
    """Rows as a frame of text columns, the way a CSV file is read."""
    names = list(dict.fromkeys([*columns, *(k for r in rows for k in r)]))
    data: dict[str, list[str | None]] = {n: [] for n in names}
    for row in rows:
        for name in names:
            value = row.get(name)
            data[name].append(None if value is None else _as_text(value))
    return pl.DataFrame(data, schema={n: pl.String for n in names})


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return format(Decimal(repr(value)), "f")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
