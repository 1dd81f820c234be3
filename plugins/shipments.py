"""Built-in criteria over the shipments table: units shipped and delivery reliability.

STUB: the declarations are final; the compute functions arrive with the data layer.
"""

from __future__ import annotations

from tierkit.contract import Criterion, Param
from tierkit.hookspecs import hookimpl
from tierkit.plugins._columns import DATE, ID, NUMBER, need, not_implemented

SHIPMENTS = need("shipments", ("customer_id", ID), ("shipped_at", DATE), ("units", NUMBER))


@hookimpl
def tierkit_criteria() -> list[Criterion]:
    return [
        Criterion(
            name="shipments.units",
            title="Units shipped",
            unit="units",
            better="higher",
            description="Units shipped in the window (or in each period).",
            needs=(SHIPMENTS,),
            compute=not_implemented("shipments.units"),
        ),
        Criterion(
            name="delivery.on_time_rate",
            title="On-time deliveries",
            unit="share",
            better="higher",
            description="Share of shipments delivered no later than promised plus tolerance.",
            needs=(need("shipments", ("customer_id", ID), ("shipped_at", DATE),
                        ("promised_at", DATE), ("delivered_at", DATE)),),
            compute=not_implemented("delivery.on_time_rate"),
            params=(Param("tolerance_days", "integer", 0, "Days late still counted on time.",
                          minimum=0),),
            neutral=None,
        ),
        Criterion(
            name="delivery.completeness",
            title="Order completeness",
            unit="share",
            better="higher",
            description="Units shipped divided by units ordered, over the window (capped at 1).",
            needs=(need("shipments", ("customer_id", ID), ("shipped_at", DATE),
                        ("units", NUMBER), ("ordered_units", NUMBER)),),
            compute=not_implemented("delivery.completeness"),
            neutral=None,
        ),
    ]
