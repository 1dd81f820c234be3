"""Turn the generators' integer arrays into typed polars columns: dates, money, identifiers."""

from __future__ import annotations

import numpy as np
import polars as pl
import pyarrow as pa

from tierkit.demo.spec import BoolArray, IntArray


def dates(name: str, days: IntArray, valid: BoolArray | None = None) -> pl.Series:
    """A Date column from days since 1970; rows where ``valid`` is false are empty."""
    mask = None if valid is None else ~valid
    array = pa.array(days.astype(np.int32), type=pa.int32(), mask=mask).cast(pa.date32())
    return pl.Series(name, array)


def money(name: str, cents: IntArray) -> pl.Series:
    """A Decimal(18, 2) column from whole cents, built exactly (no float on the way)."""
    cents = np.ascontiguousarray(cents, dtype=np.int64)
    words = np.empty((len(cents), 2), dtype=np.int64)
    words[:, 0] = cents
    words[:, 1] = cents >> 63  # two's complement sign extension to 128 bits
    buffer = pa.py_buffer(words.tobytes())
    array = pa.Array.from_buffers(pa.decimal128(18, 2), len(cents), [None, buffer])
    return pl.Series(name, array)


def integers(name: str, values: IntArray) -> pl.Series:
    """An Int64 column."""
    return pl.Series(name, values.astype(np.int64), dtype=pl.Int64)


def numbered(numbers: IntArray, width: int) -> pl.Series:
    """Zero-padded numbers as text: 42 with width 7 is ``0000042``."""
    return pl.Series("n", numbers, dtype=pl.Int64).cast(pl.String).str.zfill(width)


def document_ids(
    name: str, prefix: str, customer_digits: pl.Series, seq: IntArray, width: int
) -> pl.Series:
    """Per-customer document numbers such as ``INV-0000042-0007``."""
    frame = pl.DataFrame({"c": customer_digits, "s": numbered(seq, width)})
    return frame.select(pl.concat_str(pl.lit(prefix), "c", pl.lit("-"), "s").alias(name))[name]


def sequence_within(groups: IntArray) -> IntArray:
    """1, 2, 3 … restarting at every new value of the sorted ``groups`` array."""
    first = np.searchsorted(groups, groups, side="left")
    result: IntArray = np.arange(1, len(groups) + 1, dtype=np.int64) - first
    return result
