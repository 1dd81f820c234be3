"""The ``tierkit`` command: one module per command group, joined here.

The whole command line (:data:`app`) is assembled only when it is needed: for ``--help``, for no
command at all, or for a name that is not a command (so typer can suggest the nearest). A run of
one command (``tierkit validate x.yaml``) assembles a command line holding just that command's
module: building all twenty commands' parameters from their signatures, and importing their
modules, took 30 ms of a 0.3 s ``tierkit validate`` (docs/performance.md). What the user sees
(usage lines, options, help, errors) is the same either way; tests/test_cli_assembly.py
compares them.
"""

from __future__ import annotations

import gc
import importlib
import sys
from collections.abc import Sequence
from typing import Annotated

import typer

from tierkit import __version__
from tierkit.cli.common import finish_stdout, state

MODULES = (
    "validate_cmd",
    "inspect_cmd",
    "evaluate_cmd",
    "explain_cmd",
    "history_cmd",
    "compare_cmd",
    "test_cmd",
    "report_cmd",
    "demo_cmd",
    "dmn_cmd",
    "watch_cmd",
)
"""The command modules, in the order ``tierkit --help`` lists their commands."""

COMMANDS: dict[str, str] = {
    "validate": "validate_cmd",
    "plugins": "inspect_cmd",
    "schema": "inspect_cmd",
    "rulesets": "inspect_cmd",
    "evaluate": "evaluate_cmd",
    "explain": "explain_cmd",
    "runs": "history_cmd",
    "history": "history_cmd",
    "diff": "history_cmd",
    "overrides": "history_cmd",
    "compare": "compare_cmd",
    "test": "test_cmd",
    "report": "report_cmd",
    "demo": "demo_cmd",
    "import": "dmn_cmd",
    "export": "dmn_cmd",
    "dmn-tck": "dmn_cmd",
    "watch": "watch_cmd",
}
"""Which module registers each top-level command."""

ROOT_FLAGS = frozenset({"--debug"})
"""Options of ``tierkit`` itself that may stand before the command's name."""


def _version(value: bool) -> None:
    if value:
        typer.echo(f"tierkit {__version__}")
        raise typer.Exit()


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


def build_app(modules: Sequence[str] = MODULES) -> typer.Typer:
    """A ``tierkit`` command line holding the commands of ``modules``."""
    built = typer.Typer(
        name="tierkit",
        help="Decide which customers matter most: criterion plugins and declarative rulesets "
        "that sort customers into A/B/C, pyramids, value quadrants and key partners.",
        context_settings={"help_option_names": ["-h", "--help"]},
        no_args_is_help=True,
        pretty_exceptions_show_locals=False,
        add_completion=False,
        rich_markup_mode=None,
    )
    built.callback()(_root)
    for module in modules:
        importlib.import_module(f"tierkit.cli.{module}").register(built)
    return built


def command_module(args: Sequence[str]) -> str | None:
    """The module of the command ``args`` run, or None when they need the whole command line
    (help, the version, no command, or a name that is not a command)."""
    for arg in args:
        if arg in ROOT_FLAGS:
            continue
        return COMMANDS.get(arg)
    return None


_whole: typer.Typer | None = None


def __getattr__(name: str) -> typer.Typer:
    """``tierkit.cli.app``: the whole command line, built on first use."""
    global _whole
    if name != "app":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    if _whole is None:
        _whole = build_app()
    return _whole


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
    module = command_module(sys.argv[1:])
    application = build_app((module,)) if module is not None else __getattr__("app")
    code: int | str | None = 0
    try:
        application()
    except SystemExit as exc:
        code = exc.code
    finally:
        gc.freeze()
    sys.exit(finish_stdout(code))
