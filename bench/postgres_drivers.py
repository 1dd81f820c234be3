"""Measure PostgreSQL drivers reading 1M payments into Arrow (docs/decisions.md).

Starts a throwaway server with tests/pg_server.py (PostgreSQL's server binaries must be
installed), fills a ``payments`` table with ``generate_series``, and reads it with each driver
that is installed, in interleaved rounds. Prints wall time (best and median), the client's CPU
time and the server backends' CPU time (as reaped by the postmaster, Linux only)::

    pip install adbc-driver-postgresql connectorx "psycopg[binary]"
    python bench/postgres_drivers.py [ROWS]
"""

from __future__ import annotations

import io
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import pg_server

TYPES = (
    "customer_id text, paid_at date, amount numeric(18, 2), due_at date, invoice_id text, "
    "currency text"
)
FILL = """
create table payments ({types});
insert into payments
select 'C-' || (i % 50000), date '2024-01-01' + (i % 700)::int,
       ((i::bigint * 7919) % 1000000) / 100.0, date '2024-01-01' + (i % 700)::int + 30,
       'INV-' || i, 'EUR'
from generate_series(1, {rows}) i;
analyze payments;
"""


def candidates(url: str) -> dict[str, Callable[[], Any]]:
    query = "select * from payments"
    found: dict[str, Callable[[], Any]] = {}
    try:
        import adbc_driver_postgresql.dbapi as adbc

        def read_adbc() -> Any:
            with adbc.connect(url) as con, con.cursor() as cur:
                cur.execute(query)
                return cur.fetch_arrow_table()

        found["adbc-driver-postgresql"] = read_adbc
    except ImportError:
        pass
    try:
        import connectorx

        found["connectorx"] = lambda: connectorx.read_sql(url, query, return_type="arrow")
    except ImportError:
        pass
    try:
        import psycopg
        import pyarrow as pa
        import pyarrow.csv as pacsv

        types = {
            "customer_id": pa.string(),
            "paid_at": pa.date32(),
            "amount": pa.decimal128(18, 2),
            "due_at": pa.date32(),
            "invoice_id": pa.string(),
            "currency": pa.string(),
        }

        def read_copy() -> Any:
            buffer = io.BytesIO()
            with (
                psycopg.connect(url) as con,
                con.cursor() as cur,
                cur.copy(f"copy ({query}) to stdout (format csv)") as copy,
            ):
                for chunk in copy:
                    buffer.write(chunk)
            return pacsv.read_csv(
                io.BytesIO(buffer.getvalue()),
                read_options=pacsv.ReadOptions(column_names=list(types)),
                convert_options=pacsv.ConvertOptions(column_types=types),
            )

        found["psycopg COPY csv + pyarrow.csv"] = read_copy

        import narwhals.stable.v2 as nw

        from tierkit.plugins.postgres import open_postgres

        found["tierkit source, 6 columns"] = lambda: nw.to_native(
            open_postgres(url).tables["payments"]
        ).collect()
        found["tierkit source, 3 columns"] = lambda: (
            nw.to_native(open_postgres(url).tables["payments"])
            .select("customer_id", "paid_at", "amount")
            .collect()
        )
    except ImportError:
        pass
    return found


def main(rows: int) -> None:
    bindir = pg_server.find_bindir()
    if bindir is None:
        sys.exit("PostgreSQL's server binaries are not installed")
    folder = Path(tempfile.mkdtemp(prefix="tierkit-pg-bench-"))
    os.chmod(folder, 0o755)
    server = pg_server.start(bindir, folder / "cluster")
    try:
        server.psql(FILL.format(types=TYPES, rows=rows))
        postmaster = int((folder / "cluster/data/postmaster.pid").read_text().split()[0])
        tick = os.sysconf("SC_CLK_TCK")

        def server_cpu() -> float:
            fields = Path(f"/proc/{postmaster}/stat").read_text().rsplit(")", 1)[1].split()
            return (int(fields[13]) + int(fields[14])) / tick  # cutime + cstime

        reads = candidates(server.url())
        wall: dict[str, list[float]] = {n: [] for n in reads}
        client: dict[str, list[float]] = {n: [] for n in reads}
        backend: dict[str, list[float]] = {n: [] for n in reads}
        for _ in range(4):
            for name, read in reads.items():
                s0, c0, t0 = server_cpu(), time.process_time(), time.perf_counter()
                read()
                wall[name].append(time.perf_counter() - t0)
                client[name].append(time.process_time() - c0)
                time.sleep(0.3)  # let the postmaster reap the backend
                backend[name].append(server_cpu() - s0)
        print("| candidate | wall (best) | wall (median) | client CPU | server CPU |")
        print("| --- | --- | --- | --- | --- |")
        for name in reads:
            w = sorted(wall[name])
            print(
                f"| {name} | {w[0]:.2f} | {w[len(w) // 2]:.2f} | {min(client[name]):.2f} "
                f"| {min(backend[name]):.2f} |"
            )
    finally:
        pg_server.stop(server, folder / "cluster")
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
