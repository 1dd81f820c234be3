"""``tierkit runs``, ``history``, ``diff`` and ``overrides``: what the history store holds."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from tierkit.cli.common import guarded, print_json
from tierkit.cli.options import DEFAULT_STORE_PATH, JsonOption, StoreOption, parse_date
from tierkit.errors import UsageError, did_you_mean

if TYPE_CHECKING:
    import polars as pl

    from tierkit.history import HistoryStore, RunInfo, StoredDecision

overrides_app = typer.Typer(
    help="Manual values for a customer's decision, with who approved them, until when, and an "
    "audit trail.",
    no_args_is_help=True,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def register(app: typer.Typer) -> None:
    app.command("runs")(runs_command)
    app.command("history")(history_command)
    app.command("diff")(diff_command)
    app.add_typer(overrides_app, name="overrides")


RulesetOption = Annotated[
    str | None, typer.Option("--ruleset", help="Only runs of this ruleset (its name).")
]
ByOption = Annotated[
    str | None,
    typer.Option("--by", help="Who records this, for the audit trail (default: the OS user)."),
]


def _console() -> Console:
    return Console(highlight=False, width=max(Console().width, 120))


def _text(value: Any) -> str:
    from tierkit.history.compare import label

    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(label(v) for v in value)
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d %H:%M}"
    return escape(label(value))


def _rows(frame: pl.DataFrame) -> list[dict[str, Any]]:
    return [dict(row) for row in frame.iter_rows(named=True)]


# --------------------------------------------------------------------------------------------
# runs, history, diff


@guarded
def runs_command(
    store: StoreOption = DEFAULT_STORE_PATH,
    ruleset: RulesetOption = None,
    limit: Annotated[
        int, typer.Option("--limit", "-n", help="Show at most this many runs (0: all).")
    ] = 20,
    as_json: JsonOption = False,
) -> None:
    """List the stored runs, newest first: id, dates, ruleset, strategy and categories.

    A run id's first characters (as shown) name the run in `tierkit diff`.

    Example: tierkit runs --store history.duckdb --ruleset vip-monthly
    """
    from tierkit.history import HistoryStore

    found = HistoryStore(store).runs(ruleset)
    shown = found[:limit] if limit > 0 else found
    if as_json:
        print_json({"store": str(store), "runs": [r.as_dict() for r in shown]})
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
            _text(run.created_at),
            run.as_of.isoformat(),
            escape(run.ruleset),
            escape(run.strategy or ""),
            f"{run.engine or ''}/{run.backend or ''}",
            f"{run.customers:,}",
            _categories(run),
        )
    _console().print(table)
    if len(shown) < len(found):
        typer.echo(f"{len(found) - len(shown)} older run(s) not shown; --limit 0 shows all")


def _categories(run: RunInfo) -> str:
    parts = [f"{_text(c.get('category'))} {c.get('customers', 0):,}" for c in run.categories]
    return " · ".join(parts)


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
    from tierkit.history import HistoryStore

    frame = HistoryStore(store).customer_history(customer, ruleset)
    if as_json:
        print_json({"customer_id": customer, "runs": _rows(frame)})
        return
    base = {"run_id", "created_at", "as_of", "ruleset", "strategy", "name", "value"}
    decisions = [c for c in frame.columns if c not in base and "." not in c]
    names = (
        [n for n in frame["name"].unique(maintain_order=True).to_list() if n]
        if ("name" in frame.columns)
        else []
    )
    title = f"Customer {customer}" + (f" ({', '.join(names)})" if names else "")
    table = Table(title=escape(title), title_justify="left")
    for column in ("as of", "run", "ruleset"):
        table.add_column(column, no_wrap=True)
    for name in decisions:
        table.add_column(name, no_wrap=True)
        if f"{name}.change" in frame.columns:
            table.add_column("change", no_wrap=True)
        table.add_column("why")
    for row in frame.iter_rows(named=True):
        cells = [_text(row["as_of"]), row["run_id"][:8], escape(row["ruleset"])]
        for name in decisions:
            cells.append(_text(row[name]))
            if f"{name}.change" in frame.columns:
                cells.append(_text(row[f"{name}.change"]))
            cells.append(_why(row, name))
        table.add_row(*cells)
    _console().print(table)


def _why(row: dict[str, Any], name: str) -> str:
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
        int, typer.Option("--limit", "-n", help="Show this many top movers (0: all).")
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
                "matrix": _rows(matrix),
                "movers": _rows(top),
            }
        )
        return
    title = f"{chosen.name}: {_describe(info_a)} → {_describe(info_b)}"
    show_comparison(title, chosen.name, matrix, counts, top)


def show_comparison(
    title: str, decision: str, matrix: pl.DataFrame, counts: dict[str, int], top: pl.DataFrame
) -> None:
    """Print a transition matrix, the change counts and the top movers."""
    console = _console()
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
            escape(row["customer_id"]),
            escape(row["name"] or ""),
            escape(f"{row['from']} → {row['to']}"),
            _text(row["change"]) + (f" {abs(row['steps'])}" if row["steps"] else ""),
            _why(reason, decision),
            "" if row["value"] is None else f"{row['value']:,.2f}",
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


# --------------------------------------------------------------------------------------------
# overrides


@overrides_app.command("add")
@guarded
def add_override(
    customer: Annotated[str, typer.Argument(help="The customer id.", show_default=False)],
    decision: Annotated[
        str,
        typer.Option(
            "--decision", help="The decision to override, e.g. category.", show_default=False
        ),
    ],
    value: Annotated[
        str,
        typer.Option(
            "--value", help="The value to give, one of the decision's outcomes.", show_default=False
        ),
    ],
    reason: Annotated[
        str,
        typer.Option(
            "--reason", help="Why; shown in results and explanations.", show_default=False
        ),
    ],
    approved_by: Annotated[
        str, typer.Option("--approved-by", help="Who approved it.", show_default=False)
    ],
    until: Annotated[
        str,
        typer.Option(
            "--until", help="The last as-of date it applies to (YYYY-MM-DD).", show_default=False
        ),
    ],
    ruleset: Annotated[
        str | None,
        typer.Option("--ruleset", help="Apply only to runs of this ruleset (default: any)."),
    ] = None,
    by: ByOption = None,
    store: StoreOption = DEFAULT_STORE_PATH,
    as_json: JsonOption = False,
) -> None:
    """Give a customer's decision a manual value until a date; replaces an earlier override.

    Applied after the rules decide, to every run with an as-of date up to --until; results show
    the decided and the final value. The value is checked against the decision's outcomes in
    the stored runs.

    Example: tierkit overrides add C-1042 --decision category --value A --reason "Merger"
    --approved-by "J. Doe" --until 2026-12-31
    """
    import polars as pl

    from tierkit.history import HistoryStore

    valid_until = parse_date(until, "--until")
    assert valid_until is not None
    if valid_until < date.today():
        raise UsageError(
            f"--until {until} is in the past; an override must last until today or later"
        )
    history = HistoryStore(store)
    _check_ruleset(history, ruleset)
    warnings = _check_target(history, customer, decision, value, ruleset)
    replaced = [
        r["id"]
        for r in history.list_overrides(customer_id=customer).iter_rows(named=True)
        if r["decision"] == decision and r["ruleset"] == ruleset and r["expired_at"] is None
    ]
    new_id = history.add_override(
        customer,
        decision,
        value,
        reason=reason,
        approved_by=approved_by,
        valid_until=valid_until,
        by=by,
        ruleset=ruleset,
    )
    row = _rows(history.list_overrides().filter(pl.col("id") == new_id))[0]
    if as_json:
        print_json({"override": row, "replaces": replaced, "warnings": warnings})
        return
    for warning in warnings:
        typer.echo(f"warning: {warning}", err=True)
    scope = f" in ruleset {ruleset}" if ruleset else ""
    typer.echo(
        f"override #{new_id}: customer {customer}, {decision} = {value}{scope} until "
        f"{valid_until} (approved by {approved_by}; recorded by {row['created_by']})"
    )
    for old in replaced:
        typer.echo(f"override #{old} is replaced and expired")


def _check_ruleset(history: HistoryStore, ruleset: str | None) -> None:
    """Refuse a ruleset name that is neither shipped nor in a stored run: it would never apply."""
    from tierkit.shipped import shipped_rulesets

    if ruleset is None:
        return
    known = sorted(set(shipped_rulesets()) | {r.ruleset for r in history.runs()})
    if ruleset not in known:
        raise UsageError(
            f"--ruleset '{ruleset}' is neither a shipped ruleset nor the ruleset of a run stored "
            f"in {history.path}{did_you_mean(ruleset, known)}, so the override would never "
            "apply; give a ruleset's name (its 'name:' key), or evaluate the ruleset once first"
        )


def _shipped_decisions(ruleset: str | None) -> list[str]:
    """The decisions of the shipped ruleset ``ruleset`` (read from its file), if it is one."""
    import yaml

    from tierkit.shipped import shipped_rulesets

    path = shipped_rulesets().get(ruleset or "")
    if path is None:
        return []
    loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    decisions = loaded.get("decisions") if isinstance(loaded, dict) else None
    return [str(n) for n in decisions] if isinstance(decisions, dict) else []


def _check_target(
    history: HistoryStore, customer: str, decision: str, value: str, ruleset: str | None
) -> list[str]:
    """Check the decision's name against the stored runs (and the shipped ruleset named), the
    value against the newest run with the decision; warnings for the rest."""
    from tierkit.history import OverrideError, parse_value

    runs = history.runs(ruleset)
    having = [r for r in runs if decision in r.decisions]
    if not having:
        known = sorted({n for r in runs for n in r.decisions} | set(_shipped_decisions(ruleset)))
        if decision in known:
            return []  # a shipped ruleset's decision that has not run yet
        if known:
            scope = f"ruleset '{ruleset}'" if ruleset else "any stored run"
            raise UsageError(
                f"--decision '{decision}': {scope} has no such decision"
                f"{did_you_mean(decision, known)}; it has {', '.join(known)}. An override for "
                "a decision no ruleset has would never apply"
            )
        return []
    newest = having[0]
    stored = newest.decisions[decision]
    if stored.hit != "first":
        raise OverrideError(f"decision '{decision}' collects values; it cannot be overridden")
    if stored.outcomes:
        parse_value(value, stored)
    if not history.has_customer(newest.run_id, customer):
        return [
            f"customer '{customer}' is not in the latest run with '{decision}' "
            f"({newest.run_id[:8]}, as of {newest.as_of})"
        ]
    return []


@overrides_app.command("list")
@guarded
def list_overrides(
    on: Annotated[
        str | None,
        typer.Option("--on", help="Show those in force on this date (default: today)."),
    ] = None,
    show_all: Annotated[
        bool, typer.Option("--all", help="Show every override, expired ones too.")
    ] = False,
    customer: Annotated[
        str | None, typer.Option("--customer", help="Only this customer's overrides.")
    ] = None,
    store: StoreOption = DEFAULT_STORE_PATH,
    as_json: JsonOption = False,
) -> None:
    """List overrides: those in force today (or --on a date), or --all with their status.

    Example: tierkit overrides list --all --customer C-1042
    """
    import polars as pl

    from tierkit.history import HistoryStore

    day = parse_date(on, "--on") or date.today()
    history = HistoryStore(store)
    frame = history.list_overrides(None if show_all else day, customer)
    frame = frame.with_columns(
        pl.when(pl.col("expired_at").is_not_null())
        .then(pl.lit("expired"))
        .when(pl.col("valid_until") < day)
        .then(pl.lit("lapsed"))
        .otherwise(pl.lit("in force"))
        .alias("status")
    )
    if as_json:
        print_json({"on": day.isoformat(), "overrides": _rows(frame)})
        return
    if frame.is_empty():
        typer.echo(f"no overrides{'' if show_all else f' in force on {day}'} in {store}")
        return
    table = Table(title=f"Overrides in {store}", title_justify="left")
    for column in ("id", "customer", "decision", "value", "ruleset", "until", "status"):
        table.add_column(column, no_wrap=True)
    table.add_column("reason")
    table.add_column("approved by")
    table.add_column("recorded")
    for r in frame.iter_rows(named=True):
        table.add_row(
            f"#{r['id']}",
            escape(r["customer_id"]),
            escape(r["decision"]),
            escape(r["value"]),
            escape(r["ruleset"] or "any"),
            _text(r["valid_until"]),
            r["status"],
            escape(r["reason"]),
            escape(r["approved_by"]),
            f"{_text(r['created_at'])} by {escape(r['created_by'])}",
        )
    _console().print(table)


@overrides_app.command("expire")
@guarded
def expire_overrides(
    ids: Annotated[
        list[int] | None,
        typer.Argument(
            help="Override ids to withdraw now; without ids, expire every override "
            "whose date has passed.",
            show_default=False,
        ),
    ] = None,
    today: Annotated[
        str | None,
        typer.Option(
            "--today",
            help="The date to expire at (default: today); not a later day, as expiry is for good.",
        ),
    ] = None,
    reason: Annotated[
        str | None, typer.Option("--reason", help="Why the listed overrides are withdrawn.")
    ] = None,
    by: ByOption = None,
    store: StoreOption = DEFAULT_STORE_PATH,
    as_json: JsonOption = False,
) -> None:
    """Expire overrides whose --until date has passed, or withdraw the ones given by id.

    Expired overrides are kept, with who expired them and when, and no longer apply.

    Example: tierkit overrides expire --store /srv/tierkit/history.duckdb
    """
    from tierkit.history import HistoryStore, OverrideError, current_user

    day = parse_date(today, "--today") or date.today()
    if day > date.today():
        raise UsageError(
            f"--today {day} is in the future: expiring is recorded for good, so overrides "
            "still valid today would stop applying before their date; to see which overrides "
            f"are in force on a later day, use: tierkit overrides list --on {day}"
        )
    history = HistoryStore(store)
    who = by or current_user()
    if ids:
        known = {r["id"]: r for r in history.list_overrides().iter_rows(named=True)}
        for override_id in ids:
            if override_id not in known:
                raise OverrideError(f"{store}: no override #{override_id}")
            if known[override_id]["expired_at"] is not None:
                raise OverrideError(f"{store}: override #{override_id} is already expired")
        for override_id in ids:
            history.withdraw_override(override_id, by=who, reason=reason)
        expired = list(ids)
    else:
        expired = history.expire_overrides(day, by=who)
    if as_json:
        print_json({"expired": expired})
        return
    if not expired:
        typer.echo("no override has run out")
        return
    typer.echo(f"expired {len(expired)} override(s): " + ", ".join(f"#{i}" for i in expired))


@overrides_app.command("audit")
@guarded
def audit_overrides(
    override_id: Annotated[
        int | None, typer.Argument(help="Only this override's entries.", show_default=False)
    ] = None,
    store: StoreOption = DEFAULT_STORE_PATH,
    as_json: JsonOption = False,
) -> None:
    """Show the audit trail: every override added or expired, when and by whom.

    Example: tierkit overrides audit 12
    """
    from tierkit.history import HistoryStore

    frame = HistoryStore(store).audit(override_id)
    if as_json:
        print_json({"audit": _rows(frame)})
        return
    if frame.is_empty():
        typer.echo(f"no audit entries in {store}")
        return
    table = Table(title=f"Override audit trail in {store}", title_justify="left")
    for column in ("override", "action", "when (UTC)", "by"):
        table.add_column(column, no_wrap=True)
    table.add_column("details")
    for r in frame.iter_rows(named=True):
        table.add_row(
            f"#{r['override_id']}",
            r["action"],
            _text(r["recorded_at"]),
            escape(r["recorded_by"]),
            escape(_audit_details(r["action"], r["details"])),
        )
    _console().print(table)


def _audit_details(action: str, details: str) -> str:
    """An audit entry's details (JSON in the store) as a sentence."""
    import json

    try:
        fields = json.loads(details)
    except ValueError:
        return details
    if not isinstance(fields, dict):
        return details
    if action == "expire":
        return str(fields.get("reason") or "")
    scope = f"ruleset {fields['ruleset']}" if fields.get("ruleset") else "any ruleset"
    return (
        f"customer {fields.get('customer_id')}: {fields.get('decision')} = {fields.get('value')} "
        f"({scope}) until {fields.get('valid_until')}; reason: {fields.get('reason')}; "
        f"approved by {fields.get('approved_by')}"
    )
