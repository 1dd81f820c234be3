"""The near miss of an explained customer, and, when no single value limits it, what each
condition of the nearest better outcome's rules would take."""

from __future__ import annotations

from typing import Any

import polars as pl

from tierkit.engines.vector.frames import ID
from tierkit.evaluation.explain_types import DecisionExplanation
from tierkit.evaluation.nearmiss import (
    LIMITED_BY,
    TO_BETTER,
    TO_WORSE,
)
from tierkit.evaluation.nearmiss import comparison as _comparison
from tierkit.history.compare import label
from tierkit.numbers import money, number, value_text
from tierkit.ruleset.compiled import CompiledRule, CompiledRuleset
from tierkit.ruleset.expr import Binary, Call, Expr, Name
from tierkit.ruleset.language import RANKING


def near_miss(
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
                    f"to reach {decision.name} {label(outcome)} (rule {rule.index}: "
                    f"{rule.when.text}): " + "; ".join(steps)
                ]
    return []


def carried_distances(results: pl.DataFrame | None, main: str) -> pl.DataFrame | None:
    """The near-miss columns the run's results carry for the main decision, or None.

    Explain reads them rather than computing them again, so that it shows the very distance
    of the results' ``NAME.to_better`` and ``NAME.to_worse``: some near misses (the top shares
    of a per-period value, vip-monthly) need the per-period values, which a run's per-customer
    values do not hold."""
    columns = [f"{main}{TO_BETTER}", f"{main}{TO_WORSE}", f"{main}{LIMITED_BY}"]
    if results is None or not all(c in results.columns for c in columns):
        return None
    return results.select(ID, *columns)


def distance_of(distances: pl.DataFrame | None, customer: str, main: str) -> dict[str, Any]:
    if distances is None:
        return {}
    row = distances.filter(pl.col(ID) == customer).row(0, named=True)
    return {
        "to_better": row[f"{main}{TO_BETTER}"],
        "to_worse": row[f"{main}{TO_WORSE}"],
        "limited_by": row[f"{main}{LIMITED_BY}"],
    }


def unlimited(ruleset: CompiledRuleset, distances: pl.DataFrame | None) -> list[str]:
    """Say so when no single value limits the main decision (for no customer)."""
    main = ruleset.decisions[ruleset.primary_decision]
    limited = distances is not None and distances[f"{main.name}{LIMITED_BY}"].is_not_null().any()
    if distances is None or main.hit != "first" or limited:
        return []
    names = sorted({n for r in main.rules for n in r.when.names})
    tested = f": its rules test {', '.join(names)}" if names else ""
    return [f"no single value limits {main.name}{tested}"]


def ladder_miss(
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
        if now is None and measure not in row:  # a per-period value: no one value is "now"
            lines.append(f"{verb} {decision.name} {label(outcome)}: {how}")
            continue
        shown = "missing" if now is None else _amount(float(now), measure, units)
        lines.append(f"{verb} {decision.name} {label(outcome)}: {how} (now {shown})")
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
        return f"needs {more}{_amount(gap, name, units)} more {name} (now {value_text(current)})"
    if op in ("<", "<=") and gap <= 0:
        less = value_text(-gap)
        return f"needs {name} {op} {number(bound, 6)}, {less} less (now {value_text(current)})"
    return f"needs {name} {op} {number(bound, 6)} (now {value_text(current)})"


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
        f"(now {value_text(current)}, {name} {op} {number(bound, 6)})"
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
    return money(value) if units.get(name) == "currency" else number(value)


_fmt = value_text
