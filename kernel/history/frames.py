"""Results frames in the store, restored with the exact polars schema.

A frame is stored as one Parquet file (:func:`encode_portable`, store version 2) or, in stores
of version 1, as one DuckDB table (:func:`encode_results`). Neither keeps every polars type:
Parquet and DuckDB return enums and categoricals as text, DuckDB time zones as UTC, and 128-bit
integers do not cross Arrow at all. So a frame is stored with its polars schema (an empty Arrow
IPC file, a stable format) and cast back to it when loaded: the frame comes back with the same
columns, types and row order.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass

import polars as pl

from tierkit.history.errors import StoreError

ROW = "tierkit_row"
"""A column added to every stored results table: the row's position, to restore the order."""

_AS_TEXT = {"Int128": pl.Int128, "UInt128": pl.UInt128}


@dataclass(frozen=True)
class EncodedResults:
    """A results frame ready for DuckDB, and what it takes to restore the original."""

    frame: pl.DataFrame
    """Stored column names (unique ignoring case, as DuckDB wants), storable types, ``ROW``."""
    schema: bytes
    """An empty Arrow IPC file with the original names and (nearly all) original types."""
    as_text: str
    """JSON: columns stored as text because Arrow has no such type (128-bit integers)."""


def encode_portable(results: pl.DataFrame) -> EncodedResults:
    """Prepare ``results`` for a Parquet file: the same names and rows, 128-bit integers as text."""
    objects = [n for n, t in results.schema.items() if t == pl.Object]
    if objects:
        raise StoreError(f"results column '{objects[0]}' holds Python objects; it cannot be stored")
    as_text = {n: str(t) for n, t in results.schema.items() if str(t) in _AS_TEXT}
    portable = results.with_columns(pl.col(n).cast(pl.String) for n in as_text)
    buffer = io.BytesIO()
    portable.clear().write_ipc(buffer)
    return EncodedResults(portable, buffer.getvalue(), json.dumps(as_text))


def encode_results(results: pl.DataFrame) -> EncodedResults:
    """Prepare ``results`` for a DuckDB table (how store version 1 kept them)."""
    encoded = encode_portable(results)
    portable = encoded.frame
    storable = portable.with_columns(
        pl.col(n).to_physical() for n, t in portable.schema.items() if isinstance(t, pl.Duration)
    )
    names = zip(storable.columns, stored_names(storable.columns), strict=True)
    stored = storable.select(
        *(pl.col(name).alias(alias) for name, alias in names),
        pl.int_range(pl.len(), dtype=pl.Int64).alias(ROW),
    )
    return EncodedResults(stored, encoded.schema, encoded.as_text)


def decode_results(
    stored: pl.DataFrame, schema: bytes, as_text: str, columns: list[str] | None = None
) -> pl.DataFrame:
    """The original frame from what :func:`encode_results` stored (rows in any order); with
    ``columns``, ``stored`` holds only those of them the frame has, in the frame's order."""
    original = pl.read_ipc_schema(io.BytesIO(schema))
    if columns is not None:
        original = {n: t for n, t in original.items() if n in columns}
    frame = stored.sort(ROW).drop(ROW) if ROW in stored.columns else stored
    names = zip(frame.columns, original, strict=True)
    frame = frame.select(pl.col(name).alias(alias) for name, alias in names).cast(
        pl.Schema(original)
    )
    wide = json.loads(as_text)
    return frame.with_columns(pl.col(n).cast(_AS_TEXT[t]) for n, t in wide.items() if n in original)


def stored_names(names: list[str]) -> list[str]:
    """Column names DuckDB accepts: unique ignoring case, none equal to ``ROW``, none empty."""
    taken = {ROW.lower()}
    out = []
    for position, name in enumerate(names):
        candidate = name or f"column_{position}"
        suffix = 1
        while candidate.lower() in taken:
            suffix += 1
            candidate = f"{name or f'column_{position}'}~{suffix}"
        taken.add(candidate.lower())
        out.append(candidate)
    return out


def stored_name(schema: bytes, column: str) -> str:
    """The name ``column`` of the frame with ``schema`` is stored under."""
    original = list(pl.read_ipc_schema(io.BytesIO(schema)))
    return stored_names(original)[original.index(column)]


def quote(identifier: str) -> str:
    """A DuckDB identifier in double quotes."""
    return '"' + identifier.replace('"', '""') + '"'
