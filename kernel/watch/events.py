"""Read events: one JSON object per line, a row for a table or a move of the clock.

``{"table": "payments", "row": {"customer_id": "C1", "paid_at": "1998-07-03", "amount": 120}}``
adds a row; ``{"time": "1998-07-01"}`` moves the clock. A row's values are parsed as the
batch run parses the table's columns (money exactly, in ten-thousandths; dates in ISO form);
a line that is not such an event raises :class:`BadEvent` with its line number.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from tierkit.contract import MONEY_SCALE, Column, ColumnType
from tierkit.errors import TierkitError

TABLES = ("customers", "payments", "invoices", "shipments", "contracts", "assessments")
"""The tables of the data contract (docs/data-formats.md)."""
MONEY_DIGITS = 30
LARGEST_NUMBER = 1e14


class BadEvent(TierkitError):
    """A line of the event stream that is not an event; names the line and what is wrong."""

    def __init__(self, line: int, message: str, text: str = "") -> None:
        self.line = line
        self.message = message
        self.text = text
        super().__init__(f"line {line}: {message}")


@dataclass(slots=True)
class TimeEvent:
    """The clock moves to ``time`` (an as-of date: rows dated before it count)."""

    line: int
    time: date
    raw: Mapping[str, Any]


@dataclass(slots=True)  # not frozen: a frozen dataclass costs 1 µs more to build, per event
class RowEvent:
    """A new row of ``table``, its values parsed to the table's column types."""

    line: int
    table: str
    row: Mapping[str, Any]
    customer: str
    day: date | None
    """The row's main date (``paid_at`` for payments...); the clock moves past it."""
    raw: Mapping[str, Any]


Event = TimeEvent | RowEvent
Schema = Mapping[str, Mapping[str, Column]]
"""Per table the columns the ruleset reads, with their types."""


def _json_kind(value: object) -> str:
    """What a JSON value is, in JSON's words: ``an array``, ``null``..."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return f"the number {value}"
    return "an array" if isinstance(value, list) else "a text"


def parse_event(
    line: int, text: str, schema: Schema, main_dates: Mapping[str, str | None]
) -> Event | None:
    """The event on ``line``; ``None`` for a blank line or a row of a table nothing reads."""
    if not text.strip():
        return None
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadEvent(line, f"not JSON ({exc.msg} at column {exc.colno})", text) from None
    if not isinstance(raw, dict):
        raise BadEvent(line, f"expected a JSON object, found {_json_kind(raw)}", text)
    if "time" in raw and "table" not in raw:
        extra = sorted(set(raw) - {"time"})
        if extra:
            raise BadEvent(line, f"a time event has only 'time', found also {extra}", text)
        return TimeEvent(line, _date(line, "time", raw["time"], text), raw)
    if "table" not in raw or "row" not in raw:
        raise BadEvent(
            line,
            'expected {"table": NAME, "row": {...}} or {"time": "YYYY-MM-DD"}, '
            f"found keys {sorted(raw)}",
            text,
        )
    table = raw["table"]
    if table not in TABLES:
        raise BadEvent(line, f"unknown table {table!r}; expected one of {', '.join(TABLES)}", text)
    if table == "customers":
        raise BadEvent(line, "new or changed customers come with a batch run, not as events", text)
    row = raw["row"]
    if not isinstance(row, dict):
        raise BadEvent(line, f"'row' must be a JSON object, found {_json_kind(row)}", text)
    if table not in schema:
        return None  # the ruleset reads nothing of this table
    values: dict[str, Any] = {}
    for name, column in schema[table].items():
        given = row.get(name)
        kind = column.type
        if given is None:
            if not column.optional:
                raise BadEvent(line, f"{table}.{name} is missing (it is required)", text)
            values[name] = None
        elif kind == ColumnType.ID and type(given) is str:  # the common cases first
            values[name] = given.strip()  # as files are read: ' C1' is the customer C1
        elif kind == ColumnType.MONEY and type(given) is int:
            values[name] = given * MONEY_SCALE
        else:
            values[name] = _value(line, f"{table}.{name}", kind, given, text)
    main = main_dates.get(table)
    day = values.get(main) if main else None
    return RowEvent(line, table, values, str(values["customer_id"]), day, raw)


def _value(line: int, where: str, kind: ColumnType, given: Any, text: str) -> Any:
    if kind == ColumnType.ID:
        if isinstance(given, bool) or not isinstance(given, str | int):
            raise BadEvent(line, f"{where}: {given!r} is not an id (text or whole number)", text)
        return str(given).strip()
    if kind == ColumnType.TEXT:
        return str(given).strip()
    if kind == ColumnType.DATE:
        return _date(line, where, given, text)
    if kind == ColumnType.BOOLEAN:
        if not isinstance(given, bool):
            raise BadEvent(line, f"{where}: {given!r} is not true or false", text)
        return given
    if isinstance(given, bool) or not isinstance(given, int | float | str):
        raise BadEvent(line, f"{where}: {given!r} is not a number", text)
    if kind == ColumnType.MONEY:
        return _money(line, where, given, text)
    try:
        if isinstance(given, str) and ("_" in given or not given.strip().isascii()):
            raise ValueError(given)  # Python reads 1_000 and other scripts' digits; files don't
        number = float(given)
    except ValueError:
        raise BadEvent(line, f"{where}: {given!r} is not a number", text) from None
    if number != number or abs(number) > LARGEST_NUMBER:
        raise BadEvent(line, f"{where}: {given!r} is not a number up to 10^14", text)
    if kind == ColumnType.INTEGER:
        if number != int(number):
            raise BadEvent(line, f"{where}: {given!r} is not a whole number", text)
        return int(number)
    return number


_MONEY_TEXT = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)")
"""An amount in text as files give it (tierkit.data.parse): Decimal also reads 1e3, 1_000 and
digits of other scripts, which files refuse."""


def _money(line: int, where: str, given: Any, text: str) -> int:
    """An amount as whole ten-thousandths (rounded to 4 decimals, at most 30 digits)."""
    if type(given) is float and -1e11 < given < 1e11:
        # exact: the nearest whole number of ten-thousandths, if the float is the double
        # nearest to it (its shortest spelling has at most 4 decimals); else the slow way
        units = round(given * MONEY_SCALE)
        if units / MONEY_SCALE == given:
            return units
    if isinstance(given, str) and not _MONEY_TEXT.fullmatch(given.strip()):
        raise BadEvent(line, f"{where}: {given!r} is not an amount (like 1234.50)", text)
    try:
        amount = Decimal(str(given))
    except InvalidOperation:
        raise BadEvent(line, f"{where}: {given!r} is not an amount (like 1234.50)", text) from None
    if not amount.is_finite():
        raise BadEvent(line, f"{where}: {given!r} is not an amount (like 1234.50)", text)
    if abs(amount) >= Decimal(10) ** MONEY_DIGITS:
        raise BadEvent(line, f"{where}: {given!r} has more than {MONEY_DIGITS} digits", text)
    # more than four decimals (16.448000000000004 from an export) are rounded half away from
    # zero, as in data files (docs/data-formats.md)
    return int((amount * MONEY_SCALE).to_integral_value(rounding=ROUND_HALF_UP))


_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ]\S*)?")
"""A date as files give it (tierkit.data.parse): YYYY-MM-DD, then a time that is ignored;
Python's fromisoformat also reads 20260105 and week dates (2026-W01-1), which files refuse."""


def _date(line: int, where: str, given: Any, text: str) -> date:
    if isinstance(given, str) and _ISO_DAY.fullmatch(given.strip()):
        try:
            return date.fromisoformat(given.strip()[:10])
        except ValueError:
            pass
    raise BadEvent(line, f"{where}: {given!r} is not a date (YYYY-MM-DD)", text)
