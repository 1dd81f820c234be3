"""The vector engine: decision tables as when/then expressions over all customers at once.

For each decision it adds three columns: the value, ``<name>.rule`` (the 1-based number of the
rule that decided, 0 for the default) and ``<name>.because``. A decision that gives a list
(``hit: collect``, ``rule order``, ``output order``) adds one true/false column per value
(``<name>::<value>``) and the value column lists the values, joined by ``", "``: for
``collect`` every matching value once, in outcome order; for ``rule order`` every match in rule
order; for ``output order`` every match in outcome order (best first).

The columns are built by :func:`decision_exprs` from one true/false expression per rule ("the
rule matches"), so the durable engine, which learns the matches from durable_rules, builds
them with the very same expressions (:mod:`tierkit.engines.durable_columns`).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import narwhals.stable.v2 as nw
import polars as pl

from tierkit.columns import BECAUSE, ID, OVERLAP, RULE
from tierkit.engines.vector.expressions import Compiler
from tierkit.errors import HitPolicyError
from tierkit.ruleset.compiled import CompiledDecision, CompiledRule, ThenValue


def decide(compiler: Compiler, decision: CompiledDecision) -> None:
    """Add the decision's columns to the customers frame."""
    frames = compiler.frames
    conditions = [compiler.condition(rule.when) for rule in decision.rules]
    for name, expr in decision_exprs(decision, conditions, frames.col):
        frames.add(name, expr, per_period=False)


def decision_exprs(
    decision: CompiledDecision,
    conditions: list[nw.Expr],
    column: Callable[[str], nw.Expr] = nw.col,
) -> list[tuple[str, nw.Expr]]:
    """The decision's columns, given one "this rule matches" expression per rule.

    Add them one after the other, in this order: a later one may read an earlier one, through
    ``column`` (the expression that reads a column by its public name).
    """
    pairs = list(zip(decision.rules, conditions, strict=True))
    if decision.aggregate is not None:
        return _aggregate(decision, pairs, column)
    if decision.hit == "collect":
        return _listed(decision, pairs)
    columns = _single(decision, _in_priority(decision, pairs), column)
    if decision.policy in ("unique", "any"):
        columns.append((OVERLAP + decision.name, _overlap(decision, pairs)))
    return columns


def _single(
    decision: CompiledDecision,
    pairs: list[tuple[CompiledRule, nw.Expr]],
    column: Callable[[str], nw.Expr],
) -> list[tuple[str, nw.Expr]]:
    """The first of ``pairs`` that matches decides (the default when none does)."""
    # Side by side, not nested: a chain of when/otherwise one level deep per rule ended in a
    # RecursionError with thousands of rules. The number of the first matching rule comes
    # first, as a column; the value and the reason are then looked up by that number (reading
    # the column, not repeating its expression: narwhals takes about 0.35 ms per rule to
    # translate it, 1.4 s at 4,000 rules, each time it appears).
    default = decision.default
    rule = nw.coalesce(
        *[nw.when(condition).then(nw.lit(r.index, nw.Int64)) for r, condition in pairs],
        nw.lit(0 if default else None, nw.Int64),
    )
    chosen = [(r.index, r.then, r.because) for r, _ in pairs]
    if default is not None:
        chosen.append((0, default.then, default.because))
    name = decision.name
    number = column(name + RULE)
    value = _by_rule(number, [(index, then) for index, then, _ in chosen])
    because = _by_rule(number, [(index, why) for index, _, why in chosen])
    return [
        (name + RULE, rule.cast(nw.Int64)),
        (name, value),
        (name + BECAUSE, because.cast(nw.String)),
    ]


def _by_rule(rule: nw.Expr, values: list[tuple[int, Any]]) -> nw.Expr:
    """The value given for the rule whose number ``rule`` holds (missing when none)."""
    known = [(index, value) for index, value in values if value is not None]
    if not known:
        return nw.lit(None)
    kept = [value for _, value in known]
    dtype: Any = None
    if all(isinstance(v, bool) for v in kept):
        dtype = nw.Boolean
    elif all(isinstance(v, str) for v in kept):
        dtype = nw.String
    elif all(isinstance(v, int | float) for v in kept):
        # as nw.lit types them: Int32 when every whole number fits
        small = all(isinstance(v, int) and -(2**31) <= v < 2**31 for v in kept)
        dtype = nw.Float64
        if all(isinstance(v, int) for v in kept):
            dtype = nw.Int32 if small else nw.Int64
        kept = [float(v) for v in kept] if dtype == nw.Float64 else kept
    return rule.replace_strict(
        [index for index, _ in known], kept, default=None, return_dtype=dtype
    )


def _in_priority(
    decision: CompiledDecision, pairs: list[tuple[CompiledRule, nw.Expr]]
) -> list[tuple[CompiledRule, nw.Expr]]:
    """``pairs`` in the order the policy tries them: by outcome (best first) for ``priority``
    and ``output order``, ties in rule order; in rule order otherwise."""
    conditions = {rule.index: condition for rule, condition in pairs}
    ordered = _in_priority_rules(decision, [rule for rule, _ in pairs])
    return [(rule, conditions[rule.index]) for rule in ordered]


def _nothing(conditions: list[nw.Expr]) -> nw.Expr:
    return ~_any(conditions)


def _any(conditions: list[nw.Expr]) -> nw.Expr:
    """True where one of ``conditions`` holds (flat: thousands of rules nest no deeper)."""
    return nw.any_horizontal(*conditions, ignore_nulls=True) if conditions else nw.lit(False)


def _count(flags: list[nw.Expr]) -> nw.Expr:
    """How many of ``flags`` hold, as a whole number."""
    if not flags:
        return nw.lit(0, nw.Int64)
    return nw.sum_horizontal(*[flag.cast(nw.Int64) for flag in flags]).cast(nw.Int64)


def _listed(
    decision: CompiledDecision, pairs: list[tuple[CompiledRule, nw.Expr]]
) -> list[tuple[str, nw.Expr]]:
    """A flag per value and the list of values; the default when no rule matches."""
    name = decision.name
    nothing = _nothing([c for _, c in pairs])
    default = decision.default
    columns: list[tuple[str, nw.Expr]] = []
    flags: dict[str, nw.Expr] = {}
    for outcome in decision.outcomes:
        same = [condition for rule, condition in pairs if _key(rule.then) == _key(outcome)]
        if default is not None and _key(outcome) == _key(default.then):
            same.append(nothing)
        flag = _any(same)
        flags[_key(outcome)] = flag
        columns.append((f"{name}::{outcome}", flag))
    parts: list[nw.Expr]
    if decision.policy == "collect":
        parts = [nw.when(flags[_key(o)]).then(nw.lit(str(o))) for o in decision.outcomes]
    else:
        parts = [nw.when(c).then(nw.lit(str(r.then))) for r, c in _in_priority(decision, pairs)]
        if default is not None:
            parts.append(nw.when(nothing).then(nw.lit(str(default.then))))
    if not parts:
        return [*columns, (name, nw.lit(""))]
    joined = nw.concat_str(parts, separator=", ", ignore_nulls=True).fill_null("")
    return [*columns, (name, joined)]


def _aggregate(
    decision: CompiledDecision,
    pairs: list[tuple[CompiledRule, nw.Expr]],
    column: Callable[[str], nw.Expr],
) -> list[tuple[str, nw.Expr]]:
    """One number: the sum, least, greatest or count of the matching values.

    No match gives the default, else missing (sum, min, max) or 0 (count), as in DMN. Sums are
    added in whole units of the finest decimal a ``then`` has, so they are exact.
    """
    name = decision.name
    conditions = [c for _, c in pairs]
    nothing = _nothing(conditions)
    default = decision.default
    value: nw.Expr
    if decision.aggregate == "count":
        value = _count(conditions).cast(nw.Float64)
    elif decision.aggregate == "sum":
        scale = 10 ** max((_decimals(r.then) for r, _ in pairs), default=0)
        exact = sum(abs(_decimal(r.then)) * scale for r, _ in pairs) < 2**63
        if not exact:  # whole units would overflow: add the numbers as they are
            scale = 1
        zero = nw.lit(0, nw.Int64 if exact else nw.Float64)
        terms = [nw.when(c).then(_units(r.then, scale, exact)).otherwise(zero) for r, c in pairs]
        total = nw.sum_horizontal(*terms) if terms else zero
        value = nw.when(~nothing).then(total.cast(nw.Float64) / scale)
    else:
        picked = [nw.when(c).then(nw.lit(float(_decimal(r.then)), nw.Float64)) for r, c in pairs]
        pick = nw.min_horizontal if decision.aggregate == "min" else nw.max_horizontal
        value = pick(*picked) if picked else nw.lit(None, nw.Float64)
    if default is not None:
        value = nw.when(nothing).then(nw.lit(float(_decimal(default.then)))).otherwise(value)
    first = _single(decision, pairs, column)
    because_parts = [nw.when(c).then(nw.lit(r.because)) for r, c in pairs if r.because]
    because: nw.Expr = (
        nw.concat_str(because_parts, separator="; ", ignore_nulls=True)
        if because_parts
        else nw.lit(None)
    )
    if default is not None and default.because:
        because = nw.when(nothing).then(nw.lit(default.because)).otherwise(because)
    return [
        (name, value.cast(nw.Float64)),
        first[0],
        (name + BECAUSE, because.cast(nw.String)),
    ]


def _overlap(decision: CompiledDecision, pairs: list[tuple[CompiledRule, nw.Expr]]) -> nw.Expr:
    """The matching rules' numbers (``"1, 3"``) where the policy is broken, else missing.

    ``unique``: more than one rule matches. ``any``: matching rules give different values.
    """
    listing = nw.concat_str(
        [nw.when(c).then(nw.lit(str(r.index))) for r, c in pairs] or [nw.lit(None, nw.String)],
        separator=", ",
        ignore_nulls=True,
    )
    if decision.policy == "unique":
        matches = _count([c for _, c in pairs])
    else:
        by_value: dict[str, list[nw.Expr]] = {}
        for rule, condition in pairs:
            by_value.setdefault(_key(rule.then), []).append(condition)
        matches = _count([_any(same) for same in by_value.values()])
    return nw.when(matches > 1).then(listing).cast(nw.String)


def check_overlap(decision: CompiledDecision, broken: pl.DataFrame) -> None:
    """Stop with :class:`HitPolicyError` if a row of ``broken`` (customer_id and the
    decision's overlap column) has the overlap column set."""
    column = OVERLAP + decision.name
    broken = broken.filter(pl.col(column).is_not_null())
    if broken.height == 0:
        return
    ids = [str(i) for i in broken[ID].to_list()]
    numeric = all(i.isdigit() for i in ids)
    first = min(range(len(ids)), key=lambda i: (len(ids[i]), ids[i]) if numeric else (0, ids[i]))
    numbers = [int(n) for n in str(broken[column][first]).split(", ")]
    rules = {r.index: r for r in decision.rules}
    names = " and ".join(_rule_name(rules[n]) for n in numbers)
    customer = ids[first]
    others = f" (and {broken.height - 1} more customer(s))" if broken.height > 1 else ""
    if decision.policy == "unique":
        raise HitPolicyError(
            f"decision '{decision.name}' (hit: unique): {names} all match customer {customer}"
            f"{others}; the rules of a unique table must not overlap (use hit: first or "
            "priority to choose among them)"
        )
    given = ", ".join(dict.fromkeys(str(rules[n].then) for n in numbers))
    raise HitPolicyError(
        f"decision '{decision.name}' (hit: any): {names} match customer {customer}{others} "
        f"but give different values ({given}); under hit: any overlapping rules must agree"
    )


def listed_in_order(decision: CompiledDecision, matched: list[CompiledRule]) -> list[ThenValue]:
    """The list a ``rule order`` or ``output order`` decision gives for these matching rules
    (in rule order): their values in the policy's order, or the default alone when none."""
    if not matched:
        return [decision.default.then] if decision.default is not None else []
    return [rule.then for rule in _in_priority_rules(decision, matched)]


def _in_priority_rules(decision: CompiledDecision, rules: list[CompiledRule]) -> list[CompiledRule]:
    if decision.policy not in ("priority", "output order"):
        return rules
    rank = {_key(o): i for i, o in enumerate(decision.outcomes)}
    return sorted(rules, key=lambda r: (rank.get(_key(r.then), len(rank)), r.index))


def overlap_columns(decisions: list[CompiledDecision]) -> list[str]:
    """The working overlap columns the decisions add."""
    return [OVERLAP + d.name for d in decisions if d.policy in ("unique", "any")]


def _rule_name(rule: CompiledRule) -> str:
    default = f"rule {rule.index}"
    return default if rule.name == default else f"rule {rule.index} ({rule.name})"


def _key(value: ThenValue) -> str:
    """A value as a key that tells true from 1 (Python's ``True == 1``)."""
    return f"{type(value).__name__}:{value}"


def _units(value: ThenValue, scale: int, exact: bool) -> nw.Expr:
    """A number in whole units of ``1/scale``, or as a float when that is not ``exact``."""
    if not exact:
        return nw.lit(float(value), nw.Float64)
    return nw.lit(int(_decimal(value) * scale), nw.Int64)


def _decimal(value: Any) -> Decimal:
    return Decimal(str(value))


def _decimals(value: ThenValue) -> int:
    exponent = _decimal(value).as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0
