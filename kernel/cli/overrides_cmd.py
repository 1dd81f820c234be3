"""``tierkit overrides``: manual values for a customer's decision, with who approved them, until
when, and an audit trail."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated

import typer

from tierkit.cli.common import guarded, print_json
from tierkit.cli.options import (
    DEFAULT_STORE_PATH,
    JsonOption,
    StoreOption,
    customer_id,
    parse_date,
)
from tierkit.errors import UsageError, did_you_mean

if TYPE_CHECKING:
    from tierkit.history import HistoryStore
from tierkit.cli.history_output import ByOption, cell_text, frame_rows, wide_console

overrides_app = typer.Typer(
    help="Manual values for a customer's decision, with who approved them, until when, and an "
    "audit trail.",
    no_args_is_help=True,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


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
    customer = customer_id(customer)
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
    row = frame_rows(history.list_overrides().filter(pl.col("id") == new_id))[0]
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
            scope = (
                f"ruleset '{ruleset}' has no such decision"
                if ruleset
                else "no stored run has such a decision"
            )
            where = "it has" if ruleset else "the runs have"
            raise UsageError(
                f"--decision '{decision}': {scope}"
                f"{did_you_mean(decision, known)}; {where} {', '.join(known)}. An override for "
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
    from rich.markup import escape
    from rich.table import Table

    from tierkit.history import HistoryStore

    day = parse_date(on, "--on") or date.today()
    history = HistoryStore(store)
    only = None if customer is None else customer_id(customer)
    frame = history.list_overrides(None if show_all else day, only)
    frame = frame.with_columns(
        pl.when(pl.col("expired_at").is_not_null())
        .then(pl.lit("expired"))
        .when(pl.col("valid_until") < day)
        .then(pl.lit("lapsed"))
        .otherwise(pl.lit("in force"))
        .alias("status")
    )
    if as_json:
        print_json({"on": day.isoformat(), "overrides": frame_rows(frame)})
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
            cell_text(r["valid_until"]),
            r["status"],
            escape(r["reason"]),
            escape(r["approved_by"]),
            f"{cell_text(r['created_at'])} by {escape(r['created_by'])}",
        )
    wide_console().print(table)


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
        ids = list(dict.fromkeys(ids))  # `expire 1 1` withdraws #1 once
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
    from rich.markup import escape
    from rich.table import Table

    from tierkit.history import HistoryStore

    frame = HistoryStore(store).audit(override_id)
    if as_json:
        print_json({"audit": frame_rows(frame)})
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
            cell_text(r["recorded_at"]),
            escape(r["recorded_by"]),
            escape(_audit_details(r["action"], r["details"])),
        )
    wide_console().print(table)


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
