"""A small solver for condition formulas (:mod:`tierkit.ruleset.formula`).

It tries one value per region of each term (:func:`~tierkit.ruleset.intervals.representatives`)
and answers two questions:

- :meth:`Solver.satisfiable`: can the formula hold at all, every term taking any value? When
  the answer is no, it is no for every customer (sound for "never fires", "decides everyone").
- :meth:`Solver.witness`: is there an input (values of the free terms) for which the formula
  holds whatever the dependent terms are? When the answer is yes, it is a real customer's
  input (sound for "these rules overlap").

A top-level ``and`` narrows the values tried (unit propagation); the work is bounded.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping

from tierkit.ruleset.formula import And, Atom, Formula, Or, Term, substitute
from tierkit.ruleset.intervals import (
    ChoiceSet,
    NumberSet,
    Other,
    Representative,
    ValueSet,
    member,
    representatives,
    show,
)

MAX_WORK = 500_000
"""How much work (atoms looked at, summed over the cases tried and the substitutions made) the
questions about one decision may take in all before the solver gives up (and the verifier says
nothing more about that decision): about a second, the same on every machine. Substitutions
were not counted before, and 4,000 rules under ``hit: first`` took 16 s to validate."""


class Unsure(Exception):
    """The solver gave up (too many cases); the caller reports nothing."""


Assignment = dict[str, Representative]


class Solver:
    """Answers questions about formulas over the terms of one :class:`Translator`."""

    def __init__(self, terms: Mapping[str, Term], max_work: int = MAX_WORK) -> None:
        self.terms = terms
        self.max_work = max_work
        self.work = 0

    def satisfiable(self, formula: Formula) -> Assignment | None:
        """Values under which the formula holds, every term free; None if there are none."""
        return self._search(formula, {}, lambda t: True, self._wide, None)

    def witness(self, formula: Formula) -> Assignment | None:
        """Values of the free terms under which the formula holds whatever the dependent terms
        are; None if none was found."""
        return self._search(formula, {}, lambda t: self.terms[t].free, self._real, self._always)

    def _wide(self, key: str, sets: list[ValueSet]) -> list[Representative]:
        term = self.terms[key]
        return representatives(sets, term.domain, missing=True)

    def _real(self, key: str, sets: list[ValueSet]) -> list[Representative]:
        term = self.terms[key]
        domain = term.realizable if term.realizable is not None else term.domain
        return representatives(sets, domain, missing=term.nullable)

    def _search(
        self,
        formula: Formula,
        chosen: Assignment,
        pick: Callable[[str], bool],
        values: Callable[[str, list[ValueSet]], list[Representative]],
        rest: Callable[[Formula], bool] | None,
    ) -> Assignment | None:
        if formula is True:
            return dict(chosen)
        if formula is False:
            return None
        atoms = _atoms(formula)
        self._tick(atoms)
        keys = [k for k in atoms if pick(k)]
        if not keys:
            return dict(chosen) if rest is not None and rest(formula) else None
        units = _units(formula)
        key = max(keys, key=lambda k: (k in units, len(atoms[k])))
        needed = _meet(units.get(key, []))
        size = sum(len(v) for v in atoms.values())
        for value in values(key, atoms[key]):
            if needed is not None and not member(value, needed):
                continue  # a part of the 'and' that this value makes false
            self._spend(size)  # substituting looks at every atom of the formula
            reduced = substitute(formula, key, value)
            chosen[key] = value
            found = self._search(reduced, chosen, pick, values, rest)
            del chosen[key]
            if found is not None:
                return found
        return None

    def _always(self, formula: Formula) -> bool:
        """Whether the formula holds for every value of the terms left in it."""
        if isinstance(formula, bool):
            return formula
        atoms = _atoms(formula)
        self._tick(atoms)
        key = max(atoms, key=lambda k: len(atoms[k]))
        size = sum(len(v) for v in atoms.values())
        for value in self._wide(key, atoms[key]):
            self._spend(size)
            if not self._always(substitute(formula, key, value)):
                return False
        return True

    def _tick(self, atoms: Mapping[str, list[ValueSet]]) -> None:
        self._spend(1 + sum(len(v) for v in atoms.values()))

    def _spend(self, work: int) -> None:
        self.work += work
        if self.work > self.max_work:
            raise Unsure


def necessary(formula: Formula) -> dict[str, ValueSet]:
    """For each term the formula's top-level 'and' constrains, the values it must take."""
    found: dict[str, ValueSet] = {}
    for key, sets in _units(formula).items():
        met = _meet(sets)
        if met is not None:
            found[key] = met
    return found


def exclusive(a: Mapping[str, ValueSet], b: Mapping[str, ValueSet]) -> bool:
    """Whether two :func:`necessary` maps leave no value in common for some term."""
    for key in a.keys() & b.keys():
        x, y = a[key], b[key]
        if isinstance(x, NumberSet) and isinstance(y, NumberSet) and (x & y).is_empty():
            return True
        if isinstance(x, ChoiceSet) and isinstance(y, ChoiceSet) and (x & y).is_empty():
            return True
    return False


def _meet(sets: list[ValueSet]) -> ValueSet | None:
    """The values in every one of the sets (None when there are none to meet)."""
    if not sets:
        return None
    numbers = [s for s in sets if isinstance(s, NumberSet)]
    choices = [s for s in sets if isinstance(s, ChoiceSet)]
    if numbers and choices:
        return NumberSet()  # a term is either a number or not: nothing is in both
    if numbers:  # the complement of the union of the complements, built in one pass
        return ~NumberSet.of(
            (i for s in numbers for i in (~s).intervals), any(not s.missing for s in numbers)
        )
    met = choices[0]
    for other in choices[1:]:
        met = met & other
    return met


def _units(formula: Formula) -> dict[str, list[ValueSet]]:
    """The atoms the formula cannot hold without: itself, or the atoms of a top-level 'and'."""
    parts = formula.parts if isinstance(formula, And) else (formula,)
    found: dict[str, list[ValueSet]] = {}
    for part in parts:
        if isinstance(part, Atom):
            found.setdefault(part.term, []).append(part.values)
    return found


def _atoms(
    formula: Formula, found: dict[str, list[ValueSet]] | None = None
) -> dict[str, list[ValueSet]]:
    found = {} if found is None else found
    if isinstance(formula, Atom):
        found.setdefault(formula.term, []).append(formula.values)
    elif isinstance(formula, And | Or):
        for part in formula.parts:
            _atoms(part, found)
    return found


def describe(assignment: Assignment, terms: Mapping[str, Term]) -> str:
    """``paid = 3, region = 'north', on_time missing``: values as an analyst writes them."""
    parts = []
    for key in sorted(assignment):
        value = assignment[key]
        term = terms.get(key)
        if value is None:
            parts.append(f"{key} missing")
        elif isinstance(value, Other):
            parts.append(f"{key} = {value}")
        elif term is not None and term.is_date and isinstance(value, float):
            parts.append(f"{key} = {dt.date.fromordinal(int(value)).isoformat()}")
        elif isinstance(value, bool):
            parts.append(f"{key} is {'true' if value else 'false'}")
        else:
            parts.append(f"{key} = {show(value)}")
    return ", ".join(parts)
