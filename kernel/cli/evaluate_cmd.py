"""``tierkit evaluate``: decide every customer and write the results."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

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
from tierkit.numbers import money, percent
from tierkit.shipped import resolve_ruleset_path

if TYPE_CHECKING:
    import polars as pl
    from rich.console import Console
    from rich.table import Table


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
    from rich.console import Console

    from tierkit.evaluation import evaluate
    from tierkit.evaluation.manifest import Stopwatch

    watch = Stopwatch.since_process_start()  # the manifest's timings cover the whole process
    path = resolve_ruleset_path(ruleset)
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
            out=out,
            stopwatch=watch,
        )
    if as_json:
        print_json({**run.manifest, "out": str(out) if out else None})
        return
    print_summary(run.manifest, run.results.height, run.results, run.ruleset.primary_decision)
    if out is not None:
        typer.echo(f"results: {out}")
    print_saved(run.manifest)


def print_saved(manifest: dict[str, Any], tail: str = "") -> None:
    """Where the run was saved, and the earlier run of the same month it replaced."""
    if "store" not in manifest:
        return
    typer.echo(f"run {manifest['run_id'][:12]} saved in {manifest['store']}{tail}")
    for replaced in manifest.get("replaces") or []:
        typer.echo(
            f"it replaces run {replaced[:12]}, of the same ruleset, as-of date and strategy "
            "(a rerun of a month replaces the earlier run: docs/history.md)"
        )


def _wide_enough(console: Console, table: Table) -> Console:
    """``console``, or one as wide as ``table`` on one line when the terminal is narrower:
    rich would cut its numbers (``1,034,79…``); a line wrapped by the terminal keeps every
    digit."""
    from rich.console import Console
    from rich.measure import Measurement

    unbounded = console.options.update_width(10_000)
    needed = Measurement.get(console, unbounded, table).maximum
    return console if needed <= console.width else Console(highlight=False, width=needed)


def print_summary(
    manifest: dict[str, Any],
    customers: int,
    results: pl.DataFrame | None = None,
    primary: str | None = None,
) -> None:
    from rich.console import Console
    from rich.table import Table

    from tierkit.history.compare import label

    console = Console(highlight=False)
    title = (
        f"{manifest['ruleset']['name']} · strategy {manifest['strategy']} · as of "
        f"{manifest['as_of']} · {customers:,} customer{'' if customers == 1 else 's'}"
    )
    table = Table(title=title, title_justify="left")
    totals = manifest.get("value_totals") or {}
    losses = bool(totals.get("losses"))  # with losses, say which total the shares are of
    columns = ["category", "customers", "share of customers", "value", "share of value"]
    if losses:
        columns[3:] = ["value (net)", "losses", "share of positive value"]
    for column in columns:
        table.add_column(column, justify="left" if column == "category" else "right")
    for row in manifest["categories"]:
        share = row["value_share"]
        table.add_row(
            label(row["category"]),
            f"{row['customers']:,}",
            percent(row["customer_share"]),
            money(row["value"]),
            *([money(row.get("value_losses") or 0.0)] if losses else []),
            "-" if share is None else percent(share),
        )
    console = _wide_enough(console, table)
    console.print(table)
    if losses:
        console.print(
            f"value: net total {money(totals['net'])} (positive {money(totals['positive'])}, "
            f"losses {money(totals['losses'])}); shares are of the positive total"
        )
    for line in skipped_lines(manifest.get("data") or {}):
        console.print(line)
    for table, read in manifest.get("data", {}).items():
        for column, found in read.get("negative", {}).items():
            console.print(
                f"negative {table}.{column} (refunds, credit notes): "
                f"{found['rows']:,} rows, total {found['total']}"
            )
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
    applied = overrides.get("applied") or []
    if applied:
        ids = ", ".join(f"#{i}" for i in applied)
        console.print(f"overrides applied: {len(applied):,} ({ids}); `tierkit overrides list`")
    unknown = {
        "unknown_customer": "customer {customer_id} is not in the data",
        "unknown_decision": "ruleset has no decision '{decision}'",
    }
    for key, why in unknown.items():
        for item in overrides.get(key) or []:
            Console(stderr=True, highlight=False).print(
                f"warning: override #{item['id']} (customer {item['customer_id']}, "
                f"{item['decision']}) applies to no one here: the " + why.format(**item)
            )


SKIP_REASONS = {"unknown customer": "of a customer not in the customers table"}
"""How a skip reason of the data report reads after a row count ("3 rows …")."""


def skipped_lines(data: dict[str, Any]) -> list[str]:
    """One sentence per table with skipped rows: how many, of how many, and why."""
    lines = []
    for table, report in data.items():
        reasons = report.get("skipped") or {}
        if not reasons:
            continue
        parts = []
        for reason, n in reasons.items():
            if reason in SKIP_REASONS:
                reason = SKIP_REASONS[reason]
            elif reason.startswith("no "):
                reason = f"with {reason}"
            elif reason.startswith("on or after"):
                reason = f"dated {reason}"
            parts.append(f"{n:,} {reason}")
        total = sum(reasons.values())
        rows = report.get("rows", total)
        lines.append(f"skipped rows in {table}: {total:,} of {rows:,} ({', '.join(parts)})")
    return lines
