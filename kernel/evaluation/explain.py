"""Explain decisions customer by customer: values used, every rule's condition, the near miss.

Conditions are evaluated by the vector engine's own compiler on the run's values, so an
explanation can never disagree with the decision it explains. The near miss looks at the
rules of better outcomes (earlier in the table's order) and, for conditions that compare a
number with a constant or a ranking with a cut-off, says how much would have to change.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from tierkit.errors import UsageError
from tierkit.evaluation.expressions import Compiler
from tierkit.evaluation.frames import ID, Frames
from tierkit.registry import Registry
from tierkit.ruleset.compiled import CompiledDecision, CompiledRule, CompiledRuleset
from tierkit.ruleset.expr import Binary, Call, Expr, Literal, Name
from tierkit.ruleset.language import RANKING

FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}


@dataclass(frozen=True)
class RuleCheck:
    index: int
    when: str
    then: Any
    because: str | None
    holds: bool
    missing: tuple[str, ...]
    """Values the condition reads that the customer does not have."""
    decided: bool


@dataclass(frozen=True)
class DecisionExplanation:
    name: str
    value: Any
    rule: int | None
    because: str | None
    rules: tuple[RuleCheck, ...]
    default: Any


@dataclass(frozen=True)
class Explanation:
    customer_id: str
    name: str
    values: dict[str, Any]
    decisions: tuple[DecisionExplanation, ...]
    near_miss: tuple[str, ...] = field(default_factory=tuple)

    def describe(self) -> str:
        """The explanation as text, as ``tierkit explain`` prints it."""
        return describe(self)

    def as_dict(self) -> dict[str, Any]:
        return {
            "customer_id": self.customer_id,
            "name": self.name,
            "values": self.values,
            "decisions": [
                {
                    "decision": d.name,
                    "value": d.value,
                    "rule": d.rule,
                    "because": d.because,
                    "default": d.default,
                    "rules": [
                        {
                            "rule": r.index,
                            "when": r.when,
                            "then": r.then,
                            "holds": r.holds,
                            "missing": list(r.missing),
                            "decided": r.decided,
                        }
                        for r in d.rules
                    ],
                }
                for d in self.decisions
            ],
            "near_miss": list(self.near_miss),
        }


def explain_customers(
    ruleset: CompiledRuleset,
    registry: Registry,
    values: pl.DataFrame,
    customer_ids: Sequence[str],
    units: dict[str, str] | None = None,
) -> list[Explanation]:
    """Explanations for ``customer_ids`` from a run's ``values`` (one row per customer)."""
    unknown = [c for c in customer_ids if c not in set(values[ID].to_list())]
    if unknown:
        raise UsageError(f"no customer {', '.join(map(repr, unknown))} in the data")
    conditions = _conditions(ruleset, registry, values)
    explanations = []
    for customer in customer_ids:
        row = values.filter(pl.col(ID) == customer).row(0, named=True)
        checks = conditions.filter(pl.col(ID) == customer).row(0, named=True)
        decisions = tuple(_decision(d, row, checks) for d in ruleset.decisions.values())
        used = ruleset.names_used_by_decisions()
        shown = {name: row.get(name) for name in used if name in row}
        near = _near_miss(ruleset, row, values, decisions[0], units or {})
        explanations.append(
            Explanation(customer, str(row.get("name", "")), shown, decisions, tuple(near))
        )
    return explanations


def _conditions(ruleset: CompiledRuleset, registry: Registry, values: pl.DataFrame) -> pl.DataFrame:
    frames = Frames.of_values(values)
    compiler = Compiler(frames, registry.functions)
    for decision in ruleset.decisions.values():
        for rule in decision.rules:
            frames.add(_key(decision, rule), compiler.condition(rule.when), per_period=False)
    keys = [_key(d, r) for d in ruleset.decisions.values() for r in d.rules]
    return frames.collect_customers().select(ID, *keys)


def _key(decision: CompiledDecision, rule: CompiledRule) -> str:
    return f"__holds::{decision.name}::{rule.index}"


def _decision(
    decision: CompiledDecision, row: dict[str, Any], checks: dict[str, Any]
) -> DecisionExplanation:
    rule_no = row.get(f"{decision.name}.rule")
    rules = tuple(
        RuleCheck(
            index=rule.index,
            when=rule.when.text,
            then=rule.then,
            because=rule.because,
            holds=bool(checks[_key(decision, rule)]),
            missing=tuple(
                sorted(
                    n
                    for n in rule.when.names | {f"previous.{p}" for p in rule.when.previous}
                    if row.get(n) is None
                )
            ),
            decided=(
                decision.hit == "first" and decision.aggregate is None and rule_no == rule.index
            )
            or (
                (decision.hit == "collect" or decision.aggregate is not None)
                and bool(checks[_key(decision, rule)])  # every match makes a list or a sum
            ),
        )
        for rule in decision.rules
    )
    default = decision.default.then if decision.default else None
    because = row.get(f"{decision.name}.because")
    return DecisionExplanation(
        decision.name, row.get(decision.name), rule_no, because, rules, default
    )


# near miss -------------------------------------------------------------------------------------


def _near_miss(
    ruleset: CompiledRuleset,
    row: dict[str, Any],
    values: pl.DataFrame,
    primary: DecisionExplanation,
    units: dict[str, str],
) -> list[str]:
    decision = ruleset.decisions[primary.name]
    if decision.hit != "first" or primary.value not in decision.outcomes:
        return []
    better = list(decision.outcomes[: decision.outcomes.index(primary.value)])
    for outcome in reversed(better):  # the nearest better outcome first
        for rule in decision.rules:
            if rule.then != outcome:
                continue
            steps = _what_it_takes(ruleset, rule, row, values, units)
            if steps:
                return [
                    f"to reach {decision.name} {outcome} (rule {rule.index}: "
                    f"{rule.when.text}): " + "; ".join(steps)
                ]
    return []


def _what_it_takes(
    ruleset: CompiledRuleset,
    rule: CompiledRule,
    row: dict[str, Any],
    values: pl.DataFrame,
    units: dict[str, str],
) -> list[str]:
    """What must change for ``rule``'s condition to hold; empty when it cannot be said."""
    atoms = _conjuncts(rule.when.tree)
    steps = []
    for atom in atoms:
        if _atom_holds(atom, row):
            continue
        step = _numeric_step(ruleset, atom, row, values, units)
        if step is None:
            return []
        steps.append(step)
    return steps


def _conjuncts(tree: Expr) -> list[Expr]:
    if isinstance(tree, Binary) and tree.op == "and":
        return _conjuncts(tree.left) + _conjuncts(tree.right)
    return [tree]


def _atom_holds(atom: Expr, row: dict[str, Any]) -> bool:
    if isinstance(atom, Name):
        return bool(row.get(atom.name))
    comparison = _comparison(atom)
    if comparison is None:
        return False
    name, op, bound = comparison
    value = row.get(name)
    return value is not None and _compare(float(value), op, bound)


def _comparison(atom: Expr) -> tuple[str, str, float] | None:
    """``name op number`` (either way round), or None."""
    if not isinstance(atom, Binary) or atom.op not in FLIP:
        return None
    left, right, op = atom.left, atom.right, atom.op
    if isinstance(left, Literal) and isinstance(right, Name):
        left, right, op = right, left, FLIP[op]
    if (
        isinstance(left, Name)
        and isinstance(right, Literal)
        and isinstance(right.value, int | float)
        and not isinstance(right.value, bool)
    ):
        return left.name, op, float(right.value)
    return None


def _compare(value: float, op: str, bound: float) -> bool:
    return {
        "<": value < bound,
        "<=": value <= bound,
        ">": value > bound,
        ">=": value >= bound,
        "==": value == bound,
        "!=": value != bound,
    }[op]


def _numeric_step(
    ruleset: CompiledRuleset,
    atom: Expr,
    row: dict[str, Any],
    values: pl.DataFrame,
    units: dict[str, str],
) -> str | None:
    comparison = _comparison(atom)
    if comparison is None:
        return None
    name, op, bound = comparison
    current = row.get(name)
    if name in ruleset.derived:
        ranked = _ranked_step(ruleset, name, op, bound, row, values, units)
        if ranked is not None or current is None:
            return ranked
    if current is None:
        return f"{name} has no value (needs {op} {bound:g})"
    gap = bound - float(current)
    if op in (">", ">=") and gap >= 0:
        more = "more than " if op == ">" else ""
        return f"needs {more}{_amount(gap, name, units)} more {name} (now {_fmt(current)})"
    if op in ("<", "<=") and gap <= 0:
        return f"needs {name} {op} {bound:g}, {_fmt(-gap)} less (now {_fmt(current)})"
    return f"needs {name} {op} {bound:g} (now {_fmt(current)})"


def _ranked_step(
    ruleset: CompiledRuleset,
    name: str,
    op: str,
    bound: float,
    row: dict[str, Any],
    values: pl.DataFrame,
    units: dict[str, str],
) -> str | None:
    """For ``fact: top_share(x)`` / ``cum_share(x)`` / ``pct_rank(x)`` / ``share(x)`` on a
    per-customer x without among=: how much more x reaches the cut-off."""
    tree = ruleset.derived[name].expr.tree
    if not (
        isinstance(tree, Call)
        and tree.func in RANKING
        and not tree.kwargs
        and isinstance(tree.args[0], Name)
        and tree.func != "zscore"
    ):
        return None
    measure = tree.args[0].name
    if measure not in values.columns or values[measure].dtype != pl.Float64:
        return None
    own_id = row[ID]
    others = values.filter((pl.col(ID) != own_id) & pl.col(measure).is_not_null())
    pairs = list(zip(others[measure].to_list(), others[ID].to_list(), strict=True))
    current = float(row.get(measure) or 0.0)

    def holds(value: float) -> bool:
        result = _rank_value(tree.func, value, own_id, pairs)
        return result is not None and _compare(round(result, 12), op, bound)

    if holds(current):
        return None
    high = max([current, *(v for v, _ in pairs)]) * 2 + 1
    if not holds(high):
        return None
    low = current
    for _ in range(80):
        middle = (low + high) / 2
        if holds(middle):
            high = middle
        else:
            low = middle
    needed = high - current
    return (
        f"needs about {_amount(needed, measure, units)} more {measure} "
        f"(now {_fmt(current)}, {name} {op} {bound:g})"
    )


def _rank_value(func: str, value: float, own: str, others: list[tuple[float, str]]) -> float | None:
    ahead = [v for v, i in others if v > value or (v == value and i < own)]
    n = len(others) + 1
    position = len(ahead) + 1
    total = sum(v for v, _ in others) + value
    if func == "top_share":
        return position / n
    if func == "pct_rank":
        return (n - position) / (n - 1) if n > 1 else 1.0
    if func == "cum_share":
        return sum(ahead) / total if total else None
    if func == "share":
        return value / total if total else None
    if func == "minmax":
        low = min([value, *(v for v, _ in others)])
        high = max([value, *(v for v, _ in others)])
        return (value - low) / (high - low) if high > low else 0.0
    return None


def _amount(value: float, name: str, units: dict[str, str]) -> str:
    unit = units.get(name)
    text = f"{value:,.2f}" if unit == "currency" else f"{value:,.4g}"
    return text


def _fmt(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1e6 else f"{value:,.0f}"
    return str(value)


def describe(explanation: Explanation) -> str:
    """The explanation as text for a terminal."""
    lines = [f"{explanation.customer_id} {explanation.name}"]
    lines.append("  values:")
    for name, value in explanation.values.items():
        lines.append(f"    {name} = {'missing' if value is None else _fmt(value)}")
    for decision in explanation.decisions:
        decided = f"rule {decision.rule}" if decision.rule else "the default"
        lines.append(
            f"  {decision.name} = {decision.value}  (by {decided}"
            + (f": {decision.because}" if decision.because else "")
            + ")"
        )
        for rule in decision.rules:
            mark = "→" if rule.decided else " "
            state = "true" if rule.holds else "false"
            if not rule.holds and rule.missing:
                state = f"false (missing: {', '.join(rule.missing)})"
            lines.append(f"   {mark} rule {rule.index}: {rule.when}  ⇒ {rule.then}   [{state}]")
        if decision.default is not None:
            mark = "→" if decision.rule == 0 else " "
            lines.append(f"   {mark} default ⇒ {decision.default}")
    for miss in explanation.near_miss:
        lines.append(f"  near miss: {miss}")
    return "\n".join(lines)


def explain_run(
    run: Any, customer_ids: Sequence[str], registry: Registry | None = None
) -> list[Explanation]:
    """Explanations for some customers of an evaluation (a :class:`~tierkit.evaluation.Run`)."""
    from tierkit.registry import get_registry

    registry = registry or get_registry()
    units = {n: registry.criteria[b.criterion].unit for n, b in run.ruleset.criteria.items()}
    return explain_customers(run.ruleset, registry, run.values, list(customer_ids), units)
