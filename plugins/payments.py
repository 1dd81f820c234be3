"""Built-in criteria over the payments table: cash received, count, discipline.

Payments count in the window (or period) that holds their ``paid_at`` date. Amounts are summed
exactly as whole ten-thousandths (the MONEY column type) and turned into floats at the end.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from tierkit.contract import Criterion, Param, Tables, Window
from tierkit.hookspecs import hookimpl
from tierkit.plugins._columns import DATE, ID, MONEY, need
from tierkit.plugins._window import (
    Frame,
    day_number,
    days_since_last,
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

PAYMENTS = need("payments", ("customer_id", ID), ("paid_at", DATE), ("amount", MONEY))
PAYMENTS_DUE = need(
    "payments", ("customer_id", ID), ("paid_at", DATE), ("amount", MONEY), ("due_at", DATE)
)


def received_totals(tables: Tables, window: Window, params: Mapping[str, Any]) -> Frame:
    """The customer (:func:`customer`), ``period``, ``total``: the exact sum of amounts
    (ten-thousandths)."""
    rows = keyed(tables["payments"], "paid_at", window, params)
    return rows.group_by(*keys(rows, params)).agg(nw.col("amount").sum().alias("total"))


def received(tables: Tables, window: Window, params: Mapping[str, Any]) -> Frame:
    """Cash received: the sum of amounts paid in the window or period."""
    return result(received_totals(tables, window, params), scaled(nw.col("total")))


def count(tables: Tables, window: Window, params: Mapping[str, Any]) -> Frame:
    """The number of payments of a positive amount made in the window or period.

    A refund or credit note (a negative amount) is not a purchase, nor is a zero amount: like
    :func:`recency_days`, frequency counts only what was bought. The refund still lowers the
    customer's cash received (payments.received nets it)."""
    rows = keyed(tables["payments"], "paid_at", window, params).filter(nw.col("amount") > 0)
    return result(rows.group_by(*keys(rows, params)).agg(nw.len().alias("n")), nw.col("n"))


def _days_after_due() -> nw.Expr:
    return day_number(nw.col("paid_at")) - day_number(nw.col("due_at"))


def days_late(tables: Tables, window: Window, params: Mapping[str, Any]) -> Frame:
    """Amount-weighted mean of days paid after the due date (early payments count as 0)."""
    rows = keyed(tables["payments"], "paid_at", window, params).filter(~nw.col("due_at").is_null())
    late = nw.when(_days_after_due() > 0).then(_days_after_due()).otherwise(0)
    # amount × days can pass 2^63 where the amounts' sums do not: weighted in 38 digits
    rows = rows.with_columns(weighted=nw.col("amount").cast(wide()) * late)
    totals = rows.group_by(*keys(rows, params)).agg(
        nw.col("weighted").sum().alias("weighted"), nw.col("amount").sum().alias("amount")
    )
    return result(totals, ratio(nw.col("weighted"), nw.col("amount")))


def on_time_share(tables: Tables, window: Window, params: Mapping[str, Any]) -> Frame:
    """Share of the amount (of payments with a due date) paid by due date plus grace days."""
    grace = int(params.get("grace_days", 0))
    rows = keyed(tables["payments"], "paid_at", window, params).filter(~nw.col("due_at").is_null())
    rows = rows.with_columns(
        on_time=nw.when(_days_after_due() <= grace).then(nw.col("amount")).otherwise(0)
    )
    totals = rows.group_by(*keys(rows, params)).agg(
        nw.col("on_time").sum().alias("on_time"), nw.col("amount").sum().alias("amount")
    )
    return result(totals, ratio(nw.col("on_time"), nw.col("amount")))


def recency_days(tables: Tables, window: Window, params: Mapping[str, Any]) -> Frame:
    """Days since the last payment of a positive amount in the window (refunds and zero
    payments are not purchases)."""
    return days_since_last(tables["payments"], "paid_at", nw.col("amount") > 0, window)


@hookimpl
def tierkit_criteria() -> list[Criterion]:
    return [
        Criterion(
            name="payments.received",
            title="Cash received",
            unit="currency",
            better="higher",
            description="Sum of payment amounts received in the window (or in each period), "
            "by paid_at; summed exactly.",
            needs=(PAYMENTS,),
            compute=received,
        ),
        Criterion(
            name="payments.count",
            title="Payments",
            unit="payments",
            better="higher",
            description="Number of payments of a positive amount received in the window "
            "(or in each period), by paid_at. Refunds and zero amounts are not purchases and do "
            "not count (as for payments.recency_days); payments.received nets them. Payments "
            "of 100, 40 and -30 count 2.",
            needs=(PAYMENTS,),
            compute=count,
            minimum=0,
        ),
        Criterion(
            name="payments.days_late",
            title="Days late",
            unit="days",
            better="lower",
            description="Mean days between due date and payment, weighted by amount; payments "
            "made early or on the due date count as 0. Only payments with a due date count; "
            "missing for customers without such payments (or whose amounts sum to 0).",
            needs=(PAYMENTS_DUE,),
            compute=days_late,
            neutral=None,
        ),
        Criterion(
            name="payments.on_time_share",
            title="Paid on time",
            unit="share",
            better="higher",
            description="Share of the amount paid no later than due date plus grace days, "
            "among payments with a due date; missing without such payments (or whose amounts "
            "sum to 0).",
            needs=(PAYMENTS_DUE,),
            compute=on_time_share,
            params=(
                Param(
                    "grace_days", "integer", 0, "Days after the due date still on time.", minimum=0
                ),
            ),
            neutral=None,
            minimum=0,
            maximum=1,
        ),
        Criterion(
            name="payments.recency_days",
            title="Days since the last payment",
            unit="days",
            better="lower",
            description="Days from the last payment of a positive amount in the window to the "
            "as-of date: 1 for a payment the day before it; as of 2026-04-01, a last payment on "
            "2026-03-01 gives 31. Refunds and zero amounts do not count; missing for customers "
            "with no such payment in the window (or the criterion's own periods). The recency "
            "of an RFM analysis (rulesets/rfm.yaml).",
            needs=(PAYMENTS,),
            compute=recency_days,
            neutral=None,
            per_period=False,
            minimum=0,
        ),
    ]
