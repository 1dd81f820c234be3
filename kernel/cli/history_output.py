"""What the history commands print with: a wide console, a value as text, rows of a frame."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    import polars as pl
    from rich.console import Console


RulesetOption = Annotated[
    str | None, typer.Option("--ruleset", help="Only runs of this ruleset (its name).")
]
ByOption = Annotated[
    str | None,
    typer.Option("--by", help="Who records this, for the audit trail (default: the OS user)."),
]


def wide_console() -> Console:
    from rich.console import Console

    return Console(highlight=False, width=max(Console().width, 120))


def cell_text(value: Any) -> str:
    from rich.markup import escape

    from tierkit.history.compare import label

    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(label(v) for v in value)
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d %H:%M}"
    return escape(label(value))


def frame_rows(frame: pl.DataFrame) -> list[dict[str, Any]]:
    return [dict(row) for row in frame.iter_rows(named=True)]
