"""Comparing an example's expected values with what the ruleset decided, and describing the
result."""

from __future__ import annotations

import math
from datetime import date
from typing import Any

import polars as pl

from tierkit.columns import BECAUSE, RULE
from tierkit.engines.vector.decide import (
    listed_in_order,
)
from tierkit.engines.vector.frames import ID, PERIOD
from tierkit.evaluation.example_values import (
    EXAMPLE_CUSTOMER,
    MATCH,
    Check,
    ExampleResult,
    Row,
    Values,
    outcome_key,
)
from tierkit.ruleset.compiled import CompiledDecision, CompiledRuleset


def check(
    ruleset: CompiledRuleset, name: str, expected: Any, values: Values, customer: str
) -> Check:
    row = values.customers.filter(pl.col(ID) == customer).row(0, named=True)
    decision = ruleset.decisions.get(name)
    if decision is not None and decision.hit == "collect":
        actual_list = [o for o in decision.outcomes if row.get(f"{name}::{o}")]
        wanted = expected if isinstance(expected, list) else [] if expected is None else [expected]
        matched = [r for r in decision.rules if row.get(f"{MATCH}.{name}.{r.index}")]
        matches = ("rules " + ", ".join(str(r.index) for r in matched)) if matched else "no rule"
        reasons = "; ".join(r.because for r in matched if r.because) or None
        passed = sorted(map(outcome_key, wanted)) == sorted(map(outcome_key, actual_list))
        if decision.policy != "collect":  # rule order, output order: order and repeats count
            actual_list = listed_in_order(decision, matched)
            passed = list(map(outcome_key, wanted)) == list(map(outcome_key, actual_list))
        return Check(name, wanted, actual_list, passed, matches, reasons)
    if name in values.customers.columns:
        actual = row[name]
    elif values.periods is not None and name in values.periods.columns:
        actual = _period_actual(values, name, customer, expected)
    else:
        actual = None
    rule: str | None = None
    because: str | None = None
    if decision is not None:
        rule, because = _fired(decision, row)
    return Check(name, expected, actual, _same(expected, actual), rule, because)


def _period_actual(values: Values, name: str, customer: str, expected: Any) -> list[Any]:
    assert values.periods is not None
    series = values.periods.filter(pl.col(ID) == customer).sort(PERIOD)[name].to_list()
    length = len(expected) if isinstance(expected, list) else 0
    window = values.grid.stop
    keep = length if 0 < length <= len(series) else window
    return list(series[-keep:])


def _fired(decision: CompiledDecision, row: Row) -> tuple[str | None, str | None]:
    index = row.get(decision.name + RULE)
    because = row.get(decision.name + BECAUSE)
    if index is None:
        if decision.name + RULE not in row:  # given by the example
            return "the example (given)", None
        return None, "no rule decided and the decision has no default"
    if index == 0:
        return "default", because
    rule = next(r for r in decision.rules if r.index == index)
    label = f"rule {rule.index}"
    if rule.name != label:
        label += f" ({rule.name})"
    return label, because


def _same(expected: Any, actual: Any) -> bool:
    if isinstance(expected, list) or isinstance(actual, list):
        if not (isinstance(expected, list) and isinstance(actual, list)):
            return False
        return len(expected) == len(actual) and all(
            _same(e, a) for e, a in zip(expected, actual, strict=True)
        )
    if expected is None or actual is None:
        return expected is None and actual is None
    if isinstance(expected, bool) or isinstance(actual, bool):
        return isinstance(expected, bool) and isinstance(actual, bool) and expected == actual
    if isinstance(expected, int | float) and isinstance(actual, int | float):
        return math.isclose(expected, actual, rel_tol=1e-9, abs_tol=1e-9)
    if isinstance(expected, str) and isinstance(actual, date):
        return expected == actual.isoformat()
    return bool(expected == actual)


def show(value: Any) -> str:
    """A value as an analyst writes it in YAML: ``'A'``, ``true``, ``0.8``, ``missing``."""
    if value is None:
        return "missing"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(int(value)) if value.is_integer() and abs(value) < 1e15 else f"{value:.12g}"
    if isinstance(value, str):
        return f"'{value}'"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(show(v) for v in value) + "]"
    return str(value)


def describe_result(result: ExampleResult) -> list[str]:
    """Lines for a terminal: ✓ or ✗ and the name, then every mismatch or the error."""
    mark = "✓" if result.passed else "✗"
    where = f" (customer {result.customer})" if result.customer != EXAMPLE_CUSTOMER else ""
    lines = [f"{mark} {result.name}{where}"]
    if result.error:
        lines.append(f"    {result.error}")
    for check in result.mismatches:
        lines.append(f"    {check.name}: expected {show(check.expected)}, got {show(check.actual)}")
        if check.rule is not None:
            reason = f': "{check.because}"' if check.because else ""
            lines.append(f"      decided by {check.rule}{reason}")
        elif check.because is not None:
            lines.append(f"      {check.because}")
    return lines
