"""Parse a column into its contract type (docs/data-formats.md), as polars expressions.

Each expression gives null where a value cannot be read; the caller decides what a null means
(a bad value when the text was not empty). Money is read exactly into whole ten-thousandths
(:data:`~tierkit.contract.MONEY_SCALE`): text digit by digit, decimals by scaling, never
through a float unless the column holds floats.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import polars as pl

from tierkit.contract import MONEY_SCALE, Column, ColumnType
from tierkit.errors import DataProblem

ROW = "_row"
"""The row number a user sees in the file, added by the built-in sources (docs/data-formats.md)."""
EXAMPLES = 5
"""Example rows shown with each problem."""


def wanted(kind: ColumnType) -> str:
    """What a value of ``kind`` looks like, for messages."""
    return {
        ColumnType.DATE: "a date (YYYY-MM-DD)",
        ColumnType.MONEY: "an amount (like 1234.50)",
        ColumnType.NUMBER: "a number",
        ColumnType.INTEGER: "a whole number",
        ColumnType.BOOLEAN: "true or false",
        ColumnType.ID: "an identifier",
        ColumnType.TEXT: "text",
    }[kind]


def parse_expr(name: str, kind: ColumnType, dtype: pl.DataType) -> tuple[pl.Expr, str | None]:
    """The expression that parses column ``name`` into its contract type, or why it can't."""
    col = pl.col(name)
    text = stored_as_text(dtype)
    if text:  # a Categorical (a pandas "category"), or no value at all (Null), as text
        col, dtype = col.cast(pl.String), pl.String()
    if isinstance(dtype, pl.Decimal) and (dtype.precision or 0) > 38:  # a Parquet DECIMAL(50, 2)
        return col, (
            f"column '{name}' holds DECIMAL({dtype.precision}, {dtype.scale}), wider than the 38"
            " digits tierkit reads; store it as DECIMAL(38, 4) or as text"
        )
    if kind in (ColumnType.ID, ColumnType.TEXT):
        if dtype.is_float():
            return col, f"column '{name}' holds decimal numbers, expected an identifier or text"
        if dtype.is_nested():  # a list or a struct has no text to compare or show
            return col, f"column '{name}' holds {dtype_name(dtype)}, expected {wanted(kind)}"
        return col.cast(pl.String).str.strip_chars(), None
    if kind == ColumnType.DATE:
        if text:
            stripped = col.str.strip_chars()
            iso = stripped.str.contains(r"^\d{4}-\d{2}-\d{2}([T ]\S*)?$")
            return _a_year_from_1(
                pl.when(iso).then(stripped.str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False))
            ), None
        if dtype == pl.Date:
            return _a_year_from_1(col), None
        if isinstance(dtype, pl.Datetime):
            return _a_year_from_1(col.dt.date()), None
        return col, f"column '{name}' holds {dtype_name(dtype)}, expected dates"
    if kind == ColumnType.BOOLEAN:
        if dtype == pl.Boolean:
            return col, None
        if text:
            lowered = col.str.strip_chars().str.to_lowercase()
            return (
                pl.when(lowered.is_in(["true", "1", "yes"]))
                .then(True)
                .when(lowered.is_in(["false", "0", "no"]))
                .then(False)
                .otherwise(None)
            ), None
        return col, f"column '{name}' holds {dtype_name(dtype)}, expected true or false"
    if not (text or dtype.is_numeric()):
        return col, f"column '{name}' holds {dtype_name(dtype)}, expected a number"
    if kind == ColumnType.MONEY:
        return money(col, dtype), None
    if kind == ColumnType.INTEGER:
        number = (
            col.str.strip_chars().cast(pl.Float64, strict=False) if text else col.cast(pl.Float64)
        )
        whole = number.is_finite() & (number == number.round(0)) & (number.abs() < 2.0**53)
        return pl.when(whole).then(number.cast(pl.Int64, strict=False)), None
    number = col.str.strip_chars().cast(pl.Float64, strict=False) if text else col.cast(pl.Float64)
    # 'nan' and 'inf' are not numbers, nor is anything beyond LARGEST_NUMBER (1e308 units)
    return pl.when(number.is_finite() & (number.abs() <= LARGEST_NUMBER)).then(number), None


def _a_year_from_1(day: pl.Expr) -> pl.Expr:
    """Null (not a date) before year 1 or after 9999: polars has year 0 and negative years,
    which no Python date holds."""
    return pl.when(day.dt.year().is_between(1, 9999)).then(day)


MONEY_DIGITS = 30
"""At most this many digits before the point: 10^30 ten-thousandths fit a 128-bit integer."""
LARGEST_FLOAT_AMOUNT = 1e30
LARGEST_NUMBER = 1e14
"""The largest unit count or score: four decimals of it (10^18) still fit a 64-bit integer, so
criteria can sum them exactly (docs/data-formats.md)."""


def money(col: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    """Exact 128-bit integer ten-thousandths: text and decimals are read digit by digit, not as
    floats; no amount of up to :data:`MONEY_DIGITS` digits wraps around.
    :mod:`tierkit.data.magnitude` then narrows the column to the type its sums fit."""
    wide = pl.Int128
    if dtype in (pl.Int128, pl.UInt128):  # a DuckDB HUGEINT: up to 30 digits (see can_fail)
        fits = col.cast(pl.Float64).abs() < LARGEST_FLOAT_AMOUNT
        return pl.when(fits).then(col.cast(wide, strict=False) * MONEY_SCALE)
    if dtype.is_integer():
        return col.cast(wide) * MONEY_SCALE
    if isinstance(dtype, pl.Decimal):
        # null where 38 digits cannot hold the value with four decimals (see can_fail); the
        # cast rounds half to even, so more decimals are rounded on their digits, as text is
        rounded = (col.cast(pl.Decimal(38, 4), strict=False) * MONEY_SCALE).cast(wide, strict=False)
        if dtype.scale <= 4:
            return rounded
        return _text_money(col.cast(pl.String)).fill_null(rounded)
    if dtype.is_float():  # NaN and infinity are not amounts: null, reported by the caller
        col = col.cast(pl.Float64)  # scaled in float16, 2.5 became 2.4992
        fits = col.is_finite() & (col.abs() < LARGEST_FLOAT_AMOUNT)
        units = (col * MONEY_SCALE).round(0, mode="half_away_from_zero")
        return pl.when(fits).then(units.cast(wide, strict=False))
    return _text_money(col)


def _text_money(col: pl.Expr) -> pl.Expr:
    """Text as exact ten-thousandths, rounded to four decimals half away from zero on its digits
    (no float): exports write 16.448 as 16.448000000000004; null where it is not a number."""
    wide = pl.Int128
    text = col.str.strip_chars().str.replace(r"^\+([\d.])", "${1}")  # +7.5, not +-5
    valid = text.str.contains(rf"^-?(\d{{1,{MONEY_DIGITS}}}\.?\d*|\.\d+)$")
    negative = text.str.starts_with("-")
    digits = text.str.replace("-", "")
    whole = digits.str.split(".").list.get(0, null_on_oob=True).replace("", "0")
    fraction = digits.str.split(".").list.get(1, null_on_oob=True).fill_null("")
    kept = fraction.str.slice(0, 4).str.pad_end(4, "0")
    up = (fraction.str.slice(4, 1) >= "5").fill_null(False).cast(wide)  # the fifth decimal
    units = whole.cast(wide, strict=False) * MONEY_SCALE + kept.cast(wide, strict=False) + up
    return pl.when(valid).then(pl.when(negative).then(units * -1).otherwise(units))


def too_large(kind: ColumnType, given: pl.Expr) -> pl.Expr | None:
    """Whether a value as given (text) is a number too large for ``kind``: an amount of more
    than :data:`MONEY_DIGITS` digits, a count or score beyond :data:`LARGEST_NUMBER`."""
    size = given.str.strip_chars().cast(pl.Float64, strict=False).abs()
    if kind == ColumnType.MONEY:
        return (size.is_finite() & (size >= LARGEST_FLOAT_AMOUNT)).fill_null(False)
    if kind == ColumnType.NUMBER:
        return (size.is_finite() & (size > LARGEST_NUMBER)).fill_null(False)
    if kind == ColumnType.INTEGER:
        return (size.is_finite() & (size >= 2.0**53)).fill_null(False)
    return None


def largest(kind: ColumnType) -> str:
    """The largest value of ``kind``, for messages."""
    return {
        ColumnType.MONEY: f"at most {MONEY_DIGITS} digits before the point",
        ColumnType.NUMBER: "at most 10^14",
        ColumnType.INTEGER: "at most 2^53",
    }.get(kind, "")


def dtype_name(dtype: pl.DataType) -> str:
    if stored_as_text(dtype):
        return "text"
    if dtype.is_numeric():
        return "numbers"
    if dtype == pl.Boolean:
        return "true/false values"
    if dtype in (pl.Date,) or isinstance(dtype, pl.Datetime):
        return "dates"
    return str(dtype)


# rows ------------------------------------------------------------------------------------------


NUMERIC = frozenset({ColumnType.MONEY, ColumnType.NUMBER, ColumnType.INTEGER})
NON_NEGATIVE = frozenset({ColumnType.NUMBER, ColumnType.INTEGER})
"""Counts and scores (units, scores) must not be negative. Money may: a negative payment is a
refund, a negative invoice amount a credit note, a negative cost a rebate; they are netted into
the sums and counted in the data report (:func:`negative_amounts`)."""


def parse_columns(
    origin: str, schema: pl.Schema, columns: Mapping[str, Column]
) -> tuple[dict[str, pl.Expr], list[DataProblem]]:
    """The parsing expression of every column, or why a column's type cannot be read."""
    exprs: dict[str, pl.Expr] = {}
    problems: list[DataProblem] = []
    for name, column in columns.items():
        expr, problem = parse_expr(name, column.type, schema[name])
        if problem:
            problems.append(DataProblem(origin, problem, column=name))
        else:
            exprs[name] = expr
    return exprs, problems


def can_fail(kind: ColumnType, dtype: pl.DataType) -> bool:
    """Whether reading a stored value of ``dtype`` as ``kind`` can fail (text; floats, which
    may hold NaN or infinity, or a fraction where a whole number is wanted; decimals too wide to
    hold four decimals): then the value as given is kept to show it."""
    return (
        (stored_as_text(dtype) and kind not in (ColumnType.ID, ColumnType.TEXT))
        or (kind in NUMERIC and dtype.is_float())  # NaN, infinity, or a fraction for a count
        or (kind == ColumnType.MONEY and (_wide_decimal(dtype) or dtype in (pl.Int128, pl.UInt128)))
    )


def stored_as_text(dtype: pl.DataType) -> bool:
    """Text, text stored once per distinct value (a Categorical or an Enum), or a column with no
    value at all (Null: pandas writes an all-empty column so), read as empty text."""
    return dtype in (pl.String, pl.Null) or isinstance(dtype, pl.Categorical | pl.Enum)


def _wide_decimal(dtype: pl.DataType) -> bool:
    """A decimal type with more than 34 digits before the point: four decimals of its largest
    values do not fit 38 digits."""
    if not isinstance(dtype, pl.Decimal):
        return False
    return (dtype.precision or 38) - dtype.scale > 38 - 4


def must_not_be_negative(table: str, name: str, kind: ColumnType) -> bool:
    # a number in customers is an attribute a ruleset reads (use: customer.COLUMN), such as a
    # credit balance: it may be below zero
    return kind in NON_NEGATIVE and table != "customers"


def negative_amounts(
    rows: pl.LazyFrame,
    columns: Mapping[str, Column],
    parse: Mapping[str, pl.Expr] | None = None,
) -> dict[str, dict[str, Any]]:
    """Per money column with negative amounts among ``rows`` (refunds, credit notes): their
    number and exact total in currency units (text), for the data report.

    ``rows`` hold parsed values; with ``parse`` they are a scan's stored columns, parsed by
    those expressions, and only rows whose stored amount is below 0 are read (every parsed
    negative amount is one): the Parquet reader skips every row group whose statistics rule
    them out, so a file without refunds is answered from its footer."""
    present = list(parse) if parse is not None else rows.collect_schema().names()
    names = [n for n in present if n in columns and columns[n].type == ColumnType.MONEY]
    if not names:
        return {}
    if parse is not None:
        rows = rows.filter(pl.any_horizontal(pl.col(n) < 0 for n in names)).select(**parse)
    exprs: list[pl.Expr] = []
    for name in names:
        below = pl.col(name) < 0
        exprs += [
            below.sum().alias(f"{name}.rows"),
            pl.col(name).filter(below).sum().alias(f"{name}.total"),
        ]
    row = rows.select(exprs).collect().row(0, named=True)
    return {
        name: {
            "rows": int(row[f"{name}.rows"]),
            "total": shown(int(row[f"{name}.total"]), ColumnType.MONEY),
        }
        for name in names
        if row[f"{name}.rows"]
    }


def shown(value: Any, kind: ColumnType) -> str:
    """A value in an example row: text as given (quoted), money in currency units."""
    if isinstance(value, str):
        return repr(value)
    if kind == ColumnType.MONEY and isinstance(value, int):
        amount = Decimal(value).scaleb(-4)
        cents = amount.quantize(Decimal("0.01"))
        return str(cents if cents == amount else amount)
    return str(value)
