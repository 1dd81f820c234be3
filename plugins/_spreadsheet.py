"""Results that are safe to open in a spreadsheet, and usable at once.

Text a spreadsheet would read as a formula (it starts with ``=``, ``+``, ``-``, ``@``, a tab or
a carriage return) is kept as text: in .xlsx each such cell is a text cell with Excel's quote
prefix, never a formula; in CSV the text gets a leading apostrophe (``'=HYPERLINK(...)``),
which spreadsheets show as text. Only text columns are touched, never numbers, and text that
is a plain number (``-12.5``) is no formula and stays as it is. Control characters that .xlsx
cannot hold (U+0000 to U+001F but tab, line feed and carriage return) become U+FFFD (�).
See docs/data-formats.md.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # polars is imported by the functions that read or write
    import polars as pl


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
"""How text a spreadsheet reads as a formula starts (OWASP's list for CSV injection)."""
_FORMULA_PATTERN = r"^[=+\-@\t\r]"
_NUMBER_PATTERN = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"
_NUMBER = re.compile(_NUMBER_PATTERN)
ERROR_CODES = frozenset({"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A"})
"""Text openpyxl would write as an error value rather than as text."""
ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
"""Characters an .xlsx file cannot hold (openpyxl refuses them)."""
REPLACEMENT = "\ufffd"
MAX_CELL = 32_767
"""Characters of one Excel cell."""
MAX_ROWS = 1_048_576
"""Rows of one Excel sheet, the header included."""
MAX_COLUMNS = 16_384


def is_formula_like(text: str) -> bool:
    """Whether a spreadsheet would read ``text`` as a formula."""
    return text.startswith(FORMULA_START) and not _NUMBER.match(text)


def csv_safe(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with an apostrophe before each text value a spreadsheet would run."""
    import polars as pl

    texts = [n for n, t in frame.schema.items() if t == pl.String]
    if not texts:
        return frame

    def formula(n: str) -> pl.Expr:
        return pl.col(n).str.contains(_FORMULA_PATTERN) & ~pl.col(n).str.contains(_NUMBER_PATTERN)

    # first which columns hold text starting like a formula (one read of each, side by side);
    # only those are rewritten
    starts = (pl.col(n).str.contains(_FORMULA_PATTERN).any().alias(n) for n in texts)
    found = frame.lazy().select(starts).collect().row(0)
    risky = [n for n, any_found in zip(texts, found, strict=True) if any_found]
    if not risky:
        return frame
    return frame.with_columns(
        pl.when(formula(n)).then(pl.lit("'") + pl.col(n)).otherwise(pl.col(n)).alias(n)
        for n in risky
    )


def clean_text(text: str) -> str:
    """``text`` as an .xlsx cell can hold it: no control characters, at most 32,767 long."""
    if ILLEGAL.search(text):
        text = ILLEGAL.sub(REPLACEMENT, text)
    return text if len(text) <= MAX_CELL else text[: MAX_CELL - 1] + "…"


def number_format(name: str, dtype: pl.DataType) -> str | None:
    """The Excel number format of a results column, by its type and name."""
    import polars as pl

    if dtype.is_float():
        return "0.0%" if "share" in name.lower() else "#,##0.00"
    if dtype.is_integer():
        return "#,##0"
    if dtype == pl.Date:
        return "yyyy-mm-dd"
    if isinstance(dtype, pl.Datetime):
        return "yyyy-mm-dd hh:mm:ss"
    return None


def column_width(name: str, values: pl.Series) -> float:
    """A width that shows the header and most values: the longest of the first 1,000 rows."""
    import polars as pl

    sample = values.head(1000).cast(pl.String, strict=False).drop_nulls()
    longest = max([len(name), *(min(len(v), 60) for v in sample.to_list())])
    if values.dtype.is_numeric():
        longest += 4  # thousands separators
    return float(min(max(longest + 2, 8), 62))


def main_decision(frame: pl.DataFrame) -> str | None:
    """The results' main decision: the first column with a ``NAME.rule`` column beside it."""
    columns = set(frame.columns)
    return next((c for c in frame.columns if f"{c}.rule" in columns), None)


def summary_rows(frame: pl.DataFrame) -> list[list[Any]]:
    """Customers and value per outcome of the main decision, as the run's summary counts them:
    the value net, its share of the positive total (docs/ruleset-reference.md, value shares).

    Sums are exact: values in ten-thousandths as 128-bit integers, as the kernel sums money.
    """
    import polars as pl

    main = main_decision(frame)
    if main is None:
        return [["customers"], [frame.height]]
    if "value" in frame.columns:
        units = (pl.col("value").cast(pl.Float64) * 10_000).round(0).cast(pl.Int128)
    else:
        units = pl.lit(0, pl.Int128)
    zero = pl.lit(0, pl.Int128)
    counted = (
        frame.group_by(pl.col(main).cast(pl.String).fill_null("(none)").alias("category"))
        .agg(
            pl.len().alias("customers"),
            units.sum().alias("net"),
            pl.when(units > 0).then(units).otherwise(zero).sum().alias("positive"),
        )
        .sort("category")
    )
    positive = int(counted["positive"].sum() or 0)
    net = int(counted["net"].sum() or 0)
    rows: list[list[Any]] = [
        [main, "customers", "share of customers", "value", "share of positive value"]
    ]
    for category, customers, value, value_positive in counted.iter_rows():
        rows.append(
            [
                category,
                customers,
                customers / frame.height if frame.height else 0.0,
                int(value or 0) / 10_000,
                int(value_positive or 0) / positive if positive else None,
            ]
        )
    rows.append(["total", frame.height, 1.0, net / 10_000, 1.0 if positive else None])
    return rows
