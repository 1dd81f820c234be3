"""Cells of an .xlsx file's first sheet that calamine reads as empty although they are not.

- **Error cells** (``#N/A``, ``#DIV/0!``): an amount that is ``#N/A`` would be a missing amount,
  and a customer's payment would add nothing, silently. :func:`with_error_text` puts their text
  back, as Excel's own CSV export writes it: an amount ``#N/A`` is then refused with its row and
  column like any other text that is not an amount.
- **Formulas without a saved result**: Excel and LibreOffice save each formula's result beside
  it, but a file written by a script (openpyxl, for one) holds the formula alone. Its cells would
  read as empty; :func:`unsaved_formulas` names them so that the file is refused.

The sheet's XML is searched for both (about as fast as unzipping it); a sheet with neither,
the usual case, is skipped chunk by chunk.
"""

from __future__ import annotations

import html
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from tierkit.errors import DataProblem

if TYPE_CHECKING:
    import polars as pl

# Element names may carry a namespace prefix (<x:c>, as some .NET writers give them), and the
# cell's attributes may come in any order.
_NS = rb"(?:\w+:)?"
_CELL = re.compile(
    rb"<" + _NS + rb'c\b(?=[^>]*\st="e")([^>]*?)(?<!/)>(.*?)</' + _NS + rb"c>", re.DOTALL
)
_FORMULA_CELL = re.compile(rb"<" + _NS + rb"c\b([^>]*?)(?<!/)>(.*?)</" + _NS + rb"c>", re.DOTALL)
_PLACE = re.compile(rb'\sr="([A-Z]{1,3})(\d+)"')
_FORMULA = re.compile(rb"<" + _NS + rb"f\b[^>]*?(?:/>|>(.*?)</" + _NS + rb"f>)", re.DOTALL)
_ANY_FORMULA = re.compile(rb"<" + _NS + rb"f\b")
_VALUE = re.compile(rb"<" + _NS + rb"v>([^<]*)</" + _NS + rb"v>")
_SAVED = re.compile(rb"<" + _NS + rb"v>")
_FIRST_SHEET = re.compile(rb'<sheet\b[^>]*?\br:id="([^"]+)"')
_SHEET = re.compile(rb"<" + _NS + rb"sheet\b([^>]*)>")
_HIDDEN = re.compile(rb'\sstate="(?:hidden|veryHidden)"')
_NAME = re.compile(rb'\sname="([^"]*)"')
_CHUNK = 1 << 24
_OVERLAP = 1 << 12
"""Bytes kept from the chunk before: more than one error cell's XML."""


def _first_sheet(archive: zipfile.ZipFile) -> str | None:
    """The path in the archive of the workbook's first sheet (the one calamine reads)."""
    try:
        book = archive.read("xl/workbook.xml")
        rels = archive.read("xl/_rels/workbook.xml.rels").decode("utf-8", "replace")
    except KeyError:
        return None
    first = _FIRST_SHEET.search(book)
    if not first:
        return None
    ref = re.escape(first.group(1).decode("utf-8", "replace"))
    found = re.search(rf'<Relationship\b[^>]*\bId="{ref}"[^>]*\bTarget="([^"]+)"', rels)
    found = found or re.search(rf'<Relationship\b[^>]*\bTarget="([^"]+)"[^>]*\bId="{ref}"', rels)
    if not found:
        return None
    target = found.group(1)
    return target.lstrip("/") if target.startswith("/") else str(PurePosixPath("xl") / target)


def hidden_first_sheet(path: Path) -> DataProblem | None:
    """Why the workbook cannot be read if its first sheet is hidden: tierkit reads the first
    sheet, and a hidden one (a template, last month's table) is not the table the analyst sees."""
    try:
        with zipfile.ZipFile(path) as archive:
            book = archive.read("xl/workbook.xml")
    except (KeyError, OSError, zipfile.BadZipFile):
        return None  # not readable as a workbook: calamine says why
    first = _SHEET.search(book)
    if not first or not _HIDDEN.search(first.group(1)):
        return None
    found = _NAME.search(first.group(1))
    name = html.unescape(found.group(1).decode("utf-8", "replace")) if found else ""
    return DataProblem(
        str(path),
        f"its first sheet, '{name}', is hidden; tierkit reads the first sheet only: move the"
        " table to the first sheet, or delete or unhide the hidden one",
    )


Cell = tuple[int, int, str]
"""The sheet row (from 1), the column (from 0) and a text: an error's, or a formula's."""

_CONTENT = re.compile(rb"<" + _NS + rb"c\b([^>]*?)(?<!/)>\s*<" + _NS + rb"(?:v|is|f)\b")
"""A cell with something in it: calamine's table starts at the first row and the first column
that have one."""


@dataclass
class SheetCells:
    """What the first sheet's XML says that calamine's reading of it does not."""

    errors: list[Cell] = field(default_factory=list)
    """Error cells, with their text (``#N/A``)."""
    unsaved: list[Cell] = field(default_factory=list)
    """Formula cells without a saved result, with their formula (``=C2*2``)."""
    first_row: int = 1
    """The sheet row of the table's first row (the column names): calamine skips empty rows
    and columns above and left of the first cell with something in it."""
    first_column: int = 0

    def frame_row(self, row: int) -> int:
        """The index in the frame read with ``drop_empty_rows=False`` of sheet row ``row``."""
        return row - self.first_row - 1


def odd_cells(path: Path) -> SheetCells:
    """The error cells, the unsaved formulas and where the table starts, in the first sheet;
    nothing when the file is not a workbook tierkit can look into."""
    found = SheetCells()
    errors: dict[tuple[int, int], str] = {}
    unsaved: dict[tuple[int, int], str] = {}
    first: tuple[int, int] | None = None
    try:
        with zipfile.ZipFile(path) as archive:
            sheet = _first_sheet(archive)
            if sheet is None:
                return found
            with archive.open(sheet) as xml:
                tail = b""
                while chunk := xml.read(_CHUNK):
                    window = tail + chunk
                    tail = window[-_OVERLAP:]
                    if first is None or first[1] > 0:  # the table's corner, until column A
                        for cell in _CONTENT.finditer(window):
                            if (at := _place(cell.group(1))) is None:
                                continue
                            first = at if first is None else (first[0], min(first[1], at[1]))
                            if first[1] == 0:
                                break
                    if b't="e"' in window:
                        for cell in _CELL.finditer(window):
                            if (at := _place(cell.group(1))) is None:
                                continue
                            value = _VALUE.search(cell.group(2))
                            text = value.group(1).decode("utf-8", "replace") if value else "#N/A"
                            errors[at] = text
                    if _ANY_FORMULA.search(window):
                        for cell in _FORMULA_CELL.finditer(window):
                            body = cell.group(2)
                            formula = _FORMULA.search(body)
                            if formula is None or _SAVED.search(body):
                                continue
                            if (at := _place(cell.group(1))) is None:
                                continue
                            text = (formula.group(1) or b"").decode("utf-8", "replace")
                            unsaved[at] = "=" + text
    except (OSError, KeyError, zipfile.BadZipFile, ValueError):
        return SheetCells()
    found.errors, found.unsaved = _sorted(errors), _sorted(unsaved)
    if first is not None:
        found.first_row, found.first_column = first
    return found


def _sorted(found: dict[tuple[int, int], str]) -> list[Cell]:
    return [(row, column, text) for (row, column), text in sorted(found.items())]


def _place(attributes: bytes) -> tuple[int, int] | None:
    """The row (from 1) and column (from 0) a cell's ``r`` attribute gives, if it has one."""
    found = _PLACE.search(attributes)
    return None if found is None else (int(found.group(2)), _column(found.group(1)))


def _column(letters: bytes) -> int:
    place = 0
    for letter in letters:
        place = place * 26 + letter - ord("A") + 1
    return place - 1


def with_error_text(frame: pl.DataFrame, cells: SheetCells) -> pl.DataFrame:
    """``frame`` (the first sheet as calamine reads it, empty rows kept) with the text of each
    error cell in place of the empty value calamine gives it."""
    import polars as pl

    columns: dict[int, tuple[list[int], list[str]]] = {}
    for row, column, text in cells.errors:
        index, place = cells.frame_row(row), column - cells.first_column
        if 0 <= index < frame.height and 0 <= place < frame.width:
            rows, texts = columns.setdefault(place, ([], []))
            rows.append(index)
            texts.append(text)
    patched = []
    for place, (rows, texts) in columns.items():
        name = frame.columns[place]
        values = frame[name].cast(pl.String).scatter(rows, texts)
        patched.append(values.alias(name))
    return frame.with_columns(patched) if patched else frame


def unsaved_formulas_problem(origin: str, cells: SheetCells, columns: list[str]) -> DataProblem:
    """The problem of a sheet whose formula cells have no saved result, naming the first few
    by row, column name and cell reference."""
    from openpyxl.utils import get_column_letter

    def name(column: int) -> str:
        place = column - cells.first_column
        return columns[place] if 0 <= place < len(columns) else "?"

    examples = [
        f"row {row}, column '{name(column)}' ({get_column_letter(column + 1)}{row}): {formula}"
        for row, column, formula in cells.unsaved[:5]
    ]
    count = len(cells.unsaved)
    return DataProblem(
        origin,
        f"{count:,} formula cell{'s' if count > 1 else ''} without a saved result (the file was "
        "written by a program that does not calculate formulas, so the cells would read as "
        "empty); open the file in Excel or LibreOffice and save it, or write the values",
        count=count,
        examples=examples,
    )
