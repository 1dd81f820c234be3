"""The run manifest, typed: what a run was (ruleset, data, options) and what it found.

Each stage of :func:`tierkit.evaluation.evaluate` fills its fields; :meth:`RunManifest.as_dict`
gives the JSON form that ``--json`` prints, the history store saves and plugins receive. Its
``timings`` account for the whole process when the command line passes a :class:`Stopwatch`
started with the process (``start``: the interpreter, imports and reading the options), and for
the call of ``evaluate()`` otherwise.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from datetime import date
from typing import Any

STAGES = (
    "start",
    "load",
    "read",
    "prepare",
    "history",
    "criteria",
    "decide",
    "overrides",
    "near_miss",
    "collect",
    "write",
    "save",
)
"""The stages a run is timed in, in order (a stage that did not run has no timing)."""


class Stopwatch:
    """Seconds per stage: each :meth:`lap` ends a stage where the previous one ended."""

    def __init__(self, started: float | None = None) -> None:
        self.last = time.perf_counter() if started is None else started
        self.laps: dict[str, float] = {}

    @classmethod
    def since_process_start(cls) -> Stopwatch:
        """A stopwatch whose first lap starts when this process started (Linux), else now."""
        watch = cls()
        age = process_age()
        if age is not None:
            watch.last -= age
        return watch

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.laps[stage] = round(self.laps.get(stage, 0.0) + now - self.last, 3)
        self.last = now

    def total(self) -> float:
        return round(sum(self.laps.values()), 3)


def process_age() -> float | None:
    """Seconds since this process started, from /proc (``None`` where there is none)."""
    try:
        with open(f"/proc/{os.getpid()}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        ticks = os.sysconf("SC_CLK_TCK")
        started = int(fields[19]) / ticks  # field 22 of stat: start time after boot
        return max(0.0, time.clock_gettime(time.CLOCK_BOOTTIME) - started)
    except (OSError, ValueError, IndexError, AttributeError):
        return None


@dataclass(frozen=True)
class RulesetRef:
    name: str
    path: str | None
    sha256: str | None


@dataclass(frozen=True)
class PluginRef:
    name: str
    package: str | None
    version: str | None


@dataclass(frozen=True)
class OverrideSummary:
    """What became of the overrides in force (:func:`tierkit.history.override_summary`)."""

    in_force: int = 0
    applied: list[int] = field(default_factory=list)
    superseded: list[int] = field(default_factory=list)
    unknown_customer: list[dict[str, Any]] = field(default_factory=list)
    unknown_decision: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def of(cls, summary: dict[str, Any]) -> OverrideSummary:
        return cls(**summary)


@dataclass
class RunManifest:
    """One run: filled stage by stage, saved with the results, printed by ``--json``."""

    run_id: str
    as_of: date
    ruleset: RulesetRef
    strategy: str
    engine: str
    backend: str
    plugins: list[PluginRef]
    data: dict[str, Any] = field(default_factory=dict)
    """The data report of each table (:class:`tierkit.data.report.ReadReport`)."""
    previous_run: str | None = None
    overrides: OverrideSummary | None = None
    """With a history store only."""
    customers: int = 0
    main: str | None = None
    categories: list[dict[str, Any]] = field(default_factory=list)
    value_totals: dict[str, Any] = field(default_factory=dict)
    decisions: dict[str, dict[str, int]] = field(default_factory=dict)
    """Counts per value of the other decisions with one value per customer."""
    timings: dict[str, float] = field(default_factory=dict)
    """Seconds per stage (:data:`STAGES`)."""
    out: str | None = None
    replaces: list[str] = field(default_factory=list)
    store: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The JSON form (keys as docs/cli.md lists them)."""
        found: dict[str, Any] = {
            "run_id": self.run_id,
            "as_of": self.as_of.isoformat(),
            "ruleset": {
                "name": self.ruleset.name,
                "path": self.ruleset.path,
                "sha256": self.ruleset.sha256,
            },
            "strategy": self.strategy,
            "engine": self.engine,
            "backend": self.backend,
            "plugins": [
                {"name": p.name, "package": p.package, "version": p.version} for p in self.plugins
            ],
            "data": self.data,
            "previous_run": self.previous_run,
        }
        if self.overrides is not None:
            o = self.overrides
            found["overrides"] = {
                "in_force": o.in_force,
                "applied": o.applied,
                "superseded": o.superseded,
                "unknown_customer": o.unknown_customer,
                "unknown_decision": o.unknown_decision,
            }
        found |= {
            "customers": self.customers,
            "main": self.main,
            "categories": self.categories,
            "value_totals": self.value_totals,
            "decisions": self.decisions,
            "timings": dict(self.timings),
        }
        if self.out is not None:
            found["out"] = self.out
        if self.replaces:
            found["replaces"] = self.replaces
        if self.store is not None:
            found["store"] = self.store
        return found
