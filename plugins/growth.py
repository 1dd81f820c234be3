"""Built-in growth criterion: the trend of a per-period measure."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from tierkit.contract import MONEY_SCALE, Criterion, Param, Tables, Window
from tierkit.hookspecs import hookimpl
from tierkit.plugins._columns import DATE, ID, MONEY, need
from tierkit.plugins._window import (
    WHOLE_WINDOW,
    Frame,
    customer,
    divide,
    empty,
    exact_float,
    require,
    result,
    wide,
)
from tierkit.plugins.payments import received_totals
from tierkit.plugins.profit import net_totals
from tierkit.plugins.shipments import units_totals

if TYPE_CHECKING:
    import narwhals.stable.v2 as nw
else:  # imported on first use: loading a plugin computes nothing
    from tierkit.plugins._lazy import nw

TotalsFn = Callable[[Tables, Window, Mapping[str, Any]], Frame]

MEASURES: dict[str, tuple[str, tuple[str, ...], TotalsFn]] = {
    # measure: (table, columns it reads, exact per-period totals in ten-thousandths)
    "payments.received": ("payments", ("customer_id", "paid_at", "amount"), received_totals),
    "shipments.units": ("shipments", ("customer_id", "shipped_at", "units"), units_totals),
    "profit.net": ("invoices", ("customer_id", "issued_at", "amount", "cost"), net_totals),
}


def trend(tables: Tables, window: Window, params: Mapping[str, Any]) -> Frame:
    """Least-squares slope of the measure's per-period totals against the period index.

    Every period of the window counts (the partial last one too); a period without activity
    counts as 0. With n periods, x̄ = (n-1)/2 and Σ(x-x̄)² = n(n²-1)/12, so the slope is
    Σ (2p-(n-1))·total_p / (n(n²-1)/6): a sum over active periods only, in exact integers,
    divided once.
    """
    measure = str(params.get("measure", "payments.received"))
    table, columns, totals_of = MEASURES[measure]
    frame = require(tables, table, columns, f"growth.trend with measure={measure}")
    n = window.periods
    if n < 2:
        return empty(frame)
    totals = totals_of(tables, window, {"_per_period": True})
    weighted = totals.with_columns(
        weighted=(nw.col("period") * 2 - (n - 1)) * nw.col("total").cast(wide())
    )
    per_customer = weighted.group_by(customer(weighted)).agg(nw.col("weighted").sum())
    denominator = n * (n * n - 1) // 6 * MONEY_SCALE
    return result(
        per_customer.with_columns(period=nw.lit(WHOLE_WINDOW)),
        divide(exact_float(nw.col("weighted")), denominator),
    )


@hookimpl
def tierkit_criteria() -> list[Criterion]:
    return [
        Criterion(
            name="growth.trend",
            title="Growth trend",
            unit="per period",
            better="higher",
            description="Least-squares slope of a measure's per-period total against the period "
            "index (change per period), over all the window's periods, periods without activity "
            "counting as 0. Missing with fewer than two periods, and for customers without "
            "activity in the window. The declared needs are those of the default measure, "
            "payments.received; shipments.units needs shipments (customer_id, shipped_at, "
            "units), profit.net needs invoices (customer_id, issued_at, amount, cost).",
            needs=(need("payments", ("customer_id", ID), ("paid_at", DATE), ("amount", MONEY)),),
            compute=trend,
            params=(
                Param(
                    "measure",
                    "choice",
                    "payments.received",
                    "The per-period measure whose trend is taken.",
                    choices=("payments.received", "shipments.units", "profit.net"),
                ),
            ),
            neutral=None,
            per_period=False,
        ),
    ]
