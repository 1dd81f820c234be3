"""The ``tierkit`` command: one module per command group, joined here."""

from __future__ import annotations

import gc
import sys
from typing import Annotated

import typer

from tierkit import __version__
from tierkit.cli import (
    compare_cmd,
    demo_cmd,
    dmn_cmd,
    evaluate_cmd,
    explain_cmd,
    history_cmd,
    inspect_cmd,
    report_cmd,
    test_cmd,
    validate_cmd,
    watch_cmd,
)
from tierkit.cli.common import finish_stdout, state

app = typer.Typer(
    name="tierkit",
    help="Decide which customers matter most: criterion plugins and declarative rulesets "
    "that sort customers into A/B/C, pyramids, value quadrants and key partners.",
    context_settings={"help_option_names": ["-h", "--help"]},
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    add_completion=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"tierkit {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show the full traceback when something fails.")
    ] = False,
) -> None:
    state.debug = debug or state.debug


validate_cmd.register(app)
inspect_cmd.register(app)
evaluate_cmd.register(app)
explain_cmd.register(app)
history_cmd.register(app)
compare_cmd.register(app)
test_cmd.register(app)
report_cmd.register(app)
demo_cmd.register(app)
dmn_cmd.register(app)
watch_cmd.register(app)


def main() -> None:
    """Entry point of the ``tierkit`` console script (and ``python -m tierkit``).

    When the command is done, every object still alive is frozen out of Python's cyclic garbage
    collector: the interpreter's last collection at exit would otherwise search the whole import
    graph (polars, pydantic, typer, rich) for cycles just before the process ends anyway, about
    40 ms on every command (docs/performance.md). Files, the history store and the results are
    closed by the commands themselves before this point; nothing relies on that collection.

    A reader of standard output that leaves early (``tierkit runs | head -n 1``) ends the
    command quietly with exit status 0, as ``cat`` and ``ls`` do.
    """
    code: int | str | None = 0
    try:
        app()
    except SystemExit as exc:
        code = exc.code
    finally:
        gc.freeze()
    sys.exit(finish_stdout(code))
