"""Choose the integer type of each money column so that no sum of it can wrap around.

Money is parsed into 128-bit integers of ten-thousandths (:mod:`tierkit.data.parse`), which no
single amount of up to 30 digits overflows. Criteria then sum the amounts of any subset of a
table's rows, take differences of two money columns (``amount - cost``), and weight amounts by
at most 2^22 days (payments.days_late) or periods (growth.trend). With ``N`` rows and ``M`` the
largest absolute amount, every such sum is at most ``N·M·2·2^22`` in absolute value.

- ``N·M < 2^62``: every sum and difference fits a 64-bit integer, the fast type every backend
  sums natively; the weighted sums are taken as decimals by the criteria that weight.
- ``N·M·2^23 < 10^38``: the column becomes ``Decimal(38, 0)``, which polars, DuckDB, Spark and
  Arrow all hold and sum exactly (polars would wrap around silently past 2^127, DuckDB would
  stop: the bound keeps both away from it).
- otherwise the run stops with a located error naming the table and column (exit 2).

10^15 in a weak currency (10^19 ten-thousandths) over a million rows is ``N·M = 10^25``: a
decimal column, summed exactly.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_CEILING, Decimal

import polars as pl

from tierkit.contract import MONEY_SCALE
from tierkit.errors import DataProblem

NARROW = 2**62
"""``N·M`` up to which a money column is a 64-bit integer (a difference of two such sums fits)."""
WIDEST = 10**38 // 2**23
"""``N·M`` below which a money column is ``Decimal(38, 0)``: sums weighted by up to 2^22 and
differences of two columns stay below 10^38."""
LIMIT_DIGITS = len(str(WIDEST)) - 5
"""The power of ten of :data:`WIDEST` in currency units (ten-thousandths: 4 digits less)."""
WIDE = pl.Decimal(38, 0)
"""The type of a money column whose sums could pass 2^63."""


def footer_bounds(path: str, names: Iterable[str]) -> dict[str, int] | None:
    """From a Parquet file's footer: the row count (``__rows``) and, per column, a bound on
    its largest absolute value in ten-thousandths; None when a row group lacks statistics.

    Reading the footer takes a few milliseconds; the aggregation it replaces read the whole
    column (0.1 s for 2M rows). DuckDB reads it (``parquet_metadata``, the statistics as exact
    decimal text): a run with a history store imports DuckDB anyway, and importing it costs
    half of what pyarrow and numpy cost (docs/performance.md)."""
    import duckdb  # only for large Parquet scans

    names = list(names)
    if any(c in path for c in "*?[{"):  # DuckDB would read it as a pattern of file names
        return None
    try:
        with duckdb.connect() as con:
            [(rows,)] = con.execute(
                "select num_rows from parquet_file_metadata(?)", [path]
            ).fetchall()
            found = con.execute(
                "select path_in_schema, stats_min_value, stats_max_value from parquet_metadata(?)",
                [path],
            ).fetchall()
    except (duckdb.Error, ValueError):
        return None
    bounds: dict[str, int] = {"__rows": int(rows)}
    for name in names:
        stats = [(low, high) for column, low, high in found if column == name]
        if not stats:
            return None
        largest = Decimal(0)
        for low, high in stats:
            for value in (low, high):
                try:
                    number = Decimal(value)
                except (TypeError, ArithmeticError):  # no statistics, or not a number
                    return None
                if not number.is_finite():
                    return None
                largest = max(largest, abs(number))
        bounds[name] = int((largest * MONEY_SCALE).to_integral_value(rounding=ROUND_CEILING))
    return bounds


def money_types(
    frame: pl.LazyFrame,
    exprs: dict[str, pl.Expr],
    names: Iterable[str],
    origin: str,
    known: dict[str, int] | None = None,
) -> tuple[dict[str, pl.DataType], list[DataProblem]]:
    """The type each money column ``names`` (parsed by ``exprs``) is held in, or why none.

    ``known``: the rows and bounds of :func:`footer_bounds`, if the file's footer gave them.
    """
    names = list(names)
    if not names:
        return {}, []
    stats = known or frame.select(
        pl.len().alias("__rows"), *(exprs[n].abs().max().alias(n) for n in names)
    ).collect().row(0, named=True)
    rows = int(stats["__rows"])
    types: dict[str, pl.DataType] = {}
    problems: list[DataProblem] = []
    for name in names:
        largest = int(stats[name] or 0)
        bound = rows * largest
        if bound < NARROW:
            types[name] = pl.Int64()
        elif bound < WIDEST:
            types[name] = WIDE
        else:
            problems.append(
                DataProblem(
                    origin,
                    f"column '{name}': amounts up to {largest // 10_000:,} over {rows:,} rows "
                    f"could add up beyond what tierkit sums exactly (about 10^{LIMIT_DIGITS} in "
                    "currency units); check the column's unit (cents instead of units?)",
                    column=name,
                )
            )
    return types, problems
