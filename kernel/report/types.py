"""Typed pieces of the report's data: each is the JSON object the page's script reads.

They are :class:`~typing.TypedDict` classes, so a piece is the plain dictionary that is
serialised: typing them changes no byte of the page (``tests/report/page-data.json`` pins it).
"""

from __future__ import annotations

from typing import Any, Literal, TypedDict


class CategoryRow(TypedDict):
    """Customers and value of one category of the main decision."""

    category: str
    customers: int
    customer_share: float
    value: float
    value_positive: float
    value_losses: float
    value_share: float | None
    """Of the positive total; none when the manifest did not record it."""


class OverrideCounts(TypedDict):
    """Overrides in force when the run was made, and how many it applied."""

    in_force: int
    applied: int


class RunFacts(TypedDict):
    """The manifest's facts, flattened for the report's first section."""

    run_id: str
    created_at: str
    as_of: str
    ruleset: str
    ruleset_path: str | None
    ruleset_sha256: str | None
    strategy: str | None
    engine: str | None
    backend: str | None
    customers: int
    previous_run: str | None
    plugins: list[Any]
    data: list[dict[str, Any]]
    """One object per table read: ``table`` and what the manifest recorded of it."""
    timings: dict[str, float]
    overrides: OverrideCounts


class ValueTotals(TypedDict):
    """The run's net total, positive total and losses, and whether there are losses."""

    net: float
    positive: float
    losses: float
    has_losses: bool


class BreakdownCell(TypedDict):
    """Customers of one category with one value of another decision, and their value."""

    customers: int
    value: float


class Breakdown(TypedDict):
    """Another decision's values counted per category of the main decision."""

    decision: str
    kind: Literal["collect", "flag", "values"]
    labels: list[str]
    per_category: dict[str, dict[str, BreakdownCell]]
    """category → value label → cell"""
    total: dict[str, int]
    """value label → customers"""
