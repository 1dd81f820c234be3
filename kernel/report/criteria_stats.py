"""The report's criteria section: per category, each criterion's numbers, true/false shares or
most common texts."""

from __future__ import annotations

from typing import Any

import polars as pl

from tierkit.history import (
    RunInfo,
)
from tierkit.history.store import SUFFIXES
from tierkit.report.common import (
    ID,
    TEXT_VALUES,
    VALUE,
    category_expr,
    json_number,
)


def criterion_columns(info: RunInfo, results: pl.DataFrame) -> list[str]:
    """The criterion and derived values the rules used: every results column that is not an
    id, a decision column, the value or a policy."""
    own = {ID, "name", VALUE}
    for name in info.decisions:
        own |= {name, *(name + s for s in SUFFIXES)}
    return [
        c
        for c in results.columns
        if c not in own
        and not c.startswith("policy.")
        and "::" not in c
        and not c.startswith("previous.")
        and not c.startswith("tierkit_")
    ]


def criteria(
    info: RunInfo, results: pl.DataFrame, decision: str, outcomes: list[str]
) -> list[dict[str, Any]]:
    """The distribution of each criterion per category.

    Numbers: count, missing, minimum, 5th percentile, quartiles, 95th percentile, maximum and
    mean. True/false values: the share that is true. Other values: the most frequent values.
    """
    category = category_expr(results, decision)
    found = []
    for column in criterion_columns(info, results):
        dtype = results.schema[column]
        if dtype.is_numeric():
            kind = "number"
            rows = _number_stats(results, column, category)
        elif dtype == pl.Boolean:
            kind = "boolean"
            rows = _boolean_stats(results, column, category)
        elif dtype in (pl.String, pl.Categorical) or isinstance(dtype, pl.Enum):
            kind = "text"
            rows = _text_stats(results, column, category)
        else:
            continue
        ordered = [rows.get(o) or {"category": o, "count": 0, "missing": 0} for o in outcomes]
        found.append({"name": column, "kind": kind, "per_category": ordered})
    return found


def _number_stats(
    results: pl.DataFrame, column: str, category: pl.Expr
) -> dict[str, dict[str, Any]]:
    x = pl.col(column).cast(pl.Float64)
    x = pl.when(x.is_nan()).then(None).otherwise(x)
    quantiles = {
        "p5": 0.05,
        "q1": 0.25,
        "median": 0.5,
        "q3": 0.75,
        "p95": 0.95,
    }
    stats = results.group_by(category).agg(
        x.count().alias("count"),
        x.null_count().alias("missing"),
        x.min().alias("min"),
        *(x.quantile(q, "linear").alias(k) for k, q in quantiles.items()),
        x.max().alias("max"),
        x.mean().alias("mean"),
    )
    return {
        str(r["__category"]): {
            "category": str(r["__category"]),
            **{
                k: (json_number(v) if k not in ("count", "missing") else int(v))
                for k, v in r.items()
                if k != "__category"
            },
        }
        for r in stats.iter_rows(named=True)
    }


def _boolean_stats(
    results: pl.DataFrame, column: str, category: pl.Expr
) -> dict[str, dict[str, Any]]:
    stats = results.group_by(category).agg(
        pl.col(column).count().alias("count"),
        pl.col(column).null_count().alias("missing"),
        pl.col(column).sum().alias("true"),
    )
    return {
        str(r["__category"]): {
            "category": str(r["__category"]),
            "count": int(r["count"]),
            "missing": int(r["missing"]),
            "true": int(r["true"] or 0),
            "share": round(int(r["true"] or 0) / int(r["count"]), 6) if r["count"] else None,
        }
        for r in stats.iter_rows(named=True)
    }


def _text_stats(results: pl.DataFrame, column: str, category: pl.Expr) -> dict[str, dict[str, Any]]:
    text = pl.col(column).cast(pl.String)
    common = (
        results.select(text.alias("v"))
        .drop_nulls()
        .group_by("v")
        .len()
        .sort(["len", "v"], descending=[True, False])
        .head(TEXT_VALUES)["v"]
        .to_list()
    )
    counts = (
        results.select(category, text.alias("v"))
        .with_columns(
            pl.when(pl.col("v").is_null() | pl.col("v").is_in(common))
            .then(pl.col("v"))
            .otherwise(pl.lit("(other)"))
        )
        .group_by("__category", "v")
        .len()
    )
    found: dict[str, dict[str, Any]] = {}
    for cat, value, n in counts.iter_rows():
        row = found.setdefault(
            str(cat), {"category": str(cat), "count": 0, "missing": 0, "values": {}}
        )
        if value is None:
            row["missing"] += int(n)
        else:
            row["count"] += int(n)
            row["values"][value] = int(n)
    for row in found.values():
        row["order"] = [v for v in [*common, "(other)"] if v in row["values"]]
    return found
