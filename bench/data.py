"""Seeded benchmark data: N customers and exactly 20·N payments, as Parquet.

Written here rather than by ``tierkit demo`` because the demo decides for itself how many
payments each customer makes, and the benchmark needs exact sizes (10k / 200k, 100k / 2M,
1M / 20M, 10M / 200M). The tables have the demo's Parquet types: ``customer_id`` and ``name``
as text, ``paid_at`` as a date, ``amount`` as Decimal(18, 2).

What the data models: 8% of customers never pay; the others have a heavy-tailed size (a
lognormal weight), so a fifth to a third of them make up 80% of the cash, as ABC analysis
expects. Each payment goes to a customer with probability proportional to that weight, is dated
uniformly over the 12 months before the as-of date (so about half fall in the 6-month window),
and its amount is the customer's typical amount times a lognormal factor, in whole cents.

Payments are generated and written in chunks of :data:`CHUNK_ROWS`, each from its own random
stream seeded by (seed, chunk), so 200M payments need a few hundred MB, and the same
(customers, payments, seed) always gives the same files. Generated folders are cached under
``/tmp/tierkit-bench`` (``TIERKIT_BENCH_DATA`` to change) and reused.
"""

from __future__ import annotations

import os
import shutil
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

AS_OF = date(2026, 1, 1)
"""The as-of date of every benchmark run (exclusive end of the window)."""
WINDOW_START = date(2025, 7, 1)
"""The first day of the 6-month window: July–December 2025."""
HISTORY_START = date(2025, 1, 1)
"""Payments are dated from here to the day before :data:`AS_OF` (12 months)."""
PAYMENTS_PER_CUSTOMER = 20
CHUNK_ROWS = 4_000_000
INACTIVE_SHARE = 0.08
VERSION = 1
"""Part of the cache key: bump when the generator changes what it writes."""

CACHE = Path(os.environ.get("TIERKIT_BENCH_DATA", "/tmp/tierkit-bench"))
DONE = ".complete"


def customer_ids(customers: int) -> pl.Series:
    """C0000001, C0000002, …: at least seven digits, more for huge populations."""
    width = max(7, len(str(customers)))
    numbers = pl.int_range(1, customers + 1, eager=True).cast(pl.String).str.zfill(width)
    return ("C" + numbers).alias("customer_id")


def folder_for(customers: int, payments: int, seed: int, root: Path = CACHE) -> Path:
    return root / f"v{VERSION}-c{customers}-p{payments}-s{seed}"


def ensure_data(
    customers: int,
    seed: int = 7,
    payments: int | None = None,
    root: Path = CACHE,
    say: object = None,
) -> Path:
    """The folder holding the data for ``customers`` (generated once, then reused)."""
    payments = PAYMENTS_PER_CUSTOMER * customers if payments is None else payments
    folder = folder_for(customers, payments, seed, root)
    if (folder / DONE).exists():
        return folder
    if folder.exists():
        shutil.rmtree(folder)  # an interrupted earlier generation
    partial = folder.with_name(folder.name + ".partial")
    if partial.exists():
        shutil.rmtree(partial)
    partial.mkdir(parents=True)
    if callable(say):
        say(f"generating {customers:,} customers / {payments:,} payments in {folder}")
    write_data(partial, customers, payments, seed)
    (partial / DONE).write_text(f"{customers} {payments} {seed}\n")
    partial.rename(folder)
    return folder


def write_data(folder: Path, customers: int, payments: int, seed: int) -> None:
    """Write customers.parquet and payments.parquet into ``folder``."""
    ids = customer_ids(customers)
    pl.DataFrame(ids).with_columns(
        name=pl.format("Customer {}", pl.col("customer_id").str.slice(1))
    ).write_parquet(folder / "customers.parquet")

    rng = np.random.default_rng([seed, 0])
    weight = rng.lognormal(0.0, 1.1, customers)
    weight[rng.random(customers) < INACTIVE_SHARE] = 0.0
    if not weight.any():
        weight[0] = 1.0
    cdf = np.cumsum(weight)
    cdf /= cdf[-1]
    typical_cents = np.exp(rng.normal(np.log(25_000.0), 0.7, customers))  # about 250.00

    first = (HISTORY_START - date(1970, 1, 1)).days
    days = (AS_OF - HISTORY_START).days
    arrow_ids = ids.to_arrow().cast(pa.string())
    schema = pa.schema(
        [("customer_id", pa.string()), ("paid_at", pa.date32()), ("amount", pa.decimal128(18, 2))]
    )
    with pq.ParquetWriter(folder / "payments.parquet", schema) as writer:
        for chunk, start in enumerate(range(0, payments, CHUNK_ROWS)):
            rows = min(CHUNK_ROWS, payments - start)
            chunk_rng = np.random.default_rng([seed, 1, chunk])
            who = np.searchsorted(cdf, chunk_rng.random(rows), side="right")
            np.minimum(who, customers - 1, out=who)
            paid = (first + chunk_rng.integers(0, days, rows)).astype(np.int32)
            factor = chunk_rng.lognormal(0.0, 0.35, rows)
            cents = np.maximum(np.rint(typical_cents[who] * factor), 1).astype(np.int64)
            table = pa.table(
                [
                    arrow_ids.take(pa.array(who)),
                    pa.array(paid, pa.date32()),
                    _decimal_cents(cents),
                ],
                schema=schema,
            )
            writer.write_table(table)


def _decimal_cents(cents: np.ndarray) -> pa.Array:
    """Whole cents as Decimal(18, 2) (12345 → 123.45), built from the 128-bit storage."""
    storage = np.empty((len(cents), 2), dtype=np.int64)
    storage[:, 0] = cents
    storage[:, 1] = np.where(cents < 0, -1, 0)
    return pa.Array.from_buffers(pa.decimal128(18, 2), len(cents), [None, pa.py_buffer(storage)])


def ensure_demo(customers: int, seed: int = 7, root: Path = CACHE, say: object = None) -> Path:
    """The folder of ``tierkit demo --customers N --format parquet`` data (written once).

    The demo's own tables, as users get them: 24 months of activity before :data:`AS_OF`,
    about ten payments per customer, invoices, shipments, contracts and assessments.
    """
    import subprocess
    import sys

    folder = root / f"demo-{customers}-s{seed}"
    if (folder / DONE).exists():
        return folder
    partial = folder.with_name(folder.name + ".partial")
    for stale in (folder, partial):
        if stale.exists():
            shutil.rmtree(stale)
    if callable(say):
        say(f"generating the demo's {customers:,} customers in {folder}")
    tierkit = Path(sys.executable).with_name("tierkit")
    subprocess.run(
        [
            str(tierkit), "demo", "--customers", str(customers), "--seed", str(seed),
            "--as-of", AS_OF.isoformat(), "--out", str(partial), "--format", "parquet",
            "--no-evaluate",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    (partial / DONE).write_text(f"demo {customers} {seed}\n")
    partial.rename(folder)
    return folder


def payments_in(folder: Path) -> int:
    """How many payments the folder's data holds."""
    return int(pl.scan_parquet(folder / "payments.parquet").select(pl.len()).collect().item())
