"""What every command shares: the error boundary, output helpers, the debug switch."""

from __future__ import annotations

import functools
import json
import os
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

import typer

from tierkit.errors import TierkitError
from tierkit.exitcodes import ExitCode

P = ParamSpec("P")
R = TypeVar("R")


@dataclass
class _State:
    debug: bool = bool(os.environ.get("TIERKIT_DEBUG"))


state = _State()


def guarded(func: Callable[P, R]) -> Callable[P, R]:
    """Turn tierkit errors into a message on standard error and a documented exit code.

    No traceback is shown unless ``--debug`` is given (customer data must not leak into one).
    """

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except (typer.Exit, typer.Abort):
            raise
        except TierkitError as exc:
            if state.debug:
                traceback.print_exc()
            typer.echo(exc.render(), err=True)
            raise typer.Exit(int(exc.exit_code)) from None
        except KeyboardInterrupt:
            typer.echo("interrupted", err=True)
            raise typer.Exit(130) from None
        except Exception as exc:
            if state.debug:
                raise
            typer.echo(
                f"internal error: {type(exc).__name__}: {exc}\n"
                "This is a bug in tierkit or a plugin; rerun with --debug for the traceback.",
                err=True,
            )
            raise typer.Exit(int(ExitCode.INTERNAL)) from None

    return wrapper


def print_json(data: Any) -> None:
    """Write ``data`` as JSON to standard output."""
    sys.stdout.write(json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")
