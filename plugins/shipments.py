"""Built-in criteria over the shipments table: units shipped and delivery reliability.

Shipments count in the window (or period) that holds their ``shipped_at`` date. Units are
summed exactly as whole ten-thousandths (a unit count is exact to four decimals), so totals do
not depend on row order.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from tierkit.contract import Criterion, Param, Tables, Window
from tierkit.hookspecs import hookimpl
from tierkit.plugins._columns import DATE, ID, NUMBER, need
from tierkit.plugins._window import (
    FIXED_SCALE,
    Frame,
    day_number,
    days_since_last,
    fixed,
    keyed,
    keys,
    ratio,
    result,
    scaled,
    wide,
)

if TYPE_CHECKING:
    import narwhals.stable.v2 as nw
else:  # imported on first use: loading a plugin computes nothing
    from tierkit.plugins._lazy import nw

SHIPMENTS = need("shipments", ("customer_id", ID), ("shipped_at", DATE), ("units", NUMBER))


def units_totals(tables: Tables, window: Window, params: Mapping[str, Any]) -> Frame:
    """The customer, ``period``, ``total``: units shipped, in exact ten-thousandths."""
    rows = keyed(tables["shipments"], "shipped_at", window, params).filter(
        ~nw.col("units").is_null()
    )
    rows = rows.with_columns(units=fixed(nw.col("units")))
    return rows.group_by(*keys(rows, params)).agg(nw.col("units").cast(wide()).sum().alias("total"))


def units(tables: Tables, window: Window, params: Mapping[str, Any]) -> Frame:
    """Units shipped in the window or period."""
    return result(units_totals(tables, window, params), scaled(nw.col("total"), FIXED_SCALE))


def on_time_rate(tables: Tables, window: Window, params: Mapping[str, Any]) -> Frame:
    """Share of judged shipments delivered no later than promised plus tolerance days.

    A shipment is judged when it has a promised date and either was delivered before the as-of
    date, or its deadline (promised plus tolerance) has passed: then it is late. A delivery on or
    after the as-of date was not known at the as-of date and counts as not delivered yet.
    """
    tolerance = int(params.get("tolerance_days", 0))
    as_of = window.as_of
    rows = keyed(tables["shipments"], "shipped_at", window, params).filter(
        ~nw.col("promised_at").is_null()
    )
    deadline = day_number(nw.col("promised_at")) + tolerance
    delivered = ~nw.col("delivered_at").is_null() & (nw.col("delivered_at") < as_of)
    overdue = deadline < as_of.toordinal()
    rows = rows.with_columns(
        judged=nw.when(delivered | overdue).then(1).otherwise(0),
        on_time=nw.when(delivered & (day_number(nw.col("delivered_at")) <= deadline))
        .then(1)
        .otherwise(0),
    ).filter(nw.col("judged") == 1)
    totals = rows.group_by(*keys(rows, params)).agg(
        nw.col("on_time").sum().alias("on_time"), nw.len().alias("judged")
    )
    return result(totals, ratio(nw.col("on_time"), nw.col("judged")))


def completeness(tables: Tables, window: Window, params: Mapping[str, Any]) -> Frame:
    """Units shipped divided by units ordered, capped at 1; missing when nothing was ordered."""
    rows = keyed(tables["shipments"], "shipped_at", window, params).filter(
        ~nw.col("units").is_null() & ~nw.col("ordered_units").is_null()
    )
    rows = rows.with_columns(units=fixed(nw.col("units")), ordered=fixed(nw.col("ordered_units")))
    totals = rows.group_by(*keys(rows, params)).agg(
        nw.col("units").cast(wide()).sum().alias("units"),
        nw.col("ordered").cast(wide()).sum().alias("ordered"),
    )
    share = ratio(nw.col("units"), nw.col("ordered"))
    return result(totals, nw.when(share > 1.0).then(1.0).otherwise(share))


def recency_days(tables: Tables, window: Window, params: Mapping[str, Any]) -> Frame:
    """Days since the last shipment of a positive number of units in the window."""
    return days_since_last(tables["shipments"], "shipped_at", nw.col("units") > 0, window)


@hookimpl
def tierkit_criteria() -> list[Criterion]:
    return [
        Criterion(
            name="shipments.units",
            title="Units shipped",
            unit="units",
            better="higher",
            description="Units shipped in the window (or in each period), by shipped_at; "
            "summed exactly to four decimals.",
            needs=(SHIPMENTS,),
            compute=units,
        ),
        Criterion(
            name="delivery.on_time_rate",
            title="On-time deliveries",
            unit="share",
            better="higher",
            description="Share of shipments (shipped in the window, with a promised date) "
            "delivered no later than promised plus tolerance. A shipment not delivered before "
            "the as-of date counts as late once promised plus tolerance is before the as-of "
            "date, and is left out while it is not yet due. Missing without such shipments.",
            needs=(
                need(
                    "shipments",
                    ("customer_id", ID),
                    ("shipped_at", DATE),
                    ("promised_at", DATE),
                    ("delivered_at", DATE),
                ),
            ),
            compute=on_time_rate,
            params=(
                Param(
                    "tolerance_days", "integer", 0, "Days late still counted on time.", minimum=0
                ),
            ),
            neutral=None,
            minimum=0,
            maximum=1,
        ),
        Criterion(
            name="delivery.completeness",
            title="Order completeness",
            unit="share",
            better="higher",
            description="Units shipped divided by units ordered, over shipments in the window "
            "that give both (capped at 1); missing when no units were ordered.",
            needs=(
                need(
                    "shipments",
                    ("customer_id", ID),
                    ("shipped_at", DATE),
                    ("units", NUMBER),
                    ("ordered_units", NUMBER),
                ),
            ),
            compute=completeness,
            neutral=None,
            minimum=0,
            maximum=1,
        ),
        Criterion(
            name="shipments.recency_days",
            title="Days since the last shipment",
            unit="days",
            better="lower",
            description="Days from the last shipment of a positive number of units in the "
            "window to the as-of date: 1 for a shipment the day before it; as of 2026-04-01, a "
            "last shipment on 2026-03-30 gives 2. Missing for customers with no such shipment "
            "in the window (or the criterion's own periods).",
            needs=(SHIPMENTS,),
            compute=recency_days,
            neutral=None,
            per_period=False,
            minimum=0,
        ),
    ]
