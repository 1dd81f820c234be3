"""A watch session: the data and decisions of the last stored run, moved on by events.

Rows arrive at the clock (an as-of date, exclusive like ``--as-of``): a row dated D moves the
clock to D + 1 day at least, so that it counts. Consecutive rows at one clock, read together,
are decided in one pass (a chunk): a customer that several of them touch is decided once,
after the last, and a change names that row. (Deciding it after each row would cost one copy
of the customer's rows per row: a large customer paying 100 times a day made that quadratic.)
When the clock moves the window into a new period, the customers whose rows leave it (found
in :class:`LeaveIndex`) are decided again; a time event decides every customer again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import polars as pl

from tierkit.contract import Window
from tierkit.evaluation.run import _used_columns
from tierkit.registry import Registry
from tierkit.ruleset.compiled import CompiledRuleset
from tierkit.watch.decide import ID, decide_customers, decision_names
from tierkit.watch.events import BadEvent, Event, RowEvent, Schema, TimeEvent, parse_event
from tierkit.watch.frozen import FrozenRankings
from tierkit.watch.index import LeaveIndex

MOST_PER_CHUNK = 5_000
IDLE = None
"""An item of the line stream meaning "no more input for now": decide what is pending."""


@dataclass(frozen=True)
class Change:
    """One decision of one customer changed, and why."""

    customer: str
    decision: str
    old: Any
    new: Any
    rule: Any
    because: Any
    cause: str
    """``row`` (an event's row), ``window`` (rows left the window) or ``time`` (a time event)."""
    line: int
    event: Mapping[str, Any]
    as_of: date
    values: Mapping[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "customer": self.customer,
            "decision": self.decision,
            "old": self.old,
            "new": self.new,
            "rule": self.rule,
            "because": self.because,
            "cause": self.cause,
            "event": dict(self.event),
            "line": self.line,
            "as_of": self.as_of.isoformat(),
            "values": dict(self.values),
        }


@dataclass
class Session:
    """Everything a watch needs between events; built by :func:`tierkit.watch.open_session`."""

    ruleset: CompiledRuleset
    registry: Registry
    tables: dict[str, pl.DataFrame]
    schema: Schema
    main_dates: Mapping[str, str | None]
    clock: date
    previous: pl.DataFrame
    """The last stored run's results: ``previous.*`` of every re-decision."""
    state: dict[str, dict[str, tuple[Any, Any, Any]]]
    """Per customer and decision: value, rule, because, as last decided."""
    frozen: FrozenRankings
    index: LeaveIndex
    engine: str = "vector"
    on_bad: str = "skip"
    bad: list[BadEvent] = field(default_factory=list)
    events: int = 0
    decided: int = 0

    def run(
        self,
        lines: Iterable[str | None],
        record: Callable[[Sequence[Change]], None],
        idle: Callable[[], None] = lambda: None,
    ) -> Iterator[Change | BadEvent]:
        """Read events from ``lines`` (``None``: the input is idle, decide what is pending);
        yield each change after ``record`` has kept it, and each skipped bad event. ``idle``
        is called when the input is idle, after what was pending is recorded."""
        pending: list[RowEvent] = []
        number = 0
        for text in lines:
            if text is IDLE:
                flushed = list(self._flush(pending, record))
                idle()
                yield from flushed
                continue
            number += 1
            try:
                event = self._event(number, text)
            except BadEvent as bad:
                yield from self._flush(pending, record)
                self.bad.append(bad)
                if self.on_bad == "stop":
                    raise
                yield bad
                continue
            if event is None:
                continue
            self.events += 1
            if isinstance(event, TimeEvent):
                yield from self._flush(pending, record)
                yield from self._move(event, event.time, record, everyone=True)
                continue
            day = event.day
            if day is not None and day >= self.clock:  # moves the clock to the day after it
                yield from self._flush(pending, record)
                yield from self._move(event, day + timedelta(days=1), record)
            pending.append(event)
            if len(pending) >= MOST_PER_CHUNK:
                yield from self._flush(pending, record)
        flushed = list(self._flush(pending, record))
        idle()
        yield from flushed

    def _event(self, number: int, text: str) -> Event | None:
        event = parse_event(number, text, self.schema, self.main_dates)
        if isinstance(event, TimeEvent) and event.time < self.clock:
            raise BadEvent(
                number, f"time {event.time} is before the clock ({self.clock}); time moves on"
            )
        if isinstance(event, RowEvent) and event.customer not in self.state:
            raise BadEvent(
                number, f"unknown customer {event.customer!r} (not in the customers table)", text
            )
        return event

    # -- moving the clock ----------------------------------------------------------------------

    def _move(
        self,
        event: Event,
        to: date,
        record: Callable[[Sequence[Change]], None],
        *,
        everyone: bool = False,
    ) -> Iterator[Change]:
        before = self.clock
        self.clock = max(before, to)
        leaving = self.index.leaving(before, self.clock, self._window_lengths())
        moved = bool(leaving) or self._starts(before) != self._starts(self.clock)
        per_period = any(b.per_period for b in self.ruleset.criteria.values())
        everybody = everyone or (moved and per_period)  # per-period values all shift
        customers = list(self.state) if everybody else sorted(leaving)
        if not customers:
            return
        cause = "time" if isinstance(event, TimeEvent) else "window"
        yield from self._decide(customers, cause, [event] * len(customers), record)

    def _window_lengths(self) -> list[int]:
        return sorted({self.ruleset.periods, *(b.periods for b in self.ruleset.criteria.values())})

    def _starts(self, as_of: date) -> list[date]:
        return [Window(as_of, self.ruleset.period, p).start for p in self._window_lengths()]

    # -- deciding rows -------------------------------------------------------------------------

    def _flush(
        self, pending: list[RowEvent], record: Callable[[Sequence[Change]], None]
    ) -> Iterator[Change]:
        """Add the pending rows, then decide each customer they touch once, after its last."""
        if not pending:
            return
        events = list(pending)
        pending.clear()
        for table, rows in _by_table(events).items():
            frame = pl.DataFrame(rows, schema=self._row_schema(table), orient="row")
            self.tables[table] = pl.concat(
                [self.tables[table], frame], how="diagonal_relaxed", rechunk=False
            )
        last: dict[str, RowEvent] = {}
        for e in events:
            last[e.customer] = e
            for column in self.index.columns.get(e.table, ()):
                day = e.row.get(column)
                if isinstance(day, date):
                    self.index.add(day, e.customer)
        ordered = sorted(last.values(), key=lambda e: e.line)
        yield from self._decide([e.customer for e in ordered], "row", ordered, record)

    def _row_schema(self, table: str) -> dict[str, pl.DataType]:
        schema = self.tables[table].schema
        return {c: schema[c] for c in self.schema[table] if c in schema}

    def _decide(
        self,
        customers: list[str],
        cause: str,
        events: Sequence[Event],
        record: Callable[[Sequence[Change]], None],
    ) -> Iterator[Change]:
        """Decide ``customers`` at the clock; ``events[k]`` is the one that made customer k
        be decided again."""
        everyone = len(customers) == len(self.state)
        wanted = pl.Series(customers, dtype=pl.String)
        tables = {
            name: (frame if everyone else frame.filter(pl.col(ID).is_in(wanted.implode()))).lazy()
            for name, frame in self.tables.items()
        }
        previous = (
            self.previous if everyone else self.previous.filter(pl.col(ID).is_in(wanted.implode()))
        )
        result = decide_customers(
            self.ruleset,
            self.registry,
            tables,
            self.clock,
            previous,
            self.frozen,
            engine=self.engine,
        )
        self.decided += result.height
        rows = {r[ID]: r for r in result.iter_rows(named=True)}
        used = [c for c in _used_columns(self.ruleset) if c in result.columns]
        changes: list[Change] = []
        for customer, event in zip(customers, events, strict=True):
            row = rows.get(customer)
            if row is None or customer not in self.state:  # in the run or the data, not both
                continue
            current = self.state[customer]
            for name in decision_names(self.ruleset):
                new = (row[name], row.get(f"{name}.rule"), row.get(f"{name}.because"))
                if new[0] != current[name][0]:
                    changes.append(
                        Change(
                            customer,
                            name,
                            current[name][0],
                            new[0],
                            new[1],
                            new[2],
                            cause,
                            event.line,
                            event.raw,
                            self.clock,
                            {c: _plain(row[c]) for c in used},
                        )
                    )
                current[name] = new
        if changes:
            record(changes)  # kept before anyone is told
        yield from changes


def _by_table(events: Sequence[RowEvent]) -> dict[str, list[Mapping[str, Any]]]:
    found: dict[str, list[Mapping[str, Any]]] = {}
    for e in events:
        found.setdefault(e.table, []).append(e.row)
    return found


def _plain(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value != value:
        return None
    return value
