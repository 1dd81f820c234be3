"""Built-in criteria over the invoices table: net profit and margin.

Invoices count in the window (or period) that holds their ``issued_at`` date. An invoice
without a cost has no known profit and is left out of both criteria. Amounts and costs are
summed exactly as whole ten-thousandths (the MONEY column type).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from tierkit.contract import Criterion, Tables, Window
from tierkit.hookspecs import hookimpl
from tierkit.plugins._columns import DATE, ID, MONEY, need
from tierkit.plugins._window import Frame, keyed, keys, ratio, result, scaled

if TYPE_CHECKING:
    import narwhals.stable.v2 as nw
else:  # imported on first use: loading a plugin computes nothing
    from tierkit.plugins._lazy import nw

INVOICES = need(
    "invoices", ("customer_id", ID), ("issued_at", DATE), ("amount", MONEY), ("cost", MONEY)
)


def _totals(tables: Tables, window: Window, params: Mapping[str, Any]) -> Frame:
    rows = keyed(tables["invoices"], "issued_at", window, params).filter(
        ~nw.col("amount").is_null() & ~nw.col("cost").is_null()
    )
    return rows.group_by(*keys(rows, params)).agg(
        (nw.col("amount") - nw.col("cost")).sum().alias("total"),
        nw.col("amount").sum().alias("amount"),
    )


def net_totals(tables: Tables, window: Window, params: Mapping[str, Any]) -> Frame:
    """The customer, ``period``, ``total``: exact net profit in ten-thousandths."""
    totals = _totals(tables, window, params)
    return totals.select(*keys(totals, params), "total")


def net(tables: Tables, window: Window, params: Mapping[str, Any]) -> Frame:
    """Net profit: invoiced amount minus cost, in the window or period."""
    return result(net_totals(tables, window, params), scaled(nw.col("total")))


def margin(tables: Tables, window: Window, params: Mapping[str, Any]) -> Frame:
    """Net profit divided by invoiced amount; missing when the amount is 0."""
    return result(_totals(tables, window, params), ratio(nw.col("total"), nw.col("amount")))


@hookimpl
def tierkit_criteria() -> list[Criterion]:
    return [
        Criterion(
            name="profit.net",
            title="Net profit",
            unit="currency",
            better="higher",
            description="Invoiced amount minus cost, over invoices issued in the window (or in "
            "each period), summed exactly; invoices without a cost are left out.",
            needs=(INVOICES,),
            compute=net,
        ),
        Criterion(
            name="profit.margin",
            title="Margin",
            unit="share",
            better="higher",
            description="Net profit divided by invoiced amount, over invoices issued in the "
            "window (or in each period) that have a cost; missing without invoices or when "
            "their amounts sum to 0.",
            needs=(INVOICES,),
            compute=margin,
            neutral=None,
        ),
    ]
