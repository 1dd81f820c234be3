"""The vector engine: decision tables as when/then expressions over all customers at once.

For each decision it adds three columns: the value, ``<name>.rule`` (the 1-based number of the
rule that decided, 0 for the default) and ``<name>.because``. A ``hit: collect`` decision adds
one true/false column per value (``<name>::<value>``) and the value column lists every matching
value, joined by ``", "`` in table order.
"""

from __future__ import annotations

from typing import Any

import narwhals.stable.v2 as nw

from tierkit.evaluation.expressions import Compiler
from tierkit.ruleset.compiled import CompiledDecision

RULE = ".rule"
BECAUSE = ".because"


def decide(compiler: Compiler, decision: CompiledDecision) -> None:
    """Add the decision's columns to the customers frame."""
    frames = compiler.frames
    conditions = [compiler.condition(rule.when) for rule in decision.rules]
    name = decision.name
    if decision.hit == "collect":
        _collect(compiler, decision, conditions)
        return
    default = decision.default
    value: nw.Expr = nw.lit(default.then if default else None)
    rule: nw.Expr = nw.lit(0 if default else None)
    because: nw.Expr = nw.lit(default.because if default else None)
    for compiled_rule, condition in reversed(list(zip(decision.rules, conditions, strict=True))):
        value = nw.when(condition).then(nw.lit(compiled_rule.then)).otherwise(value)
        rule = nw.when(condition).then(nw.lit(compiled_rule.index)).otherwise(rule)
        because = nw.when(condition).then(nw.lit(compiled_rule.because)).otherwise(because)
    frames.add(name, value, per_period=False)
    frames.add(name + RULE, rule.cast(nw.Int64), per_period=False)
    frames.add(name + BECAUSE, because.cast(nw.String), per_period=False)


def _collect(compiler: Compiler, decision: CompiledDecision, conditions: list[Any]) -> None:
    """Every matching value; the default when none matches (its flag is then true too)."""
    frames = compiler.frames
    name = decision.name
    nothing: nw.Expr = nw.lit(True)
    for condition in conditions:
        nothing = nothing & ~condition
    default = decision.default.then if decision.default is not None else None
    parts: list[nw.Expr] = []
    for outcome in decision.outcomes:
        flag: nw.Expr = nw.lit(False)
        for rule, condition in zip(decision.rules, conditions, strict=True):
            if rule.then == outcome:
                flag = flag | condition
        if decision.default is not None and outcome == default:
            flag = flag | nothing
        frames.add(f"{name}::{outcome}", flag, per_period=False)
        parts.append(nw.when(frames.col(f"{name}::{outcome}")).then(nw.lit(str(outcome))))
    if not parts:
        frames.add(name, nw.lit(""), per_period=False)
        return
    joined = nw.concat_str(parts, separator=", ", ignore_nulls=True).fill_null("")
    frames.add(name, joined, per_period=False)
