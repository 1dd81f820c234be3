"""The Pareto and whale curves of the report: value against customers, best first."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import polars as pl

from tierkit.contract import MONEY_SCALE
from tierkit.report.common import (
    PARETO_POINTS,
    VALUE,
)
from tierkit.report.types import CategoryRow


def pareto(results: pl.DataFrame, decision: str, categories: list[CategoryRow]) -> dict[str, Any]:
    """Cumulative value share against customer share, customers sorted by value, largest first;
    about :data:`PARETO_POINTS` points, and each category's band of customer share."""
    bands: list[dict[str, Any]] = []
    start = 0.0
    for row in categories:
        end = start + float(row["customer_share"])
        if row["customers"]:
            bands.append(
                {
                    "category": row["category"],
                    "from": round(start, 6),
                    "to": round(min(end, 1.0), 6),
                    "customer_share": row["customer_share"],
                    "value_share": row["value_share"],
                }
            )
        start = end
    if VALUE not in results.columns or results.is_empty():
        why = "The run has no customers." if results.is_empty() else "The run has no value."
        return {"points": [], "bands": bands, "note": why}
    units = _sorted_units(results)
    positive = units.clip(lower_bound=0)
    total = int(positive.sum())
    if total <= 0:
        return {
            "points": [],
            "bands": bands,
            "note": "No customer has a positive value: no Pareto curve.",
        }
    n = units.len()
    keep = _sample(n)
    for band in bands:  # exact points at the category boundaries
        keep.add(max(0, min(n - 1, round(float(band["to"]) * n) - 1)))
    top = {"share": 0.2, "index": max(0, math.ceil(0.2 * n) - 1)}
    keep.add(int(top["index"]))
    kept = sorted(keep)
    # shares of the positive total: loss-makers add nothing, the curve ends flat at 100%
    cumulative = dict(zip(kept, positive.cum_sum().gather(kept).to_list(), strict=True))
    points = [[0.0, 0.0]] + [[round((i + 1) / n, 6), round(cumulative[i] / total, 6)] for i in kept]
    top_20 = round(cumulative[int(top["index"])] / total, 6)
    return {"points": points, "bands": bands, "top_20_value_share": top_20, "note": None}


def _sorted_units(results: pl.DataFrame) -> pl.Series:
    """The customers' values in exact units (ten-thousandths), largest first; missing is 0."""
    value = results[VALUE].cast(pl.Float64).fill_null(0.0).fill_nan(0.0)
    return (value * MONEY_SCALE).round(0).cast(pl.Int128).sort(descending=True)


def _sample(n: int) -> set[int]:
    """About :data:`PARETO_POINTS` evenly spread indexes of ``n`` customers, the last one too."""
    step = max(1, n // PARETO_POINTS)
    return set(range(step - 1, n, step)) | {n - 1}


# --------------------------------------------------------------------------------------------
# whale curve


def whale(results: pl.DataFrame, strategy: str | None, totals: Mapping[str, Any]) -> dict[str, Any]:
    """Cumulative net value by customer rank, best first: the whale curve of profitability.

    Drawn for the net-profit strategy and whenever the values have losses. It rises to the
    positive total, above the net total (above 100% of it), and falls back to the net total
    with the loss-makers. ``points`` are ``[share of customers, cumulative net value]``;
    ``scale`` is the net total when it is positive (the page then shows percentages of it),
    else None (amounts). ``peak`` is where the curve turns: the customers with a positive
    value and what they earn.
    """
    losses = bool(totals.get("has_losses"))
    if (
        VALUE not in results.columns
        or results.is_empty()
        or not (losses or strategy == "net-profit")
    ):
        return {"points": [], "note": None}
    units = _sorted_units(results)
    n = units.len()
    cumulative = units.cum_sum()
    peak = int(cumulative.arg_max() or 0)  # the first highest point
    keep = sorted(_sample(n) | {peak})
    net = int(cumulative[-1])
    points = [[0.0, 0.0]] + [
        [round((i + 1) / n, 6), round(int(c) / MONEY_SCALE, 4)]
        for i, c in zip(keep, cumulative.gather(keep).to_list(), strict=True)
    ]
    high = int(cumulative[peak])
    return {
        "points": points,
        "scale": round(net / MONEY_SCALE, 4) if net > 0 else None,
        "net": round(net / MONEY_SCALE, 4),
        "peak": {
            "customers": peak + 1 if high > 0 else 0,
            "customer_share": round((peak + 1) / n, 6) if high > 0 else 0.0,
            "value": round(high / MONEY_SCALE, 4) if high > 0 else 0.0,
            "net_share": round(high / net, 6) if net > 0 else None,
        },
        "loss_makers": int((units < 0).sum()),
        "note": None,
    }
