"""Explain decisions customer by customer: values used, every rule's condition, the near miss.

Conditions are evaluated by the vector engine's own compiler on the run's values, so an
explanation can never disagree with the decision it explains. The near miss of the main
decision is the one the results carry (:mod:`tierkit.evaluation.nearmiss`): how much of the
value that limits it reaches the next better or worse outcome. When no single value limits it,
it says so, and looks at the rules of the nearest better outcome (in the decision's order of
outcomes): for conditions that compare a number with a constant or a ranking with a cut-off,
it says how much each would have to change.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import polars as pl

from tierkit.engines.vector.expressions import Compiler
from tierkit.engines.vector.frames import ID, Frames
from tierkit.errors import UsageError
from tierkit.evaluation.nearmiss import (
    LIMITED_BY,
    TO_BETTER,
    TO_WORSE,
    near_miss_columns,
)
from tierkit.evaluation.nearmiss import comparison as _comparison
from tierkit.numbers import number, value_text
from tierkit.registry import Registry
from tierkit.ruleset.attributes import criterion_for
from tierkit.ruleset.compiled import CompiledDecision, CompiledRule, CompiledRuleset
from tierkit.ruleset.expr import Binary, Call, Expr, Name, unparse
from tierkit.ruleset.language import RANKING


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
class OverrideNote:
    """An override that replaced the rules' value of one decision for one customer."""

    value: Any
    """The final value, the override's."""
    decided: Any
    """The value the rules decided."""
    note: str
    """The override as the results describe it (``NAME.override``)."""
    id: int | None = None
    reason: str | None = None
    approved_by: str | None = None
    valid_until: Any = None
    recorded_by: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "value": self.value,
            "decided": self.decided,
            "reason": self.reason,
            "approved_by": self.approved_by,
            "valid_until": None if self.valid_until is None else str(self.valid_until),
            "recorded_by": self.recorded_by,
            "note": self.note,
        }


@dataclass(frozen=True)
class DecisionExplanation:
    name: str
    value: Any
    rule: int | None
    because: str | None
    rules: tuple[RuleCheck, ...]
    default: Any
    override: OverrideNote | None = None
    """Set when an override replaced ``value``, the rules' value."""


@dataclass(frozen=True)
class Explanation:
    customer_id: str
    name: str
    values: dict[str, Any]
    decisions: tuple[DecisionExplanation, ...]
    near_miss: tuple[str, ...] = field(default_factory=tuple)
    meanings: dict[str, str] = field(default_factory=dict)
    """What a ranked value means, for the values that are rankings (``ahead``: "share of
    the positive total of cash held by the customers ranked ahead")."""
    distance: dict[str, Any] = field(default_factory=dict)
    """The main decision's near-miss columns for this customer (``to_better``, ``to_worse``,
    ``limited_by``), as the results have them."""

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
                    "value": d.value if d.override is None else d.override.value,
                    "decided": d.value,
                    "override": None if d.override is None else d.override.as_dict(),
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
            "meanings": dict(self.meanings),
            "distance": self.distance,
        }


def explain_customers(
    ruleset: CompiledRuleset,
    registry: Registry,
    values: pl.DataFrame,
    customer_ids: Sequence[str],
    units: dict[str, str] | None = None,
    results: pl.DataFrame | None = None,
    overrides: pl.DataFrame | None = None,
) -> list[Explanation]:
    """Explanations for ``customer_ids`` from a run's ``values`` (one row per customer).

    With the run's ``results``, a decision an override changed shows the override and the
    value the rules decided; ``overrides`` (the overrides applied, as
    :func:`tierkit.history.chosen_overrides` gives them) adds its reason, approver and date.
    """
    unknown = [c for c in customer_ids if c not in set(values[ID].to_list())]
    if unknown:
        raise UsageError(f"no customer {', '.join(map(repr, unknown))} in the data")
    conditions = _conditions(ruleset, registry, values)
    main = ruleset.primary_decision
    distances = near_miss_columns(ruleset, values) if main in values.columns else None
    explanations = []
    for customer in customer_ids:
        row = values.filter(pl.col(ID) == customer).row(0, named=True)
        checks = conditions.filter(pl.col(ID) == customer).row(0, named=True)
        decisions = tuple(
            _with_override(_decision(d, row, checks), customer, results, overrides)
            for d in _main_first(ruleset)
        )
        used = ruleset.names_used_by_decisions()
        shown = {name: row.get(name) for name in used if name in row}
        distance = _distance_of(distances, customer, main)
        if distance.get("limited_by"):
            near = _ladder_miss(ruleset, row, decisions[0], distance, units or {})
        else:
            near = _unlimited(ruleset, distances) + _near_miss(
                ruleset, row, values, decisions[0], units or {}
            )
        meanings = {n: m for n in shown if (m := ranking_meaning(ruleset, n)) is not None}
        explanations.append(
            Explanation(
                customer,
                str(row.get("name", "")),
                shown,
                decisions,
                tuple(near),
                meanings=meanings,
                distance=distance,
            )
        )
    return explanations


RANKING_MEANINGS = {
    "top_share": "position / N in the order of {x}, larger first",
    "cum_share": "share of the positive total of {x} held by the customers ranked ahead",
    "pct_rank": "percentile rank by {x}, 1 for the best",
    "share": "own {x} / the positive total of {x}",
    "minmax": "{x} scaled between the smallest (0) and the largest (1)",
    "zscore": "standard deviations of {x} above the mean",
}


def ranking_meaning(ruleset: CompiledRuleset, name: str) -> str | None:
    """What the derived fact ``name`` means when it is a ranking function, else None."""
    fact = ruleset.derived.get(name)
    tree = fact.expr.tree if fact is not None else None
    if not isinstance(tree, Call) or tree.func not in RANKING:
        return None
    x = unparse(tree.args[0])
    text = RANKING_MEANINGS[tree.func].format(x=x)
    for keyword in tree.kwargs:
        if keyword.name == "among":
            text += f", among the customers with {unparse(keyword.value)}"
        elif keyword.name == "by":
            text += f", within the same {unparse(keyword.value)}"
    return f"{unparse(tree)}: {text}"


def _main_first(ruleset: CompiledRuleset) -> list[CompiledDecision]:
    """The decisions, the main one first."""
    main = ruleset.decisions[ruleset.primary_decision]
    return [main, *(d for d in ruleset.decisions.values() if d is not main)]


def _with_override(
    explained: DecisionExplanation,
    customer: str,
    results: pl.DataFrame | None,
    overrides: pl.DataFrame | None,
) -> DecisionExplanation:
    name = explained.name
    column = f"{name}.override"
    if results is None or column not in results.columns:
        return explained
    found = results.filter(pl.col(ID) == customer)
    if found.is_empty() or found[column][0] is None:
        return explained
    note = OverrideNote(found[name][0], found[f"{name}.decided"][0], found[column][0])
    if overrides is not None:
        rows = overrides.filter((pl.col(ID) == customer) & (pl.col("decision") == name))
        if not rows.is_empty():
            row = rows.row(rows.height - 1, named=True)
            note = replace(
                note,
                id=row.get("id"),
                reason=row.get("reason"),
                approved_by=row.get("approved_by"),
                valid_until=row.get("valid_until"),
                recorded_by=row.get("created_by"),
            )
    return replace(explained, override=note)


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
            if primary.rule and primary.rule < rule.index:
                continue  # the customer's own rule comes first and would still decide
            steps = _what_it_takes(ruleset, rule, row, values, units)
            if steps:
                return [
                    f"to reach {decision.name} {outcome} (rule {rule.index}: "
                    f"{rule.when.text}): " + "; ".join(steps)
                ]
    return []


def _distance_of(distances: pl.DataFrame | None, customer: str, main: str) -> dict[str, Any]:
    if distances is None:
        return {}
    row = distances.filter(pl.col(ID) == customer).row(0, named=True)
    return {
        "to_better": row[f"{main}{TO_BETTER}"],
        "to_worse": row[f"{main}{TO_WORSE}"],
        "limited_by": row[f"{main}{LIMITED_BY}"],
    }


def _unlimited(ruleset: CompiledRuleset, distances: pl.DataFrame | None) -> list[str]:
    """Say so when no single value limits the main decision (for no customer)."""
    main = ruleset.decisions[ruleset.primary_decision]
    limited = distances is not None and distances[f"{main.name}{LIMITED_BY}"].is_not_null().any()
    if distances is None or main.hit != "first" or limited:
        return []
    names = sorted({n for r in main.rules for n in r.when.names})
    tested = f": its rules test {', '.join(names)}" if names else ""
    return [f"no single value limits {main.name}{tested}"]


def _ladder_miss(
    ruleset: CompiledRuleset,
    row: dict[str, Any],
    primary: DecisionExplanation,
    distance: dict[str, Any],
    units: dict[str, str],
) -> list[str]:
    """The near miss in the unit of the value that limits the main decision."""
    decision = ruleset.decisions[primary.name]
    measure = str(distance["limited_by"])
    now = row.get(measure)
    place = decision.outcomes.index(primary.value)
    lines = []
    for key, step, verb in (("to_better", -1, "to reach"), ("to_worse", 1, "to fall to")):
        change = distance.get(key)
        if change is None:
            continue
        outcome = decision.outcomes[place + step]
        amount = _amount(abs(float(change)), measure, units)
        if change == 0:
            how = f"any {'more' if step < 0 else 'less'} {measure}"
        else:
            how = f"{amount} {'more' if change > 0 else 'less'} {measure}"
        shown = "missing" if now is None else _amount(float(now), measure, units)
        lines.append(f"{verb} {decision.name} {outcome}: {how} (now {shown})")
    return lines


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
        return f"{name} has no value (needs {op} {number(bound, 6)})"
    gap = bound - float(current)
    if op in (">", ">=") and gap >= 0:
        more = "more than " if op == ">" else ""
        return f"needs {more}{_amount(gap, name, units)} more {name} (now {_fmt(current)})"
    if op in ("<", "<=") and gap <= 0:
        return f"needs {name} {op} {number(bound, 6)}, {_fmt(-gap)} less (now {_fmt(current)})"
    return f"needs {name} {op} {number(bound, 6)} (now {_fmt(current)})"


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
    per-customer x without among= (with ``by=`` a name: among the customer's group): how much
    more x reaches the cut-off."""
    tree = ruleset.derived[name].expr.tree
    if not (
        isinstance(tree, Call)
        and tree.func in RANKING
        and all(k.name == "by" and isinstance(k.value, Name) for k in tree.kwargs)
        and isinstance(tree.args[0], Name)
        and tree.func != "zscore"
    ):
        return None
    measure = tree.args[0].name
    if measure not in values.columns or values[measure].dtype != pl.Float64:
        return None
    own_id = row[ID]
    others = values.filter((pl.col(ID) != own_id) & pl.col(measure).is_not_null())
    for keyword in tree.kwargs:  # by=: the customers of the same group (missing is a group)
        if not isinstance(keyword.value, Name) or keyword.value.name not in values.columns:
            return None
        group = keyword.value.name
        others = others.filter(pl.col(group).eq_missing(pl.lit(row.get(group))))
    pairs = list(zip(others[measure].to_list(), others[ID].to_list(), strict=True))
    current = float(row.get(measure) or 0.0)

    def holds(value: float) -> bool:
        result = _rank_value(tree.func, value, own_id, pairs)
        return result is not None and _compare(round(result, 12), op, bound)

    if holds(current):
        return None
    high = max([abs(current), *(abs(v) for v, _ in pairs)]) * 2 + 1  # losses too
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
        f"(now {_fmt(current)}, {name} {op} {number(bound, 6)})"
    )


def _rank_value(func: str, value: float, own: str, others: list[tuple[float, str]]) -> float | None:
    ahead = [v for v, i in others if v > value or (v == value and i < own)]
    n = len(others) + 1
    position = len(ahead) + 1
    positive = sum(max(v, 0.0) for v, _ in others) + max(value, 0.0)  # losses count 0
    if func == "top_share":
        return position / n
    if func == "pct_rank":
        return (n - position) / (n - 1) if n > 1 else 1.0
    if func == "cum_share":
        return sum(max(v, 0.0) for v in ahead) / positive if positive > 0 else None
    if func == "share":
        return value / positive if positive > 0 else None
    if func == "minmax":
        low = min([value, *(v for v, _ in others)])
        high = max([value, *(v for v, _ in others)])
        return (value - low) / (high - low) if high > low else 0.0
    return None


def _amount(value: float, name: str, units: dict[str, str]) -> str:
    return f"{value:,.2f}" if units.get(name) == "currency" else number(value)


_fmt = value_text


def describe(explanation: Explanation) -> str:
    """The explanation as text for a terminal."""
    lines = [f"{explanation.customer_id} {explanation.name}"]
    lines.append("  values:")
    for name, value in explanation.values.items():
        meaning = explanation.meanings.get(name)
        lines.append(
            f"    {name} = {'missing' if value is None else _fmt(value)}"
            + (f"  ({meaning})" if meaning else "")
        )
    for decision in explanation.decisions:
        decided = f"rule {decision.rule}" if decision.rule else "the default"
        why = f"by {decided}" + (f": {decision.because}" if decision.because else "")
        if decision.override is not None:
            lines.extend(_override_lines(decision.name, decision.override, why))
        else:
            lines.append(f"  {decision.name} = {decision.value}  ({why})")
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


def _override_lines(name: str, override: OverrideNote, why: str) -> list[str]:
    if override.id is None:
        return [
            f"  {name} = {override.value}  ({override.note})",
            f"    the rules decided {override.decided} ({why})",
        ]
    recorded = f"; recorded by {override.recorded_by}" if override.recorded_by else ""
    return [
        f"  {name} = {override.value}  (by override #{override.id}: {override.reason})",
        f"    approved by {override.approved_by}, in force until {override.valid_until}{recorded}",
        f"    the rules decided {override.decided} ({why})",
    ]


def explain_run(
    run: Any, customer_ids: Sequence[str], registry: Registry | None = None
) -> list[Explanation]:
    """Explanations for some customers of an evaluation (a :class:`~tierkit.evaluation.Run`)."""
    from tierkit.registry import get_registry

    registry = registry or get_registry()
    units = {n: criterion_for(b, registry.criteria).unit for n, b in run.ruleset.criteria.items()}
    return explain_customers(
        run.ruleset, registry, run.values, list(customer_ids), units, results=run.results
    )
