"""Check a table read from a Parquet file without holding it in memory.

A table that is a scan of a Parquet (or Arrow IPC) file, with columns already typed, stays a
lazy scan: the checks of docs/data-formats.md run as a few aggregations over the file, and each
criterion later reads only the columns and rows it needs, its window filter pushed into the
reader. Holding a 20M-row table in memory would cost more time and memory than the whole job.

- **Bad values** (a negative amount) and **dates to skip** (missing, or on or after the as-of
  date): a filter on the columns as stored (``amount < 0``, ``paid_at >= as_of``) finds the rows
  that could hold one. The Parquet reader skips every row group whose statistics rule such rows
  out, so a clean file is checked from its footer; the exact conditions are counted on the rows
  found.
- **Rows without a customer_id, or of unknown customers**: one pass looks up a 64-bit hash of
  each row's customer_id, as stored, among the hashes of the customers' ids (a third of the
  cost of comparing the text). The rows whose hash is not found are grouped by their id and
  classified exactly: blank, a customer's id with spaces around it, or unknown.

A row of an unknown customer whose id hashes like a customer's id (for each unknown id, a chance
of about one in 2^64 divided by the number of customers) would be kept. A criterion that groups
by the id text drops it when its values are joined to the customers; one that groups by the
customer key (:mod:`tierkit.data.keys`, the same hash) counts it for that customer. For a
million customers and a million distinct unknown ids that is a chance of about one in 18
million per run; docs/decisions.md says why it is accepted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date

import polars as pl

from tierkit.contract import Column, ColumnType
from tierkit.data.keys import ID, key_of, keys_of
from tierkit.data.magnitude import footer_bounds, money_types
from tierkit.data.parse import (
    EXAMPLES,
    LARGEST_NUMBER,
    ROW,
    can_fail,
    largest,
    must_not_be_negative,
    negative_amounts,
    shown,
)
from tierkit.data.report import TableReport
from tierkit.errors import DataProblem

FOOTER_ROWS = 1_000_000
"""From this many rows, the bounds of money columns are read from the Parquet footer (importing
DuckDB and reading the footer cost about 0.07 s; aggregating the column costs about 0.05 s per
million rows)."""


def is_file_scan(frame: pl.LazyFrame) -> bool:
    """Whether ``frame`` reads a Parquet or IPC file as it is (cheap to read again, by column)."""
    return frame.explain(optimized=False).startswith(("Parquet SCAN", "IPC SCAN"))


def can_stay_lazy(frame: pl.LazyFrame, schema: pl.Schema, columns: Mapping[str, Column]) -> bool:
    """A file scan whose columns need no parsing that can fail (no text to read as dates)."""
    return is_file_scan(frame) and not any(can_fail(c.type, schema[n]) for n, c in columns.items())


@dataclass(frozen=True)
class LazyTable:
    """One table kept as a scan: its parsing expressions, checked and cleaned by aggregations."""

    name: str
    origin: str
    frame: pl.LazyFrame
    schema: pl.Schema
    columns: Mapping[str, Column]
    parsed: Mapping[str, pl.Expr]
    date_column: str | None

    def with_plain_dates(self) -> LazyTable:
        """This table with each date column read as stored when every date in it is a date
        from year 1 to 9999 (as good as always): then no date needs turning into "no date"
        (:func:`tierkit.data.parse.parse_expr`), and a filter on the column, such as a
        criterion's window, reaches the Parquet reader, which skips the row groups outside
        it and reads the other columns only for the rows inside it. One pass over the date
        columns (4 bytes a row) decides it; at 1M customers the window's criterion went from
        parsing 10.5M amounts to 2.6M."""
        dates = [
            n
            for n, c in self.columns.items()
            if c.type == ColumnType.DATE and self.schema[n] == pl.Date
        ]
        if not dates:
            return self
        years = [
            e
            for i, n in enumerate(dates)
            for e in (
                pl.col(n).min().dt.year().alias(f"low{i}"),
                pl.col(n).max().dt.year().alias(f"high{i}"),
            )
        ]
        found = self.frame.select(years).collect().row(0)
        plain = {
            n: pl.col(n)
            for n, low, high in zip(dates, found[::2], found[1::2], strict=True)
            if low is None or (low >= 1 and high <= 9999)
        }
        return replace(self, parsed={**self.parsed, **plain}) if plain else self

    def value_problems(self) -> list[DataProblem]:
        """Negative counts and scores, and numbers too large, with counts and example rows."""
        checks = [
            (
                name,
                (self.parsed[name] < 0).fill_null(False),
                pl.col(name) < 0,
                "must not be negative",
            )
            for name, column in self.columns.items()
            if must_not_be_negative(self.name, name, column.type)
        ]
        checks += [
            (
                name,
                self.parsed[name].is_null() & pl.col(name).is_not_null(),
                pl.col(name).abs() > LARGEST_NUMBER,
                f"cannot be read: too large ({largest(kind)})",
            )
            for name, kind in ((n, c.type) for n, c in self.columns.items())
            if kind == ColumnType.NUMBER
        ]
        if not checks:
            return []
        # stored < 0 holds for every row whose parsed value is < 0, and statistics can rule it out
        candidates = self.frame.filter(pl.any_horizontal(stored for _, _, stored, _ in checks))
        counts = (
            candidates.select(
                [condition.sum().alias(f"c{i}") for i, (_, condition, _, _) in enumerate(checks)]
            )
            .collect()
            .row(0)
        )
        problems = []
        for (name, condition, _, wrong), count in zip(checks, counts, strict=True):
            if not count:
                continue
            row = [pl.col(ROW)] if ROW in self.schema else []
            examples = self.frame.filter(condition).select(*row, pl.col(name))
            kind = self.columns[name].type
            rows = [
                (f"row {r[ROW]}: " if ROW in r else "") + f"{name} = {shown(r[name], kind)}"
                for r in examples.head(EXAMPLES).collect().iter_rows(named=True)
            ]
            problems.append(
                DataProblem(
                    self.origin,
                    f"column '{name}': {count} value{'s' if count != 1 else ''} {wrong}",
                    column=name,
                    count=int(count),
                    examples=rows,
                )
            )
        return problems

    def narrowed(self) -> tuple[LazyTable, list[DataProblem]]:
        """This table with each money column in the type its sums fit
        (:mod:`tierkit.data.magnitude`), or why a column's sums could not be exact."""
        money = [n for n, c in self.columns.items() if c.type == ColumnType.MONEY]
        stored = [n for n in money if not self.schema[n].is_float()]  # floats: parsed, rounded
        footer = None
        if money and stored == money and self.frame.select(pl.len()).collect().item() > FOOTER_ROWS:
            footer = footer_bounds(self.origin, money)
        types, problems = money_types(self.frame, dict(self.parsed), money, self.origin, footer)
        if problems or not types:
            return self, problems
        parsed = {n: e.cast(types[n]) if n in types else e for n, e in self.parsed.items()}
        return replace(self, parsed=parsed), []

    def clean(self, customer_ids: pl.Series, as_of: date) -> tuple[pl.LazyFrame, TableReport]:
        """The table without the rows to skip, as a lazy scan, and what was read and skipped.

        ``customer_ids`` are the customers' ids (stripped of spaces, none missing).
        """
        stored = pl.col(ID)
        text = stored if self.schema[ID] == pl.String else stored.cast(pl.String)
        hashes = keys_of(customer_ids)
        id_hash = pl.when(stored.is_not_null()).then(key_of(text))
        day = self.parsed[self.date_column] if self.date_column else None
        # Rows whose id hash is not a customer's: an anti-join, which polars runs in parallel
        # (0.28 s for 20M rows here, against 0.36 s for is_in), and the rows and dates alongside.
        misses_query = (
            self.frame.select(__h=id_hash)
            .join(pl.LazyFrame({"__h": hashes}), on="__h", how="anti")
            .select(pl.len().alias("misses"))
        )
        stats = [pl.len().alias("rows")]
        if day is not None:
            before = day < as_of
            stats += [
                day.filter(before).min().alias("first"),
                day.filter(before).max().alias("last"),
            ]
        misses_frame, totals_frame = pl.collect_all([misses_query, self.frame.select(stats)])
        totals = {**totals_frame.row(0, named=True), "misses": misses_frame.item()}
        hashed = id_hash.is_in(hashes.implode()).fill_null(False)

        no_id = unknown = 0
        padded: list[str] = []  # customers' ids written with spaces around them
        if totals["misses"]:
            misses = self._misses(text, hashed).with_columns(
                __stripped=pl.col("__id").str.strip_chars()
            )
            blank = pl.col("__stripped").is_null() | (pl.col("__stripped") == "")
            known = ~blank & pl.col("__stripped").is_in(customer_ids.implode())
            no_id = int(misses.filter(blank)["rows"].sum())
            unknown = int(misses.filter(~blank & ~known)["rows"].sum())
            padded = misses.filter(known)["__id"].to_list()
        known_row = hashed | text.is_in(padded) if padded else hashed
        if totals["misses"] and day is not None:
            # the dates of the rows kept only: those of blank ids and unknown customers are not
            dates = (
                self.frame.filter(known_row & (day < as_of))
                .select(day.min().alias("first"), day.max().alias("last"))
                .collect()
            )
            totals.update(dates.row(0, named=True))

        no_date = after = 0
        if day is not None:
            late = day.is_null() | (day >= as_of)
            counts = (
                self.frame.filter(late)  # statistics skip the row groups without such rows
                .select(
                    (known_row & day.is_null()).sum().alias("no_date"),
                    (known_row & (day >= as_of)).sum().alias("after"),
                )
                .collect()
                .row(0, named=True)
            )
            no_date, after = int(counts["no_date"]), int(counts["after"])

        report = TableReport(self.origin, rows=int(totals["rows"]))
        skipped = {"no customer_id": no_id, "unknown customer": unknown}
        keep: list[pl.Expr] = []
        if no_id or unknown:
            keep.append(known_row)
        if self.date_column and day is not None:
            skipped[f"no {self.date_column}"] = no_date
            skipped["on or after the as-of date"] = after
            report.first_date, report.last_date = totals["first"], totals["last"]
            if no_date or after:
                keep.append(day.is_not_null() & (day < as_of))
        report.skipped = {k: v for k, v in skipped.items() if v}
        report.used = report.rows - sum(report.skipped.values())

        parsed = dict(self.parsed)
        if not padded and self.schema[ID] == pl.String:
            parsed[ID] = stored  # every kept id is a customer's id as it is: nothing to strip
        frame = self.frame.filter(pl.all_horizontal(keep)) if keep else self.frame
        report.negative = negative_amounts(frame, self.columns, parsed)
        return frame.select(**parsed), report

    def _misses(self, text: pl.Expr, hashed: pl.Expr) -> pl.DataFrame:
        """Per id as stored, the number of rows whose id hash is not a customer's."""
        return (
            self.frame.filter(~hashed)
            .group_by(text.alias("__id"))
            .agg(pl.len().alias("rows"))
            .collect()
        )
