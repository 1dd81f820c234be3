"""Built-in criteria over customers and contracts: tenure, active and terminated contracts."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

from tierkit.contract import Criterion, Tables, ValueType, Window
from tierkit.hookspecs import hookimpl
from tierkit.plugins._columns import DATE, ID, need
from tierkit.plugins._window import WHOLE_WINDOW, Frame, empty, has_column, keyed, keys, result

if TYPE_CHECKING:
    import narwhals.stable.v2 as nw
else:  # imported on first use: loading a plugin computes nothing
    from tierkit.plugins._lazy import nw

CONTRACTS = need(
    "contracts",
    ("customer_id", ID),
    ("contract_id", ID),
    ("started_at", DATE),
    ("ended_at", DATE, True),
    ("terminated_at", DATE, True),
)


def months(tables: Tables, window: Window, params: Mapping[str, Any]) -> Frame:
    """Whole months from ``customers.since`` to the as-of date (0 if since is later).

    A month is whole once the as-of date's day of the month reaches since's: since 2024-01-15
    gives 24 on 2026-01-15 and 23 on 2026-01-14; since 2024-01-31 gives 0 on 2024-02-29 and 1
    on 2024-03-01. Customers without a since date (or without the column) are left out: missing.
    """
    customers = tables["customers"]
    if not has_column(customers, "since"):
        return empty(customers)
    as_of = window.as_of
    since = (
        customers.filter(~nw.col("since").is_null())
        .group_by("customer_id")
        .agg(nw.col("since").min())
    )
    day = nw.col("since")
    since_month = day.dt.year().cast(nw.Int64) * 12 + day.dt.month().cast(nw.Int64)
    short = nw.when(day.dt.day().cast(nw.Int64) > as_of.day).then(1).otherwise(0)
    whole = (as_of.year * 12 + as_of.month) - since_month - short
    value = nw.when(whole > 0).then(whole).otherwise(0)
    return result(since.with_columns(period=nw.lit(WHOLE_WINDOW)), value)


def _open_at(column: str, frame: Frame, as_of: date) -> nw.Expr:
    """Not closed by ``column`` before the as-of date: no such column, no date, or a later one."""
    if not has_column(frame, column):
        return nw.lit(True)
    return nw.col(column).is_null() | (nw.col(column) >= as_of)


def active(tables: Tables, window: Window, params: Mapping[str, Any]) -> Frame:
    """Whether any contract is running at the as-of date.

    Running: started before the as-of date, and neither ended nor terminated before it (a
    missing ended_at or terminated_at column counts as never).
    """
    contracts = tables["contracts"]
    as_of = window.as_of
    running = (
        (nw.col("started_at") < as_of)
        & _open_at("ended_at", contracts, as_of)
        & _open_at("terminated_at", contracts, as_of)
    )
    flags = contracts.with_columns(running=nw.when(running).then(1).otherwise(0))
    per_customer = flags.group_by("customer_id").agg(nw.col("running").max())
    return result(
        per_customer.with_columns(period=nw.lit(WHOLE_WINDOW)), nw.col("running") == 1, nw.Boolean
    )


def terminated(tables: Tables, window: Window, params: Mapping[str, Any]) -> Frame:
    """True for customers with a contract terminated in the window (or in that period)."""
    contracts = tables["contracts"]
    if not has_column(contracts, "terminated_at"):
        return empty(contracts, nw.Boolean)
    rows = keyed(contracts, "terminated_at", window, params)
    per_key = rows.group_by(*keys(rows, params)).agg(nw.len().alias("n"))
    return result(per_key, nw.col("n") > 0, nw.Boolean)


@hookimpl
def tierkit_criteria() -> list[Criterion]:
    return [
        Criterion(
            name="tenure.months",
            title="Tenure",
            unit="months",
            better="higher",
            description="Whole months from the customer's start (customers.since) to the as-of "
            "date; a month is whole when the as-of day of the month reaches since's (since "
            "2024-01-15: 24 on 2026-01-15, 23 on 2026-01-14). 0 when since is after the as-of "
            "date; missing when since is not known.",
            needs=(need("customers", ("customer_id", ID), ("since", DATE, True)),),
            compute=months,
            neutral=None,
            per_period=False,
            minimum=0,
        ),
        Criterion(
            name="contracts.active",
            title="Active contract",
            unit="flag",
            better="higher",
            description="True when a contract started before the as-of date and has not ended "
            "or been terminated before it (an end or termination on the as-of date itself still "
            "counts as active).",
            needs=(CONTRACTS,),
            compute=active,
            type=ValueType.BOOLEAN,
            neutral=False,
            per_period=False,
        ),
        Criterion(
            name="contracts.terminated",
            title="Contract terminated",
            unit="flag",
            better="lower",
            description="True when a contract was terminated (not simply ended) in the window "
            "(or in that period), by terminated_at; false without a terminated_at column.",
            needs=(CONTRACTS,),
            compute=terminated,
            type=ValueType.BOOLEAN,
            neutral=False,
        ),
    ]
