"""Process exit codes of the ``tierkit`` command, documented in docs/cli.md."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """What a ``tierkit`` process says with its exit status."""

    OK = 0
    """Everything asked for was done."""
    FINDING = 1
    """The command ran and found something to report, such as a failing ruleset example."""
    BAD_INPUT = 2
    """A ruleset, data source, option or plugin is wrong; the message says where and why."""
    INTERNAL = 3
    """A bug in tierkit itself; rerun with --debug and report the traceback."""
