"""When each customer's rows leave the window: the customers by the dates of their rows.

A row dated D is inside a window while the window's first day is on or before D. The window
starts at the first day of a period, so it moves only when the clock passes into a new period;
then the customers with a row dated from the old first day up to the day before the new one
are the ones whose values can change, and only they are decided again. Every date column a
criterion reads counts (a contract leaves by ``terminated_at`` too), for each window length
the ruleset uses (a criterion may have its own number of periods).
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Iterable, Mapping
from datetime import date

import polars as pl

from tierkit.contract import Window


class LeaveIndex:
    """Customers by row date, to find those whose rows leave when the window moves."""

    def __init__(self, period: str, columns: Mapping[str, tuple[str, ...]]) -> None:
        self.period = period
        self.columns = dict(columns)
        """Per table, the date columns that place its rows in windows."""
        self.days: list[date] = []
        self.customers: dict[date, set[str]] = {}

    @classmethod
    def of_tables(
        cls, tables: Mapping[str, pl.DataFrame], period: str, columns: Mapping[str, tuple[str, ...]]
    ) -> LeaveIndex:
        index = cls(period, columns)
        parts = [
            tables[t].select(pl.col("customer_id"), pl.col(c).alias("day"))
            for t, cs in columns.items()
            if t in tables
            for c in cs
            if c in tables[t].columns
        ]
        if parts:
            pairs = pl.concat(parts).drop_nulls().unique()
            grouped = pairs.group_by("day").agg(pl.col("customer_id"))
            for day, ids in grouped.iter_rows():
                index.customers[day] = set(ids)
            index.days = sorted(index.customers)
        return index

    def add(self, day: date, customer: str) -> None:
        found = self.customers.get(day)
        if found is None:
            self.customers[day] = {customer}
            insort(self.days, day)
        else:
            found.add(customer)

    def leaving(self, before: date, after: date, lengths: Iterable[int]) -> set[str]:
        """Customers with a row inside the window of some length at ``before`` and outside it
        at ``after``."""
        found: set[str] = set()
        for periods in lengths:
            old = Window(before, self.period, periods).start  # type: ignore[arg-type]
            new = Window(after, self.period, periods).start  # type: ignore[arg-type]
            if new <= old:
                continue
            for i in range(bisect_left(self.days, old), bisect_left(self.days, new)):
                found |= self.customers[self.days[i]]
        return found
