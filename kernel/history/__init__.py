"""``tierkit.history``: the history store (runs, results, overrides) and comparing runs."""

from __future__ import annotations

from tierkit.history.compare import (
    Decision,
    StoredDecision,
    category_overlap,
    change_counts,
    compare_previous,
    movers,
    transition_matrix,
    transitions,
)
from tierkit.history.database import verify_store
from tierkit.history.errors import (
    NotAStore,
    OverrideError,
    StoreDamaged,
    StoreError,
    StoreLocked,
    StoreTooNew,
    StoreUnreadable,
    UnknownCustomer,
    UnknownRun,
)
from tierkit.history.overrides import (
    OVERRIDE_SCHEMA,
    apply_overrides,
    chosen_overrides,
    in_force,
    override_summary,
    parse_value,
)
from tierkit.history.store import DEFAULT_STORE, HistoryStore, RunInfo, current_user

__all__ = [
    "DEFAULT_STORE",
    "OVERRIDE_SCHEMA",
    "Decision",
    "HistoryStore",
    "NotAStore",
    "OverrideError",
    "RunInfo",
    "StoreDamaged",
    "StoreError",
    "StoreLocked",
    "StoreTooNew",
    "StoreUnreadable",
    "StoredDecision",
    "UnknownCustomer",
    "UnknownRun",
    "apply_overrides",
    "category_overlap",
    "change_counts",
    "chosen_overrides",
    "compare_previous",
    "current_user",
    "in_force",
    "movers",
    "override_summary",
    "parse_value",
    "transition_matrix",
    "transitions",
    "verify_store",
]
