"""A damaged Parquet file read during the data checks: a problem naming the file, not an
internal error."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import polars as pl

from tierkit.errors import DataProblem


@contextmanager
def reading_parquet(origin: str, problems: list[DataProblem]) -> Iterator[None]:
    """Turn polars' error on a damaged Parquet file (a footer that reads, pages that do not:
    a file cut short or overwritten inside) into a problem naming the file."""
    try:
        yield
    except (pl.exceptions.ComputeError, pl.exceptions.PanicException) as exc:
        if not origin.lower().endswith(".parquet"):
            raise
        said = (str(exc).splitlines() or [""])[0]
        if isinstance(exc, pl.exceptions.PanicException) or not said:
            said = "its data is damaged or cut short"
        problems.append(DataProblem(origin, f"cannot be read as a Parquet file: {said}"))
