"""``tierkit runs``, ``history`` and ``diff``: what the history store holds
(``tierkit overrides`` is :mod:`tierkit.cli.overrides_cmd`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from tierkit.cli.common import guarded, print_json
from tierkit.cli.options import DEFAULT_STORE_PATH, JsonOption, StoreOption, customer_id
from tierkit.errors import UsageError, did_you_mean
from tierkit.numbers import money
from tierkit.visible import visible

if TYPE_CHECKING:
    import polars as pl

    from tierkit.history import HistoryStore, RunInfo, StoredDecision
from tierkit.cli.history_output import RulesetOption, cell_text, frame_rows, wide_console
from tierkit.cli.overrides_cmd import overrides_app


def register(app: typer.Typer) -> None:
    app.command("runs")(runs_command)
    app.command("history")(history_command)
    app.command("diff")(diff_command)
    app.add_typer(overrides_app, name="overrides")


# --------------------------------------------------------------------------------------------
# runs, history, diff


@guarded
def runs_command(
    store: StoreOption = DEFAULT_STORE_PATH,
    ruleset: RulesetOption = None,
    limit: Annotated[
        int, typer.Option("--limit", "-n", min=0, help="Show at most this many runs (0: all).")
    ] = 20,
    as_json: JsonOption = False,
) -> None:
    """List the stored runs, newest first: id, dates, ruleset, strategy and categories.

    A run id's first characters (as shown) name the run in `tierkit diff`.

    Example: tierkit runs --store history.duckdb --ruleset vip-monthly
    """
    from rich.markup import escape
    from rich.table import Table

    from tierkit.history import HistoryStore

    found = HistoryStore(store).runs(ruleset)
    shown = found[:limit] if limit > 0 else found
    if as_json:
        print_json({"store": str(store), "runs": [r.as_dict() for r in shown]})
        return
    if not found and ruleset is not None and store.exists():
        _no_runs_of(HistoryStore(store), ruleset)
        return
    if not found:
        where = "" if store.exists() else " (the file does not exist yet)"
        typer.echo(f"no runs stored in {store}{where}")
        return
    table = Table(title=f"Runs in {store}", title_justify="left")
    for column in ("run", "saved (UTC)", "as of", "ruleset", "strategy", "engine"):
        table.add_column(column, no_wrap=True)
    table.add_column("customers", justify="right")
    table.add_column("categories")
    for run in shown:
        table.add_row(
            run.run_id[:8],
            cell_text(run.created_at),
            run.as_of.isoformat(),
            escape(run.ruleset),
            escape(run.strategy or ""),
            f"{run.engine or ''}/{run.backend or ''}",
            f"{run.customers:,}",
            _categories(run),
        )
    wide_console().print(table)
    if len(shown) < len(found):
        typer.echo(f"{len(found) - len(shown)} older run(s) not shown; --limit 0 shows all")


def _categories(run: RunInfo) -> str:
    parts = [f"{cell_text(c.get('category'))} {c.get('customers', 0):,}" for c in run.categories]
    return " · ".join(parts)


def _no_runs_of(history: HistoryStore, ruleset: str) -> None:
    """Say that ``ruleset`` has no runs, and which rulesets have: the store is not empty."""
    names = sorted({run.ruleset for run in history.runs()})
    if not names:
        typer.echo(f"no runs stored in {history.path}")
        return
    typer.echo(
        f"no runs of ruleset '{ruleset}' stored in {history.path}{did_you_mean(ruleset, names)}; "
        f"runs are stored of {', '.join(names)}"
    )


@guarded
def history_command(
    customer: Annotated[str, typer.Argument(help="The customer id.", show_default=False)],
    store: StoreOption = DEFAULT_STORE_PATH,
    ruleset: RulesetOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show how one customer was decided in every stored run, newest first.

    For each run: the value of each decision, the change since the previous run, the rule
    and its reason, and any override.

    Example: tierkit history C-1042 --ruleset vip-monthly
    """
    from rich.markup import escape
    from rich.table import Table

    from tierkit.history import HistoryStore

    customer = customer_id(customer)
    frame = HistoryStore(store).customer_history(customer, ruleset)
    if as_json:
        print_json({"customer_id": customer, "runs": frame_rows(frame)})
        return
    base = {"run_id", "created_at", "as_of", "ruleset", "strategy", "name", "value"}
    decisions = [c for c in frame.columns if c not in base and "." not in c]
    names = (
        [n for n in frame["name"].unique(maintain_order=True).to_list() if n]
        if ("name" in frame.columns)
        else []
    )
    title = f"Customer {customer}" + (f" ({', '.join(names)})" if names else "")
    table = Table(title=escape(visible(title)), title_justify="left")
    for column in ("as of", "run", "ruleset"):
        table.add_column(column, no_wrap=True)
    for name in decisions:
        table.add_column(name, no_wrap=True)
        if f"{name}.change" in frame.columns:
            table.add_column("change", no_wrap=True)
        table.add_column("why")
    for row in frame.iter_rows(named=True):
        cells = [cell_text(row["as_of"]), row["run_id"][:8], escape(row["ruleset"])]
        for name in decisions:
            cells.append(cell_text(row[name]))
            if f"{name}.change" in frame.columns:
                cells.append(cell_text(row[f"{name}.change"]))
            cells.append(_why(row, name))
        table.add_row(*cells)
    wide_console().print(table)


def _why(row: dict[str, Any], name: str) -> str:
    from rich.markup import escape

    from tierkit.history.compare import label

    override = row.get(f"{name}.override")
    if override:
        decided = row.get(f"{name}.decided")
        tail = "" if decided is None else f" (the rules decided {label(decided)})"
        return escape(f"{override}{tail}")
    rule, because = row.get(f"{name}.rule"), row.get(f"{name}.because")
    where = "default" if rule == 0 else f"rule {rule}" if rule is not None else ""
    return escape(": ".join(t for t in (where, because or "") if t))


@guarded
def diff_command(
    run_a: Annotated[
        str,
        typer.Argument(
            help="The earlier run: an id or its first characters, 'previous' or 'latest'.",
            show_default=False,
        ),
    ],
    run_b: Annotated[
        str,
        typer.Argument(help="The later run, named the same way.", show_default=False),
    ],
    decision: Annotated[
        str | None,
        typer.Option("--decision", help="The decision to compare (default: the main one)."),
    ] = None,
    store: StoreOption = DEFAULT_STORE_PATH,
    ruleset: Annotated[
        str | None,
        typer.Option("--ruleset", help="Find 'latest' and 'previous' among this ruleset's runs."),
    ] = None,
    limit: Annotated[
        int, typer.Option("--limit", "-n", min=0, help="Show this many top movers (0: all).")
    ] = 10,
    as_json: JsonOption = False,
) -> None:
    """Compare two runs: a transition matrix of one decision, and the customers who moved most.

    Rows are the value in the first run, columns the value in the second; (new) counts
    customers only in the second run, (gone) those only in the first. Movers are sorted by how
    far they moved, then by value.

    Example: tierkit diff previous latest --decision category
    """
    from tierkit.history import HistoryStore, change_counts, movers, transition_matrix

    history = HistoryStore(store)
    info_a = history.run_info(run_a, ruleset)
    info_b = history.run_info(run_b, ruleset)
    chosen = _decision(info_a, info_b, decision)
    results_a, results_b = history.results(info_a.run_id), history.results(info_b.run_id)
    matrix = transition_matrix(results_a, results_b, chosen)
    counts = change_counts(results_a, results_b, chosen)
    top = movers(results_a, results_b, chosen, limit if limit > 0 else None)
    if as_json:
        print_json(
            {
                "decision": chosen.name,
                "outcomes": list(chosen.outcomes),
                "run_a": info_a.as_dict(),
                "run_b": info_b.as_dict(),
                "changes": counts,
                "matrix": frame_rows(matrix),
                "movers": frame_rows(top),
            }
        )
        return
    title = f"{chosen.name}: {_describe(info_a)} → {_describe(info_b)}"
    show_comparison(title, chosen.name, matrix, counts, top)


def show_comparison(
    title: str, decision: str, matrix: pl.DataFrame, counts: dict[str, int], top: pl.DataFrame
) -> None:
    """Print a transition matrix, the change counts and the top movers."""
    from rich.markup import escape
    from rich.table import Table

    console = wide_console()
    console.print(escape(title))
    table = Table()
    table.add_column("from \\ to", no_wrap=True)
    for column in matrix.columns[1:]:
        table.add_column(escape(column), justify="right")
    for cells in matrix.iter_rows():
        table.add_row(escape(str(cells[0])), *(f"{n:,}" if n else "·" for n in cells[1:]))
    console.print(table)
    console.print(" · ".join(f"{k} {v:,}" for k, v in counts.items()))
    if top.is_empty():
        console.print("no customer changed")
        return
    table = Table(
        title=f"Top movers ({top.height} of {counts['up'] + counts['down']:,})",
        title_justify="left",
    )
    for column in ("customer", "name", "from → to", "change", "why (second run)"):
        table.add_column(column, no_wrap=column != "why (second run)")
    table.add_column("value", justify="right")
    for row in top.iter_rows(named=True):
        reason = {
            f"{decision}.override": row["override"],
            f"{decision}.rule": row["rule"],
            f"{decision}.because": row["because"],
        }
        table.add_row(
            escape(visible(row["customer_id"])),
            escape(visible(row["name"] or "")),
            escape(f"{row['from']} → {row['to']}"),
            cell_text(row["change"]) + (f" {abs(row['steps'])}" if row["steps"] else ""),
            _why(reason, decision),
            "" if row["value"] is None else money(row["value"]),
        )
    console.print(table)


def _describe(run: RunInfo) -> str:
    return f"{run.run_id[:8]} ({run.ruleset}, as of {run.as_of})"


def _decision(a: RunInfo, b: RunInfo, name: str | None) -> StoredDecision:
    common = [n for n in b.decisions if n in a.decisions]
    if name is None:
        if not common:
            raise UsageError(
                f"runs {a.run_id[:8]} and {b.run_id[:8]} have no decision in common "
                f"({', '.join(a.decisions) or 'none'} / {', '.join(b.decisions) or 'none'})"
            )
        mains = [r.main for r in (b, a) if r.main in common]
        name = mains[0] if mains else common[0]
    for run in (a, b):
        if name not in run.decisions:
            raise UsageError(
                f"run {run.run_id[:8]} ({run.ruleset}) has no decision '{name}'"
                f"{did_you_mean(name, run.decisions)}; it has {', '.join(run.decisions)}"
            )
    chosen = b.decisions[name] if b.decisions[name].outcomes else a.decisions[name]
    if chosen.hit != "first":
        raise UsageError(f"decision '{name}' collects values; diff compares one-value decisions")
    return chosen
