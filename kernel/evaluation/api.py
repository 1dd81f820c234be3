"""``tierkit.evaluation``: run a ruleset over a data source, from Python or the command line.

:func:`evaluate` runs the stages of :mod:`tierkit.evaluation.stages` in order and times each in
the typed run manifest (:class:`~tierkit.evaluation.manifest.RunManifest`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from tierkit.errors import UsageError
from tierkit.evaluation import stages
from tierkit.evaluation.manifest import RunManifest, Stopwatch
from tierkit.evaluation.nearmiss import with_near_miss
from tierkit.evaluation.output import PendingWrite, check_output, start_write
from tierkit.evaluation.run import evaluate_tables
from tierkit.history import HistoryStore, verify_store
from tierkit.registry import Registry, get_registry
from tierkit.ruleset.compiled import CompiledRuleset

BACKENDS = stages.BACKENDS
ENGINES = stages.ENGINES
Progress = Callable[[str], None]


@dataclass(frozen=True)
class Run:
    """What an evaluation produced: one row per customer, every value, and the manifest."""

    results: pl.DataFrame
    values: pl.DataFrame
    manifest: dict[str, Any]
    """The manifest as JSON (:meth:`RunManifest.as_dict`), as ``--json`` prints it."""
    ruleset: CompiledRuleset
    record: RunManifest | None = None
    """The same manifest, typed."""


def default_as_of(today: date | None = None) -> date:
    """The first day of the current month."""
    today = today or date.today()
    return today.replace(day=1)


def evaluate(
    ruleset: str | Path | CompiledRuleset,
    data: str | Path,
    *,
    as_of: date | str | None = None,
    strategy: str | None = None,
    engine: str = "vector",
    backend: str = "polars",
    registry: Registry | None = None,
    progress: Progress | None = None,
    store: HistoryStore | str | Path | None = None,
    save: bool = True,
    out: str | Path | None = None,
    stopwatch: Stopwatch | None = None,
) -> Run:
    """Decide every customer of ``data`` with ``ruleset``; see docs/python-api.md.

    With a ``store`` (a history store or its path), ``previous.*`` reads the store's latest
    earlier run of the ruleset, overrides in force are applied after the decisions, each
    decision's change since that run is added, and the run is saved (unless ``save`` is false,
    as for explanations). With ``out`` the results are written there (atomically) before the
    run is saved. ``stopwatch`` times the stages; the command line passes one started with the
    process, so that the manifest's timings account for the whole process.
    """
    watch = stopwatch or Stopwatch()
    watch.lap("start")
    say = progress or (lambda _stage: None)
    registry = registry or get_registry()
    target = None if out is None else check_output(out, registry)  # before any work
    if store is not None and save:
        store_path = store.path if isinstance(store, HistoryStore) else Path(store)
        if target is not None and target.resolve() == store_path.resolve():
            raise UsageError(
                f"{target}: --out and --store name the same file; the results and the history "
                "store need a file each"
            )
        verify_store(store_path)
    day = stages.check_options(engine, backend, as_of, date.today())
    say("loading the ruleset")
    compiled = stages.load(ruleset, registry, strategy)
    manifest = stages.start_manifest(compiled, registry, day, engine, backend)
    watch.lap("load")
    registry.emit("tierkit_run_started", manifest=manifest.as_dict())
    say("reading the data")
    opened = stages.open_data(data, registry)
    watch.lap("read")
    prepared = stages.prepare(compiled, registry, opened, data, day, backend)
    manifest.data = prepared.report
    if target is not None:
        known = {need.table for c in registry.criteria.values() for need in c.needs}
        _refuse_a_table_as_out(target, data, sorted({*prepared.tables, *known}))
    watch.lap("prepare")
    history = store if isinstance(store, HistoryStore) or store is None else HistoryStore(store)
    found = stages.earlier(history, compiled, day)
    manifest.previous_run = found.run_id
    watch.lap("history")
    say("deciding every customer")
    evaluated = evaluate_tables(
        compiled, registry, prepared.tables, day, found.results, engine, lap=watch.lap
    )
    watch.lap("decide")
    decided, manifest.overrides = stages.with_overrides(compiled, evaluated.results, found, day)
    watch.lap("overrides")
    decided = with_near_miss(compiled, decided, evaluated.values, evaluated.periods)
    watch.lap("near_miss")
    results = stages.with_value_and_policies(
        compiled, registry, prepared.tables, day, decided, evaluated.values
    )
    stages.summarise(manifest, compiled, results)
    watch.lap("collect")
    pending = None
    if target is not None:
        say("writing the results")
        pending = start_write(results, target, registry)
        manifest.out = str(target)
        watch.lap("write")
    manifest.timings = watch.laps
    if history is not None and save:
        say("saving the run")
        _save(history, compiled, results, manifest, watch, pending)
    elif pending is not None:
        pending.finish()
        watch.lap("write")
    as_json = manifest.as_dict()
    registry.emit("tierkit_run_finished", manifest=as_json, results=results)
    return Run(results, evaluated.values, as_json, compiled, manifest)


def _refuse_a_table_as_out(target: Path, data: str | Path, tables: Iterable[str]) -> None:
    """A usage error when ``--out`` would replace (or double) a table file of the data folder:
    one this run reads, or one another ruleset's criteria read (``shipments.csv`` under a
    ruleset of payments alone).

    Written there, the results would silently become the next run's ``customers`` table, or
    stand beside ``customers.csv`` as a second one.
    """
    folder = Path(data)
    if not folder.is_dir() or target.resolve().parent != folder.resolve():
        return
    stem = target.name.split(".")[0].casefold()
    for table in tables:
        if stem == table.casefold():
            raise UsageError(
                f"{target}: --out would write the results over the table '{table}' of the "
                f"data folder {folder}; give another file name, e.g. {folder / 'results.csv'}"
            )


def _save(
    history: HistoryStore,
    compiled: CompiledRuleset,
    results: pl.DataFrame,
    manifest: RunManifest,
    watch: Stopwatch,
    pending: PendingWrite | None,
) -> None:
    """Save the run; the results file (``pending``) is flushed to the disk meanwhile, in a
    thread, and the run is committed only once it is in place: a failed flush (a full disk)
    rolls the run back, so nothing is stored. The flush is mostly waiting for the disk, the
    saving mostly work of polars and DuckDB, so they run side by side; the store waits for the
    flush only in its ``last`` step, just before the commit (docs/performance.md, item 17)."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="tierkit-flush") as pool:
        flushed = pool.submit(pending.finish) if pending is not None else None

        def saved(replaced: list[str]) -> dict[str, Any]:
            if flushed is not None:
                flushed.result()  # the flush's error, raised inside the transaction
            manifest.replaces = replaced
            manifest.store = str(history.path)
            watch.lap("save")
            return manifest.as_dict()

        try:
            history.save_run(manifest.as_dict(), results, compiled.decisions, last=saved)
        finally:
            if flushed is not None:
                wait([flushed])  # the file is in place or removed before anything is told
    watch.lap("save")  # and the commit
