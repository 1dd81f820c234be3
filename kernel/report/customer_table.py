"""The report's customer table: one column per value shown, the most valuable customers kept."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import polars as pl

from tierkit.history import (
    RunInfo,
)
from tierkit.history.compare import label, label_expr
from tierkit.report.common import (
    ID,
    VALUE,
    ReportOptions,
    category_expr,
    other_decisions,
)


def customer_table(
    info: RunInfo,
    results: pl.DataFrame,
    decision: str,
    outcomes: list[str],
    options: ReportOptions,
) -> dict[str, Any]:
    """The customers as columns for the page's table: at most ``options.max_customers`` rows
    (the most valuable), sorted by category and then value, largest first.

    Text columns with repeated values are sent once each (``dict`` and ``codes``).
    """
    frame = results
    total = frame.height
    has_value = VALUE in frame.columns
    limit = max(1, options.max_customers)
    if total > limit:
        frame = (
            frame.sort(VALUE, descending=True, nulls_last=True).head(limit)
            if has_value
            else frame.head(limit)
        )
    rank = {o: i for i, o in enumerate(outcomes)}
    frame = frame.with_columns(
        category_expr(frame, decision)
        .replace_strict(rank, default=len(rank), return_dtype=pl.Int64)
        .alias("__rank")
    )
    frame = frame.sort(
        ["__rank", *([VALUE] if has_value else []), ID],
        descending=[False, *([True] if has_value else []), False],
        nulls_last=True,
    )
    columns: list[dict[str, Any] | None] = [
        _text_column(frame, ID, "customer"),
        _text_column(frame, "name", "name") if "name" in frame.columns else None,
        _text_column(frame, decision, decision, order=outcomes),
        _text_column(frame, f"{decision}.previous", "previous", order=outcomes)
        if f"{decision}.previous" in frame.columns
        else None,
        _text_column(frame, f"{decision}.change", "change", order=["up", "same", "down", "new"])
        if f"{decision}.change" in frame.columns
        else None,
        _int_column(frame, f"{decision}.rule", "rule")
        if f"{decision}.rule" in frame.columns
        else None,
        _text_column(frame, f"{decision}.because", "because")
        if f"{decision}.because" in frame.columns
        else None,
        _text_column(frame, f"{decision}.override", "override")
        if f"{decision}.override" in frame.columns
        else _empty_column(frame.height, "override"),
    ]
    for other in other_decisions(info, frame, decision):
        if other.hit == "first":
            columns.append(
                _text_column(
                    frame, other.name, other.name, order=[label(o) for o in other.outcomes]
                )
            )
    columns += _near_miss_columns(frame, decision)
    if has_value:
        columns.append(_number_column(frame, VALUE, "value"))
    shown = [c for c in columns if c is not None]
    return {
        "total": total,
        "shown": frame.height,
        "limited": frame.height < total,
        "limit": limit,
        "columns": shown,
    }


def _near_miss_columns(frame: pl.DataFrame, decision: str) -> list[dict[str, Any] | None]:
    """The main decision's near miss, titled with the value that limits it, when it has one."""
    limited = f"{decision}.limited_by"
    if limited not in frame.columns:
        return []
    names = frame[limited].drop_nulls().unique().sort().to_list()
    if not names:
        return []
    unit = f" ({', '.join(names)})"
    return [
        _number_column(frame, f"{decision}.to_better", f"to better{unit}"),
        _number_column(frame, f"{decision}.to_worse", f"to worse{unit}"),
    ]


def _text_column(
    frame: pl.DataFrame, column: str, title: str, order: Sequence[str] | None = None
) -> dict[str, Any]:
    texts = frame.select(label_expr(column, frame.schema[column])).to_series()
    distinct = texts.drop_nulls().unique().sort().to_list()
    key = column
    if order is not None:
        dictionary = [*order, *(d for d in distinct if d not in order)]
    elif len(distinct) <= max(64, frame.height // 4):
        dictionary = distinct
    else:
        return {"key": key, "title": title, "type": "text", "values": texts.to_list()}
    codes = texts.replace_strict(
        {d: i for i, d in enumerate(dictionary)}, default=None, return_dtype=pl.Int64
    )
    return {
        "key": key,
        "title": title,
        "type": "text",
        "ordered": order is not None,
        "dict": dictionary,
        "codes": codes.to_list(),
    }


def _int_column(frame: pl.DataFrame, column: str, title: str) -> dict[str, Any]:
    return {
        "key": column,
        "title": title,
        "type": "int",
        "values": frame[column].cast(pl.Int64, strict=False).to_list(),
    }


def _number_column(frame: pl.DataFrame, column: str, title: str) -> dict[str, Any]:
    values = frame[column].cast(pl.Float64, strict=False)
    values = values.fill_nan(None).round(2)
    return {"key": column, "title": title, "type": "number", "values": values.to_list()}


def _empty_column(height: int, title: str) -> dict[str, Any]:
    return {
        "key": title,
        "title": title,
        "type": "text",
        "dict": [],
        "codes": [None] * height,
        "ordered": False,
    }
