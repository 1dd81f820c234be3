"""Compiling a ruleset's decisions: their value types, hit policies and outcomes."""

from __future__ import annotations

from typing import Any

from tierkit.errors import (
    IncompleteDecisionError,
    OutcomesError,
    ThenTypeError,
    WrongValueError,
    did_you_mean,
)
from tierkit.numbers import literal
from tierkit.ruleset.compile_step import CompileStep
from tierkit.ruleset.compiled import (
    CompiledDecision,
    CompiledExpr,
    CompiledRule,
    DefaultOutcome,
    ThenValue,
)
from tierkit.ruleset.complete import find_gap
from tierkit.ruleset.hit import LISTS, ORDERED, SINGLE, split_hit
from tierkit.ruleset.source import KeyPath
from tierkit.ruleset.types import Type


class DecisionStep(CompileStep):
    """Type each decision and compile its table."""

    def decision_type(self, name: str) -> Type:
        decision = self.model.decisions[name]
        outcomes: list[tuple[KeyPath, ThenValue]] = [
            (("decisions", name, "rules", i, "then"), rule.then)
            for i, rule in enumerate(decision.rules)
        ]
        counted = split_hit(decision.hit, decision.aggregate)[1] == "count"
        if decision.default is not None and not counted:  # a count's default is a number
            outcomes.append((("decisions", name, "default", "then"), decision.default.then))
        elif decision.default is not None and then_base(decision.default.then) != "number":
            self.add(
                ThenTypeError,
                f"decision '{name}' counts the matching rules, so its default must be a number, "
                f"found {literal(decision.default.then)}",
                ("decisions", name, "default", "then"),
                hint="the count when no rule matches is 0 without a default",
            )
        base = then_base(outcomes[0][1]) if outcomes else "text"
        for path, value in outcomes[1:]:
            if then_base(value) != base:
                found = then_base(value)
                hint = _yaml_boolean_hint(name, outcomes[0][1], value)
                self.add(
                    ThenTypeError,
                    f"decision '{name}' gives {article(base)} elsewhere but "
                    f"{article(found)} here ({literal(value)})",
                    path,
                    hint=hint or "every then of one decision must be of one type",
                )
                break
        policy, aggregate = split_hit(decision.hit, decision.aggregate)
        if aggregate is not None:
            self.hit_problems(name, policy, aggregate, base)
            return Type("number", nullable=aggregate != "count")
        if policy in LISTS:
            return Type("list", nullable=False, item=base)  # type: ignore[arg-type]
        return Type(base, nullable=False)  # type: ignore[arg-type]

    def hit_problems(self, name: str, policy: str, aggregate: str, base: str) -> None:
        """An aggregation belongs to ``collect``; sum, min and max need numbers."""
        path: KeyPath = ("decisions", name, "hit")
        if policy != "collect":
            self.add(
                WrongValueError,
                f"decision '{name}': 'aggregate: {aggregate}' needs 'hit: collect', "
                f"found 'hit: {policy}'",
                ("decisions", name, "aggregate"),
                hint="write `hit: collect " + aggregate + "`",
            )
        elif aggregate != "count" and base != "number":
            self.add(
                ThenTypeError,
                f"decision '{name}' ({aggregate} of the matching values) needs numbers, "
                f"but its rules give {article(base)}",
                path,
                hint="use `collect count`, or give numbers in `then`",
            )

    # expressions ------------------------------------------------------------------------------

    def decision(
        self, name: str, whens: list[CompiledExpr | None], decided: Type
    ) -> CompiledDecision | None:
        spec = self.model.decisions[name]
        if any(w is None for w in whens):
            return None
        rules = tuple(
            CompiledRule(
                index=i + 1,
                name=rule.name or f"rule {i + 1}",
                when=when,
                then=rule.then,
                because=rule.because,
            )
            for i, (rule, when) in enumerate(zip(spec.rules, whens, strict=True))
            if when is not None
        )
        policy, aggregate = split_hit(spec.hit, spec.aggregate)
        needs_complete = policy in SINGLE or aggregate in ("sum", "min", "max")
        if spec.default is None and needs_complete and not self.allow_gaps:
            gap = find_gap([r.when.tree for r in rules])
            if gap is not None:
                if not rules:
                    why = "it has no rules"
                elif gap:
                    example = ", ".join(f"{k} is {v}" for k, v in sorted(gap.items()))
                    why = f"no rule matches when {example}"
                else:
                    why = "its rules have too many conditions to check every combination"
                self.add(
                    IncompleteDecisionError,
                    f"decision '{name}' has no default and cannot be shown to decide every "
                    f"customer: {why}",
                    ("decisions", name),
                    key=True,
                    hint="add `default: {then: ..., because: ...}`, or a last rule with "
                    "`when: true`",
                )
        outcomes: list[ThenValue] = []
        for value in [r.then for r in rules] + (
            [spec.default.then] if spec.default is not None and aggregate != "count" else []
        ):
            if value not in outcomes:
                outcomes.append(value)
        if spec.outcomes is not None:
            outcomes = self.declared_outcomes(name, outcomes, spec.outcomes)
        default = (
            DefaultOutcome(spec.default.then, spec.default.because)
            if spec.default is not None
            else None
        )
        if spec.outcomes is None and policy in ORDERED:
            self.add(
                WrongValueError,
                f"decision '{name}' (hit: {policy}) orders its matches by its outcomes, "
                "but declares none",
                ("decisions", name, "hit"),
                hint="add `outcomes: [best, ..., worst]` to the decision",
            )
        shape = "collect" if policy in LISTS and aggregate is None else "first"
        return CompiledDecision(
            name,
            shape,  # type: ignore[arg-type]
            rules,
            default,
            decided,
            tuple(outcomes),
            spec.title,
            policy=policy,
            aggregate=aggregate,
            declared=spec.outcomes is not None,
        )

    def declared_outcomes(
        self, name: str, given: list[ThenValue], declared: list[ThenValue]
    ) -> list[ThenValue]:
        """The declared order (best first), checked against the values the rules can give.

        A value a rule gives that the list leaves out, a listed value no rule or default
        gives, and a value listed twice are errors: the order must name every outcome once.
        """
        path: KeyPath = ("decisions", name, "outcomes")
        seen: list[ThenValue] = []
        for i, value in enumerate(declared):
            if any(same(value, s) for s in seen):
                self.add(
                    OutcomesError, f"'{name}' lists the outcome {literal(value)} twice", (*path, i)
                )
            elif not any(same(value, g) for g in given):
                choices = ", ".join(literal(g) for g in given)
                self.add(
                    OutcomesError,
                    f"'{name}' lists the outcome {literal(value)}, which no rule or default of "
                    f"the decision gives{did_you_mean(str(value), [str(g) for g in given])}",
                    (*path, i),
                    hint=f"it gives: {choices}",
                )
            else:
                seen.append(value)
        left_out = [g for g in given if not any(same(g, s) for s in seen)]
        if left_out:
            self.add(
                OutcomesError,
                f"'{name}' outcomes leave out {', '.join(literal(v) for v in left_out)}, which "
                "the decision can give",
                path,
                key=True,
                hint="list every value of the rules and the default, best first",
            )
        return [*seen, *left_out]


def _yaml_boolean_hint(decision: str, first: ThenValue, found: ThenValue) -> str | None:
    """When true/false meets a text: YAML read an unquoted yes, no, on or off as true/false;
    when it was the first ``then`` (``NO`` for Norway), the text after it is what is reported,
    so the hint names the first."""
    quote = "YAML reads yes, no, on, off, true and false as true/false; put the value in quotes"
    if isinstance(found, bool) and then_base(first) == "text":
        return f"{quote} to keep it as text"
    if isinstance(first, bool) and then_base(found) == "text":
        return f"the first then of decision '{decision}' is {literal(first)}: {quote} if it is text"
    return None


def then_base(value: ThenValue) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return "text"


def article(base: str) -> str:
    return {"boolean": "true/false", "number": "a number", "text": "a text"}[base]


def same(a: Any, b: Any) -> bool:
    """Equal and of the same type (``true`` is not ``1``)."""
    return type(a) is type(b) and a == b
