"""The report's data, built from the history store alone: one JSON-ready dictionary per run.

Everything the report shows comes from the stored run: its manifest, its results frame and the
decisions recorded with their outcomes (the first outcome is the best). Nothing is read from the
ruleset file or the data source, so a report can be built wherever the store is.
"""

from __future__ import annotations

import math
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import PurePath
from typing import Any

import polars as pl

from tierkit import __version__, defaults
from tierkit.contract import MONEY_SCALE
from tierkit.evaluation.value_shares import category_values, value_totals, with_shares
from tierkit.history import (
    HistoryStore,
    RunInfo,
    StoredDecision,
    UnknownRun,
    category_overlap,
    change_counts,
    movers,
    transition_matrix,
)
from tierkit.history.compare import GONE_LABEL, NEW_LABEL, label, label_expr
from tierkit.history.store import SUFFIXES

ID = "customer_id"
VALUE = "value"
MAX_CUSTOMERS = defaults.REPORT_MAX_CUSTOMERS
"""The most customers the report's table embeds; more are cut, the most valuable kept."""
MOVERS = defaults.REPORT_MOVERS
"""How many of the biggest movers the report lists."""
PARETO_POINTS = 400
"""About how many points draw the Pareto curve, whatever the number of customers."""
TEXT_VALUES = 8
"""The most distinct values shown for a text criterion; the rest are counted as 'other'."""


@dataclass(frozen=True)
class ReportOptions:
    """What to cut, for big runs."""

    max_customers: int = MAX_CUSTOMERS
    movers: int = MOVERS


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
        "tierkit": __version__,
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


def run_section(info: RunInfo, manifest: Mapping[str, Any]) -> dict[str, Any]:
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


def _category(results: pl.DataFrame, decision: str) -> pl.Expr:
    return label_expr(decision, results.schema[decision]).alias("__category")


def category_rows(
    manifest: Mapping[str, Any], results: pl.DataFrame, decision: str, outcomes: list[str]
) -> list[dict[str, Any]]:
    """Customers and value of each category, as the manifest counted them; empty categories
    too, with zeros. Value shares are of the positive total; a manifest written before they
    were (without ``value_positive``) is counted again from the results."""
    stored = manifest.get("categories") or []
    counted = {label(c.get("category")): c for c in stored}
    if not counted or any("value_positive" not in c for c in stored):
        counted = _count_categories(results, decision)
    rows = []
    for outcome in [*outcomes, *(c for c in counted if c not in outcomes)]:
        found = counted.get(outcome) or {}
        rows.append(
            {
                "category": outcome,
                "customers": int(found.get("customers") or 0),
                "customer_share": float(found.get("customer_share") or 0.0),
                "value": float(found.get("value") or 0.0),
                "value_positive": float(found.get("value_positive") or 0.0),
                "value_losses": float(found.get("value_losses") or 0.0),
                "value_share": found.get("value_share"),
            }
        )
    return rows


def _count_categories(results: pl.DataFrame, decision: str) -> dict[str, dict[str, Any]]:
    rows = category_values(results, _category(results, decision))
    return {str(r["category"]): r for r in with_shares(rows, results.height)}


def value_section(manifest: Mapping[str, Any], results: pl.DataFrame) -> dict[str, Any]:
    """The run's net total, positive total and losses (as the manifest recorded them, else
    counted from the results), and whether there are losses."""
    totals = manifest.get("value_totals")
    if not isinstance(totals, Mapping) or not {"net", "positive", "losses"} <= set(totals):
        totals = value_totals(category_values(results, pl.lit(0)))
    found = {k: float(totals[k]) for k in ("net", "positive", "losses")}
    return {**found, "has_losses": found["losses"] < 0}


def _other_decisions(info: RunInfo, results: pl.DataFrame, primary: str) -> list[StoredDecision]:
    return [d for n, d in info.decisions.items() if n != primary and n in results.columns]


def breakdowns(
    info: RunInfo, results: pl.DataFrame, primary: str, outcomes: list[str]
) -> list[dict[str, Any]]:
    """For every other decision, its values counted per category (key partners per category).

    A true/false decision counts its ``true`` customers and their value; another decision
    counts each value; a decision that collects values counts each collected value.
    """
    found = []
    category = _category(results, primary)
    value = pl.col(VALUE) if VALUE in results.columns else pl.lit(0.0)
    for decision in _other_decisions(info, results, primary):
        name = decision.name
        if decision.hit == "collect":
            flags = {
                label(o): f"{name}::{label(o)}"
                for o in decision.outcomes
                if f"{name}::{label(o)}" in results.columns
            }
            kind = "collect"
        elif results.schema[name] == pl.Boolean:
            flags = {"true": name}
            kind = "flag"
        else:
            labels = outcome_labels(decision, results)
            flags = dict.fromkeys(labels, "")
            kind = "values"
        per: dict[str, dict[str, dict[str, float]]] = {o: {} for o in outcomes}
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
                    "value": _number(row["v"]) or 0.0,
                }
        total = {
            text: sum(int(cells.get(text, {}).get("customers", 0)) for cells in per.values())
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


# --------------------------------------------------------------------------------------------
# Pareto curve


def pareto(
    results: pl.DataFrame, decision: str, categories: list[dict[str, Any]]
) -> dict[str, Any]:
    """Cumulative value share against customer share, customers sorted by value, largest first;
    about :data:`PARETO_POINTS` points, and each category's band of customer share."""
    bands = []
    start = 0.0
    for row in categories:
        end = start + float(row["customer_share"])
        if row["customers"]:
            bands.append(
                {
                    "category": row["category"],
                    "from": round(start, 6),
                    "to": round(min(end, 1.0), 6),
                    "customer_share": row["customer_share"],
                    "value_share": row["value_share"],
                }
            )
        start = end
    if VALUE not in results.columns or results.is_empty():
        why = "The run has no customers." if results.is_empty() else "The run has no value."
        return {"points": [], "bands": bands, "note": why}
    units = _sorted_units(results)
    positive = units.clip(lower_bound=0)
    total = int(positive.sum())
    if total <= 0:
        return {
            "points": [],
            "bands": bands,
            "note": "No customer has a positive value: no Pareto curve.",
        }
    n = units.len()
    keep = _sample(n)
    for band in bands:  # exact points at the category boundaries
        keep.add(max(0, min(n - 1, round(float(band["to"]) * n) - 1)))
    top = {"share": 0.2, "index": max(0, math.ceil(0.2 * n) - 1)}
    keep.add(int(top["index"]))
    kept = sorted(keep)
    # shares of the positive total: loss-makers add nothing, the curve ends flat at 100%
    cumulative = dict(zip(kept, positive.cum_sum().gather(kept).to_list(), strict=True))
    points = [[0.0, 0.0]] + [[round((i + 1) / n, 6), round(cumulative[i] / total, 6)] for i in kept]
    top_20 = round(cumulative[int(top["index"])] / total, 6)
    return {"points": points, "bands": bands, "top_20_value_share": top_20, "note": None}


def _sorted_units(results: pl.DataFrame) -> pl.Series:
    """The customers' values in exact units (ten-thousandths), largest first; missing is 0."""
    value = results[VALUE].cast(pl.Float64).fill_null(0.0).fill_nan(0.0)
    return (value * MONEY_SCALE).round(0).cast(pl.Int128).sort(descending=True)


def _sample(n: int) -> set[int]:
    """About :data:`PARETO_POINTS` evenly spread indexes of ``n`` customers, the last one too."""
    step = max(1, n // PARETO_POINTS)
    return set(range(step - 1, n, step)) | {n - 1}


# --------------------------------------------------------------------------------------------
# whale curve


def whale(results: pl.DataFrame, strategy: str | None, totals: Mapping[str, Any]) -> dict[str, Any]:
    """Cumulative net value by customer rank, best first: the whale curve of profitability.

    Drawn for the net-profit strategy and whenever the values have losses. It rises to the
    positive total, above the net total (above 100% of it), and falls back to the net total
    with the loss-makers. ``points`` are ``[share of customers, cumulative net value]``;
    ``scale`` is the net total when it is positive (the page then shows percentages of it),
    else None (amounts). ``peak`` is where the curve turns: the customers with a positive
    value and what they earn.
    """
    losses = bool(totals.get("has_losses"))
    if VALUE not in results.columns or results.is_empty() or not (
        losses or strategy == "net-profit"
    ):
        return {"points": [], "note": None}
    units = _sorted_units(results)
    n = units.len()
    cumulative = units.cum_sum()
    peak = int(cumulative.arg_max() or 0)  # the first highest point
    keep = sorted(_sample(n) | {peak})
    net = int(cumulative[-1])
    points = [[0.0, 0.0]] + [
        [round((i + 1) / n, 6), round(int(c) / MONEY_SCALE, 4)]
        for i, c in zip(keep, cumulative.gather(keep).to_list(), strict=True)
    ]
    high = int(cumulative[peak])
    return {
        "points": points,
        "scale": round(net / MONEY_SCALE, 4) if net > 0 else None,
        "net": round(net / MONEY_SCALE, 4),
        "peak": {
            "customers": peak + 1 if high > 0 else 0,
            "customer_share": round((peak + 1) / n, 6) if high > 0 else 0.0,
            "value": round(high / MONEY_SCALE, 4) if high > 0 else 0.0,
            "net_share": round(high / net, 6) if net > 0 else None,
        },
        "loss_makers": int((units < 0).sum()),
        "note": None,
    }


# --------------------------------------------------------------------------------------------
# criteria


def criterion_columns(info: RunInfo, results: pl.DataFrame) -> list[str]:
    """The criterion and derived values the rules used: every results column that is not an
    id, a decision column, the value or a policy."""
    own = {ID, "name", VALUE}
    for name in info.decisions:
        own |= {name, *(name + s for s in SUFFIXES)}
    return [
        c
        for c in results.columns
        if c not in own
        and not c.startswith("policy.")
        and "::" not in c
        and not c.startswith("previous.")
        and not c.startswith("tierkit_")
    ]


def criteria(
    info: RunInfo, results: pl.DataFrame, decision: str, outcomes: list[str]
) -> list[dict[str, Any]]:
    """The distribution of each criterion per category.

    Numbers: count, missing, minimum, 5th percentile, quartiles, 95th percentile, maximum and
    mean. True/false values: the share that is true. Other values: the most frequent values.
    """
    category = _category(results, decision)
    found = []
    for column in criterion_columns(info, results):
        dtype = results.schema[column]
        if dtype.is_numeric():
            kind = "number"
            rows = _number_stats(results, column, category)
        elif dtype == pl.Boolean:
            kind = "boolean"
            rows = _boolean_stats(results, column, category)
        elif dtype in (pl.String, pl.Categorical) or isinstance(dtype, pl.Enum):
            kind = "text"
            rows = _text_stats(results, column, category)
        else:
            continue
        ordered = [rows.get(o) or {"category": o, "count": 0, "missing": 0} for o in outcomes]
        found.append({"name": column, "kind": kind, "per_category": ordered})
    return found


def _number_stats(
    results: pl.DataFrame, column: str, category: pl.Expr
) -> dict[str, dict[str, Any]]:
    x = pl.col(column).cast(pl.Float64)
    x = pl.when(x.is_nan()).then(None).otherwise(x)
    quantiles = {
        "p5": 0.05,
        "q1": 0.25,
        "median": 0.5,
        "q3": 0.75,
        "p95": 0.95,
    }
    stats = results.group_by(category).agg(
        x.count().alias("count"),
        x.null_count().alias("missing"),
        x.min().alias("min"),
        *(x.quantile(q, "linear").alias(k) for k, q in quantiles.items()),
        x.max().alias("max"),
        x.mean().alias("mean"),
    )
    return {
        str(r["__category"]): {
            "category": str(r["__category"]),
            **{
                k: (_number(v) if k not in ("count", "missing") else int(v))
                for k, v in r.items()
                if k != "__category"
            },
        }
        for r in stats.iter_rows(named=True)
    }


def _boolean_stats(
    results: pl.DataFrame, column: str, category: pl.Expr
) -> dict[str, dict[str, Any]]:
    stats = results.group_by(category).agg(
        pl.col(column).count().alias("count"),
        pl.col(column).null_count().alias("missing"),
        pl.col(column).sum().alias("true"),
    )
    return {
        str(r["__category"]): {
            "category": str(r["__category"]),
            "count": int(r["count"]),
            "missing": int(r["missing"]),
            "true": int(r["true"] or 0),
            "share": round(int(r["true"] or 0) / int(r["count"]), 6) if r["count"] else None,
        }
        for r in stats.iter_rows(named=True)
    }


def _text_stats(results: pl.DataFrame, column: str, category: pl.Expr) -> dict[str, dict[str, Any]]:
    text = pl.col(column).cast(pl.String)
    common = (
        results.select(text.alias("v"))
        .drop_nulls()
        .group_by("v")
        .len()
        .sort(["len", "v"], descending=[True, False])
        .head(TEXT_VALUES)["v"]
        .to_list()
    )
    counts = (
        results.select(category, text.alias("v"))
        .with_columns(
            pl.when(pl.col("v").is_null() | pl.col("v").is_in(common))
            .then(pl.col("v"))
            .otherwise(pl.lit("(other)"))
        )
        .group_by("__category", "v")
        .len()
    )
    found: dict[str, dict[str, Any]] = {}
    for cat, value, n in counts.iter_rows():
        row = found.setdefault(
            str(cat), {"category": str(cat), "count": 0, "missing": 0, "values": {}}
        )
        if value is None:
            row["missing"] += int(n)
        else:
            row["count"] += int(n)
            row["values"][value] = int(n)
    for row in found.values():
        row["order"] = [v for v in [*common, "(other)"] if v in row["values"]]
    return found


# --------------------------------------------------------------------------------------------
# transitions from the previous run


def previous_run_id(store: HistoryStore, info: RunInfo, manifest: Mapping[str, Any]) -> str | None:
    """The run this one was compared with when it ran, if still stored; else the store's latest
    earlier run of the same ruleset and strategy."""
    recorded = manifest.get("previous_run")
    known = {r.run_id for r in store.runs(info.ruleset)}
    if isinstance(recorded, str) and recorded in known:
        return recorded
    return store.previous_run_id(info.ruleset, info.as_of, info.strategy)


def transitions_section(
    store: HistoryStore,
    info: RunInfo,
    manifest: Mapping[str, Any],
    results: pl.DataFrame,
    primary: StoredDecision,
    options: ReportOptions,
) -> dict[str, Any] | None:
    """Transition matrix, change counts and biggest movers since the previous run; ``None``
    when the store has no earlier run."""
    before_id = previous_run_id(store, info, manifest)
    if before_id is None:
        return None
    before_info = store.run_info(before_id)
    before = store.results(before_id)
    if primary.name not in before.columns:
        return None
    matrix = transition_matrix(before, results, primary)
    counts = change_counts(before, results, primary)
    top = movers(before, results, primary, options.movers if options.movers > 0 else None)
    others = []
    for decision in _other_decisions(info, results, primary.name):
        if decision.hit != "first" or decision.name not in before.columns:
            continue
        others.append(
            {"decision": decision.name, "changes": change_counts(before, results, decision)}
        )
    return {
        "previous": {
            "run_id": before_info.run_id,
            "as_of": before_info.as_of.isoformat(),
            "strategy": before_info.strategy,
            "created_at": before_info.created_at.strftime("%Y-%m-%d %H:%M UTC"),
            "customers": before_info.customers,
        },
        "matrix": {
            "rows": matrix["from"].to_list(),
            "columns": matrix.columns[1:],
            "counts": [list(r[1:]) for r in matrix.iter_rows()],
        },
        "changes": counts,
        "movers_total": counts["up"] + counts["down"] + counts.get("unranked", 0),
        "movers": [_plain(r) for r in top.iter_rows(named=True)],
        "others": others,
        "new_label": NEW_LABEL,
        "gone_label": GONE_LABEL,
    }


# --------------------------------------------------------------------------------------------
# strategies


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
        results.select(_category(results, decision), *keys)
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
                    k.removeprefix("policy."): _plain_value(row[k]) if row else None for k in keys
                },
            }
        )
    return {"keys": [k.removeprefix("policy.") for k in keys], "rows": rows}


# --------------------------------------------------------------------------------------------
# the customer table


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
        _category(frame, decision)
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
    for other in _other_decisions(info, frame, decision):
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


# --------------------------------------------------------------------------------------------
# helpers


def _number(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return None if math.isnan(number) or math.isinf(number) else number


def _plain_value(value: Any) -> Any:
    if isinstance(value, float):
        return _number(value)
    if value is None or isinstance(value, bool | int | str):
        return value
    return str(value)


def _plain(row: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _plain_value(v) for k, v in row.items()}
