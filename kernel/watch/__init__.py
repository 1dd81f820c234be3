"""``tierkit.watch``: events that re-decide customers between batch runs (docs/watch.md).

::

    import tierkit

    summary = tierkit.watch_events(
        "abc-pareto", "data/", "tierkit.duckdb", open("events.jsonl"), on_change=print
    )
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from tierkit.contract import Column, ColumnType, Window
from tierkit.data import open_source, prepare_tables
from tierkit.data.open import without_password
from tierkit.data.prepare import MAIN_DATE, needed_columns
from tierkit.errors import UsageError
from tierkit.history import HistoryStore
from tierkit.registry import Registry, get_registry
from tierkit.ruleset import load_ruleset
from tierkit.ruleset.attributes import criteria_for
from tierkit.ruleset.compiled import CompiledRuleset
from tierkit.shipped import resolve_ruleset_path
from tierkit.watch.changes import ChangeLog, read_changes
from tierkit.watch.decide import ID, decide_customers, decision_names
from tierkit.watch.events import BadEvent
from tierkit.watch.frozen import FrozenRankings, ranking_calls
from tierkit.watch.index import LeaveIndex
from tierkit.watch.session import Change, Session

ON_BAD = ("skip", "stop")
ENGINES = ("vector", "durable")


class WatchUnsupported(UsageError):
    """The ruleset uses something a watch cannot follow between runs."""


@dataclass
class Started:
    """What a watch starts from, as stated in its first output line."""

    run_id: str
    as_of: date
    ruleset: str
    engine: str
    customers: int
    cutoffs: list[dict[str, Any]]
    differs: int
    """Customers whose decisions, computed again from the data, differ from the stored run's
    (the data changed since the run); the stored decisions are the starting point."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "watch": "started",
            "run": self.run_id,
            "as_of": self.as_of.isoformat(),
            "ruleset": self.ruleset,
            "engine": self.engine,
            "customers": self.customers,
            "population": "frozen at the run: ranking functions compare a re-decided "
            "customer's new value with everyone else's value in the run",
            "cutoffs": self.cutoffs,
            "differs_from_stored": self.differs,
        }


@dataclass
class WatchSummary:
    """What a watch did: its start, every change, every bad event it skipped."""

    started: Started
    changes: list[Change] = field(default_factory=list)
    bad: list[BadEvent] = field(default_factory=list)
    events: int = 0
    decided: int = 0


def open_session(
    ruleset: str | Path | CompiledRuleset,
    data: str | Path,
    store: str | Path,
    *,
    engine: str = "vector",
    on_bad_event: str = "skip",
    registry: Registry | None = None,
) -> tuple[Session, Started, ChangeLog]:
    """Load the last stored run of ``ruleset`` and the data it was decided from."""
    registry = registry or get_registry()
    if engine not in ENGINES:
        raise UsageError(f"unknown engine '{engine}'; choose one of {', '.join(ENGINES)}")
    if on_bad_event not in ON_BAD:
        raise UsageError(f"--on-bad-event must be skip or stop, not '{on_bad_event}'")
    if engine == "durable":
        from tierkit.engines import load_durable

        load_durable()  # says how to install durable_rules when it is missing
    compiled = (
        ruleset
        if isinstance(ruleset, CompiledRuleset)
        else load_ruleset(resolve_ruleset_path(str(ruleset)), registry)
    )
    for fact, call, per_period in ranking_calls(compiled):
        if per_period:
            raise WatchUnsupported(
                f"{compiled.path}:{compiled.derived[fact].expr.line}: '{fact}' ranks each "
                f"period ({call.func}); a watch ranks against the last run's population, "
                "which it keeps for values over the whole window only. Rank a whole-window "
                "value, or decide this ruleset in batch runs"
            )
    history = HistoryStore(store)
    run_id = history.previous_run_id(compiled.name, date.max, strategy=compiled.strategy)
    if run_id is None:
        raise UsageError(
            f"{store}: no stored run of ruleset '{compiled.name}' (strategy "
            f"{compiled.strategy}) to start from; run `tierkit evaluate {compiled.name} --data "
            f"{data} --store {store}` first"
        )
    info = history.run_info(run_id)
    stored = history.results(run_id)
    before = history.previous_run_id(compiled.name, info.as_of, strategy=compiled.strategy)
    earlier = history.results(before) if before else None
    criteria = criteria_for(compiled.criteria.values(), registry.criteria)
    prepared = prepare_tables(
        open_source(str(data), registry),
        criteria.values(),
        info.as_of,
        without_password(str(data)),
        window=Window(info.as_of, compiled.period, compiled.periods),
    )
    tables = {name: frame.collect() for name, frame in prepared.tables.items()}
    frozen = FrozenRankings()
    lazy = {name: frame.lazy() for name, frame in tables.items()}
    again = decide_customers(
        compiled, registry, lazy, info.as_of, earlier, frozen, engine=engine, learn=True
    )
    names = decision_names(compiled)
    present = set(tables["customers"][ID].to_list())
    # the rules' value where an override replaced it: a watch follows what the rules decide
    state = {
        row[ID]: {
            n: (row.get(f"{n}.decided", row[n]), row.get(f"{n}.rule"), row.get(f"{n}.because"))
            for n in names
        }
        for row in stored.iter_rows(named=True)
        if row[ID] in present
    }
    differs = _differences(stored, again, names)
    needs = needed_columns(criteria.values())
    schema = {
        table: {n: c for n, (c, _) in columns.items() if n in tables.get(table, pl.DataFrame())}
        for table, columns in needs.items()
        if table in tables
    }
    dates = {
        table: tuple(n for n, c in columns.items() if c.type == ColumnType.DATE)
        for table, columns in schema.items()
        if table != "customers"
    }
    session = Session(
        ruleset=compiled,
        registry=registry,
        tables=tables,
        schema=schema,
        main_dates={t: MAIN_DATE.get(t) for t in schema},
        clock=info.as_of,
        previous=stored,
        state=state,
        frozen=frozen,
        index=LeaveIndex.of_tables(tables, compiled.period, dates),
        engine=engine,
        on_bad=on_bad_event,
    )
    started = Started(
        run_id, info.as_of, compiled.name, engine, len(state), frozen.cutoffs(compiled), differs
    )
    return session, started, ChangeLog(store, run_id, compiled.name)


def watch_events(
    ruleset: str | Path | CompiledRuleset,
    data: str | Path,
    store: str | Path,
    events: Iterable[str | None],
    *,
    engine: str = "vector",
    on_bad_event: str = "skip",
    on_change: Callable[[Change], None] | None = None,
    on_bad: Callable[[BadEvent], None] | None = None,
    registry: Registry | None = None,
) -> WatchSummary:
    """Re-decide the customers that ``events`` (JSON lines) touch; see docs/watch.md.

    Starts from the last run of ``ruleset`` stored in ``store`` and the ``data`` it was
    decided from. Each change is recorded in the store, then passed to ``on_change``; a bad
    line is passed to ``on_bad`` and skipped (``on_bad_event="skip"``) or raised as
    :class:`~tierkit.watch.events.BadEvent` (``"stop"``), after the changes before it.
    """
    session, started, log = open_session(
        ruleset, data, store, engine=engine, on_bad_event=on_bad_event, registry=registry
    )
    summary = WatchSummary(started)
    try:
        for item in session.run(events, log.record, log.release):
            if isinstance(item, BadEvent):
                summary.bad.append(item)
                if on_bad is not None:
                    on_bad(item)
            else:
                summary.changes.append(item)
                if on_change is not None:
                    on_change(item)
    finally:
        log.release()
    summary.events = session.events
    summary.decided = session.decided
    return summary


def _differences(stored: pl.DataFrame, again: pl.DataFrame, names: list[str]) -> int:
    decided = [
        pl.col(f"{n}.decided").alias(n) if f"{n}.decided" in stored.columns else pl.col(n)
        for n in names
    ]
    joined = stored.select(ID, *decided).join(
        again.select(ID, *(pl.col(n).alias(f"{n}·again") for n in names)), on=ID, how="left"
    )
    differ = pl.lit(False)
    for n in names:
        differ = differ | pl.col(n).ne_missing(pl.col(f"{n}·again"))
    return int(joined.select(differ.sum()).item())


__all__ = [
    "BadEvent",
    "Change",
    "ChangeLog",
    "Column",
    "Started",
    "WatchSummary",
    "WatchUnsupported",
    "open_session",
    "read_changes",
    "watch_events",
]
