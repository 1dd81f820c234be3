"""Where a run's results live in the store: one zstd Parquet file per run, kept in a blob.

Since store version 3 a run's results frame is written as one Parquet file (zstd, the polars
writer, no row-by-row work) into a table of its own, ``run_blob_<seq>`` (one row, one blob),
named in ``runs.results_table``; the store stays one file and the results are saved in the same
transaction as the run. Parquet keeps the columns' order, names and rows; the frame's exact
polars schema is kept beside it (:mod:`tierkit.history.frames`) and restored when it is read.

A table per run keeps each save as cheap as the first: version 2 kept every run's blob in one
table, ``run_results``, and DuckDB rewrote that table's blobs at every checkpoint, so saving a
1M-customer run took 0.68 s into a new store and 1.5 s after eight runs (docs/performance.md).
Runs saved by version 2 (``results_table`` empty, the blob in ``run_results``) and by version 1
(one DuckDB table of columns per run) are read as before.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

import polars as pl

from tierkit.history.compare import ID
from tierkit.history.database import SCHEMA_VERSION, first_row
from tierkit.history.errors import StoreError
from tierkit.history.frames import ROW, decode_results, quote, stored_name

if TYPE_CHECKING:
    import duckdb

IN_BLOB = ""
"""``runs.results_table`` of a run saved by store version 2: its blob is in ``run_results``."""

BLOB_TABLE = "run_blob_"
"""How the table holding one run's Parquet blob is named (store version 3): ``run_blob_<seq>``."""


def to_parquet(frame: pl.DataFrame) -> bytes:
    """``frame`` (as :func:`~tierkit.history.frames.encode_portable` made it) as Parquet."""
    buffer = io.BytesIO()
    frame.write_parquet(buffer, compression="zstd", compression_level=1)
    return buffer.getvalue()


def save_results(con: duckdb.DuckDBPyConnection, seq: int, data: bytes) -> str:
    """Store the Parquet bytes of the run numbered ``seq`` in a table of its own; returns the
    table's name (the store is marked as version 3 first)."""
    table = f"{BLOB_TABLE}{seq}"
    con.execute(
        "update tierkit_meta set value = ? "
        "where key = 'schema_version' and cast(value as integer) < ?",
        [str(SCHEMA_VERSION), SCHEMA_VERSION],
    )
    con.execute(f"create table {quote(table)} (data blob)")
    con.execute(f"insert into {quote(table)} values (?)", [data])
    return table


def drop_results(con: duckdb.DuckDBPyConnection, run_id: str, table: str) -> None:
    """Delete a replaced run's results, wherever they are."""
    if table == IN_BLOB:
        con.execute("delete from run_results where run_id = ?", [run_id])
    else:
        con.execute(f"drop table if exists {quote(table)}")


def load_results(
    con: duckdb.DuckDBPyConnection,
    run: tuple[Any, ...],
    customer_id: str | None = None,
    columns: list[str] | None = None,
) -> pl.DataFrame:
    """A run's results frame as saved; only the row of ``customer_id`` when given, and only
    the ``columns`` it has of those named (in its own order) when given.

    ``run`` is the run's ``run_id, results_table, results_schema, results_as_text``. Reading
    only the columns a run needs of its previous run (its id and decisions) skips decoding the
    rest: at 1M customers 0.36 s became about 0.1 s.
    """
    run_id, table, schema, as_text = str(run[0]), str(run[1]), bytes(run[2]), str(run[3])
    if table == IN_BLOB or table.startswith(BLOB_TABLE):
        row = (
            first_row(con, "select data from run_results where run_id = ?", [run_id])
            if table == IN_BLOB
            else first_row(con, f"select data from {quote(table)}")
        )
        if row is None:
            raise StoreError(f"run {run_id}: its results are missing from the store")
        plan = pl.scan_parquet(io.BytesIO(bytes(row[0])))
        if customer_id is not None:
            plan = plan.filter(pl.col(ID) == customer_id)
        if columns is not None:
            # the blob keeps the frame's own names (encode_portable), in the frame's order
            kept = [n for n in pl.read_ipc_schema(io.BytesIO(schema)) if n in columns]
            plan = plan.select(kept)
            return decode_results(plan.collect(), schema, as_text, columns)
        return decode_results(plan.collect(), schema, as_text)
    where, params = "", []
    if customer_id is not None:
        where, params = f" where {quote(stored_name(schema, ID))} = ?", [customer_id]
    frame: pl.DataFrame = con.sql(
        f"select * from {quote(table)}{where} order by {ROW}", params=params
    ).pl()
    decoded = decode_results(frame, schema, as_text)
    return (
        decoded if columns is None else decoded.select(c for c in decoded.columns if c in columns)
    )
