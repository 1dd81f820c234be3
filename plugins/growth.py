"""Built-in growth criterion: the trend of a per-period measure.

STUB: the declaration is final; the compute function arrives with the data layer.
"""

from __future__ import annotations

from tierkit.contract import Criterion, Param
from tierkit.hookspecs import hookimpl
from tierkit.plugins._columns import DATE, ID, MONEY, need, not_implemented


@hookimpl
def tierkit_criteria() -> list[Criterion]:
    return [
        Criterion(
            name="growth.trend",
            title="Growth trend",
            unit="per period",
            better="higher",
            description="Least-squares slope of a measure over the window's periods (change "
            "per period); missing with fewer than two periods.",
            needs=(need("payments", ("customer_id", ID), ("paid_at", DATE),
                        ("amount", MONEY)),),
            compute=not_implemented("growth.trend"),
            params=(Param("measure", "choice", "payments.received",
                          "The per-period measure whose trend is taken.",
                          choices=("payments.received", "shipments.units", "profit.net")),),
            neutral=None,
            per_period=False,
        ),
    ]
