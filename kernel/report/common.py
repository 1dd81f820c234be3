"""What every section of the report's data shares: column names, limits, JSON-ready values."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import polars as pl

from tierkit import defaults
from tierkit.evaluation.value_shares import category_values, with_shares
from tierkit.history import RunInfo, StoredDecision
from tierkit.history.compare import label, label_expr
from tierkit.report.types import CategoryRow

ID = "customer_id"
VALUE = "value"
MAX_CUSTOMERS = defaults.REPORT_MAX_CUSTOMERS
"""The most customers the report's table embeds; more are cut, the most valuable kept."""
MOVERS = defaults.REPORT_MOVERS
"""How many of the biggest movers the report lists."""
PARETO_POINTS = 400
"""About how many points draw the Pareto curve, whatever the number of customers."""
TEXT_VALUES = 8
"""The most distinct values shown for a text criterion; the rest are counted as 'other'."""


@dataclass(frozen=True)
class ReportOptions:
    """What to cut, for big runs."""

    max_customers: int = MAX_CUSTOMERS
    movers: int = MOVERS


def category_expr(results: pl.DataFrame, decision: str) -> pl.Expr:
    return label_expr(decision, results.schema[decision]).alias("__category")


def json_number(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return None if math.isnan(number) or math.isinf(number) else number


def plain_value(value: Any) -> Any:
    if isinstance(value, float):
        return json_number(value)
    if value is None or isinstance(value, bool | int | str):
        return value
    return str(value)


def plain_row(row: Mapping[str, Any]) -> dict[str, Any]:
    return {k: plain_value(v) for k, v in row.items()}


def category_rows(
    manifest: Mapping[str, Any], results: pl.DataFrame, decision: str, outcomes: list[str]
) -> list[CategoryRow]:
    """Customers and value of each category, as the manifest counted them; empty categories
    too, with zeros. Value shares are of the positive total; a manifest written before they
    were (without ``value_positive``) is counted again from the results."""
    stored = manifest.get("categories") or []
    counted = {label(c.get("category")): c for c in stored}
    if not counted or any("value_positive" not in c for c in stored):
        counted = _count_categories(results, decision)
    rows: list[CategoryRow] = []
    for outcome in [*outcomes, *(c for c in counted if c not in outcomes)]:
        found = counted.get(outcome) or {}
        rows.append(
            {
                "category": outcome,
                "customers": int(found.get("customers") or 0),
                "customer_share": float(found.get("customer_share") or 0.0),
                "value": float(found.get("value") or 0.0),
                "value_positive": float(found.get("value_positive") or 0.0),
                "value_losses": float(found.get("value_losses") or 0.0),
                "value_share": found.get("value_share"),
            }
        )
    return rows


def _count_categories(results: pl.DataFrame, decision: str) -> dict[str, dict[str, Any]]:
    rows = category_values(results, category_expr(results, decision))
    return {str(r["category"]): r for r in with_shares(rows, results.height)}


def other_decisions(info: RunInfo, results: pl.DataFrame, primary: str) -> list[StoredDecision]:
    return [d for n, d in info.decisions.items() if n != primary and n in results.columns]
