"""The stages of an evaluation, each a typed function; :func:`tierkit.evaluation.evaluate` runs
them in order and times each in the run manifest (:mod:`tierkit.evaluation.manifest`)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import narwhals.stable.v2 as nw
import polars as pl

from tierkit.by_id import beside
from tierkit.contract import OpenedSource, Window
from tierkit.data import open_source, prepare_tables
from tierkit.data.keys import with_customer_keys
from tierkit.data.open import without_password
from tierkit.errors import UsageError
from tierkit.evaluation.criteria import with_customer_id
from tierkit.evaluation.limits import check_population
from tierkit.evaluation.manifest import OverrideSummary, PluginRef, RulesetRef, RunManifest
from tierkit.evaluation.value_shares import category_values, value_totals, with_shares
from tierkit.history import HistoryStore, apply_overrides, compare_previous, override_summary
from tierkit.history.compare import label, label_expr
from tierkit.registry import Registry
from tierkit.ruleset import load_ruleset
from tierkit.ruleset.attributes import criteria_for
from tierkit.ruleset.compiled import CompiledRuleset
from tierkit.shipped import resolve_ruleset_path

BACKENDS = ("polars", "duckdb", "spark")
ENGINES = ("vector", "durable")


EARLIEST_AS_OF = date(1900, 1, 1)
LATEST_AS_OF = date(9000, 12, 31)
"""The as-of dates a run may have: every window (up to 600 years, twice that with a previous
window) and period end of such a run is a date Python can hold."""


def check_options(engine: str, backend: str, as_of: date | str | None, today: date) -> date:
    """The as-of date; a usage error for an unknown engine or backend or a malformed date."""
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
    day = as_of or today.replace(day=1)
    if not EARLIEST_AS_OF <= day <= LATEST_AS_OF:  # windows reach back up to 600 years
        raise UsageError(
            f"as-of date {day.isoformat()} is out of range: tierkit evaluates as of a date"
            f" from {EARLIEST_AS_OF.isoformat()} to {LATEST_AS_OF.isoformat()}"
        )
    return day


def load(
    ruleset: str | Path | CompiledRuleset, registry: Registry, strategy: str | None
) -> CompiledRuleset:
    """The compiled ruleset (a path or the name of a shipped one is loaded and checked)."""
    if isinstance(ruleset, CompiledRuleset):
        return ruleset
    return load_ruleset(resolve_ruleset_path(str(ruleset)), registry, strategy=strategy)


def start_manifest(
    compiled: CompiledRuleset, registry: Registry, as_of: date, engine: str, backend: str
) -> RunManifest:
    """The manifest of a new run: what is known before any data is read."""
    return RunManifest(
        run_id=uuid.uuid4().hex,
        as_of=as_of,
        ruleset=RulesetRef(compiled.name, compiled.path, compiled.sha256),
        strategy=compiled.strategy,
        engine=engine,
        backend=backend,
        plugins=[PluginRef(p.name, p.package, p.version) for p in registry.plugins],
        main=compiled.primary_decision,
    )


@dataclass(frozen=True)
class Prepared:
    """The checked tables, as lazy frames of the run's backend, and the data report."""

    tables: dict[str, nw.LazyFrame[Any]]
    report: dict[str, Any]


def open_data(data: str | Path, registry: Registry) -> OpenedSource:
    """The data source's tables, as its reader opens them (Parquet files stay lazy scans)."""
    return open_source(str(data), registry)


def prepare(
    compiled: CompiledRuleset,
    registry: Registry,
    opened: OpenedSource,
    data: str | Path,
    as_of: date,
    backend: str,
) -> Prepared:
    """Check and clean the tables the criteria need (the strategy's value criterion among them)
    and hand them to the backend."""
    criteria = criteria_for(compiled.criteria.values(), registry.criteria)
    value_criterion = registry.criteria[registry.strategies[compiled.strategy].value]
    criteria.setdefault(value_criterion.name, value_criterion)
    prepared = prepare_tables(
        opened,
        criteria.values(),
        as_of,
        without_password(str(data)),
        window=Window(as_of, compiled.period, compiled.periods),
    )
    customers = prepared.tables["customers"].select(pl.len()).collect().item()
    check_population(compiled, int(customers))
    return Prepared(to_backend(prepared.tables, backend), prepared.report.as_dict())


def to_backend(tables: Mapping[str, pl.LazyFrame], backend: str) -> dict[str, nw.LazyFrame[Any]]:
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


@dataclass(frozen=True)
class Earlier:
    """What the history store knows before a run: the previous run and the overrides."""

    run_id: str | None
    results: pl.DataFrame | None
    overrides: pl.DataFrame | None


def earlier(history: HistoryStore | None, compiled: CompiledRuleset, as_of: date) -> Earlier:
    """The previous run of the ruleset (its results) and the overrides in force on ``as_of``."""
    if history is None:
        return Earlier(None, None, None)
    run_id = history.previous_run_id(compiled.name, as_of, strategy=compiled.strategy)
    # only what a run reads of its previous run: the ids and each decision's values
    wanted = ["customer_id"] + [
        column
        for decision in compiled.decisions.values()
        for column in (
            decision.name,
            *(f"{decision.name}::{o}" for o in decision.outcomes if decision.hit == "collect"),
        )
    ]
    previous = history.results(run_id, wanted) if run_id else None
    overrides = history.active_overrides(as_of, ruleset=compiled.name)
    return Earlier(run_id, previous, overrides)


def with_overrides(
    compiled: CompiledRuleset, decided: pl.DataFrame, found: Earlier, as_of: date
) -> tuple[pl.DataFrame, OverrideSummary | None]:
    """The overrides in force applied, and each decision's change since the previous run.

    Without a store there is nothing to apply; with no override in force nothing is computed
    for overrides.
    """
    if found.overrides is None:
        return decided, None
    summary = OverrideSummary()
    if not found.overrides.is_empty():
        decided = apply_overrides(decided, found.overrides, compiled.decisions, as_of)
        summary = OverrideSummary.of(
            override_summary(decided, found.overrides, compiled.decisions, as_of)
        )
    for decision in compiled.decisions.values():
        if decision.hit == "first":
            decided = compare_previous(decided, found.results, decision)
    return decided, summary


def with_value_and_policies(
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
    results = beside(results, values)
    if criterion.neutral is not None:  # a rate or score stays missing
        results = results.with_columns(pl.col("value").fill_null(float(criterion.neutral)))
    primary = ruleset.primary_decision
    keys = sorted({k for policy in ruleset.policies.values() for k in policy})
    written = label_expr(primary, results.schema[primary])  # 10 for 10.0, true for True
    outcomes = ruleset.decisions[primary].outcomes
    policies = {label(o): ruleset.policies[str(o)] for o in outcomes if str(o) in ruleset.policies}
    for key in keys:
        mapping = {value: policy.get(key) for value, policy in policies.items()}
        results = results.with_columns(
            written.replace_strict(mapping, default=None).alias(f"policy.{key}")
        )
    return results


def summarise(manifest: RunManifest, compiled: CompiledRuleset, results: pl.DataFrame) -> None:
    """Count the customers, and the customers and value of each category, into ``manifest``."""
    primary = compiled.primary_decision
    rows = category_values(results, pl.col(primary))
    order = {label(o): i for i, o in enumerate(compiled.decisions[primary].outcomes)}
    counted = sorted(rows, key=lambda r: order.get(label(r["category"]), len(order)))
    manifest.customers = results.height
    manifest.categories = with_shares(counted, results.height)
    manifest.value_totals = value_totals(counted)
    manifest.decisions = {
        name: {label(v): n for v, n in results[name].value_counts(sort=True).iter_rows()}
        for name, decision in compiled.decisions.items()
        if name != primary and decision.hit == "first"
    }

