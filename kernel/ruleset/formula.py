"""Conditions as formulas over value sets of facts.

A condition becomes ``and``/``or`` of atoms *fact ∈ set* (:mod:`tierkit.ruleset.intervals`),
with ``not`` pushed down to the atoms: ``not paid > 5`` is *paid ∈ (-inf, 5] or missing*,
because a comparison with a missing value is false. Derived facts that are true/false are
read through to their own conditions. What cannot be read this way (a comparison of two facts,
arithmetic, a function) becomes a *term* of its own, keyed by its text: the same text is the
same value, and nothing else is assumed about it.

A term is **free** when it is an input of the decisions (a criterion, ``previous.NAME``): any
value of its type can occur. Other terms (derived numbers, earlier decisions, functions) are
**dependent**: they follow from the inputs in ways the verifier does not follow. The solver
(:mod:`tierkit.ruleset.solve`) uses the difference.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from tierkit.ruleset.compiled import CompiledRuleset, DerivedFact
from tierkit.ruleset.expr import Binary, Call, Expr, ListLit, Literal, Name, Previous, Unary
from tierkit.ruleset.expr import unparse as unparse_expr
from tierkit.ruleset.hit import SINGLE
from tierkit.ruleset.intervals import (
    ChoiceSet,
    NumberSet,
    Representative,
    ValueSet,
    member,
)
from tierkit.ruleset.types import Type


@dataclass(frozen=True)
class Atom:
    term: str
    values: ValueSet


@dataclass(frozen=True)
class And:
    parts: tuple[Formula, ...]


@dataclass(frozen=True)
class Or:
    parts: tuple[Formula, ...]


Formula = bool | Atom | And | Or


def conj(*parts: Formula) -> Formula:
    return _join(And, parts)


def disj(*parts: Formula) -> Formula:
    return _join(Or, parts)


def _join(kind: type[And] | type[Or], parts: tuple[Formula, ...]) -> Formula:
    unit = kind is And
    kept: list[Formula] = []
    for part in parts:
        if part is unit:
            continue
        if part is (not unit):
            return not unit
        kept.extend(part.parts if isinstance(part, kind) else [part])
    if not kept:
        return unit
    return kept[0] if len(kept) == 1 else kind(tuple(kept))


@dataclass
class Term:
    """A value the solver reasons about."""

    key: str
    numeric: bool
    free: bool
    nullable: bool = True
    domain: ValueSet | None = None
    """The values it can take (None: any value of its type)."""
    realizable: ValueSet | None = None
    """For a free term: the values a real input takes (a criterion's declared range)."""
    is_date: bool = False
    boolean: bool = False


# --------------------------------------------------------------------------------------------
# conditions → formulas


@dataclass
class Translator:
    """Turns the conditions of one ruleset into formulas, sharing the terms between them."""

    ruleset: CompiledRuleset | None
    """The ruleset the conditions belong to; without it every name is a term of its own."""
    ranges: Mapping[str, tuple[float | None, float | None]] = field(default_factory=dict)
    """Declared ranges of criteria, by the ruleset's name for them."""
    terms: dict[str, Term] = field(default_factory=dict)
    _reading: set[str] = field(default_factory=set)

    def condition(self, tree: Expr, types: Mapping[Expr, Type]) -> Formula:
        return self.formula(tree, types, False)

    def formula(self, node: Expr, types: Mapping[Expr, Type], negate: bool) -> Formula:
        match node:
            case Literal(value=bool() as value):
                return value != negate
            case Unary(op="not", operand=operand):
                return self.formula(operand, types, not negate)
            case Binary(op="and" | "or" as op, left=left_node, right=right_node):
                left = self.formula(left_node, types, negate)
                right = self.formula(right_node, types, negate)
                return conj(left, right) if (op == "and") != negate else disj(left, right)
        atom = self.atom(node, types)
        if atom is None:  # a true/false value of its own
            if isinstance(node, Name) and node.name in self._derived:
                inner = self.derived_formula(node.name, negate)
                if inner is not None:
                    return inner
            term = self.term(node, types) or self.opaque(node)
            atom = Atom(term.key, ChoiceSet(frozenset({True})))
        return self.negated(atom) if negate else atom

    @property
    def _derived(self) -> Mapping[str, DerivedFact]:
        return self.ruleset.derived if self.ruleset is not None else {}

    def negated(self, atom: Atom) -> Atom:
        return Atom(atom.term, ~atom.values)

    def derived_formula(self, name: str, negate: bool) -> Formula | None:
        fact = self._derived[name]
        if name in self._reading or fact.expr.type.per_period:
            return None
        self._reading.add(name)
        try:
            return self.formula(fact.expr.tree, fact.expr.node_types, negate)
        finally:
            self._reading.discard(name)

    def atom(self, node: Expr, types: Mapping[Expr, Type]) -> Atom | None:
        """A comparison, membership or ``missing()`` as an atom; None for other values."""
        if isinstance(node, Call) and node.func == "missing" and len(node.args) == 1:
            term = self.term(node.args[0], types)
            if term is None:
                return None
            empty: ValueSet = NumberSet(missing=True) if term.numeric else ChoiceSet(missing=True)
            return Atom(term.key, empty)
        if not isinstance(node, Binary):
            return None
        if node.op in ("==", "!=", "<", "<=", ">", ">="):
            op, subject, constant = node.op, node.left, _constant(node.right)
            if constant is None:
                op, subject, constant = _FLIP[node.op], node.right, _constant(node.left)
            term = self.term(subject, types) if constant is not None else None
            if term is None or constant is None:
                return None if _boolean(node, types) is False else self.opaque_atom(node)
            if term.numeric and isinstance(constant, float):
                return Atom(term.key, NumberSet.compare(op, constant))
            if not term.numeric and op in ("==", "!=") and not isinstance(constant, float):
                return Atom(term.key, ChoiceSet(frozenset({constant}), other=op == "!="))
            return self.opaque_atom(node)
        if node.op in ("in", "not in") and isinstance(node.right, ListLit):
            items = [_constant(i) for i in node.right.items]
            term = self.term(node.left, types)
            if term is None or any(i is None for i in items):
                return self.opaque_atom(node)
            inside: ValueSet
            if term.numeric and all(isinstance(i, float) for i in items):
                inside = NumberSet.points(i for i in items if isinstance(i, float))
            elif not term.numeric and not any(isinstance(i, float) for i in items):
                inside = ChoiceSet(frozenset(i for i in items if i is not None))
            else:
                return self.opaque_atom(node)
            if node.op == "not in":
                inside = ~inside
                inside = (
                    NumberSet(inside.intervals)
                    if isinstance(inside, NumberSet)
                    else ChoiceSet(inside.values, inside.other)
                )
            return Atom(term.key, inside)
        if node.op in ("in", "not in"):
            return self.opaque_atom(node)
        return None

    def opaque_atom(self, node: Expr) -> Atom:
        return Atom(self.opaque(node).key, ChoiceSet(frozenset({True})))

    def opaque(self, node: Expr) -> Term:
        """A true/false part the solver does not look into (never missing: false instead)."""
        key = unparse_expr(node)
        return self.add(Term(key, numeric=False, free=False, nullable=False, boolean=True))

    def add(self, term: Term) -> Term:
        return self.terms.setdefault(term.key, term)

    def term(self, node: Expr, types: Mapping[Expr, Type]) -> Term | None:
        """The term a value stands for; None for a constant or a list."""
        if _constant(node) is not None or isinstance(node, ListLit):
            return None
        kind = types.get(node)
        if kind is None or kind.per_period or kind.base == "list":
            return None
        numeric = kind.base in ("number", "date")
        boolean_domain = ChoiceSet(frozenset({True, False}), missing=True)
        domain: ValueSet | None
        if isinstance(node, Previous):
            domain = None if numeric else boolean_domain if kind.base == "boolean" else None
            return self.add(_term(f"previous.{node.name}", kind, True, domain))
        if not isinstance(node, Name):
            return self.add(_term(unparse_expr(node), kind, False, None))
        name = node.name
        if self.ruleset is None:
            return self.add(_term(name, kind, False, None))
        if name in self.ruleset.criteria:
            low, high = self.ranges.get(name, (None, None))
            realizable = _range(low, high, kind.nullable) if numeric else None
            domain = boolean_domain if kind.base == "boolean" else None
            term = _term(name, kind, True, domain)
            term.nullable = kind.nullable
            term.realizable = realizable
            return self.add(term)
        if name in self.ruleset.derived:
            fact = self._derived[name].expr
            if isinstance(fact.tree, Name | Previous) and name not in self._reading:
                self._reading.add(name)
                try:
                    return self.term(fact.tree, fact.node_types)
                finally:
                    self._reading.discard(name)
            domain = _bands_domain(fact.tree) if numeric else None
            if kind.base == "boolean":
                domain = boolean_domain
            return self.add(_term(name, kind, False, domain))
        if name in self.ruleset.decisions:
            decision = self.ruleset.decisions[name]
            domain = None
            if decision.policy in SINGLE and decision.aggregate is None:
                values = decision.outcomes
                if numeric:
                    domain = NumberSet.points((float(v) for v in values), missing=True)
                else:
                    domain = ChoiceSet(frozenset(values), missing=True)
            return self.add(_term(name, kind, False, domain))
        return None


def _term(key: str, kind: Type, free: bool, domain: ValueSet | None) -> Term:
    return Term(
        key,
        numeric=kind.base in ("number", "date"),
        free=free,
        domain=domain,
        is_date=kind.base == "date",
        boolean=kind.base == "boolean",
    )


_FLIP = {"==": "==", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}


def _constant(node: Expr) -> float | str | bool | None:
    """A constant's value (numbers and dates as floats, dates as day numbers), else None."""
    match node:
        case Literal(value=str() | bool() as value):
            return value
        case Literal(value=value):
            return float(value)
        case Unary(op="-" | "+" as op, operand=operand):
            inner = _constant(operand)
            if isinstance(inner, float):
                return -inner if op == "-" else inner
            return None
        case Call(func="date", args=(Literal(value=str() as text),)):
            try:
                return float(dt.date.fromisoformat(text).toordinal())
            except ValueError:
                return None
    return None


def _boolean(node: Expr, types: Mapping[Expr, Type]) -> bool | None:
    kind = types.get(node)
    return None if kind is None else kind.base == "boolean"


def _range(low: float | None, high: float | None, nullable: bool) -> NumberSet | None:
    if low is None and high is None:
        return None if nullable else ~NumberSet(missing=True)
    whole = ~NumberSet()
    if low is not None:
        whole = whole & NumberSet.compare(">=", low)
    if high is not None:
        whole = whole & NumberSet.compare("<=", high)
    return NumberSet(whole.intervals, nullable)


def _bands_domain(tree: Expr) -> NumberSet | None:
    """``bands(x, edges, points)`` takes one of its points (or is missing)."""
    if isinstance(tree, Call) and tree.func == "bands" and len(tree.args) == 3:
        points = tree.args[2]
        if isinstance(points, ListLit):
            values = [_constant(p) for p in points.items]
            if all(isinstance(v, float) for v in values):
                return NumberSet.points((v for v in values if isinstance(v, float)), True)
    return None


# --------------------------------------------------------------------------------------------
# operations


def substitute(formula: Formula, key: str, value: Representative) -> Formula:
    """The formula with the term ``key`` set to ``value``."""
    match formula:
        case Atom(term=term, values=values):
            return member(value, values) if term == key else formula
        case And(parts=parts):
            return conj(*(substitute(p, key, value) for p in parts))
        case Or(parts=parts):
            return disj(*(substitute(p, key, value) for p in parts))
    return formula


def negate(formula: Formula) -> Formula:
    """The formula's negation, with ``not`` pushed down to the atoms."""
    match formula:
        case bool():
            return not formula
        case Atom(term=term, values=values):
            return Atom(term, ~values)
        case And(parts=parts):
            return disj(*(negate(p) for p in parts))
        case Or(parts=parts):
            return conj(*(negate(p) for p in parts))


def evaluate(formula: Formula, values: Mapping[str, Representative]) -> bool:
    """The formula's truth under values of every term it uses (for tests)."""
    for key, value in values.items():
        formula = substitute(formula, key, value)
    assert isinstance(formula, bool), formula
    return formula
