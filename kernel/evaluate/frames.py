"""The two frames an evaluation works on, and moving columns between them.

``customers``: one row per customer, for values with one value per customer.
``periods``: one row per customer and period (a dense grid), for per-period values; the
period is a global index where 0 is the oldest period of the ruleset's window (a criterion with
more periods reaches below 0).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import narwhals.stable.v2 as nw

ID = "customer_id"
PERIOD = "period"


@dataclass
class Frames:
    customers: nw.LazyFrame[Any]
    periods: nw.LazyFrame[Any] | None = None
    scalar_columns: set[str] = field(default_factory=set)
    period_columns: set[str] = field(default_factory=set)
    in_periods: set[str] = field(default_factory=set)
    """Scalar columns already joined into the periods frame."""
    counter: int = 0

    def temp(self) -> str:
        self.counter += 1
        return f"__t{self.counter}"

    def add(self, name: str, expr: nw.Expr, *, per_period: bool) -> None:
        if per_period:
            assert self.periods is not None
            self.periods = self.periods.with_columns(expr.alias(name))
            self.period_columns.add(name)
        else:
            self.customers = self.customers.with_columns(expr.alias(name))
            self.scalar_columns.add(name)

    def join_scalar(self, frame: nw.LazyFrame[Any], columns: list[str]) -> None:
        """Left-join per-customer ``columns`` of ``frame`` into the customers frame."""
        self.customers = self.customers.join(frame.select(ID, *columns), on=ID, how="left")
        self.scalar_columns.update(columns)

    def join_periods(self, frame: nw.LazyFrame[Any], columns: list[str]) -> None:
        assert self.periods is not None
        self.periods = self.periods.join(
            frame.select(ID, PERIOD, *columns), on=[ID, PERIOD], how="left"
        )
        self.period_columns.update(columns)

    def ensure_in_periods(self, name: str) -> None:
        """Make a per-customer column usable in per-period expressions."""
        if name in self.in_periods or name in self.period_columns:
            return
        assert self.periods is not None
        self.periods = self.periods.join(self.customers.select(ID, name), on=ID, how="left")
        self.in_periods.add(name)
