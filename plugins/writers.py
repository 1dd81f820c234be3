"""Built-in output formats for results: CSV, Parquet, JSON and Excel (spreadsheet-safe)."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from tierkit.contract import Writer
from tierkit.errors import UsageError
from tierkit.hookspecs import hookimpl
from tierkit.plugins._spreadsheet import (
    ERROR_CODES,
    FORMULA_START,
    MAX_COLUMNS,
    MAX_ROWS,
    clean_text,
    column_width,
    csv_safe,
    is_formula_like,
    number_format,
    summary_rows,
)

if TYPE_CHECKING:  # polars is imported by the functions that read or write
    import polars as pl


def _csv(frame: pl.DataFrame, path: str) -> None:
    csv_safe(frame).write_csv(path)


def _parquet(frame: pl.DataFrame, path: str) -> None:
    frame.write_parquet(path, statistics=False)


def _json(frame: pl.DataFrame, path: str) -> None:
    rows: list[dict[str, Any]] = frame.to_dicts()
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(rows, handle, ensure_ascii=False, indent=1, default=str)
        handle.write("\n")


def _xlsx(frame: pl.DataFrame, path: str) -> None:
    """A workbook with the results (frozen header, filters, number formats, widths) and a
    summary sheet; text is never a formula (see :mod:`tierkit.plugins._spreadsheet`)."""
    try:
        from openpyxl import Workbook
        from openpyxl.utils import get_column_letter
    except ImportError:
        raise UsageError(
            f"{path}: writing .xlsx needs openpyxl, which is not installed here; "
            'pip install "tierkit[excel]", or write .csv or .parquet'
        ) from None
    if frame.height + 1 > MAX_ROWS or frame.width > MAX_COLUMNS:
        raise UsageError(
            f"{path}: {frame.height:,} customers and {frame.width:,} columns do not fit an "
            f"Excel sheet (at most {MAX_ROWS - 1:,} rows and {MAX_COLUMNS:,} columns); "
            "write .csv or .parquet instead"
        )
    book = Workbook(write_only=True)
    sheet = book.create_sheet("results")
    sheet.freeze_panes = "A2"
    last = get_column_letter(max(frame.width, 1))
    sheet.auto_filter.ref = f"A1:{last}{frame.height + 1}"
    for index, name in enumerate(frame.columns, start=1):
        width = column_width(name, frame[name])
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.append([_text_cell(sheet, name, bold=True) for name in frame.columns])
    for row in _cells(sheet, frame):
        sheet.append(row)
    _summary_sheet(book, frame)
    book.save(path)


def _cells(sheet: Any, frame: pl.DataFrame) -> Iterator[list[Any]]:
    """The rows of ``frame`` as cells: numbers with formats, text that is never a formula.

    openpyxl writes each row as it is appended, so one formatted cell per column is reused
    for every row (a new styled cell per value takes three times as long).
    """
    import polars as pl
    from openpyxl.cell import WriteOnlyCell

    styled: list[Any] = []
    for name, dtype in frame.schema.items():
        fmt = number_format(name, dtype)
        cell = None if fmt is None else WriteOnlyCell(sheet)
        if cell is not None:
            cell.number_format = fmt
        styled.append(cell)
    texts = [t == pl.String for t in frame.schema.values()]
    for row in frame.iter_rows():
        cells: list[Any] = []
        for value, cell, text in zip(row, styled, texts, strict=True):
            if value is None:
                cells.append(None)
            elif text or isinstance(value, str):
                shown = str(value)
                plain = not shown.startswith(FORMULA_START) and shown not in ERROR_CODES
                cells.append(clean_text(shown) if plain else _text_cell(sheet, shown))
            elif cell is not None and not isinstance(value, bool):
                cell.value = _finite(value)
                cells.append(cell)
            else:
                cells.append(_finite(value) if isinstance(value, float) else _plain(value))
        yield cells


def _text_cell(sheet: Any, text: str, bold: bool = False) -> Any:
    """A cell holding ``text`` as text: never a formula, control characters replaced."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    cell = WriteOnlyCell(sheet, value=clean_text(text))
    if cell.data_type in ("f", "e"):  # a formula, or an error code such as #N/A
        cell.data_type = "s"
    if is_formula_like(text):
        cell.data_type = "s"
        cell.quotePrefix = True
    if bold:
        cell.font = Font(bold=True)
    return cell


def _finite(value: Any) -> Any:
    """NaN and infinity as text (an .xlsx number cannot hold them)."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


def _plain(value: Any) -> Any:
    """A value openpyxl writes as it is; lists and other shapes as their text."""
    if isinstance(value, bool | int | float | str | date | datetime | Decimal):
        return value
    return clean_text(json.dumps(value, default=str))


def _summary_sheet(book: Any, frame: pl.DataFrame) -> None:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    sheet = book.create_sheet("summary")
    sheet.freeze_panes = "A2"
    rows = summary_rows(frame)
    for column, width in zip("ABCDE", (24, 12, 20, 18, 24), strict=True):
        sheet.column_dimensions[column].width = width
    formats = {1: "#,##0", 2: "0.0%", 3: "#,##0.00", 4: "0.0%"}
    for number, row in enumerate(rows):
        cells = []
        for index, value in enumerate(row):
            if isinstance(value, str) or value is None:
                cell = _text_cell(sheet, value or "") if value is not None else None
                if number == 0 and cell is not None:
                    cell.font = Font(bold=True)
                cells.append(cell)
                continue
            cell = WriteOnlyCell(sheet, value=value)
            cell.number_format = formats.get(index, "General")
            cells.append(cell)
        sheet.append(cells)


@hookimpl(trylast=True)
def tierkit_writers() -> list[Writer]:
    return [
        Writer(
            "csv",
            (".csv",),
            "Comma-separated values, one row per customer (text a spreadsheet would run as "
            "a formula starts with an apostrophe).",
            _csv,
        ),
        Writer("parquet", (".parquet",), "Apache Parquet.", _parquet),
        Writer("json", (".json",), "A JSON list with one object per customer.", _json),
        Writer(
            "xlsx",
            (".xlsx",),
            "An Excel workbook: the results (frozen header, filters, number formats) and a "
            "summary sheet.",
            _xlsx,
        ),
    ]
