"""Built-in criteria over customers and contracts: tenure, active and terminated contracts.

STUB: the declarations are final; the compute functions arrive with the data layer.
"""

from __future__ import annotations

from tierkit.contract import Criterion, ValueType
from tierkit.hookspecs import hookimpl
from tierkit.plugins._columns import DATE, ID, need, not_implemented

CONTRACTS = need("contracts", ("customer_id", ID), ("contract_id", ID), ("started_at", DATE),
                 ("ended_at", DATE, True), ("terminated_at", DATE, True))


@hookimpl
def tierkit_criteria() -> list[Criterion]:
    return [
        Criterion(
            name="tenure.months",
            title="Tenure",
            unit="months",
            better="higher",
            description="Whole months from the customer's start (customers.since, else the "
            "first contract) to the as-of date; missing when neither is known.",
            needs=(need("customers", ("customer_id", ID), ("since", DATE, True)),),
            compute=not_implemented("tenure.months"),
            neutral=None,
            per_period=False,
        ),
        Criterion(
            name="contracts.active",
            title="Active contract",
            unit="flag",
            better="higher",
            description="True when a contract started before the as-of date and has not ended "
            "or been terminated by then.",
            needs=(CONTRACTS,),
            compute=not_implemented("contracts.active"),
            type=ValueType.BOOLEAN,
            neutral=False,
            per_period=False,
        ),
        Criterion(
            name="contracts.terminated",
            title="Contract terminated",
            unit="flag",
            better="lower",
            description="True when a contract was terminated (not simply ended) in the window.",
            needs=(CONTRACTS,),
            compute=not_implemented("contracts.terminated"),
            type=ValueType.BOOLEAN,
            neutral=False,
        ),
    ]
