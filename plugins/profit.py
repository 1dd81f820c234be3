"""Built-in criteria over the invoices table: net profit and margin.

STUB: the declarations are final; the compute functions arrive with the data layer.
"""

from __future__ import annotations

from tierkit.contract import Criterion
from tierkit.hookspecs import hookimpl
from tierkit.plugins._columns import DATE, ID, MONEY, need, not_implemented

INVOICES = need("invoices", ("customer_id", ID), ("issued_at", DATE), ("amount", MONEY),
                ("cost", MONEY))


@hookimpl
def tierkit_criteria() -> list[Criterion]:
    return [
        Criterion(
            name="profit.net",
            title="Net profit",
            unit="currency",
            better="higher",
            description="Invoiced amount minus cost, over invoices issued in the window.",
            needs=(INVOICES,),
            compute=not_implemented("profit.net"),
        ),
        Criterion(
            name="profit.margin",
            title="Margin",
            unit="share",
            better="higher",
            description="Net profit divided by invoiced amount; missing without invoices.",
            needs=(INVOICES,),
            compute=not_implemented("profit.margin"),
            neutral=None,
        ),
    ]
