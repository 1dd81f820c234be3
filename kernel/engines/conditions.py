"""Decision conditions in the form durable_rules tests them.

A rule's ``when`` is a tree of ``and``/``or``/``not`` over atoms (comparisons, ``in``,
``missing(x)``, true/false values). durable_rules has no ``not`` and no missing values: a fact
simply lacks a field, and every comparison on a field the fact lacks is false, ``!=`` included.
So the tree is brought into negation normal form here, with the vector engine's meaning of a
missing value written out (docs/engines.md):

- a comparison with a missing operand is false, so ``not (x < 5)`` is ``x >= 5 or x missing``;
- a missing true/false value counts as false, so ``not f`` is ``f == false or f missing``;
- ``x in [..]`` and ``x not in [..]`` are both false when ``x`` is missing.

Operands are constants, fields of the fact (a criterion, derived fact, earlier decision or
``previous.NAME``), or sub-expressions durable_rules cannot compute (arithmetic, functions,
``coalesce``, ``bands``): those become extra fields that :mod:`tierkit.engines.facts`
precomputes with the vector engine's own expression compiler, so they mean exactly the same.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tierkit.engines.errors import DurableUnsupported
from tierkit.ruleset.compiled import CompiledDecision
from tierkit.ruleset.expr import (
    COMPARISONS,
    MEMBERSHIP,
    Binary,
    Call,
    Expr,
    ListLit,
    Literal,
    Name,
    Previous,
    Unary,
    unparse,
    walk,
)
from tierkit.ruleset.language import AGGREGATES, RANKING
from tierkit.ruleset.types import BaseType, Type

Scalar = str | bool | int | float | dt.date


@dataclass(frozen=True)
class Const:
    """A constant operand, with the type the ruleset checker gave it."""

    value: Scalar
    base: BaseType


@dataclass(frozen=True)
class Field:
    """A field of the fact, by its durable_rules property name."""

    name: str


Operand = Const | Field


@dataclass(frozen=True)
class Compare:
    """``field OP other``; false when the fact lacks either field."""

    field: Field
    op: str
    other: Operand


@dataclass(frozen=True)
class Present:
    """The fact has (``present``) or lacks the field: durable_rules' ``+m.x`` and ``-m.x``."""

    field: Field
    present: bool


@dataclass(frozen=True)
class AllOf:
    parts: tuple[Cond, ...]


@dataclass(frozen=True)
class AnyOf:
    parts: tuple[Cond, ...]


@dataclass(frozen=True)
class Truth:
    """A condition known without looking at the fact."""

    value: bool


Cond = Truth | Compare | Present | AllOf | AnyOf
TRUE = Truth(True)
FALSE = Truth(False)
YES = Const(True, "boolean")
NO = Const(False, "boolean")

COMPLEMENT = {"==": "!=", "!=": "==", "<": ">=", "<=": ">", ">": "<=", ">=": "<"}
"""``not (a OP b)`` for two values that are both present."""
FLIPPED = {"==": "==", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
"""``a OP b`` is ``b FLIPPED[OP] a``."""
PYTHON_OPS: Mapping[str, Callable[[Any, Any], Any]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def all_of(*parts: Cond) -> Cond:
    """The conjunction of ``parts``, flattened, with constants folded."""
    return _combine(AllOf, parts, TRUE, FALSE)


def any_of(*parts: Cond) -> Cond:
    """The disjunction of ``parts``, flattened, with constants folded."""
    return _combine(AnyOf, parts, FALSE, TRUE)


def _combine(
    kind: type[AllOf] | type[AnyOf], parts: Iterable[Cond], unit: Truth, zero: Truth
) -> Cond:
    kept: list[Cond] = []
    for part in parts:
        if part == zero:
            return zero
        if part == unit:
            continue
        for item in part.parts if isinstance(part, kind) else (part,):
            if item not in kept:
                kept.append(item)
    if not kept:
        return unit
    return kept[0] if len(kept) == 1 else kind(tuple(kept))


# --------------------------------------------------------------------------------------------
# the fields a decision's facts carry


@dataclass(frozen=True)
class FactSource:
    """Where one field of the facts comes from: a column, or an expression to precompute."""

    name: str
    """The durable_rules property name (``v0``, ``v1``, ...)."""
    base: BaseType
    column: str | None = None
    expr: Expr | None = None
    types: Mapping[Expr, Type] = field(default_factory=dict)
    """The node types of ``expr``, for the vector engine's compiler."""


class FieldTable:
    """Names the fields of one decision's facts; each column or sub-expression once."""

    def __init__(self) -> None:
        self._by_key: dict[str, FactSource] = {}

    @property
    def sources(self) -> tuple[FactSource, ...]:
        return tuple(self._by_key.values())

    def copy(self) -> FieldTable:
        """A table with the same fields, to try a translation on."""
        other = FieldTable()
        other._by_key = dict(self._by_key)
        return other

    def column(self, column: str, base: BaseType) -> Field:
        """The field holding an input or earlier-decision column."""
        return self._add(f"column:{column}", lambda name: FactSource(name, base, column=column))

    def computed(self, node: Expr, types: Mapping[Expr, Type]) -> Field:
        """The field holding a sub-expression that durable_rules cannot compute."""
        _refuse_population_functions(node)
        base = types[node].base
        return self._add(
            f"expr:{unparse(node)}", lambda name: FactSource(name, base, expr=node, types=types)
        )

    def _add(self, key: str, make: Callable[[str], FactSource]) -> Field:
        found = self._by_key.get(key)
        if found is None:
            found = make(f"v{len(self._by_key)}")
            self._by_key[key] = found
        return Field(found.name)


def _refuse_population_functions(node: Expr) -> None:
    for current in walk(node):
        if isinstance(current, Call) and current.func in AGGREGATES | RANKING:
            raise DurableUnsupported(
                f"'{unparse(node)}': {current.func}() needs more than one customer's values; "
                "the decision engines decide one customer at a time, so make it a derived fact"
            )


def columns_read(node: Expr, types: Mapping[Expr, Type]) -> dict[str, BaseType]:
    """The columns an expression reads, with their base types."""
    found: dict[str, BaseType] = {}
    for current in walk(node):
        if isinstance(current, Name) and types[current].base != "list":
            found[current.name] = types[current].base
        elif isinstance(current, Previous) and types[current].base != "list":
            found[f"previous.{current.name}"] = types[current].base
        elif (
            isinstance(current, Binary)
            and current.op in MEMBERSHIP
            and isinstance(current.left, Literal)
            and isinstance(current.right, Name | Previous)
        ):
            prefix = "previous." if isinstance(current.right, Previous) else ""
            found[f"{prefix}{current.right.name}::{current.left.value}"] = "boolean"
    return found


# --------------------------------------------------------------------------------------------
# translation


class Translator:
    """Translates the conditions of one expression (one rule's ``when``)."""

    def __init__(self, fields: FieldTable, types: Mapping[Expr, Type]) -> None:
        self.fields = fields
        self.types = types

    def condition(self, node: Expr, negate: bool = False) -> Cond:
        """``node`` (or ``not node``) as a condition, with missing values counting as false."""
        if isinstance(node, Literal) and isinstance(node.value, bool):
            return Truth(node.value != negate)
        if isinstance(node, Unary) and node.op == "not":
            return self.condition(node.operand, not negate)
        if isinstance(node, Binary) and node.op in ("and", "or"):
            left = self.condition(node.left, negate)
            right = self.condition(node.right, negate)
            return all_of(left, right) if (node.op == "and") != negate else any_of(left, right)
        if isinstance(node, Binary) and node.op in COMPARISONS:
            return self.comparison(node, negate)
        if isinstance(node, Binary) and node.op in MEMBERSHIP:
            return self.membership(node, negate)
        if isinstance(node, Call) and node.func == "missing":
            return self.missing(node, negate)
        return self.truth(node, negate)

    def truth(self, node: Expr, negate: bool) -> Cond:
        """A true/false value used as a condition."""
        value = self.operand(node)
        if isinstance(value, Const):
            return Truth(bool(value.value) != negate)
        return _not_true(value) if negate else Compare(value, "==", YES)

    def comparison(self, node: Binary, negate: bool) -> Cond:
        left, right, op = self.operand(node.left), self.operand(node.right), node.op
        if isinstance(left, Const) and isinstance(right, Const):
            return Truth(bool(PYTHON_OPS[op](left.value, right.value)) != negate)
        if isinstance(left, Const):
            left, right, op = right, left, FLIPPED[op]
        assert isinstance(left, Field)
        if isinstance(right, Const):
            if not negate:
                return Compare(left, op, right)
            return any_of(Compare(left, COMPLEMENT[op], right), Present(left, False))
        # durable_rules compares two fields reliably only when both are there: guard them.
        both = all_of(Present(left, True), Present(right, True))
        if not negate:
            return all_of(both, Compare(left, op, right))
        return any_of(
            Present(left, False),
            Present(right, False),
            all_of(both, Compare(left, COMPLEMENT[op], right)),
        )

    def membership(self, node: Binary, negate: bool) -> Cond:
        if not isinstance(node.right, ListLit):
            return self.collected(node, negate)
        needle = self.operand(node.left)
        values = [self.constant(item) for item in node.right.items]
        inside = node.op == "in"
        if isinstance(needle, Const):
            found = any(needle.value == v.value for v in values)
            return Truth((found if inside else not found) != negate)
        assert isinstance(needle, Field)
        hit = any_of(*(Compare(needle, "==", v) for v in values))
        miss = all_of(Present(needle, True), *(Compare(needle, "!=", v) for v in values))
        absent = Present(needle, False)
        if inside:
            return any_of(absent, miss) if negate else hit
        return any_of(absent, hit) if negate else miss

    def collected(self, node: Binary, negate: bool) -> Cond:
        """``'value' in d`` for a ``hit: collect`` decision ``d``: its ``d::value`` flag."""
        haystack = node.right
        if not isinstance(node.left, Literal) or not isinstance(haystack, Name | Previous):
            raise DurableUnsupported(
                f"'{unparse(node)}': only a constant can be looked up in a collect decision"
            )
        base = haystack.name if isinstance(haystack, Name) else f"previous.{haystack.name}"
        flag = self.fields.column(f"{base}::{node.left.value}", "boolean")
        positive = (node.op == "in") != negate
        return Compare(flag, "==", YES) if positive else _not_true(flag)

    def missing(self, node: Call, negate: bool) -> Cond:
        value = self.operand(node.args[0])
        if isinstance(value, Const):
            return Truth(negate)  # a constant is never missing
        return Present(value, present=negate)

    def operand(self, node: Expr) -> Operand:
        """A constant, or the field that holds the value of ``node``."""
        if isinstance(node, Literal):
            return Const(node.value, self.types[node].base)
        if isinstance(node, Unary) and node.op == "+":
            return self.operand(node.operand)
        if isinstance(node, Unary) and node.op == "-" and isinstance(node.operand, Literal):
            value = node.operand.value
            assert isinstance(value, int | float)
            return Const(-value, "number")
        if isinstance(node, Call) and node.func == "date":
            text = node.args[0]
            assert isinstance(text, Literal) and isinstance(text.value, str)
            return Const(dt.date.fromisoformat(text.value), "date")
        if isinstance(node, Name):
            return self.fields.column(node.name, self.types[node].base)
        if isinstance(node, Previous):
            return self.fields.column(f"previous.{node.name}", self.types[node].base)
        return self.fields.computed(node, self.types)

    def constant(self, node: Expr) -> Const:
        value = self.operand(node)
        assert isinstance(value, Const), "list items are constants"
        return value


def _not_true(flag: Field) -> Cond:
    """A true/false field that is false or missing."""
    return any_of(Compare(flag, "==", NO), Present(flag, False))


def constants(cond: Cond) -> list[Const]:
    """Every constant a condition compares with."""
    if isinstance(cond, Compare):
        return [cond.other] if isinstance(cond.other, Const) else []
    if isinstance(cond, AllOf | AnyOf):
        return [c for part in cond.parts for c in constants(part)]
    return []


# --------------------------------------------------------------------------------------------
# a whole decision table


@dataclass(frozen=True)
class Table:
    """A decision table translated for durable_rules."""

    decision: CompiledDecision
    fields: FieldTable
    conditions: tuple[tuple[int, Cond], ...]
    """``(rule number, condition)`` for every rule that can match, in table order."""

    @property
    def constants(self) -> list[Const]:
        return [c for _, cond in self.conditions for c in constants(cond)]


MAX_GROUPS = 12
"""durable_rules keeps at most 32 entries per rule for its ``and``/``or`` groups (two each,
and one more group joins the guard): beyond that it refuses the ruleset (error 113)."""


def translate(decision: CompiledDecision) -> Table:
    """Translate a decision's conditions; rules that can never match are left out.

    A condition with more ``and``/``or`` groups than durable_rules takes is split, when it is
    an ``or``, into one durable_rules rule per alternative (same priority, same outcome);
    otherwise the whole condition is precomputed as one true/false field.
    """
    fields = FieldTable()
    conditions: list[tuple[int, Cond]] = []
    for rule in decision.rules:
        trial = fields.copy()
        cond = Translator(trial, rule.when.node_types).condition(rule.when.tree)
        if cond == FALSE:
            continue
        parts = _fitting(cond)
        if parts is None:
            parts = [Compare(fields.computed(rule.when.tree, rule.when.node_types), "==", YES)]
        else:
            fields = trial
        conditions += [(rule.index, part) for part in parts]
    return Table(decision, fields, tuple(conditions))


def groups(cond: Cond) -> int:
    """How many ``and``/``or`` groups a condition has."""
    if isinstance(cond, AllOf | AnyOf):
        return 1 + sum(groups(part) for part in cond.parts)
    return 0


def _fitting(cond: Cond) -> list[Cond] | None:
    """``cond`` as alternatives that each fit in one durable_rules rule, or None."""
    if groups(cond) < MAX_GROUPS:
        return [cond]
    if isinstance(cond, AnyOf) and all(groups(part) < MAX_GROUPS for part in cond.parts):
        return list(cond.parts)
    return None
