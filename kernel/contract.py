"""The objects plugins hand to tierkit: criteria, strategies, functions, sources and writers.

Plugins build these frozen dataclasses and return them from the hooks in
:mod:`tierkit.hookspecs`. The kernel checks each one (names, parameters, needs) and stamps it
with the plugin it came from, so a mistake can name that plugin.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

if TYPE_CHECKING:  # the contract names narwhals' types; loading plugins imports no narwhals
    import narwhals.stable.v2 as nw

MONEY_SCALE = 10_000
"""Money columns hold amounts times this, as integers, so sums are exact."""

CUSTOMER_KEY = "customer_key"
"""A column the kernel adds to every table on the polars backend: a 64-bit key of
``customer_id`` (distinct for distinct customers). Grouping by it is about twice as fast as
grouping by the id text; a criterion that groups by it returns it instead of ``customer_id``
and the kernel puts the customer back. Other backends do not add it."""

NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$")
"""Criterion, strategy and function names: lower case, digits, ``_``, dotted groups."""


class ValueType(StrEnum):
    """The type of a criterion's value or a function's argument and result."""

    NUMBER = "number"
    BOOLEAN = "boolean"
    TEXT = "text"
    DATE = "date"


class ColumnType(StrEnum):
    """The type a criterion needs a source column to have."""

    ID = "id"
    """A customer or document identifier: text or integer."""
    TEXT = "text"
    NUMBER = "number"
    """Integer or decimal, read as a 64-bit float."""
    MONEY = "money"
    """An amount of money, read exactly as a whole number of ten-thousandths (Int64):
    12.34 is 123400. Sums of it are exact whatever the row order; see :data:`MONEY_SCALE`."""
    INTEGER = "integer"
    DATE = "date"
    """A date or a timestamp; text in ISO form (2026-03-31) is parsed."""
    BOOLEAN = "boolean"


@dataclass(frozen=True)
class Column:
    """A column a criterion reads, with its type; ``optional`` columns may be absent."""

    name: str
    type: ColumnType
    optional: bool = False


@dataclass(frozen=True)
class TableNeed:
    """A table a criterion reads and the columns it reads from it."""

    table: str
    columns: tuple[Column, ...]


ParamType = Literal["integer", "number", "text", "boolean", "choice"]


@dataclass(frozen=True)
class Param:
    """A parameter a criterion accepts in a ruleset's ``params:`` mapping."""

    name: str
    type: ParamType
    default: Any
    description: str
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None


@dataclass(frozen=True)
class Period:
    """One period of a window, ``[start, end)``, labelled ``2026-03``, ``2026-Q1`` or ``2026``."""

    index: int
    label: str
    start: date
    end: date


PeriodKind = Literal["month", "quarter", "year"]
_MONTHS_PER: dict[str, int] = {"month": 1, "quarter": 3, "year": 12}


@dataclass(frozen=True)
class Window:
    """The time a run looks at: ``periods`` calendar periods ending at ``as_of`` (exclusive).

    The last period is the one holding the day before ``as_of``; when ``as_of`` is not the
    first day of a period, that last period is partial. Rows dated on or after ``as_of`` are
    outside every window.
    """

    as_of: date
    period: PeriodKind = "month"
    periods: int = 12

    def __post_init__(self) -> None:
        if self.period not in _MONTHS_PER:
            raise ValueError(f"period must be month, quarter or year, not {self.period!r}")
        if self.periods < 1:
            raise ValueError(f"a window needs at least one period, not {self.periods}")

    @property
    def months_per_period(self) -> int:
        return _MONTHS_PER[self.period]

    def period_list(self) -> tuple[Period, ...]:
        """The periods, oldest first; index 0 is the oldest."""
        step = self.months_per_period
        last_day = _add_days(self.as_of, -1)
        month0 = ((last_day.month - 1) // step) * step  # 0-based first month of the last period
        first_abs = last_day.year * 12 + month0 - step * (self.periods - 1)
        result = []
        for i in range(self.periods):
            start_abs = first_abs + i * step
            start = date(start_abs // 12, start_abs % 12 + 1, 1)
            end_abs = start_abs + step
            end = date(end_abs // 12, end_abs % 12 + 1, 1)
            if i == self.periods - 1:
                end = min(end, self.as_of)
            result.append(Period(i, _label(start, self.period), start, end))
        return tuple(result)

    @property
    def start(self) -> date:
        return self.period_list()[0].start

    def with_periods(self, periods: int) -> Window:
        return Window(self.as_of, self.period, periods)


def _add_days(day: date, days: int) -> date:
    return date.fromordinal(day.toordinal() + days)


def _label(start: date, period: str) -> str:
    if period == "month":
        return f"{start.year:04d}-{start.month:02d}"
    if period == "quarter":
        return f"{start.year:04d}-Q{(start.month - 1) // 3 + 1}"
    return f"{start.year:04d}"


def month_end(day: date) -> date:
    """The last day of ``day``'s month."""
    return date(day.year, day.month, calendar.monthrange(day.year, day.month)[1])


Tables: TypeAlias = "Mapping[str, nw.LazyFrame[Any]]"
"""The source's tables by name, as narwhals lazy frames."""

ComputeFn: TypeAlias = "Callable[[Tables, Window, Mapping[str, Any]], nw.LazyFrame[Any]]"
"""``compute(tables, window, params)`` → lazy frame of ``customer_id``, ``period``, ``value``.

``params`` holds the criterion's parameters (defaults filled in) and ``_per_period``: true when
the ruleset asked for one value per period (``per: period``), false for one value for the whole
window. ``period`` is the 0-based index of :meth:`Window.period_list` for per-period values
(0 is the oldest); a value for the whole window has ``period`` = -1. Customers without rows may
be left out: the kernel fills them with the criterion's ``neutral`` value.
"""


@dataclass(frozen=True)
class Criterion:
    """A measurable fact about a customer, computed from the source's tables."""

    name: str
    """Dotted, lower case: ``payments.received``."""
    title: str
    unit: str
    """What the value counts: ``currency``, ``days``, ``share``, ``units``, ``months``..."""
    better: Literal["higher", "lower", "neither"]
    description: str
    needs: tuple[TableNeed, ...]
    compute: ComputeFn
    params: tuple[Param, ...] = ()
    type: ValueType = ValueType.NUMBER
    neutral: float | int | bool | None = 0
    """The value of a customer with no rows: 0 for sums and counts, ``None`` (missing) for rates."""
    per_period: bool = True
    """Whether ``per: period`` makes sense (one value per period); false for states like tenure."""
    minimum: float | None = None
    """The least value it can have (0 for a share or a count), or None when unbounded below.
    ``tierkit validate`` warns about a ruleset comparing it with a number outside the range."""
    maximum: float | None = None
    """The greatest value it can have (1 for a share), or None when unbounded above."""
    plugin: str = field(default="", compare=False)
    """Set by the kernel: the plugin that registered it."""


@dataclass(frozen=True)
class Strategy:
    """What a customer's ``value`` means under one company objective."""

    name: str
    title: str
    description: str
    value: str
    """The criterion that is ``value`` under this strategy."""
    params: Mapping[str, Any] = field(default_factory=dict)
    plugin: str = field(default="", compare=False)


@dataclass(frozen=True)
class FunctionArg:
    """One positional argument of an expression function."""

    name: str
    type: ValueType
    optional: bool = False


@dataclass(frozen=True)
class Function:
    """An extra function for ruleset expressions, compiled to a narwhals expression.

    ``compile`` receives one narwhals expression per argument given (optional arguments left
    out are not passed) and returns the expression of the result. Functions are per customer
    (and per period): they may be used in derived facts and in decision conditions.
    """

    name: str
    description: str
    example: str
    args: tuple[FunctionArg, ...]
    returns: ValueType
    compile: Callable[..., nw.Expr]
    plugin: str = field(default="", compare=False)


@dataclass(frozen=True)
class OpenedSource:
    """What a source opened: its tables as lazy frames, and where each came from.

    ``origins`` names each table's file or database table for error messages
    (``data/payments.csv``). A frame may carry a ``_row`` column with the row number a user
    sees in the file (the header of a CSV is row 1), so bad rows can be pointed at.
    """

    tables: Mapping[str, nw.LazyFrame[Any]]
    origins: Mapping[str, str]


OpenFn: TypeAlias = Callable[[str], OpenedSource]


@dataclass(frozen=True)
class Source:
    """A kind of data source: a folder of files, a database file, a URL scheme."""

    name: str
    description: str
    accepts: Callable[[str], bool]
    """Whether this kind can open the given path or URL."""
    open: OpenFn
    plugin: str = field(default="", compare=False)


WriteFn: TypeAlias = Callable[[Any, str], None]


@dataclass(frozen=True)
class Writer:
    """An output format for results, chosen by the output file's extension."""

    name: str
    extensions: tuple[str, ...]
    description: str
    write: WriteFn
    """``write(frame, path)``: write a polars frame to ``path`` (the kernel makes it atomic)."""
    plugin: str = field(default="", compare=False)


Definition: TypeAlias = Criterion | Strategy | Function | Source | Writer


def params_by_name(params: Sequence[Param]) -> dict[str, Param]:
    return {p.name: p for p in params}
