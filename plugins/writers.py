"""Built-in output formats for results: CSV, Parquet, JSON and Excel."""

from __future__ import annotations

import json
from typing import Any

import polars as pl

from tierkit.contract import Writer
from tierkit.hookspecs import hookimpl


def _csv(frame: pl.DataFrame, path: str) -> None:
    frame.write_csv(path)


def _parquet(frame: pl.DataFrame, path: str) -> None:
    frame.write_parquet(path, statistics=False)


def _json(frame: pl.DataFrame, path: str) -> None:
    rows: list[dict[str, Any]] = frame.to_dicts()
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(rows, handle, ensure_ascii=False, indent=1, default=str)
        handle.write("\n")


def _xlsx(frame: pl.DataFrame, path: str) -> None:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("results")
    sheet.append(frame.columns)
    for row in frame.iter_rows():
        sheet.append(list(row))
    book.save(path)


@hookimpl(trylast=True)
def tierkit_writers() -> list[Writer]:
    return [
        Writer("csv", (".csv",), "Comma-separated values, one row per customer.", _csv),
        Writer("parquet", (".parquet",), "Apache Parquet.", _parquet),
        Writer("json", (".json",), "A JSON list with one object per customer.", _json),
        Writer("xlsx", (".xlsx",), "An Excel workbook (needs the excel extra).", _xlsx),
    ]
