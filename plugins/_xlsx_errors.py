"""The error cells (``#N/A``, ``#DIV/0!``) of an .xlsx file's first sheet.

calamine reads an error cell as an empty one, so an amount that is ``#N/A`` would be a missing
amount and a customer's payment would add nothing, silently. The sheet's XML is searched for
them (a cell with ``t="e"``, about as fast as unzipping it), and :func:`with_error_text` puts
their text back, as Excel's own CSV export writes it: an amount ``#N/A`` is then refused with
its row and column like any other text that is not an amount.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import polars as pl

_CELL = re.compile(rb'<c r="([A-Z]{1,3})(\d+)"[^>]*?\st="e"[^>]*>(.*?)</c>', re.DOTALL)
_VALUE = re.compile(rb"<v>([^<]*)</v>")
_FIRST_SHEET = re.compile(rb'<sheet\b[^>]*?\br:id="([^"]+)"')
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


def error_cells(path: Path) -> list[tuple[int, int, str]]:
    """The sheet row (from 1), column (from 0) and text of every error cell of the first
    sheet; nothing when the file is not a workbook tierkit can look into."""
    try:
        with zipfile.ZipFile(path) as archive:
            sheet = _first_sheet(archive)
            if sheet is None:
                return []
            found: dict[tuple[int, int], str] = {}
            with archive.open(sheet) as xml:
                tail = b""
                while chunk := xml.read(_CHUNK):
                    window = tail + chunk
                    tail = window[-_OVERLAP:]
                    if b't="e"' not in window:  # the usual case: no error cell at all
                        continue
                    for cell in _CELL.finditer(window):
                        value = _VALUE.search(cell.group(3))
                        text = value.group(1).decode("utf-8", "replace") if value else "#N/A"
                        found[(int(cell.group(2)), _column(cell.group(1)))] = text
    except (OSError, KeyError, zipfile.BadZipFile, ValueError):
        return []
    return [(row, column, text) for (row, column), text in sorted(found.items())]


def _column(letters: bytes) -> int:
    place = 0
    for letter in letters:
        place = place * 26 + letter - ord("A") + 1
    return place - 1


def with_error_text(frame: pl.DataFrame, path: Path) -> pl.DataFrame:
    """``frame`` (the first sheet read with its header on row 1) with each error cell's text
    in place of the empty value calamine gives it."""
    import polars as pl

    cells = error_cells(path)
    if not cells:
        return frame
    columns: dict[int, tuple[list[int], list[str]]] = {}
    for row, column, text in cells:
        if row >= 2 and column < frame.width and row - 2 < frame.height:
            rows, texts = columns.setdefault(column, ([], []))
            rows.append(row - 2)
            texts.append(text)
    patched = []
    for column, (rows, texts) in columns.items():
        name = frame.columns[column]
        values = frame[name].cast(pl.String).scatter(rows, texts)
        patched.append(values.alias(name))
    return frame.with_columns(patched) if patched else frame
