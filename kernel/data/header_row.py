"""Where the column names are when a table's first row does not hold them.

Reports exported from an ERP often start with a title ("Payments, December 2026") and a blank
line above the column names. tierkit reads the names from the first row only, so each needed
column is then reported missing; the hint says on which line the names were found instead.
"""

from __future__ import annotations

from collections.abc import Iterable

import polars as pl

from tierkit.data.parse import ROW

ROWS_LOOKED_AT = 20
"""How far down a table the column names are looked for."""


def names_row_hint(native: pl.LazyFrame, origin: str, missing: Iterable[str]) -> str:
    """A hint naming the row of ``native`` (as its file numbers it) that holds the most of the
    ``missing`` column names, at least two of them or the only one; empty when none does."""
    wanted = {name.casefold() for name in missing}
    if not wanted:
        return ""
    try:
        head = native.head(ROWS_LOOKED_AT).collect()
    except Exception:  # the table's own problems are reported when it is read
        return ""
    row_column = ROW if ROW in head.columns else None
    best: tuple[int, int] | None = None  # (names found, row number)
    for index, row in enumerate(head.iter_rows(named=True)):
        cells = {
            str(value).strip().casefold()
            for key, value in row.items()
            if key != row_column and value is not None
        }
        found = len(wanted & cells)
        if found >= min(2, len(wanted)) and (best is None or found > best[0]):
            number = row[row_column] if row_column else index + 2
            best = (found, int(number))
    if best is None:
        return ""
    where = "row" if origin.lower().endswith(".xlsx") else "line"
    return (
        f"; the column names seem to be on {where} {best[1]}, and tierkit reads them from the "
        f"first {where}: delete the {where}s above them"
    )
