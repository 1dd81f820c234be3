"""``tierkit.evaluation``: run a ruleset over a data source, from Python or the command line."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import narwhals.stable.v2 as nw
import polars as pl

from tierkit.contract import Window
from tierkit.data import open_source, prepare_tables
from tierkit.data.keys import with_customer_keys
from tierkit.data.open import without_password
from tierkit.errors import UsageError
from tierkit.evaluation.criteria import with_customer_id
from tierkit.evaluation.nearmiss import with_near_miss
from tierkit.evaluation.run import evaluate_tables
from tierkit.evaluation.value_shares import category_values, value_totals, with_shares
from tierkit.history import HistoryStore, apply_overrides, compare_previous, override_summary
from tierkit.registry import Registry, get_registry
from tierkit.ruleset import load_ruleset
from tierkit.ruleset.attributes import criteria_for
from tierkit.ruleset.compiled import CompiledRuleset
from tierkit.shipped import resolve_ruleset_path

BACKENDS = ("polars", "duckdb", "spark")
ENGINES = ("vector", "durable")
Progress = Callable[[str], None]


@dataclass(frozen=True)
class Run:
    """What an evaluation produced: one row per customer, every value, and the manifest."""

    results: pl.DataFrame
    values: pl.DataFrame
    manifest: dict[str, Any]
    ruleset: CompiledRuleset


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
) -> Run:
    """Decide every customer of ``data`` with ``ruleset``; see docs/python-api.md.

    With a ``store`` (a history store or its path), ``previous.*`` reads the store's latest
    earlier run of the ruleset, overrides in force are applied after the decisions, each
    decision's change since that run is added, and the run is saved (unless ``save`` is false,
    as for explanations).
    """
    started = time.perf_counter()
    timings: dict[str, float] = {}
    say = progress or (lambda _stage: None)

    def lap(stage: str) -> None:
        nonlocal started
        now = time.perf_counter()
        timings[stage] = round(now - started, 3)
        started = now

    registry = registry or get_registry()
    if engine not in ENGINES:
        raise UsageError(f"unknown engine '{engine}'; choose one of {', '.join(ENGINES)}")
    if engine == "durable":
        from tierkit.engines import load_durable

        if backend != "polars":
            raise UsageError("the durable engine runs with the polars backend")
        load_durable()  # says clearly when durable_rules cannot run here
    if backend not in BACKENDS:
        raise UsageError(f"unknown backend '{backend}'; choose one of {', '.join(BACKENDS)}")
    if isinstance(as_of, str):
        try:
            as_of = date.fromisoformat(as_of)
        except ValueError:
            raise UsageError(f"as_of: '{as_of}' is not a date in the form YYYY-MM-DD") from None
    as_of = as_of or default_as_of()
    say("loading the ruleset")
    compiled = (
        ruleset
        if isinstance(ruleset, CompiledRuleset)
        else load_ruleset(resolve_ruleset_path(str(ruleset)), registry, strategy=strategy)
    )
    lap("load")
    manifest: dict[str, Any] = {
        "run_id": uuid.uuid4().hex,
        "as_of": as_of.isoformat(),
        "ruleset": {"name": compiled.name, "path": compiled.path, "sha256": compiled.sha256},
        "strategy": compiled.strategy,
        "engine": engine,
        "backend": backend,
        "plugins": [
            {"name": p.name, "package": p.package, "version": p.version} for p in registry.plugins
        ],
    }
    registry.emit("tierkit_run_started", manifest=manifest)
    say("reading the data")
    criteria = criteria_for(compiled.criteria.values(), registry.criteria)
    value_criterion = registry.criteria[registry.strategies[compiled.strategy].value]
    criteria.setdefault(value_criterion.name, value_criterion)
    opened = open_source(str(data), registry)
    prepared = prepare_tables(
        opened,
        criteria.values(),
        as_of,
        without_password(str(data)),
        window=Window(as_of, compiled.period, compiled.periods),
    )
    tables = _to_backend(prepared.tables, backend)
    manifest["data"] = prepared.report.as_dict()
    lap("read")
    history = store if isinstance(store, HistoryStore) or store is None else HistoryStore(store)
    previous_id = (
        history.previous_run_id(compiled.name, as_of, strategy=compiled.strategy)
        if history is not None
        else None
    )
    previous = history.results(previous_id) if history is not None and previous_id else None
    manifest["previous_run"] = previous_id
    say("deciding every customer")
    evaluated = evaluate_tables(compiled, registry, tables, as_of, previous, engine)
    lap("decide")
    decided = evaluated.results
    if history is not None:
        overrides = history.active_overrides(as_of, ruleset=compiled.name)
        decided = apply_overrides(decided, overrides, compiled.decisions, as_of)
        manifest["overrides"] = override_summary(decided, overrides, compiled.decisions, as_of)
        for decision in compiled.decisions.values():
            if decision.hit == "first":
                decided = compare_previous(decided, previous, decision)
    decided = with_near_miss(compiled, decided, evaluated.values, evaluated.periods)
    results = _with_value_and_policies(compiled, registry, tables, as_of, decided, evaluated.values)
    manifest["customers"] = results.height
    manifest["main"] = compiled.primary_decision
    counted = _category_values(compiled, results)
    manifest["categories"] = with_shares(counted, results.height)
    manifest["value_totals"] = value_totals(counted)
    manifest["decisions"] = {
        name: {_text(v): n for v, n in results[name].value_counts(sort=True).iter_rows()}
        for name, decision in compiled.decisions.items()
        if name != compiled.primary_decision and decision.hit == "first"
    }
    manifest["timings"] = timings
    if history is not None and save:
        say("saving the run")
        manifest["replaces"] = history.same_runs(compiled.name, as_of, compiled.strategy)
        history.save_run(manifest, results, compiled.decisions)
        manifest["store"] = str(history.path)
    registry.emit("tierkit_run_finished", manifest=manifest, results=results)
    return Run(results, evaluated.values, manifest, compiled)


def _to_backend(tables: Mapping[str, pl.LazyFrame], backend: str) -> dict[str, nw.LazyFrame[Any]]:
    """The prepared tables as lazy frames of ``backend``."""
    if backend == "polars":
        return {name: nw.from_native(frame) for name, frame in with_customer_keys(tables).items()}
    if backend == "spark":
        from tierkit.evaluation.spark import spark_frames

        return spark_frames(tables)
    import duckdb

    con = duckdb.connect()
    converted = {}
    for name, frame in tables.items():
        con.register(f"t_{name}", frame.collect().to_arrow())
        converted[name] = nw.from_native(con.sql(f"select * from t_{name}"))
    return converted


def _with_value_and_policies(
    ruleset: CompiledRuleset,
    registry: Registry,
    tables: Mapping[str, nw.LazyFrame[Any]],
    as_of: date,
    results: pl.DataFrame,
    computed_values: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Add the strategy's value over the window and the policy of each customer's category.

    When the ruleset already computed the strategy's criterion with the same parameters over its
    whole window (``use: value``, or the criterion by name, with one value per customer), that
    column is reused instead of computing the criterion again.
    """
    strategy = registry.strategies[ruleset.strategy]
    criterion = registry.criteria[strategy.value]
    params = {
        **{p.name: p.default for p in criterion.params},
        **strategy.params,
        "_per_period": False,
    }
    same = next(
        (
            b.name
            for b in ruleset.criteria.values()
            if b.criterion == criterion.name
            and not b.per_period
            and b.periods == ruleset.periods
            and dict(b.params) == {k: v for k, v in params.items() if k != "_per_period"}
        ),
        None,
    )
    if computed_values is not None and same is not None and same in computed_values.columns:
        values = computed_values.select("customer_id", pl.col(same).alias("value"))
    else:
        window = Window(as_of, ruleset.period, ruleset.periods)
        computed = with_customer_id(
            criterion.compute(tables, window, params), tables["customers"]
        ).select("customer_id", "value")
        native = nw.to_native(computed.collect(backend="polars"))
        assert isinstance(native, pl.DataFrame)
        values = native.with_columns(
            pl.col("customer_id").cast(pl.String), pl.col("value").cast(pl.Float64)
        )
    if results["customer_id"].equals(values["customer_id"]):
        results = results.with_columns(values["value"])  # same customers in the same order
    else:
        results = results.join(values, on="customer_id", how="left")
    if criterion.neutral is not None:  # a rate or score stays missing
        results = results.with_columns(pl.col("value").fill_null(float(criterion.neutral)))
    primary = ruleset.primary_decision
    keys = sorted({k for policy in ruleset.policies.values() for k in policy})
    for key in keys:
        mapping = {str(c): policy.get(key) for c, policy in ruleset.policies.items()}
        results = results.with_columns(
            pl.col(primary)
            .cast(pl.String)
            .replace_strict(mapping, default=None)
            .alias(f"policy.{key}")
        )
    return results


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _category_values(ruleset: CompiledRuleset, results: pl.DataFrame) -> list[dict[str, Any]]:
    """Customers and exact value of each category of the primary decision, in outcome order
    (shares of the positive total: :mod:`tierkit.evaluation.value_shares`)."""
    primary = ruleset.primary_decision
    rows = category_values(results, pl.col(primary))
    order = {str(o): i for i, o in enumerate(ruleset.decisions[primary].outcomes)}
    return sorted(rows, key=lambda r: order.get(str(r["category"]), 99))


def write_results(frame: pl.DataFrame, path: str | Path, registry: Registry | None = None) -> None:
    """Write results atomically: to a temporary file beside ``path``, then renamed over it."""
    registry = registry or get_registry()
    target = Path(path)
    writer = next(
        (w for w in registry.writers.values() if target.suffix.lower() in w.extensions), None
    )
    if writer is None:
        known = ", ".join(e for w in registry.writers.values() for e in w.extensions)
        raise UsageError(f"{target}: unknown output format '{target.suffix}'; use one of {known}")
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        writer.write(frame, str(temporary))
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
