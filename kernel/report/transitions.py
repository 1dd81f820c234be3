"""The report's comparison with the previous run: transitions, changes and movers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import polars as pl

from tierkit.history import (
    HistoryStore,
    RunInfo,
    StoredDecision,
    change_counts,
    movers,
    transition_matrix,
)
from tierkit.history.compare import GONE_LABEL, NEW_LABEL
from tierkit.report.common import (
    ReportOptions,
    other_decisions,
    plain_row,
)


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
    for decision in other_decisions(info, results, primary.name):
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
        "movers": [plain_row(r) for r in top.iter_rows(named=True)],
        "others": others,
        "new_label": NEW_LABEL,
        "gone_label": GONE_LABEL,
    }
