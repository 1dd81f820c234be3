"""The report's data, built from the history store alone: one JSON-ready dictionary per run.

Everything the report shows comes from the stored run: its manifest, its results frame and the
decisions recorded with their outcomes (the first outcome is the best). Nothing is read from the
ruleset file or the data source, so a report can be built wherever the store is.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Literal

import polars as pl

from tierkit.evaluation.value_shares import category_values, value_totals
from tierkit.history import (
    HistoryStore,
    RunInfo,
    StoredDecision,
    UnknownRun,
)
from tierkit.history.compare import label, label_expr
from tierkit.report.common import (
    MAX_CUSTOMERS,
    MOVERS,
    VALUE,
    ReportOptions,
    category_expr,
    category_rows,
    json_number,
    other_decisions,
)
from tierkit.report.criteria_stats import criteria
from tierkit.report.curves import pareto, whale
from tierkit.report.customer_table import customer_table
from tierkit.report.strategies import data_location, policies, strategies_section
from tierkit.report.transitions import transitions_section
from tierkit.report.types import Breakdown, BreakdownCell, RunFacts, ValueTotals
from tierkit.version import VERSION

__all__ = ["MAX_CUSTOMERS", "MOVERS", "ReportOptions", "build_report_data"]


def build_report_data(
    store: HistoryStore,
    ref: str = "latest",
    *,
    ruleset: str | None = None,
    options: ReportOptions | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Everything the report shows about the run ``ref`` (``latest``, ``previous``, an id or a
    prefix of one, as for ``tierkit diff``), as plain JSON values."""
    options = options or ReportOptions()
    run_id = store.resolve(ref, ruleset)
    info = store.run_info(run_id)
    manifest = store.run(run_id)
    results = store.results(run_id)
    primary = primary_decision(info, manifest, results)
    outcomes = outcome_labels(primary, results)
    categories = category_rows(manifest, results, primary.name, outcomes)
    totals = value_section(manifest, results)
    return {
        "tierkit": VERSION,
        "generated_at": (now or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M UTC"),
        "store": str(store.path),
        "data_location": data_location(manifest),
        "run": run_section(info, manifest),
        "manifest": manifest,
        "decision": primary.name,
        "outcomes": outcomes,
        "categories": categories,
        "value": totals,
        "breakdowns": breakdowns(info, results, primary.name, outcomes),
        "pareto": pareto(results, primary.name, categories),
        "whale": whale(results, info.strategy, totals),
        "criteria": criteria(info, results, primary.name, outcomes),
        "transitions": transitions_section(store, info, manifest, results, primary, options),
        "strategies": strategies_section(store, info, manifest, results, primary, outcomes),
        "policies": policies(results, primary.name, outcomes),
        "customers": customer_table(info, results, primary.name, outcomes, options),
    }


# --------------------------------------------------------------------------------------------
# the run and its decision


def run_section(info: RunInfo, manifest: Mapping[str, Any]) -> RunFacts:
    """The manifest's facts, flattened for the report's first section."""
    ruleset = manifest.get("ruleset") or {}
    overrides = manifest.get("overrides") or {}
    data = manifest.get("data") or {}
    return {
        "run_id": info.run_id,
        "created_at": info.created_at.strftime("%Y-%m-%d %H:%M:%S UTC"),
        "as_of": info.as_of.isoformat(),
        "ruleset": info.ruleset,
        "ruleset_path": ruleset.get("path"),
        "ruleset_sha256": info.ruleset_sha256,
        "strategy": info.strategy,
        "engine": info.engine,
        "backend": info.backend,
        "customers": info.customers,
        "previous_run": manifest.get("previous_run"),
        "plugins": list(manifest.get("plugins") or []),
        "data": [
            {"table": name, **{k: v for k, v in table.items() if k != "table"}}
            for name, table in data.items()
            if isinstance(table, Mapping)
        ],
        "timings": dict(manifest.get("timings") or {}),
        "overrides": {
            "in_force": overrides.get("in_force", 0),
            "applied": len(overrides.get("applied") or []),
        },
    }


def primary_decision(
    info: RunInfo, manifest: Mapping[str, Any], results: pl.DataFrame
) -> StoredDecision:
    """The decision the manifest's categories count: policies and the report follow it."""
    first = [d for d in info.decisions.values() if d.hit == "first" and d.name in results.columns]
    if not first:
        raise UnknownRun(f"run {info.run_id[:8]} has no decision with one value per customer")
    for decision in first:
        if decision.name == info.main:
            return decision
    counted = {label(c.get("category")) for c in manifest.get("categories") or []}
    for decision in first:
        if counted and counted <= {label(o) for o in decision.outcomes}:
            return decision
    return first[0]


def outcome_labels(decision: StoredDecision, results: pl.DataFrame) -> list[str]:
    """The decision's outcomes in table order, then values the results have that it does not
    list (sorted)."""
    listed = [label(o) for o in decision.outcomes]
    found = results.select(label_expr(decision.name, results.schema[decision.name]))
    extra = sorted({v for v in found.to_series().to_list() if v is not None} - set(listed))
    return [*listed, *extra]


def value_section(manifest: Mapping[str, Any], results: pl.DataFrame) -> ValueTotals:
    """The run's net total, positive total and losses (as the manifest recorded them, else
    counted from the results), and whether there are losses."""
    totals = manifest.get("value_totals")
    if not isinstance(totals, Mapping) or not {"net", "positive", "losses"} <= set(totals):
        totals = value_totals(category_values(results, pl.lit(0)))
    net, positive, losses = (float(totals[k]) for k in ("net", "positive", "losses"))
    return {"net": net, "positive": positive, "losses": losses, "has_losses": losses < 0}


def breakdowns(
    info: RunInfo, results: pl.DataFrame, primary: str, outcomes: list[str]
) -> list[Breakdown]:
    """For every other decision, its values counted per category (key partners per category).

    A true/false decision counts its ``true`` customers and their value; another decision
    counts each value; a decision that collects values counts each collected value.
    """
    found: list[Breakdown] = []
    category = category_expr(results, primary)
    value = pl.col(VALUE) if VALUE in results.columns else pl.lit(0.0)
    for decision in other_decisions(info, results, primary):
        name = decision.name
        if decision.hit == "collect":
            flags = {
                label(o): f"{name}::{label(o)}"
                for o in decision.outcomes
                if f"{name}::{label(o)}" in results.columns
            }
            kind: Literal["collect", "flag", "values"] = "collect"
        elif results.schema[name] == pl.Boolean:
            flags = {"true": name}
            kind = "flag"
        else:
            labels = outcome_labels(decision, results)
            flags = dict.fromkeys(labels, "")
            kind = "values"
        per: dict[str, dict[str, BreakdownCell]] = {o: {} for o in outcomes}
        for text, column in flags.items():
            hit = (
                pl.col(column).fill_null(False)
                if column
                else label_expr(name, results.schema[name]) == text
            )
            counts = results.group_by(category).agg(
                hit.sum().alias("n"), value.filter(hit).sum().alias("v")
            )
            for row in counts.iter_rows(named=True):
                per.setdefault(str(row["__category"]), {})[text] = {
                    "customers": int(row["n"] or 0),
                    "value": json_number(row["v"]) or 0.0,
                }
        total = {
            text: sum(cells[text]["customers"] for cells in per.values() if text in cells)
            for text in flags
        }
        found.append(
            {
                "decision": name,
                "kind": kind,
                "labels": list(flags),
                "per_category": per,
                "total": total,
            }
        )
    return found
