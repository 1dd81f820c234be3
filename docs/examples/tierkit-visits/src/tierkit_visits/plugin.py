"""The tierkit-visits plugin: a criterion counting sales visits, and a strategy built on it.

Registered in ``pyproject.toml`` under the ``tierkit`` entry-point group. It uses only tierkit's
plugin contract: :mod:`tierkit.contract` for the objects it declares and :mod:`tierkit.hookspecs`
for the ``hookimpl`` marker.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import narwhals.stable.v2 as nw
from tierkit.contract import (
    Column,
    ColumnType,
    Criterion,
    Param,
    Strategy,
    TableNeed,
    Tables,
    Window,
)
from tierkit.hookspecs import hookimpl

WHOLE_WINDOW = -1
"""The ``period`` of a value that covers the whole window."""

VISITS = TableNeed(
    "visits",
    (
        Column("customer_id", ColumnType.ID),
        Column("visited_at", ColumnType.DATE),
        Column("channel", ColumnType.TEXT, optional=True),
    ),
)
"""What ``visits.count`` reads: one row per visit. ``channel`` (onsite, call...) may be absent."""


def period_index(day: nw.Expr, window: Window) -> nw.Expr:
    """The 0-based period of a date inside the window (0 is the oldest period).

    Months since the window's first month, divided by the months in a period: plain integer
    arithmetic on year and month numbers, which every backend computes the same way.
    """
    first = window.start.year * 12 + window.start.month - 1
    month = day.dt.year().cast(nw.Int64) * 12 + day.dt.month().cast(nw.Int64) - 1
    return ((month - first) // window.months_per_period).cast(nw.Int64)


def count_visits(tables: Tables, window: Window, params: Mapping[str, Any]) -> nw.LazyFrame[Any]:
    """``customer_id``, ``period``, ``value``: the number of visits in the window or each period.

    Customers without visits are left out; tierkit gives them the neutral value, 0.
    """
    visits = tables["visits"]
    day = nw.col("visited_at")
    rows = visits.filter((day >= window.start) & (day < window.as_of))
    channel = str(params.get("channel", "")).strip().lower()
    if channel:
        if "channel" not in visits.collect_schema().names():
            raise ValueError(f"channel={channel!r} needs a 'channel' column in the visits table")
        rows = rows.filter(nw.col("channel").str.to_lowercase() == channel)
    if params.get("_per_period", False):
        period = period_index(day, window)
    else:
        period = nw.lit(WHOLE_WINDOW, dtype=nw.Int64)
    return (
        rows.with_columns(period=period)
        .group_by("customer_id", "period")
        .agg(nw.len().cast(nw.Int64).alias("value"))
    )


@hookimpl
def tierkit_criteria() -> list[Criterion]:
    return [
        Criterion(
            name="visits.count",
            title="Sales visits",
            unit="visits",
            better="higher",
            description="Number of sales visits in the window (or in each period), by "
            "visited_at; only visits of one channel with the channel parameter.",
            needs=(VISITS,),
            compute=count_visits,
            params=(
                Param(
                    "channel",
                    "text",
                    "",
                    "Count only visits whose channel is this (such as onsite); empty counts "
                    "every visit.",
                ),
            ),
            neutral=0,
        )
    ]


@hookimpl
def tierkit_strategies() -> list[Strategy]:
    return [
        Strategy(
            name="customer-intimacy",
            title="Customer intimacy",
            description="Know customers closely: value is the number of sales visits.",
            value="visits.count",
        )
    ]
