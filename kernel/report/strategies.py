"""The report's strategies section, where the data came from, and the policies per category."""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from pathlib import PurePath
from typing import Any

import polars as pl

from tierkit.history import (
    HistoryStore,
    RunInfo,
    StoredDecision,
    category_overlap,
    change_counts,
)
from tierkit.report.common import (
    category_expr,
    category_rows,
    plain_value,
)


def strategies_section(
    store: HistoryStore,
    info: RunInfo,
    manifest: Mapping[str, Any],
    results: pl.DataFrame,
    primary: StoredDecision,
    outcomes: list[str],
) -> dict[str, Any]:
    """This run beside the newest stored run of the same ruleset and as-of date under each
    other strategy: customers per category, overlap and transitions."""
    others: dict[str, RunInfo] = {}
    for run in store.runs(info.ruleset):  # newest first
        if run.as_of == info.as_of and run.strategy != info.strategy and run.run_id != info.run_id:
            others.setdefault(str(run.strategy), run)
    this = str(info.strategy)
    compared = []
    for strategy, run in others.items():
        theirs = store.results(run.run_id)
        if primary.name not in theirs.columns:
            continue
        compared.append(
            {
                "strategy": strategy,
                "run_id": run.run_id,
                "created_at": run.created_at.strftime("%Y-%m-%d %H:%M UTC"),
                "categories": category_rows(store.run(run.run_id), theirs, primary.name, outcomes),
                "overlap": category_overlap(results, theirs, primary.name, outcomes),
                "changes": change_counts(results, theirs, primary),
            }
        )
    data = data_location(manifest)
    example = next((s for s in ("net-profit", "working-capital") if s != this), "net-profit")
    hint = (
        f"tierkit compare {info.ruleset} --strategy {this} --strategy {example} "
        f"--data {data} --as-of {info.as_of}"
    )
    store_hint = (
        f"tierkit evaluate {info.ruleset} --data {data} --as-of {info.as_of} "
        f"--strategy {example} --store {store.path}"
    )
    return {
        "strategy": this,
        "others": compared,
        "compare_command": hint,
        "store_command": store_hint,
    }


def data_location(manifest: Mapping[str, Any]) -> str:
    """Where the run read its data, for the commands the report suggests: the folder of its
    files or the database file; ``DATA`` when that cannot be told."""
    tables = manifest.get("data") or {}
    places = set()
    for name, table in tables.items():
        origin = str(table.get("origin") or "") if isinstance(table, Mapping) else ""
        if not origin:
            continue
        if origin.endswith(f":{name}"):  # a table of a database file
            places.add(origin.removesuffix(f":{name}"))
        else:
            places.add(str(PurePath(origin).parent))
    if len(places) != 1:
        return "DATA"
    place = places.pop()
    return shlex.quote(place) if place not in ("", ".") else "."


def policies(results: pl.DataFrame, decision: str, outcomes: list[str]) -> dict[str, Any]:
    """Each category's policy, read back from the results' ``policy.*`` columns."""
    keys = [c for c in results.columns if c.startswith("policy.")]
    if not keys:
        return {"keys": [], "rows": []}
    found = (
        results.select(category_expr(results, decision), *keys)
        .group_by("__category", maintain_order=True)
        .agg(pl.col(k).drop_nulls().first() for k in keys)
    )
    by_category = {str(r["__category"]): r for r in found.iter_rows(named=True)}
    rows = []
    for outcome in outcomes:
        row = by_category.get(outcome)
        rows.append(
            {
                "category": outcome,
                "known": row is not None,
                "values": {
                    k.removeprefix("policy."): plain_value(row[k]) if row else None for k in keys
                },
            }
        )
    return {"keys": [k.removeprefix("policy.") for k in keys], "rows": rows}
