"""The ``runs`` table of the history store: what it lists of a run, and reading its rows."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import polars as pl

from tierkit.history.compare import Decision, StoredDecision
from tierkit.history.errors import StoreError

if TYPE_CHECKING:
    import duckdb

SUFFIXES: tuple[str, ...] = (".rule", ".because", ".decided", ".override", ".previous", ".change")
SUFFIXES += (".to_better", ".to_worse", ".limited_by")  # the main decision's near miss
"""The columns that go with a decision ``NAME`` in results: ``NAME.rule`` and so on."""


RUN_COLUMNS = (
    "run_id, created_at, as_of, ruleset, ruleset_sha256, strategy, engine, backend, customers, "
    "decisions, manifest, seq"
)


@dataclass(frozen=True)
class RunInfo:
    """One stored run, as :meth:`HistoryStore.runs` lists it."""

    run_id: str
    created_at: datetime
    """When it was saved, in UTC."""
    as_of: date
    ruleset: str
    ruleset_sha256: str | None
    strategy: str | None
    engine: str | None
    backend: str | None
    customers: int
    categories: list[dict[str, Any]]
    """The manifest's count and value share of each category."""
    decisions: dict[str, StoredDecision]
    main: str | None = None
    """The ruleset's main decision, when the run recorded it."""

    def as_dict(self) -> dict[str, Any]:
        """For ``--json``."""
        return {
            "run_id": self.run_id,
            "created_at": self.created_at.isoformat(),
            "as_of": self.as_of.isoformat(),
            "ruleset": self.ruleset,
            "ruleset_sha256": self.ruleset_sha256,
            "strategy": self.strategy,
            "engine": self.engine,
            "backend": self.backend,
            "customers": self.customers,
            "categories": self.categories,
            "decisions": {n: list(d.outcomes) for n, d in self.decisions.items()},
        }


def run_info_of(row: tuple[Any, ...]) -> RunInfo:
    run_id, created, as_of, ruleset, sha, strategy, engine, backend, customers = row[:9]
    decisions = {
        n: StoredDecision(n, tuple(d.get("outcomes") or ()), d.get("hit", "first"))
        for n, d in json.loads(row[9]).items()
    }
    manifest = json.loads(row[10])
    return RunInfo(
        run_id=run_id,
        created_at=created,
        as_of=as_of,
        ruleset=ruleset,
        ruleset_sha256=sha,
        strategy=strategy,
        engine=engine,
        backend=backend,
        customers=int(customers),
        categories=list(manifest.get("categories") or []),
        decisions=decisions,
        main=manifest.get("main") if isinstance(manifest.get("main"), str) else None,
    )


def identity(manifest: Mapping[str, Any]) -> tuple[str, date, str]:
    run_id = manifest.get("run_id")
    ruleset = (manifest.get("ruleset") or {}).get("name")
    as_of = manifest.get("as_of")
    if not isinstance(run_id, str) or not run_id:
        raise StoreError("the run manifest has no 'run_id'")
    if not isinstance(ruleset, str) or not ruleset:
        raise StoreError(f"run {run_id}: the manifest has no ruleset name")
    try:
        day = as_of if isinstance(as_of, date) else date.fromisoformat(str(as_of))
    except ValueError:
        raise StoreError(f"run {run_id}: the manifest's as_of '{as_of}' is not a date") from None
    return run_id, day, ruleset


def with_replaced(
    manifest: Mapping[str, Any], replaced: list[tuple[str, str]]
) -> Mapping[str, Any]:
    return {**manifest, "replaces": [r for r, _ in replaced]} if replaced else manifest


def same_runs_of(
    con: duckdb.DuckDBPyConnection, ruleset: str, as_of: date, strategy: Any
) -> list[tuple[str, str]]:
    """(run id, results table) of the runs with this ruleset, as-of date and strategy."""
    rows = con.execute(
        "select run_id, results_table from runs where ruleset = ? and as_of = ? and "
        "strategy is not distinct from ? order by seq",
        [ruleset, as_of, strategy],
    ).fetchall()
    return [(str(r[0]), str(r[1])) for r in rows]


def decisions_of(
    manifest: Mapping[str, Any], results: pl.DataFrame, given: Mapping[str, Decision] | None
) -> dict[str, StoredDecision]:
    if given is not None:
        return {n: StoredDecision(n, tuple(d.outcomes), d.hit) for n, d in given.items()}
    described = manifest.get("decisions") or {}
    columns = set(results.columns)
    names = [c for c in results.columns if f"{c}.rule" in columns or f"{c}.decided" in columns]
    found: dict[str, StoredDecision] = {}
    for position, name in enumerate(names):
        entry = described.get(name) or {}
        outcomes = entry.get("outcomes") if isinstance(entry, dict) else None
        if outcomes is None and position == 0:
            outcomes = [row.get("category") for row in manifest.get("categories") or []]
        found[name] = StoredDecision(name, tuple(outcomes or ()))
    return found


def history_row(info: RunInfo, found: pl.DataFrame) -> pl.DataFrame:
    wanted = ["name"] if "name" in found.columns else []
    for name in info.decisions:
        wanted += [c for c in (name, *(name + s for s in SUFFIXES)) if c in found.columns]
    wanted += ["value"] if "value" in found.columns else []
    return found.select(
        pl.lit(info.run_id).alias("run_id"),
        pl.lit(info.created_at).alias("created_at"),
        pl.lit(info.as_of).alias("as_of"),
        pl.lit(info.ruleset).alias("ruleset"),
        pl.lit(info.strategy, dtype=pl.String).alias("strategy"),
        *wanted,
    )
