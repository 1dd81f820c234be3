"""The two frames an evaluation works on, and moving columns between them.

``customers``: one row per customer, for values with one value per customer.
``periods``: one row per customer and period (a dense grid), for per-period values; the
period is a global index where 0 is the oldest period of the ruleset's window (a criterion with
more periods reaches below 0).

Public column names may hold dots and ``::`` (``previous.category``, ``category.rule``,
``flags::late``); inside the frames they are spelled with ``·`` instead, because Spark reads a
dot in a column name as a field of a struct. :meth:`Frames.collect_customers` gives the public
names back. Ruleset names are ASCII identifiers, so the two spellings cannot collide.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import narwhals.stable.v2 as nw
import polars as pl

from tierkit.columns import ID as ID
from tierkit.columns import KEY as KEY
from tierkit.columns import ORDER as ORDER
from tierkit.columns import PERIOD as PERIOD


def internal(name: str) -> str:
    """The spelling of a public column name inside the frames."""
    return name.replace("::", "··").replace(".", "·")


def public(name: str) -> str:
    """The public spelling of a column name used inside the frames."""
    return name.replace("··", "::").replace("·", ".")


@dataclass
class Frames:
    customers: nw.LazyFrame[Any]
    periods: nw.LazyFrame[Any] | None = None
    scalar_columns: set[str] = field(default_factory=set)
    period_columns: set[str] = field(default_factory=set)
    in_periods: set[str] = field(default_factory=set)
    """Scalar columns already joined into the periods frame."""
    counter: int = 0

    @classmethod
    def of_values(cls, customers: pl.DataFrame, periods: pl.DataFrame | None = None) -> Frames:
        """Frames holding given per-customer (and per-period) values, under public names."""
        frames = cls(nw.from_native(customers.rename(_spelled(customers.columns)).lazy()))
        frames.scalar_columns.update(internal(c) for c in customers.columns if c != ID)
        if periods is not None:
            frames.periods = nw.from_native(periods.rename(_spelled(periods.columns)).lazy())
            frames.period_columns.update(
                internal(c) for c in periods.columns if c not in (ID, PERIOD)
            )
        return frames

    def replace_customers(self, customers: pl.DataFrame) -> None:
        """Take per-customer values back from another engine (public names, polars)."""
        self.customers = nw.from_native(customers.rename(_spelled(customers.columns)).lazy())
        self.scalar_columns.update(internal(c) for c in customers.columns if c != ID)

    def col(self, name: str) -> nw.Expr:
        return nw.col(internal(name))

    def temp(self) -> str:
        self.counter += 1
        return f"__t{self.counter}"

    def add(self, name: str, expr: nw.Expr, *, per_period: bool) -> None:
        column = internal(name)
        if per_period:
            assert self.periods is not None
            self.periods = self.periods.with_columns(expr.alias(column))
            self.period_columns.add(column)
        else:
            self.customers = self.customers.with_columns(expr.alias(column))
            self.scalar_columns.add(column)

    def replace(self, frame: nw.LazyFrame[Any], columns: list[str], *, per_period: bool) -> None:
        """Take the customers (or periods) frame back with ``columns`` added to it."""
        if per_period:
            self.periods = frame
            self.period_columns.update(internal(c) for c in columns)
        else:
            self.customers = frame
            self.scalar_columns.update(internal(c) for c in columns)

    def join_scalar(self, frame: nw.LazyFrame[Any], columns: list[str], on: str = ID) -> None:
        """Left-join per-customer ``columns`` of ``frame`` into the customers frame.

        ``on`` is :data:`ID` or :data:`KEY`, the column ``frame`` names its customers by.
        """
        renamed = frame.select(on, *(nw.col(c).alias(internal(c)) for c in columns))
        self.customers = self.customers.join(renamed, on=on, how="left")
        self.scalar_columns.update(internal(c) for c in columns)

    def join_periods(self, frame: nw.LazyFrame[Any], columns: list[str], on: str = ID) -> None:
        assert self.periods is not None
        renamed = frame.select(on, PERIOD, *(nw.col(c).alias(internal(c)) for c in columns))
        self.periods = self.periods.join(renamed, on=[on, PERIOD], how="left")
        self.period_columns.update(internal(c) for c in columns)

    def ensure_in_periods(self, name: str) -> None:
        """Make a per-customer column usable in per-period expressions."""
        column = internal(name)
        if column in self.in_periods or column in self.period_columns:
            return
        assert self.periods is not None
        self.periods = self.periods.join(self.customers.select(ID, column), on=ID, how="left")
        self.in_periods.add(column)

    def is_period_column(self, name: str) -> bool:
        return internal(name) in self.period_columns

    def collect_customers(self) -> pl.DataFrame:
        """The customers frame as a polars frame with public column names, by customer_id."""
        frame = nw.to_native(
            _without_key(self.customers).sort(self.id_order).collect(backend="polars")
        )
        assert isinstance(frame, pl.DataFrame)
        return frame.rename({c: public(c) for c in frame.columns})

    @property
    def id_order(self) -> str:
        """The column that sorts customers by id: :data:`ORDER` if the frame has it."""
        return ORDER if ORDER in self.customers.collect_schema().names() else ID

    def collect_periods(self) -> pl.DataFrame | None:
        if self.periods is None:
            return None
        periods = _without_key(self.periods)
        if ORDER in periods.collect_schema().names():  # in id order, without the number
            periods = periods.sort(ORDER, PERIOD).drop(ORDER)
        else:
            periods = periods.sort(ID, PERIOD)
        frame = nw.to_native(periods.collect(backend="polars"))
        assert isinstance(frame, pl.DataFrame)
        return frame.rename({c: public(c) for c in frame.columns})


def _without_key(frame: nw.LazyFrame[Any]) -> nw.LazyFrame[Any]:
    return frame.drop(KEY) if KEY in frame.collect_schema().names() else frame


def _spelled(columns: list[str]) -> dict[str, str]:
    return {c: internal(c) for c in columns}
