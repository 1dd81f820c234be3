"""Running one translated decision table through one fresh durable_rules ruleset.

- Every rule carries ``pri(n)`` with its table number (a lower number fires first); a
  catch-all (the default, or "undecided") has the lowest priority. They are declared catch-all
  first and the rules in reverse, so only the priorities can make the first matching rule win.
- Every rule is guarded by ``+m.r``: only our facts carry the row number ``r``. Without it a
  rule such as ``-m.x`` (``missing(x)``) also matches durable_rules' own state object, and its
  action then loops forever.
- ``hit: first`` posts events: one event fires exactly one rule, the matching one with the best
  priority. ``hit: collect`` asserts facts: every matching rule fires (an ``or`` may fire the
  same rule twice; matches are kept as a set), and the catch-all, last, retracts the fact.
- Each fact has an explicit id whose 32-bit hash no other fact of the ruleset shares:
  durable_rules files messages by that hash and refuses a second one as "already observed",
  silently inside a batch.
- Batch calls can return before every action ran (the rest run on durable_rules' background
  thread), so the run waits until every customer is counted, up to a timeout.
"""

from __future__ import annotations

import math
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import reduce
from typing import Any

import polars as pl

from tierkit.engines.conditions import (
    AllOf,
    AnyOf,
    Compare,
    Cond,
    Field,
    Present,
    Table,
    all_of,
)
from tierkit.engines.errors import DurableIncomplete, DurableRulesError
from tierkit.engines.facts import ROW, constant, customer_ids

CHUNK = 100
"""Facts per batch call; measured fastest here (larger batches leave more results late)."""
CAP = 1000
"""Events one action of a ``hit: first`` rule receives at once (``cap``): durable_rules' cost is
per action (its state goes to JSON and back at each), so one action per event decided about
8,000 customers a second, one per thousand events more than 20,000. Batched, an event may reach
the actions of two rules that match it (an ``or`` is two rules to durable_rules); the first
rule of the table wins, as it does when the priorities decide."""
UNDECIDED = -1
POLL = 0.002
Action = Callable[[Any], None]
Fact = dict[str, Any]

_lock = threading.Lock()
"""durable_rules.lang keeps the rulesets being declared in module globals."""

_OPS: dict[str, Callable[[Any, Any], Any]] = {
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


@dataclass
class Tally:
    """What the actions report; written from durable_rules' threads."""

    done: dict[int, int] = field(default_factory=dict)
    """Row → the rule that decided it (first), or 0 once its fact is retracted (collect)."""
    repeated: list[int] = field(default_factory=list)
    matched: set[tuple[int, int]] = field(default_factory=set)
    """``(row, rule number)`` of every match (collect)."""


class DurableRun:
    """One decision table run through one fresh durable_rules ruleset."""

    def __init__(
        self, lang: Any, table: Table, keys: bool, work: pl.DataFrame, timeout: float
    ) -> None:
        self.lang = lang
        self.table = table
        self.keys = keys
        self.work = work
        self.timeout = timeout
        self.name = f"tierkit_{uuid.uuid4().hex}"
        self.tally = Tally()

    @property
    def decision(self) -> str:
        return self.table.decision.name

    def first(self, facts: Sequence[Fact]) -> list[int]:
        """The rule that decided each row: its number, 0 for the default, or UNDECIDED."""
        last = 0 if self.table.decision.default is not None else UNDECIDED
        self.define(self.decided, self.decided(last), cap=CAP)
        self.send(self.lang.post_batch, facts)
        self.wait()
        if self.tally.repeated:
            rows = customer_ids(self.work, sorted(set(self.tally.repeated))[:5])
            raise DurableIncomplete(
                f"decision '{self.decision}': durable_rules decided some customers twice, "
                f"e.g. {', '.join(rows)}"
            )
        return [self.tally.done[row] for row in range(self.work.height)]

    def collect(self, facts: Sequence[Fact]) -> set[tuple[int, int]]:
        """Every ``(row, rule number)`` that matched."""
        self.define(self.matched, self.retracted())
        self.send(self.lang.assert_facts, facts)
        self.wait()
        return set(self.tally.matched)

    # actions ----------------------------------------------------------------------------------

    def decided(self, index: int) -> Action:
        tally = self.tally

        rank = _rank(index)

        def action(c: Any) -> None:
            done = tally.done
            for m in _messages(c):
                row = m[ROW]
                if row not in done or rank < _rank(done[row]):
                    done[row] = index  # of two rules that took an event, the first rule wins

        return action

    def matched(self, index: int) -> Action:
        tally = self.tally

        def action(c: Any) -> None:
            tally.matched.add((c.m[ROW], index))

        return action

    def retracted(self) -> Action:
        tally = self.tally

        def action(c: Any) -> None:
            tally.done[c.m[ROW]] = 0
            c.retract_fact(c.m)

        return action

    # durable_rules ----------------------------------------------------------------------------

    def define(self, action: Callable[[int], Action], catch_all: Action, cap: int = 0) -> None:
        """Register the ruleset: the catch-all (lowest priority), then the rules in reverse.

        With ``cap``, an action receives up to that many events at once (``hit: first``).
        """
        lang = self.lang
        guard = Present(Field(ROW), True)
        lowest = len(self.table.decision.rules) + 1
        batch = [lang.cap(cap)] if cap else []
        with _lock:
            with lang.ruleset(self.name):
                lang.when_all(lang.pri(lowest), *batch, self.durable(guard))(catch_all)
                for index, cond in reversed(self.table.conditions):
                    when = self.durable(all_of(guard, cond))
                    lang.when_all(lang.pri(index), *batch, when)(action(index))
            try:
                lang.get_host()  # compiles and registers the ruleset
            except Exception as error:
                raise DurableRulesError(
                    f"durable_rules refused decision '{self.decision}': {error}"
                ) from error

    def durable(self, cond: Cond) -> Any:
        """A condition as a durable_rules expression over ``m``."""
        m = self.lang.m
        if isinstance(cond, Compare):
            left = getattr(m, cond.field.name)
            other = cond.other
            if isinstance(other, Field):
                return _OPS[cond.op](left, getattr(m, other.name))
            return _OPS[cond.op](left, constant(other, self.keys))
        if isinstance(cond, Present):
            value = getattr(m, cond.field.name)
            return +value if cond.present else -value
        assert isinstance(cond, AllOf | AnyOf), cond
        parts = [self.durable(part) for part in cond.parts]
        if isinstance(cond, AllOf):
            return reduce(lambda a, b: a & b, parts)
        return reduce(lambda a, b: a | b, parts)

    def send(self, call: Callable[[str, Sequence[Fact]], Any], facts: Sequence[Fact]) -> None:
        """Hand the facts to durable_rules in batches of :data:`CHUNK`."""
        for start in range(0, len(facts), CHUNK):
            try:
                call(self.name, facts[start : start + CHUNK])
            except Exception as error:
                raise DurableRulesError(
                    f"durable_rules refused facts of decision '{self.decision}': "
                    f"{getattr(error, 'message', error)}"
                ) from error

    def wait(self) -> None:
        """Wait for late results; stop with :class:`DurableIncomplete` when some never come."""
        total = self.work.height
        done = self.tally.done
        deadline = time.monotonic() + self.timeout
        while len(done) < total and time.monotonic() < deadline:
            time.sleep(POLL)
        if len(done) < total:
            missing = [r for r in range(total) if r not in done]
            raise DurableIncomplete(
                f"decision '{self.decision}': durable_rules decided {total - len(missing)} of "
                f"{total} customers within {self.timeout:g} s; missing e.g. "
                f"{', '.join(customer_ids(self.work, missing[:5]))}. No results are returned: "
                "rerun, or use --engine vector"
            )


def _rank(index: int) -> float:
    """Where a rule comes in the table: rules by number, the catch-all (0 or UNDECIDED) last."""
    return index if index > 0 else math.inf


def _messages(c: Any) -> list[Any]:
    """The events of one action: a list with ``cap``, else the one event."""
    return c.m if isinstance(c.m, list) else [c.m]


# --------------------------------------------------------------------------------------------
# fact ids


_ids: list[str] = []
_hashes: set[int] = set()


def fnv1a_32(text: str) -> int:
    """durable_rules' 32-bit hash of a message id (FNV-1a over the bytes)."""
    value = 0x811C9DC5
    for byte in text.encode():
        value = ((value ^ byte) * 0x01000193) & 0xFFFF_FFFF
    return value


def fact_ids(count: int) -> list[str]:
    """``count`` ids whose hashes all differ: 0, 1, 2, ... skipping the few that collide."""
    with _lock:
        candidate = int(_ids[-1]) + 1 if _ids else 0
        while len(_ids) < count:
            digest = fnv1a_32(str(candidate))
            if digest not in _hashes:
                _hashes.add(digest)
                _ids.append(str(candidate))
            candidate += 1
        return _ids[:count]
