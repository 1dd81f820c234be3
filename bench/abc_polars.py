"""The benchmark job written by hand in polars, as a user without tierkit would write it.

Cash received over the six months before the as-of date, then ABC by cumulative share:
customers ordered by total (largest first, ties by customer_id); the share of a customer is the
share of the grand total held by the customers strictly ahead of it; A below 80%, B below 95%,
C from there on. Money is summed exactly (whole cents), and the shares are compared in
integers, so no row order can change a category. Customers who paid nothing count 0.

    python bench/abc_polars.py DATA_FOLDER OUT.parquet
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import polars as pl

AS_OF = date(2026, 1, 1)
START = date(2025, 7, 1)


def abc(folder: Path, start: date = START, as_of: date = AS_OF) -> pl.DataFrame:
    """``customer_id`` and ``category`` for every customer (in ranking order)."""
    totals = (
        pl.scan_parquet(folder / "payments.parquet")
        .filter((pl.col("paid_at") >= start) & (pl.col("paid_at") < as_of))
        .group_by("customer_id")
        .agg(pl.col("amount").sum().alias("total"))
    )
    cents = (pl.col("total") * 100).cast(pl.Int64).fill_null(0)
    ahead = pl.col("cents").cum_sum() - pl.col("cents")
    grand = pl.col("cents").sum()
    return (
        pl.scan_parquet(folder / "customers.parquet")
        .select("customer_id")
        .join(totals, on="customer_id", how="left")
        .select("customer_id", cents.alias("cents"))
        .sort(["cents", "customer_id"], descending=[True, False])
        .select(
            "customer_id",
            pl.when(ahead * 100 < grand * 80)
            .then(pl.lit("A"))
            .when(ahead * 100 < grand * 95)
            .then(pl.lit("B"))
            .otherwise(pl.lit("C"))
            .alias("category"),
        )
        .collect()
    )


def main(argv: list[str]) -> None:
    folder, out = Path(argv[0]), Path(argv[1])
    abc(folder).write_parquet(out)


if __name__ == "__main__":
    main(sys.argv[1:])
