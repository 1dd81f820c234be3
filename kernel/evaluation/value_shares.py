"""The value each category holds, and its share of the positive total.

Losses are normal (the net profit of a loss-making customer, a month of refunds), so a share
of the net total can exceed 100%, turn negative, or not exist (a net total of 0). Shares are
therefore taken of the **positive total**, the sum of the positive values: a category's share is
the positive value of its customers over it, so the shares lie in [0, 1] and add up to 1. The
net total and the losses are kept beside it. Sums are exact: whole numbers of ten-thousandths
(:data:`~tierkit.contract.MONEY_SCALE`), whatever the row order.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from tierkit.contract import MONEY_SCALE

VALUE = "value"


def category_values(
    results: pl.DataFrame, category: pl.Expr, value: str = VALUE
) -> list[dict[str, Any]]:
    """Per value of ``category``: customers, and the value of its customers in exact units
    (``units``: net, ``positive_units``: the positive values, ``loss_units``: the negative
    ones, at most 0). Without a ``value`` column every sum is 0."""
    if value in results.columns:
        exact = (pl.col(value).cast(pl.Float64) * MONEY_SCALE).round(0).cast(pl.Int128)
    else:
        exact = pl.lit(0, pl.Int128)
    zero = pl.lit(0, pl.Int128)
    summary = results.group_by(category.alias("category")).agg(
        pl.len().alias("customers"),
        exact.sum().alias("units"),
        pl.when(exact > 0).then(exact).otherwise(zero).sum().alias("positive_units"),
        pl.when(exact < 0).then(exact).otherwise(zero).sum().alias("loss_units"),
    )
    return [
        {
            "category": r["category"],
            "customers": int(r["customers"]),
            "units": int(r["units"] or 0),
            "positive_units": int(r["positive_units"] or 0),
            "loss_units": int(r["loss_units"] or 0),
        }
        for r in summary.iter_rows(named=True)
    ]


def with_shares(rows: list[dict[str, Any]], customers: int) -> list[dict[str, Any]]:
    """The rows of :func:`category_values` as the manifest records them: ``value`` (net),
    ``value_positive``, ``value_losses`` and ``value_share``, the share of the positive total
    (missing when no customer has a positive value)."""
    positive = sum(r["positive_units"] for r in rows)
    return [
        {
            "category": r["category"],
            "customers": r["customers"],
            "customer_share": round(r["customers"] / customers, 6) if customers else 0,
            "value": _amount(r["units"]),
            "value_positive": _amount(r["positive_units"]),
            "value_losses": _amount(r["loss_units"]),
            "value_share": round(r["positive_units"] / positive, 6) if positive else None,
        }
        for r in rows
    ]


def value_totals(rows: list[dict[str, Any]]) -> dict[str, float]:
    """The net total, the positive total and the losses (at most 0) of all customers."""
    return {
        "net": _amount(sum(r["units"] for r in rows)),
        "positive": _amount(sum(r["positive_units"] for r in rows)),
        "losses": _amount(sum(r["loss_units"] for r in rows)),
    }


def _amount(units: int) -> float:
    return round(units / MONEY_SCALE, 4)

