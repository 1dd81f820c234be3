"""Sets of values a fact can take: numeric intervals and sets of texts, each maybe with *missing*.

The verifier (:mod:`tierkit.ruleset.verify`) turns every comparison of a fact with constants
into such a set (``paid > 1000`` is ``(1000, inf)``; ``not paid > 1000`` is ``(-inf, 1000]`` or
missing, since a comparison with a missing value is false). Sets are immutable and closed under
union, intersection and complement; :func:`representatives` picks one value from every region
that a list of sets cuts a domain into, so that trying those values tries every case.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

INF = math.inf
Value = float | str | bool


@dataclass(frozen=True, order=True)
class Interval:
    """Numbers between ``low`` and ``high``; each end included or not (never an infinite one)."""

    low: float
    high: float
    low_closed: bool = True
    high_closed: bool = True

    def is_empty(self) -> bool:
        if self.low > self.high:
            return True
        return self.low == self.high and not (self.low_closed and self.high_closed)

    def __contains__(self, x: object) -> bool:
        if not isinstance(x, int | float) or isinstance(x, bool):
            return False
        above = x > self.low or (x == self.low and self.low_closed)
        below = x < self.high or (x == self.high and self.high_closed)
        return above and below


def _interval(low: float, high: float, low_closed: bool, high_closed: bool) -> Interval:
    return Interval(low, high, low_closed and low != -INF, high_closed and high != INF)


@dataclass(frozen=True)
class NumberSet:
    """A union of disjoint, sorted intervals, and whether *missing* belongs to the set."""

    intervals: tuple[Interval, ...] = ()
    missing: bool = False

    @staticmethod
    def of(intervals: Iterable[Interval], missing: bool = False) -> NumberSet:
        """The set of the given (possibly overlapping) intervals, normalised."""
        merged: list[Interval] = []
        for item in sorted(i for i in intervals if not i.is_empty()):
            if merged and _touch(merged[-1], item):
                last = merged.pop()
                high, high_closed = max(
                    (last.high, last.high_closed), (item.high, item.high_closed)
                )
                item = Interval(last.low, high, last.low_closed, high_closed)
            merged.append(item)
        return NumberSet(tuple(merged), missing)

    @staticmethod
    def compare(op: str, c: float) -> NumberSet:
        """The numbers ``x`` for which ``x OP c`` holds (never missing)."""
        table = {
            "<": [_interval(-INF, c, False, False)],
            "<=": [_interval(-INF, c, False, True)],
            ">": [_interval(c, INF, False, False)],
            ">=": [_interval(c, INF, True, False)],
            "==": [Interval(c, c)],
            "!=": [_interval(-INF, c, False, False), _interval(c, INF, False, False)],
        }
        return NumberSet.of(table[op])

    @staticmethod
    def points(values: Iterable[float], missing: bool = False) -> NumberSet:
        return NumberSet.of((Interval(v, v) for v in values), missing)

    def __or__(self, other: NumberSet) -> NumberSet:
        return NumberSet.of([*self.intervals, *other.intervals], self.missing or other.missing)

    def __and__(self, other: NumberSet) -> NumberSet:
        return ~(~self | ~other)

    def __invert__(self) -> NumberSet:
        """Every other number, and missing if it was not in the set."""
        gaps: list[Interval] = []
        low, low_closed = -INF, False
        for item in self.intervals:
            gaps.append(_interval(low, item.low, low_closed, not item.low_closed))
            low, low_closed = item.high, not item.high_closed
        gaps.append(_interval(low, INF, low_closed, False))
        return NumberSet.of(gaps, not self.missing)

    def __contains__(self, x: object) -> bool:
        if x is None:
            return self.missing
        return any(x in i for i in self.intervals)

    def is_empty(self) -> bool:
        return not self.intervals and not self.missing

    def edges(self) -> set[float]:
        return {e for i in self.intervals for e in (i.low, i.high) if math.isfinite(e)}


def _touch(a: Interval, b: Interval) -> bool:
    """Whether ``b`` (starting no earlier than ``a``) overlaps or adjoins ``a``."""
    return b.low < a.high or (b.low == a.high and (a.high_closed or b.low_closed))


@dataclass(frozen=True)
class ChoiceSet:
    """A set of texts (or true/false, or dates): the ``values`` listed, or every value but
    them (``other``); and whether *missing* belongs to it."""

    values: frozenset[Value] = frozenset()
    other: bool = False
    missing: bool = False

    def __or__(self, other: ChoiceSet) -> ChoiceSet:
        if self.other and other.other:
            values = self.values & other.values
        elif self.other:
            values = self.values - other.values
        elif other.other:
            values = other.values - self.values
        else:
            values = self.values | other.values
        return ChoiceSet(values, self.other or other.other, self.missing or other.missing)

    def __and__(self, other: ChoiceSet) -> ChoiceSet:
        return ~(~self | ~other)

    def __invert__(self) -> ChoiceSet:
        return ChoiceSet(self.values, not self.other, not self.missing)

    def __contains__(self, x: object) -> bool:
        if x is None:
            return self.missing
        return (x in self.values) != self.other

    def is_empty(self) -> bool:
        return not self.values and not self.other and not self.missing


ValueSet = NumberSet | ChoiceSet


class Other:
    """A text different from every text a ruleset mentions (``a value other than 'A', 'B'``)."""

    def __init__(self, excluded: Sequence[Value]) -> None:
        self.excluded = tuple(excluded)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Other) and other.excluded == self.excluded

    def __hash__(self) -> int:
        return hash(self.excluded)

    def __repr__(self) -> str:
        shown = ", ".join(repr(v) for v in self.excluded)
        return f"a value other than {shown}" if shown else "any value"


Representative = float | str | bool | Other | None
"""One value of a fact: a number, a text, true/false, :class:`Other`, or ``None`` (missing)."""


def representatives(
    sets: Sequence[ValueSet], domain: ValueSet | None, missing: bool = True
) -> list[Representative]:
    """One value for every region the ``sets`` cut the ``domain`` into (all values if None).

    Every member of a region lies in the same ``sets``, so a formula over the ``sets`` that
    holds (or fails) for each representative holds (or fails) for every value of the domain.
    ``missing`` says whether *missing* is a possible value.
    """
    found: list[Representative] = []
    if (sets and all(isinstance(s, ChoiceSet) for s in sets)) or isinstance(domain, ChoiceSet):
        mentioned: set[Value] = set()
        for s in sets:
            if isinstance(s, ChoiceSet):
                mentioned |= s.values
        if isinstance(domain, ChoiceSet):
            mentioned |= domain.values
        ordered = sorted(mentioned, key=lambda v: (str(type(v)), str(v)))
        found = [*ordered, Other(ordered)]
        if all(isinstance(v, bool) for v in ordered) and mentioned:
            found = [True, False]
    else:
        edges: set[float] = set()
        for s in [*sets, *([domain] if domain is not None else [])]:
            if isinstance(s, NumberSet):
                edges |= s.edges()
        points = sorted(edges)
        found = list(points)
        if points:
            found.append(_below(points[0]))
            found.append(_above(points[-1]))
            found += [_between(a, b) for a, b in itertools.pairwise(points)]
        else:
            found.append(0.0)
    if missing:
        found.append(None)
    if domain is not None:
        found = [v for v in found if _member(v, domain)]
    return found


def _member(value: Representative, domain: ValueSet) -> bool:
    if isinstance(value, Other):
        return isinstance(domain, ChoiceSet) and domain.other
    return value in domain


def _below(x: float) -> float:
    return float(math.ceil(x) - 1)


def _above(x: float) -> float:
    return float(math.floor(x) + 1)


def _between(a: float, b: float) -> float:
    """A short number strictly between ``a`` and ``b``: a whole one if there is one."""
    whole = math.floor(a) + 1
    if whole < b:
        return float(whole)
    return (a + b) / 2


def member(value: Representative, values: ValueSet) -> bool:
    """Whether a representative lies in a set (an :class:`Other` text in no listed value)."""
    if isinstance(value, Other):
        return isinstance(values, ChoiceSet) and values.other
    if isinstance(values, ChoiceSet) and isinstance(value, float):
        return False
    if isinstance(values, NumberSet) and isinstance(value, str | bool):
        return False
    return value in values


def show(value: Representative) -> str:
    """A representative as an analyst would write it."""
    if value is None:
        return "missing"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}" if value == int(value) and abs(value) < 1e15 else repr(value)
    if isinstance(value, str):
        return repr(value)
    return str(value)
