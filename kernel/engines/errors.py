"""Errors of the durable engine (all :class:`~tierkit.errors.TierkitError`)."""

from __future__ import annotations

from tierkit.errors import TierkitError
from tierkit.exitcodes import ExitCode


class DurableUnsupported(TierkitError):
    """A decision uses something, or inputs hold a value, the durable engine cannot handle."""


class DurableIncomplete(TierkitError):
    """durable_rules did not decide every customer exactly once; no results are returned."""

    exit_code = ExitCode.INTERNAL


class DurableRulesError(TierkitError):
    """durable_rules refused a ruleset or a batch of facts."""

    exit_code = ExitCode.INTERNAL
