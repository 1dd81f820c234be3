"""What a demo run is asked for, the time window it fills, and the six tables it writes."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from tierkit.demo.formats import DemoFormat as DemoFormat

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

EPOCH = date(1970, 1, 1)
MOST_MONTHS = 1200
"""The longest history the demo writes (100 years)."""
MOST_CUSTOMERS = 100_000_000
"""The most customers the demo writes: about 230 GB of CSV (docs/demo-data.md); more is a slip."""

CHUNK_SIZE = 25_000
"""Customers generated and written together. A constant on purpose: every chunk draws from its
own random stream seeded by (seed, chunk index), so changing it would change the data."""


class ColumnKind(StrEnum):
    """How a demo column is stored; the writers map each kind to a CSV and a Parquet type."""

    TEXT = "text"
    DATE = "date"
    MONEY = "money"
    """Two decimals: "1234.50" in CSV, Decimal(18, 2) in Parquet."""
    INTEGER = "integer"
    SCORE = "score"
    """A float with one decimal."""


TABLES: dict[str, tuple[tuple[str, ColumnKind], ...]] = {
    "customers": (
        ("customer_id", ColumnKind.TEXT),
        ("name", ColumnKind.TEXT),
        ("since", ColumnKind.DATE),
        ("segment", ColumnKind.TEXT),
        ("region", ColumnKind.TEXT),
        ("manager", ColumnKind.TEXT),
    ),
    "payments": (
        ("customer_id", ColumnKind.TEXT),
        ("paid_at", ColumnKind.DATE),
        ("amount", ColumnKind.MONEY),
        ("invoice_id", ColumnKind.TEXT),
        ("due_at", ColumnKind.DATE),
        ("currency", ColumnKind.TEXT),
    ),
    "invoices": (
        ("customer_id", ColumnKind.TEXT),
        ("invoice_id", ColumnKind.TEXT),
        ("issued_at", ColumnKind.DATE),
        ("amount", ColumnKind.MONEY),
        ("due_at", ColumnKind.DATE),
        ("cost", ColumnKind.MONEY),
    ),
    "shipments": (
        ("customer_id", ColumnKind.TEXT),
        ("shipped_at", ColumnKind.DATE),
        ("units", ColumnKind.INTEGER),
        ("promised_at", ColumnKind.DATE),
        ("delivered_at", ColumnKind.DATE),
        ("ordered_units", ColumnKind.INTEGER),
    ),
    "contracts": (
        ("customer_id", ColumnKind.TEXT),
        ("contract_id", ColumnKind.TEXT),
        ("started_at", ColumnKind.DATE),
        ("ended_at", ColumnKind.DATE),
        ("terminated_at", ColumnKind.DATE),
    ),
    "assessments": (
        ("customer_id", ColumnKind.TEXT),
        ("assessed_at", ColumnKind.DATE),
        ("topic", ColumnKind.TEXT),
        ("score", ColumnKind.SCORE),
    ),
}
"""Every table the demo writes, in writing order, with its columns in file order."""

TOPICS = ("attractiveness", "relationship", "information_sharing", "potential")


@dataclass(frozen=True)
class DemoSpec:
    """What to generate: how many customers, over how many months before ``as_of``, from which
    seed. The same spec always gives the same data."""

    customers: int = 2000
    months: int = 24
    seed: int = 7
    as_of: date = date(2026, 1, 1)

    def __post_init__(self) -> None:
        if self.customers < 1:
            raise ValueError(f"customers must be at least 1, not {self.customers}")
        if self.customers > MOST_CUSTOMERS:
            raise ValueError(
                f"customers must be at most {MOST_CUSTOMERS:,}, not {self.customers:,}"
            )
        if self.months < 1:
            raise ValueError(f"months must be at least 1, not {self.months}")
        if self.seed < 0:
            raise ValueError(f"seed must be zero or positive, not {self.seed}")
        if self.as_of.year < 1980:
            raise ValueError(f"as-of date {self.as_of} is too early (1980 or later)")
        if self.months > MOST_MONTHS:
            raise ValueError(f"months must be at most {MOST_MONTHS} (100 years), not {self.months}")

    @property
    def id_width(self) -> int:
        """Digits in a customer number: at least 7 (C0000001), more for huge populations."""
        return max(7, len(str(self.customers)))


def default_as_of(today: date | None = None) -> date:
    """The first day of the current month: the demo's events all lie before it."""
    return (today or date.today()).replace(day=1)


def add_months(day: date, months: int) -> date:
    """``day`` moved by whole months, the day of month clipped to the target month's length."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def to_days(day: date) -> int:
    """Days since 1970-01-01, the integer form every generator works in."""
    return (day - EPOCH).days


def from_days(days: int) -> date:
    """The inverse of :func:`to_days`."""
    return EPOCH + timedelta(days=days)


@dataclass(frozen=True)
class ActivityMonths:
    """The months before the as-of date that the demo fills with activity."""

    as_of: int
    """First day after the window (days since 1970): every event is dated before it."""
    bounds: IntArray
    """``months + 1`` month boundaries in days; month ``k`` is ``[bounds[k], bounds[k+1])``."""
    month_of_year: IntArray
    """Calendar month (1-12) of each window month, for seasonality."""

    @property
    def start(self) -> int:
        """First day of the window."""
        return int(self.bounds[0])

    @property
    def months(self) -> int:
        """Number of months in the window."""
        return len(self.month_of_year)

    @classmethod
    def of(cls, spec: DemoSpec) -> ActivityMonths:
        """The window of ``spec``: ``spec.months`` months ending the day before ``as_of``."""
        starts = [add_months(spec.as_of, k - spec.months) for k in range(spec.months)]
        bounds = np.array([to_days(d) for d in starts] + [to_days(spec.as_of)], dtype=np.int64)
        month_of_year = np.array([d.month for d in starts], dtype=np.int64)
        return cls(as_of=to_days(spec.as_of), bounds=bounds, month_of_year=month_of_year)
