"""``tierkit demo``: write realistic demo data for all six tables, reproducible from a seed."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from tierkit.cli.common import guarded
from tierkit.cli.evaluate_cmd import print_saved, print_summary
from tierkit.cli.options import DEFAULT_STORE_PATH, StoreOption
from tierkit.defaults import DEFAULT_STORE
from tierkit.demo.formats import DemoFormat
from tierkit.errors import UsageError
from tierkit.shipped import resolve_ruleset_path

if TYPE_CHECKING:
    from tierkit.demo import WrittenTable
    from tierkit.demo.generate import ProgressFn


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)


def _parse_as_of(text: str | None) -> date:
    """The ``--as-of`` date, or the first day of the current month when not given."""
    if text is None:
        from tierkit.demo import default_as_of

        return default_as_of()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UsageError(
            f"--as-of: '{text}' is not a date; write it as YYYY-MM-DD, e.g. 2026-01-01"
        ) from None


@contextmanager
def _progress_bars(customers: int) -> Iterator[ProgressFn]:
    """One progress bar per table on standard error (only when it is a terminal)."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from tierkit.demo import TABLES

    console = Console(stderr=True)
    bars = Progress(
        TextColumn("{task.fields[table]:<12}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("customers, {task.fields[rows]:>12,} rows"),
        TimeElapsedColumn(),
        console=console,
        disable=not console.is_terminal,
    )
    tasks = {t: bars.add_task(t, total=customers, table=t, rows=0) for t in TABLES}

    def update(table: str, done: int, rows: int) -> None:
        bars.update(tasks[table], completed=done, rows=rows)

    with bars:
        yield update


DEMO_FILES = frozenset({"results.csv", "report.html", DEFAULT_STORE, f"{DEFAULT_STORE}.wal"})
"""Files a demo writes besides its tables (earlier versions kept their store in the folder)."""
SYSTEM_FILES = frozenset({".DS_Store", "Thumbs.db", "desktop.ini"})
"""Files a file manager leaves in any folder it showed."""


def _check_out(out: Path, force: bool) -> None:
    """Refuse to write into a folder holding anything but an earlier demo's files."""
    from tierkit.demo import TABLES

    for part in reversed([out, *out.parents]):
        if part.exists() and not part.is_dir():  # a file or a device (/dev/null) on the way
            raise UsageError(f"--out {out}: {part} is not a folder; give a folder for the tables")
    if force or not out.is_dir():
        return
    ours = set(DEMO_FILES | SYSTEM_FILES)
    for table in TABLES:
        for fmt in DemoFormat:
            ours |= {f"{table}.{fmt.value}", f"{table}.{fmt.value}.partial"}
    leftovers = (".results.csv.", ".report.html.")  # partial files of a demo that was killed
    foreign = sorted(
        p.name
        for p in out.iterdir()
        if p.name not in ours and not (p.name.startswith(leftovers) and p.name.endswith("partial"))
    )
    if foreign:
        more = f" and {len(foreign) - 5} more" if len(foreign) > 5 else ""
        shown = ", ".join(foreign[:5]) + more
        raise UsageError(
            f"--out {out}: the folder holds files the demo did not write ({shown}); the demo "
            "overwrites the files it writes there: give an empty or new folder, or --force to "
            "write into it anyway"
        )


def _summary(written: list[WrittenTable]) -> None:
    """One line per written table: its name, rows and file."""
    for table in written:
        typer.echo(f"{table.table:<12} {table.rows:>12,} rows  {table.path}")


@guarded
def demo(
    customers: Annotated[
        int, typer.Option("--customers", min=1, help="Number of customers to generate.")
    ] = 2000,
    months: Annotated[
        int, typer.Option("--months", min=1, help="Months of activity before the as-of date.")
    ] = 24,
    seed: Annotated[
        int, typer.Option("--seed", min=0, help="Random seed: the same seed gives the same files.")
    ] = 7,
    out: Annotated[
        Path, typer.Option("--out", file_okay=False, help="Folder to write the tables into.")
    ] = Path("tierkit-demo"),
    fmt: Annotated[
        DemoFormat, typer.Option("--format", help="File format of the tables.")
    ] = DemoFormat.CSV,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            metavar="DATE",
            help="Every generated event is dated before this day (YYYY-MM-DD). "
            "Default: the first day of the current month.",
            show_default=False,
        ),
    ] = None,
    ruleset: Annotated[
        str,
        typer.Option(
            "--ruleset",
            help="The ruleset evaluated on the data afterwards (a shipped "
            "name or a file); --no-evaluate skips it.",
        ),
    ] = "vip-monthly",
    run_evaluation: Annotated[
        bool, typer.Option("--evaluate/--no-evaluate", help="Evaluate the ruleset on the data.")
    ] = True,
    store: StoreOption = DEFAULT_STORE_PATH,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Write into --out even when it holds files an earlier demo did not write "
            "(the demo's own files there are overwritten).",
        ),
    ] = False,
) -> None:
    """Write realistic demo data for all six tables: customers, payments, invoices, shipments,
    contracts and assessments.

    Customer value is heavy-tailed (the top 20% hold about 70% of payments), orders peak in
    the fourth quarter, customers arrive and leave, some pay late or in parts, some deliveries
    are late or incomplete, contracts end or are terminated, and managers assess the bigger
    customers. Give --as-of for files that are byte-identical on any day.

    Then it evaluates a shipped ruleset on the data, prints the summary and writes the
    results to results.csv and a report to report.html in the same folder, and saves the run
    in the history store that every other command reads (./tierkit.duckdb by default), so
    `tierkit runs`, `report`, `history` and `diff` find it.

    --out must be a new or empty folder, or one an earlier demo wrote (its files are
    replaced); --force writes into any folder.

    Example: tierkit demo --customers 10000 --seed 7 --as-of 2026-01-01 --out demo --format parquet
    """
    from rich.console import Console

    from tierkit.demo import DemoSpec, generate_demo
    from tierkit.evaluation import evaluate
    from tierkit.evaluation.output import check_output
    from tierkit.history import verify_store
    from tierkit.report import write_report
    from tierkit.ruleset import load_ruleset

    try:
        spec = DemoSpec(customers=customers, months=months, seed=seed, as_of=_parse_as_of(as_of))
    except ValueError as exc:  # an as-of date or a number of months out of the demo's range
        raise UsageError(str(exc)) from None
    _check_out(out, force)
    target = out / "results.csv"
    if run_evaluation:  # before the data is generated: a wrong folder or store costs nothing
        path = resolve_ruleset_path(ruleset)
        load_ruleset(path)  # a broken ruleset file, said before the data is written
        for kept in (target, out / "report.html"):
            if kept.resolve() == store.resolve():
                raise UsageError(
                    f"--store {store}: the demo writes {kept} there; give another file"
                )
        verify_store(store)
        check_output(target)  # last: it creates the folder, which a refused store left behind
    with _progress_bars(customers) as progress:
        written = generate_demo(spec, out, fmt, progress)
    _summary(written)
    if not run_evaluation:
        return
    with Console(stderr=True).status("evaluating"):
        run = evaluate(path, out, as_of=spec.as_of, store=store, out=target)
    typer.echo("")
    print_summary(run.manifest, run.results.height)
    typer.echo(f"results: {target}")
    report = write_report(store, run.manifest["run_id"], out / "report.html")
    typer.echo(f"report: {report.path}")
    print_saved(run.manifest, " (tierkit runs lists it)")
    typer.echo(
        f"next: tierkit evaluate {ruleset} --data {out} --as-of {spec.as_of} --strategy net-profit"
    )
