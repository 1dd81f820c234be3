"""The benchmark job written by hand in pandas, as a user without tierkit would write it.

The same job as bench/abc_polars.py: cash received over the six months before the as-of date
(summed exactly in whole cents), customers ordered by total (largest first, ties by
customer_id), A while the share held by the customers strictly ahead is below 80%, B below
95%, C from there on (compared in integers). Customers who paid nothing count 0.

    python bench/abc_pandas.py DATA_FOLDER OUT.parquet
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

AS_OF = date(2026, 1, 1)
START = date(2025, 7, 1)


def abc(folder: Path, start: date = START, as_of: date = AS_OF) -> pd.DataFrame:
    """``customer_id`` and ``category`` for every customer (in ranking order)."""
    customers = pd.read_parquet(folder / "customers.parquet", columns=["customer_id"])
    payments = pd.read_parquet(
        folder / "payments.parquet",
        columns=["customer_id", "paid_at", "amount"],
        filters=[("paid_at", ">=", start), ("paid_at", "<", as_of)],
    )
    payments["cents"] = (payments["amount"] * 100).astype("int64")  # Decimal → exact cents
    totals = payments.groupby("customer_id", sort=False)["cents"].sum()
    ranked = customers.assign(cents=customers["customer_id"].map(totals).fillna(0).astype("int64"))
    ranked = ranked.sort_values(["cents", "customer_id"], ascending=[False, True])
    cents = ranked["cents"].to_numpy()
    ahead = np.cumsum(cents) - cents
    grand = int(cents.sum())
    category = np.select([ahead * 100 < grand * 80, ahead * 100 < grand * 95], ["A", "B"], "C")
    return pd.DataFrame({"customer_id": ranked["customer_id"].to_numpy(), "category": category})


def main(argv: list[str]) -> None:
    folder, out = Path(argv[0]), Path(argv[1])
    abc(folder).to_parquet(out, index=False)


if __name__ == "__main__":
    main(sys.argv[1:])
