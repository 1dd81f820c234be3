"""``tierkit evaluate``: decide every customer and write the results."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from tierkit.cli.common import guarded, print_json
from tierkit.cli.options import (
    DEFAULT_STORE_PATH,
    AsOfOption,
    DataOption,
    JsonOption,
    NoStoreOption,
    RulesetArgument,
    StoreOption,
    StrategyOption,
    as_of_date,
)
from tierkit.shipped import resolve_ruleset_paths

if TYPE_CHECKING:
    import polars as pl


def register(app: typer.Typer) -> None:
    app.command("evaluate")(evaluate_command)


@guarded
def evaluate_command(
    ruleset: RulesetArgument,
    data: DataOption,
    as_of: AsOfOption = None,
    strategy: StrategyOption = None,
    engine: Annotated[
        str,
        typer.Option("--engine", help="vector (default) or durable (durable_rules; same results)."),
    ] = ("vector"),
    backend: Annotated[
        str, typer.Option("--backend", help="polars (default), duckdb or spark.")
    ] = ("polars"),
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", "-o", help="Write the results: .csv, .parquet, .json or .xlsx (atomically)."
        ),
    ] = None,
    as_json: JsonOption = False,
    store: StoreOption = DEFAULT_STORE_PATH,
    no_store: NoStoreOption = False,
) -> None:
    """Decide every customer with a ruleset, print a summary and write the results.

    Example: tierkit evaluate vip-monthly --data ./tierkit-demo --out results.csv
    """
    from tierkit.evaluation import evaluate, write_results

    [path] = resolve_ruleset_paths([ruleset])[:1]
    err = Console(stderr=True, highlight=False)
    with err.status("starting") as status:
        run = evaluate(
            path,
            data,
            as_of=as_of_date(as_of),
            strategy=strategy,
            engine=engine,
            backend=backend,
            progress=lambda stage: status.update(stage),
            store=None if no_store else store,
        )
    if out is not None:
        write_results(run.results, out)
    if as_json:
        print_json({**run.manifest, "out": str(out) if out else None})
        return
    print_summary(run.manifest, run.results.height, run.results, run.ruleset.primary_decision)
    if out is not None:
        typer.echo(f"results: {out}")
    if "store" in run.manifest:
        typer.echo(f"run {run.manifest['run_id'][:12]} saved in {run.manifest['store']}")


def print_summary(
    manifest: dict[str, Any],
    customers: int,
    results: pl.DataFrame | None = None,
    primary: str | None = None,
) -> None:
    console = Console(highlight=False)
    title = (
        f"{manifest['ruleset']['name']} · strategy {manifest['strategy']} · as of "
        f"{manifest['as_of']} · {customers:,} customers"
    )
    table = Table(title=title, title_justify="left")
    for column in ("category", "customers", "share of customers", "value", "share of value"):
        table.add_column(column, justify="left" if column == "category" else "right")
    for row in manifest["categories"]:
        share = row["value_share"]
        table.add_row(
            str(row["category"]),
            f"{row['customers']:,}",
            f"{row['customer_share']:.1%}",
            f"{row['value']:,.2f}",
            "-" if share is None else f"{share:.1%}",
        )
    console.print(table)
    skipped = {t: r["skipped"] for t, r in manifest.get("data", {}).items() if r["skipped"]}
    if skipped:
        console.print("skipped rows: " + json.dumps(skipped))
    for table, read in manifest.get("data", {}).items():
        for column, found in read.get("negative", {}).items():
            console.print(f"negative {table}.{column} (refunds, credit notes): "
                          f"{found['rows']:,} rows, total {found['total']}")
        for warning in read.get("warnings", []):
            console.print(f"warning: {table}: {warning}")
    for name, counts_by_value in (manifest.get("decisions") or {}).items():
        shown = " · ".join(f"{value} {count:,}" for value, count in counts_by_value.items())
        console.print(f"{name}: {shown}")
    change = f"{primary}.change"
    if results is not None and primary and change in results.columns:
        counts = dict(results[change].value_counts().iter_rows())
        shown = ", ".join(f"{counts.get(k, 0):,} {k}" for k in ("up", "down", "same", "new"))
        previous = manifest.get("previous_run")
        since = f"run {previous[:12]}" if previous else "no earlier run"
        console.print(f"changes since {since}: {shown}")
    overrides = manifest.get("overrides") or {}
    if overrides.get("applied"):
        console.print(f"overrides applied: {overrides['applied']}")
    for key in ("unknown_customer", "unknown_decision"):
        for item in overrides.get(key) or []:
            Console(stderr=True).print(f"warning: override for an {key.replace('_', ' ')}: {item}")
