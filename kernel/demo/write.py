"""Append chunks of a table to one CSV or Parquet file, then move it into place.

A table is written to ``<name>.<format>.partial`` first and renamed when complete, so an
interrupted run never leaves a file that looks whole.
"""

from __future__ import annotations

from pathlib import Path
from types import TracebackType
from typing import BinaryIO

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from tierkit.demo.spec import TABLES, ColumnKind, DemoFormat

ARROW_TYPES: dict[ColumnKind, pa.DataType] = {
    ColumnKind.TEXT: pa.string(),
    ColumnKind.DATE: pa.date32(),
    ColumnKind.MONEY: pa.decimal128(18, 2),
    ColumnKind.INTEGER: pa.int64(),
    ColumnKind.SCORE: pa.float64(),
}


def arrow_schema(table: str) -> pa.Schema:
    """The Parquet schema of a demo table."""
    return pa.schema([pa.field(name, ARROW_TYPES[kind]) for name, kind in TABLES[table]])


class TableWriter:
    """Writes one table chunk by chunk; use as a context manager."""

    def __init__(self, table: str, folder: Path, fmt: DemoFormat) -> None:
        self.table = table
        self.format = fmt
        self.path = folder / f"{table}.{fmt.value}"
        self._partial = self.path.with_name(self.path.name + ".partial")
        self._schema = arrow_schema(table)
        self._columns = [name for name, _ in TABLES[table]]
        self._csv: BinaryIO | None = None
        self._parquet: pq.ParquetWriter | None = None
        self.rows = 0

    def __enter__(self) -> TableWriter:
        if self.format is DemoFormat.CSV:
            self._csv = self._partial.open("wb")
            header = ",".join(self._columns) + "\n"
            self._csv.write(header.encode())
        else:
            self._parquet = pq.ParquetWriter(
                self._partial, self._schema, compression="zstd", write_statistics=True
            )
        return self

    def write(self, frame: pl.DataFrame) -> None:
        """Append ``frame`` (its columns in the table's order)."""
        frame = frame.select(self._columns)
        if self._csv is not None:
            if frame.height:
                frame.write_csv(self._csv, include_header=False)
        elif self._parquet is not None:
            self._parquet.write_table(frame.to_arrow().cast(self._schema))
        self.rows += frame.height

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._csv is not None:
            self._csv.close()
        if self._parquet is not None:
            self._parquet.close()
        if exc_type is None:
            self._partial.replace(self.path)
        else:
            self._partial.unlink(missing_ok=True)
