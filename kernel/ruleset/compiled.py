"""The immutable result of loading a ruleset: what the evaluator consumes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from tierkit.ruleset.expr import Expr
from tierkit.ruleset.model import Example
from tierkit.ruleset.types import Type

ThenValue = str | bool | int | float


@dataclass(frozen=True)
class CompiledExpr:
    """A checked expression: its text, tree, type, the type of every node, and what it uses."""

    text: str
    tree: Expr
    type: Type
    node_types: Mapping[Expr, Type]
    names: frozenset[str]
    """Criteria, derived facts and decisions it refers to."""
    previous: frozenset[str]
    """Decisions it reads from the previous run (``previous.NAME``)."""
    line: int
    column: int


@dataclass(frozen=True)
class CriterionBinding:
    """A criterion as the ruleset uses it: under its own name, with parameters resolved."""

    name: str
    criterion: str
    """The registry name; for ``use: value``, the strategy's criterion."""
    uses_value: bool
    per_period: bool
    periods: int
    params: Mapping[str, Any]
    type: Type
    title: str
    attribute: str | None = None
    """For ``use: customer.COLUMN``: the column of the customers table (no plugin computes it)."""
    where: str = ""
    """Where the ruleset binds it (``file:line:column``), for data errors about it."""


@dataclass(frozen=True)
class DerivedFact:
    name: str
    expr: CompiledExpr


@dataclass(frozen=True)
class CompiledRule:
    index: int
    """1-based position in the table."""
    name: str
    when: CompiledExpr
    then: ThenValue
    because: str | None


@dataclass(frozen=True)
class DefaultOutcome:
    then: ThenValue
    because: str | None


@dataclass(frozen=True)
class CompiledDecision:
    name: str
    hit: Literal["first", "collect"]
    rules: tuple[CompiledRule, ...]
    default: DefaultOutcome | None
    type: Type
    """The decision's value type (a list of values for ``hit: collect``)."""
    outcomes: tuple[ThenValue, ...]
    """Every value a rule or the default can give, best first: as ``outcomes:`` declares, else
    in table order (rules, then the default), without repeats."""
    title: str | None
    policy: str = "first"
    """The DMN hit policy (``first``, ``unique``, ``any``, ``priority``, ``rule order``,
    ``output order``, ``collect``). ``hit`` is its shape: ``first`` for one value per customer
    with ``NAME.rule`` and ``NAME.because``, ``collect`` for a list with one flag per value."""
    aggregate: str | None = None
    """``sum``, ``min``, ``max`` or ``count`` for an aggregating ``collect`` (one number)."""
    declared: bool = False
    """Whether ``outcomes`` were declared (``outcomes:``) rather than gathered from the rules."""


@dataclass(frozen=True)
class Step:
    """One step of the evaluation order: a derived fact or a decision."""

    kind: Literal["derive", "decision"]
    name: str


@dataclass(frozen=True)
class CompiledRuleset:
    """A checked ruleset, ready to evaluate. Immutable."""

    name: str
    title: str | None
    description: str | None
    path: str
    sha256: str
    strategy: str
    period: Literal["month", "quarter", "year"]
    periods: int
    criteria: Mapping[str, CriterionBinding]
    derived: Mapping[str, DerivedFact]
    decisions: Mapping[str, CompiledDecision]
    order: tuple[Step, ...]
    """Derived facts and decisions in an order where each comes after what it uses."""
    policies: Mapping[str, Mapping[str, Any]]
    primary_decision: str
    """The main decision (``main:``, else ``category``, else the first); ``policies`` are keyed
    by its values."""
    examples: tuple[Example, ...]

    def names_used_by_decisions(self) -> list[str]:
        """Criteria and derived facts the decision rules read, directly or through derived
        facts, in the ruleset's order (criteria first)."""
        pending = [n for d in self.decisions.values() for r in d.rules for n in r.when.names]
        seen: set[str] = set()
        while pending:
            name = pending.pop(0)
            if name in seen:
                continue
            seen.add(name)
            if name in self.derived:
                pending.extend(sorted(self.derived[name].expr.names))
        return [n for n in [*self.criteria, *self.derived] if n in seen]
