"""``tierkit watch``: events re-decide the customers they touch between batch runs."""

from __future__ import annotations

import json
import os
import select
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer

from tierkit.cli.common import guarded
from tierkit.cli.options import DEFAULT_STORE_PATH, DataOption, RulesetArgument, StoreOption
from tierkit.errors import UsageError


def register(app: typer.Typer) -> None:
    app.command("watch")(watch)


@guarded
def watch(
    ruleset: RulesetArgument,
    data: DataOption,
    store: StoreOption = DEFAULT_STORE_PATH,
    events: Annotated[
        str,
        typer.Option(
            "--events",
            help="A file of events, one JSON object a line, or - for standard input.",
            metavar="FILE|-",
        ),
    ] = "-",
    on_bad_event: Annotated[
        str,
        typer.Option(
            "--on-bad-event",
            help="skip: report a malformed event (with its line) on standard error and go on; "
            "stop: report it and stop with exit code 2.",
            metavar="skip|stop",
        ),
    ] = "skip",
    engine: Annotated[
        str,
        typer.Option(
            "--engine",
            help="vector, or durable (durable_rules: pip install 'tierkit[durable]').",
        ),
    ] = "vector",
) -> None:
    """Re-decide customers as events arrive, between batch runs.

    Starts from the last run of RULESET saved in --store and the data it was decided from.
    Each event is a JSON line: {"table": "payments", "row": {...}} adds a row,
    {"time": "1998-07-01"} moves the clock. Only the customers an event touches are decided
    again (and those whose rows leave the window when it moves into a new period; a time
    event decides everyone again). Ranking functions (top_share, cum_share...) compare a
    customer's new value with the population of the last run: the first output line states
    the run and its cut-offs. Each change is recorded in the store, then printed as a JSON
    line (customer, decision, old, new, rule, because, event, line). The next batch run
    supersedes them. See docs/watch.md.

    Example: tail -f payments.jsonl | tierkit watch abc-pareto --data ./tierkit-demo
    """
    from tierkit.watch import BadEvent, open_session

    if on_bad_event not in ("skip", "stop"):
        raise UsageError(f"--on-bad-event: expected skip or stop, found '{on_bad_event}'")
    source = "stdin" if events == "-" else events
    if events != "-":
        _check_events(Path(events))
    session, started, log = open_session(
        ruleset, data, store, engine=engine, on_bad_event=on_bad_event
    )
    _line(started.as_dict())
    changes = 0
    try:
        for item in session.run(_lines(events), log.record, log.release):
            if isinstance(item, BadEvent):
                typer.echo(f"{source}:{item.line}: {item.message}; skipped", err=True)
                continue
            changes += 1
            _line(item.as_dict())
    except BadEvent as bad:
        raise UsageError(
            f"{source}:{bad.line}: {bad.message}; stopped (--on-bad-event stop)"
        ) from None
    finally:
        log.release()
    typer.echo(
        f"watch: {_count(session.events, 'event')}, {_count(changes, 'change')} recorded in "
        f"{store}, {_count(len(session.bad), 'bad event')} skipped",
        err=True,
    )


def _check_events(path: Path) -> None:
    """A usage error for an ``--events`` that cannot be read line by line: missing, or a
    folder. A named pipe (``mkfifo``) or ``/dev/stdin`` is read like a file."""
    if path.is_dir():
        raise UsageError(f"--events: {path}: is a folder; give a file of JSON lines, or -")
    if not path.exists():
        raise UsageError(f"--events: {path}: no such file")


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"


def _line(data: Any) -> None:
    sys.stdout.write(json.dumps(data, default=str) + "\n")
    sys.stdout.flush()


def _lines(events: str) -> Iterator[str | None]:
    """Lines of the events; ``None`` whenever standard input has nothing more for now, so
    that what is pending is decided before waiting."""
    if events != "-":
        with open(events, encoding="utf-8", errors="replace") as handle:
            yield from (line.rstrip("\n") for line in handle)
        return
    try:
        fd = sys.stdin.fileno()
    except (OSError, ValueError):  # not a file (a test's input): read it as text
        yield from (line.rstrip("\n") for line in sys.stdin)
        return
    buffer = b""
    while True:
        ready, _, _ = select.select([fd], [], [], 0)
        if not ready:
            yield None
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            break
        buffer += chunk
        *complete, buffer = buffer.split(b"\n")
        for raw in complete:
            yield raw.decode("utf-8", errors="replace")
    if buffer:
        yield buffer.decode("utf-8", errors="replace")
