"""``tierkit report``: one self-contained HTML file about a stored run, with charts."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tierkit.cli.common import guarded, print_json
from tierkit.cli.options import DEFAULT_STORE_PATH, JsonOption, StoreOption
from tierkit.defaults import REPORT_MAX_CUSTOMERS, REPORT_MOVERS


def register(app: typer.Typer) -> None:
    app.command("report")(report_command)


@guarded
def report_command(
    run: Annotated[
        str,
        typer.Argument(
            help="The run: 'latest' (default), 'previous', a run id or its first characters."
        ),
    ] = "latest",
    out: Annotated[
        Path,
        typer.Option("--out", "-o", help="The .html file to write (replaced atomically)."),
    ] = Path("report.html"),
    store: StoreOption = DEFAULT_STORE_PATH,
    ruleset: Annotated[
        str | None,
        typer.Option("--ruleset", help="Find 'latest' and 'previous' among this ruleset's runs."),
    ] = None,
    max_customers: Annotated[
        int,
        typer.Option(
            "--max-customers",
            min=1,
            help="The most customers the page's table holds; beyond it, the most valuable are "
            "kept and the page says so (charts and counts always cover every customer).",
        ),
    ] = REPORT_MAX_CUSTOMERS,
    movers: Annotated[
        int,
        typer.Option("--movers", min=0, help="How many of the biggest movers to list (0: all)."),
    ] = REPORT_MOVERS,
    as_json: JsonOption = False,
) -> None:
    """Write an HTML report of a stored run that opens offline, e.g. from an e-mail.

    It shows the run manifest; customers and value per category with key partners; the Pareto
    curve; each criterion's distribution per category; transitions from the previous run and
    the biggest movers; the strategy comparison when the store has one; policies; and a
    sortable, searchable customer table.

    Example: tierkit report latest --store history.duckdb --out report.html
    """
    from rich.console import Console

    from tierkit.report import ReportOptions, write_report

    options = ReportOptions(max_customers=max_customers, movers=movers)
    with Console(stderr=True).status("writing the report"):
        written = write_report(store, run, out, ruleset=ruleset, options=options)
    if as_json:
        print_json(
            {
                "report": str(written.path),
                "run_id": written.run_id,
                "bytes": written.bytes,
                "customers": written.customers,
                "customers_in_table": written.shown,
            }
        )
        return
    size = f"{written.bytes / 1_000_000:.1f} MB"
    table = (
        f"; the table holds the {written.shown:,} most valuable"
        if written.shown < written.customers
        else ""
    )
    plural = "" if written.customers == 1 else "s"
    typer.echo(
        f"report: {written.path} (run {written.run_id[:8]}, {written.customers:,} customer{plural}"
        f"{table}; {size})"
    )
