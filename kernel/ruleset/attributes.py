"""Columns of the customers table used as criteria: ``region: {use: customer.region}``.

Such a criterion is not declared by a plugin: the ruleset names the column, and this module
builds a :class:`~tierkit.contract.Criterion` for it that needs the column in the customers
table, with the declared type. The data layer then checks the column like any other a
criterion needs (a missing column names the table, the column and the ruleset line; a value
that cannot be read as the type is reported with example rows), and parses it into the type.

The type is declared, not guessed: a ruleset is checked when it loads, before any data is
known, so ``type:`` (text, number, date or boolean) says what the conditions may do with the
value. It defaults to text, and to date for ``since`` (the customer-since date of the data
contract, which ``tenure.months`` reads as a date as well).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from tierkit.contract import (
    CUSTOMER_KEY,
    Column,
    ColumnType,
    Criterion,
    TableNeed,
    Tables,
    ValueType,
    Window,
)
from tierkit.ruleset.compiled import CriterionBinding

if TYPE_CHECKING:
    import narwhals.stable.v2 as nw

PREFIX = "customer."
"""``use: customer.COLUMN`` names a column of the customers table (never a plugin criterion)."""

TABLE = "customers"
NOT_ATTRIBUTES = frozenset({"customer_id", "name", CUSTOMER_KEY})
"""Columns that are the customer itself, not an attribute of it."""

TYPES: Mapping[str, tuple[ValueType, ColumnType]] = {
    "text": (ValueType.TEXT, ColumnType.TEXT),
    "number": (ValueType.NUMBER, ColumnType.NUMBER),
    "date": (ValueType.DATE, ColumnType.DATE),
    "boolean": (ValueType.BOOLEAN, ColumnType.BOOLEAN),
}
DEFAULT_TYPES: Mapping[str, str] = {"since": "date"}
"""Columns of the data contract whose type is not text (docs/data-formats.md)."""


def attribute_column(use: str) -> str | None:
    """The column ``use: customer.COLUMN`` names, or None for any other criterion."""
    return use[len(PREFIX) :] if use.startswith(PREFIX) else None


def default_type(column: str) -> str:
    return DEFAULT_TYPES.get(column, "text")


def attribute_criterion(column: str, type_name: str, where: str = "") -> Criterion:
    """The criterion that reads ``column`` of the customers table as ``type_name``.

    ``where`` (the ruleset's ``file:line:column``) is part of the criterion's name as the data
    layer shows it, so a missing column points back at the line that asked for it.
    """
    value_type, column_type = TYPES[type_name]
    name = PREFIX + column
    return Criterion(
        name=f"{name} ({where})" if where else name,
        title=column.replace("_", " ").capitalize(),
        unit=type_name,
        better="neither",
        description=f"The customers table's column '{column}', read as {type_name}.",
        needs=(
            TableNeed(TABLE, (Column("customer_id", ColumnType.ID), Column(column, column_type))),
        ),
        compute=_reader(column),
        type=value_type,
        neutral=None,
        per_period=False,
        plugin="tierkit (customer attributes)",
    )


def _reader(column: str) -> Any:
    def compute(tables: Tables, window: Window, params: Mapping[str, Any]) -> nw.LazyFrame[Any]:
        import narwhals.stable.v2 as nw  # when an evaluation computes, not when a ruleset loads

        customers = tables[TABLE]
        names = customers.collect_schema().names()
        who = CUSTOMER_KEY if CUSTOMER_KEY in names else "customer_id"
        return customers.select(
            nw.col(who), nw.lit(-1, dtype=nw.Int64).alias("period"), nw.col(column).alias("value")
        )

    return compute


def criterion_for(binding: CriterionBinding, registered: Mapping[str, Criterion]) -> Criterion:
    """The criterion a binding computes: a plugin's, or a customers column's."""
    if binding.attribute is not None:
        return attribute_criterion(binding.attribute, binding.type.base, binding.where)
    return registered[binding.criterion]


def criteria_for(
    bindings: Iterable[CriterionBinding], registered: Mapping[str, Criterion]
) -> dict[str, Criterion]:
    """The criteria of ``bindings`` by their registry names (``customer.COLUMN`` included)."""
    return {b.criterion: criterion_for(b, registered) for b in bindings}
