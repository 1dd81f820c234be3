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
from dataclasses import replace
from typing import Any

import polars as pl

from tierkit.engines.vector.expressions import Compiler
from tierkit.engines.vector.frames import ID, Frames
from tierkit.errors import UsageError
from tierkit.evaluation.explain_steps import (
    carried_distances,
    distance_of,
    ladder_miss,
    near_miss,
    unlimited,
)
from tierkit.evaluation.explain_types import (
    DecisionExplanation,
    Explanation,
    OverrideNote,
    RuleCheck,
    describe,
)
from tierkit.evaluation.nearmiss import (
    near_miss_columns,
)
from tierkit.registry import Registry
from tierkit.ruleset.attributes import criterion_for
from tierkit.ruleset.compiled import CompiledDecision, CompiledRule, CompiledRuleset
from tierkit.ruleset.expr import Call, unparse
from tierkit.ruleset.language import RANKING

__all__ = [
    "DecisionExplanation",
    "Explanation",
    "OverrideNote",
    "RuleCheck",
    "describe",
    "explain_customers",
    "explain_run",
    "ranking_meaning",
]


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
    distances = carried_distances(results, main)
    if distances is None and main in values.columns:
        distances = near_miss_columns(ruleset, values)
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
        distance = distance_of(distances, customer, main)
        if distance.get("limited_by"):
            near = ladder_miss(ruleset, row, decisions[0], distance, units or {})
        else:
            near = unlimited(ruleset, distances) + near_miss(
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
