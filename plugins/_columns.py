"""Shorthands for declaring the tables and columns built-in criteria need."""

from __future__ import annotations

from tierkit.contract import Column, ColumnType, TableNeed

ID = ColumnType.ID
NUMBER = ColumnType.NUMBER
MONEY = ColumnType.MONEY
DATE = ColumnType.DATE


def need(table: str, *columns: tuple[str, ColumnType] | tuple[str, ColumnType, bool]) -> TableNeed:
    """``need("payments", ("customer_id", ID), ("due_at", DATE, True))`` — True marks optional."""
    return TableNeed(
        table,
        tuple(Column(c[0], c[1], bool(c[2]) if len(c) > 2 else False) for c in columns),
    )
