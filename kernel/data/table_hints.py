"""Hints for a table that is not found: what is there instead, under another name or kind."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

READ_KINDS = (".csv", ".parquet", ".xlsx")


def missing_table_hint(table: str, tables: Mapping[str, object], location: str) -> str:
    """Text to add to "no table 'payments'": the table under another case or with spaces
    (``Payments.CSV``), or a file of the table that tierkit does not read
    (``payments.csv.gz``, ``payments.xls``); empty when there is neither."""
    return _named_in_another_case(table, tables) or _unread_files(table, location)


def _named_in_another_case(table: str, tables: Mapping[str, object]) -> str:
    near = sorted(n for n in tables if n.strip().casefold() == table.casefold())
    if not near:
        return ""
    found = ", ".join(f"'{n}'" for n in near)
    return f"; found {found} (table names are matched exactly): rename it '{table}'"


def _unread_files(table: str, location: str) -> str:
    folder = Path(location)
    try:
        if not folder.is_dir():
            return ""
        unread = sorted(
            p.name
            for p in folder.iterdir()
            if p.name.split(".")[0].strip().casefold() == table.casefold()
            and p.suffix.lower() not in READ_KINDS
        )
    except OSError:
        return ""
    if not unread:
        return ""
    found = ", ".join(f"'{n}'" for n in unread[:3])
    return (
        f"; found {found}, which tierkit does not read: save the table as {table}.csv, "
        f"{table}.parquet or {table}.xlsx (uncompressed)"
    )
