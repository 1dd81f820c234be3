"""What every command shares: the error boundary, output helpers, the debug switch."""

from __future__ import annotations

import errno
import functools
import json
import os
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NoReturn, ParamSpec, TypeVar

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
        except BrokenPipeError:  # the reader of standard output has gone: `| head -n 1`
            stop_writing_stdout()
            raise typer.Exit(0) from None
        except SystemExit as exc:
            if type(exc) is SystemExit and exc.code == 1:  # rich's answer to a broken pipe
                raise typer.Exit(0) from None
            raise
        except OSError as exc:
            if exc.errno not in (errno.ENOSPC, errno.EDQUOT) or state.debug:
                return _internal(exc)
            typer.echo(f"cannot write: {exc.strerror or exc} (the disk is full)", err=True)
            raise typer.Exit(int(ExitCode.BAD_INPUT)) from None
        except KeyboardInterrupt:
            typer.echo("interrupted", err=True)
            raise typer.Exit(130) from None
        except Exception as exc:
            return _internal(exc)
        except BaseException as exc:  # a panic in polars' Rust code is no Exception
            if type(exc).__name__ != "PanicException":
                raise
            return _internal(exc)

    return wrapper


def _internal(exc: BaseException) -> NoReturn:
    """An error tierkit did not expect: a bug; the traceback only with ``--debug``."""
    if state.debug:
        raise exc
    typer.echo(
        f"internal error: {type(exc).__name__}: {exc}\n"
        "This is a bug in tierkit or a plugin; rerun with --debug for the traceback.",
        err=True,
    )
    raise typer.Exit(int(ExitCode.INTERNAL)) from None


def print_json(data: Any) -> None:
    """Write ``data`` as JSON to standard output."""
    sys.stdout.write(json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")


def stop_writing_stdout() -> None:
    """Send whatever is still written to standard output nowhere: its reader has gone.

    A command piped into ``head`` finds the pipe closed after the first lines; that is the
    reader's choice, not an error, so the command ends quietly with exit status 0.
    """
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # no file descriptor (a test's captured output)
        pass


def finish_stdout(code: int | str | None) -> int | str | None:
    """Flush standard output and give the exit status: 0 where the only failure was a reader
    that left early (click ends such a command with 1), ``code`` otherwise."""
    if type(sys.stdout).__name__ == "PacifyFlushWrapper":  # click saw the reader leave early
        return 0 if code == 1 else code
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        stop_writing_stdout()
    except (OSError, ValueError):
        pass
    return code
