"""Options and arguments that several commands share, declared once."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from tierkit.defaults import DEFAULT_STORE
from tierkit.errors import UsageError

RulesetsArgument = Annotated[
    list[str],
    typer.Argument(
        help="Ruleset files, folders of *.yaml files, or names of shipped rulesets "
        "(see `tierkit rulesets`).",
        show_default=False,
    ),
]
RulesetArgument = Annotated[
    str, typer.Argument(help="A ruleset file or the name of a shipped one.", show_default=False)
]
DataOption = Annotated[
    str,
    typer.Option(
        "--data",
        "-d",
        help="A folder of CSV/Parquet/Excel files (one per table), a DuckDB or SQLite file, "
        "or a postgresql://USER@HOST:PORT/DB?schema=NAME URL.",
        show_default=False,
    ),
]
AsOfOption = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        help="The date the window ends at (YYYY-MM-DD, exclusive); default: the first day of "
        "the current month.",
    ),
]
StrategyOption = Annotated[
    str | None,
    typer.Option(
        "--strategy",
        "-s",
        help="Replace the ruleset's strategy (what `value` means): market-expansion, "
        "working-capital, net-profit, or a plugin's.",
    ),
]
StoreOption = Annotated[
    Path,
    typer.Option(
        "--store",
        envvar="TIERKIT_STORE",
        help=f"The history store, a DuckDB file (default: {DEFAULT_STORE} in the working "
        "directory, or $TIERKIT_STORE).",
    ),
]
NoStoreOption = Annotated[
    bool, typer.Option("--no-store", help="Use no history store: nothing is read or saved.")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for machines.")]
DEFAULT_STORE_PATH = Path(DEFAULT_STORE)


def customer_id(given: str) -> str:
    """A customer id as the data has it: reading the data strips the spaces around ids, so
    ``' C3 '`` copied from a file is the customer ``C3``."""
    return given.strip()


def parse_date(text: str | None, option: str) -> date | None:
    """A date given as YYYY-MM-DD, or a usage error naming the option."""
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"{option}: '{text}' {_why_no_date(text)}") from None


def _why_no_date(text: str) -> str:
    """Why ``text`` is no date: not of the form, or (``2026-02-30``) not in the calendar."""
    import calendar
    import re

    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return "is not a date in the form YYYY-MM-DD"
    year, month = int(text[:4]), int(text[5:7])
    if not 1 <= month <= 12:
        return f"is no day of the calendar: there is no month {month}"
    days = calendar.monthrange(year, month)[1]
    return f"is no day of the calendar: {calendar.month_name[month]} {year} has {days} days"


def as_of_date(text: str | None) -> date:
    """``--as-of``, or the first day of the current month."""
    from tierkit.evaluation import default_as_of

    return parse_date(text, "--as-of") or default_as_of()


def existing_store(store: Path, no_store: bool) -> Path | None:
    """The store to read from, when one is wanted and exists (reading creates nothing)."""
    return None if no_store or not store.exists() else store
