"""Built-in criteria over the payments table: cash received, count, discipline.

STUB: the declarations (names, units, needs, parameters) are final; the compute functions
arrive with the data layer.
"""

from __future__ import annotations

from tierkit.contract import Criterion, Param
from tierkit.hookspecs import hookimpl
from tierkit.plugins._columns import DATE, ID, MONEY, need, not_implemented

PAYMENTS = need("payments", ("customer_id", ID), ("paid_at", DATE), ("amount", MONEY))
PAYMENTS_DUE = need(
    "payments", ("customer_id", ID), ("paid_at", DATE), ("amount", MONEY), ("due_at", DATE)
)


@hookimpl
def tierkit_criteria() -> list[Criterion]:
    return [
        Criterion(
            name="payments.received",
            title="Cash received",
            unit="currency",
            better="higher",
            description="Sum of payment amounts received in the window (or in each period).",
            needs=(PAYMENTS,),
            compute=not_implemented("payments.received"),
        ),
        Criterion(
            name="payments.count",
            title="Payments",
            unit="payments",
            better="higher",
            description="Number of payments received in the window (or in each period).",
            needs=(PAYMENTS,),
            compute=not_implemented("payments.count"),
        ),
        Criterion(
            name="payments.days_late",
            title="Days late",
            unit="days",
            better="lower",
            description="Mean days between due date and payment, weighted by amount; payments "
            "made early count as 0. Missing for customers without dated payments.",
            needs=(PAYMENTS_DUE,),
            compute=not_implemented("payments.days_late"),
            neutral=None,
        ),
        Criterion(
            name="payments.on_time_share",
            title="Paid on time",
            unit="share",
            better="higher",
            description="Share of the amount paid no later than due date plus grace days.",
            needs=(PAYMENTS_DUE,),
            compute=not_implemented("payments.on_time_share"),
            params=(Param("grace_days", "integer", 0, "Days after the due date still on time.",
                          minimum=0),),
            neutral=None,
        ),
    ]
