"""What the runner of a ruleset's examples works with: the given rows, the computed values, each
check's outcome and each example's result."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import polars as pl

from tierkit.errors import TierkitError

EXAMPLE_CUSTOMER = "example"
"""The customer id of an example without a population."""

PREVIOUS = "previous."
MATCH = "__example_match"

Row = dict[str, Any]
TransactionTables = Mapping[str, Sequence[Mapping[str, Any]]]
"""Tiny transaction tables: table name → rows (column → value), as written in YAML."""


@dataclass(frozen=True)
class Check:
    """One expected value of an example, compared with what the ruleset gave."""

    name: str
    expected: Any
    actual: Any
    passed: bool
    rule: str | None = None
    """The rule that decided (``rule 2``, ``rule 2 (name)``, ``default``; for ``hit: collect``
    the rules that matched, ``rules 1, 3`` or ``no rule``); None for derived facts and for an
    undecided customer (``because`` then says so)."""
    because: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "expected": plain(self.expected),
            "actual": plain(self.actual),
            "passed": self.passed,
            "rule": self.rule,
            "because": self.because,
        }


Mismatch = Check
"""A failed :class:`Check`: name, expected, actual, and the rule that fired with its because."""


@dataclass(frozen=True)
class ExampleResult:
    """The outcome of one example."""

    name: str
    index: int
    """0-based position in the ruleset's ``tests:``."""
    customer: str
    checks: tuple[Check, ...] = ()
    error: str | None = None
    """Why the example could not be run (a list of the wrong length, bad transaction rows)."""
    line: int | None = None
    """The line of the example in the ruleset file, when known."""

    @property
    def passed(self) -> bool:
        return self.error is None and all(c.passed for c in self.checks)

    @property
    def mismatches(self) -> list[Check]:
        return [c for c in self.checks if not c.passed]

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "index": self.index,
            "line": self.line,
            "customer": self.customer,
            "passed": self.passed,
            "error": self.error,
            "checks": [c.as_dict() for c in self.checks],
        }


class ExampleFailure(TierkitError):
    """An example cannot be run as written (it fails; the ruleset itself is valid)."""


@dataclass
class Given:
    """The rows of one example and the names they give."""

    ids: list[str]
    rows: list[Row]
    names: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class Values:
    customers: pl.DataFrame
    periods: pl.DataFrame | None
    grid: range


def contains(values: list[Any], outcome: Any) -> bool:
    return any(outcome_key(v) == outcome_key(outcome) for v in values)


def outcome_text(value: Any) -> str:
    return str(value)


def plain(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def outcome_key(value: Any) -> tuple[str, str]:
    if isinstance(value, bool):
        return ("boolean", str(value))
    if isinstance(value, int | float):
        return ("number", repr(float(value)))
    return ("text", str(value))
