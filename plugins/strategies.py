"""Built-in strategies: what ``value`` means under each company objective."""

from __future__ import annotations

from tierkit.contract import Strategy
from tierkit.hookspecs import hookimpl


@hookimpl(trylast=True)
def tierkit_strategies() -> list[Strategy]:
    return [
        Strategy(
            name="market-expansion",
            title="Market expansion",
            description="Grow the market: value is units shipped.",
            value="shipments.units",
        ),
        Strategy(
            name="working-capital",
            title="Working capital",
            description="Free working capital: value is cash received in the period.",
            value="payments.received",
        ),
        Strategy(
            name="net-profit",
            title="Net profit",
            description="Earn net profit: value is invoiced amount minus cost.",
            value="profit.net",
        ),
    ]
