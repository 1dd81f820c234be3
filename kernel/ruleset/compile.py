"""Check a ruleset's meaning and compile it: names, criteria, types, graph, completeness.

Every problem is collected; :func:`compile_ruleset` returns the compiled ruleset only when
there are none.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from tierkit.errors import (
    DuplicateNameError,
    OutcomesError,
    PolicyError,
    RulesetProblem,
    TypeMismatchError,
    UnknownStrategyError,
    WrongValueError,
    did_you_mean,
)
from tierkit.registry import Registry
from tierkit.ruleset.check import ExprProblem, Symbol, check_expression, ranking_of
from tierkit.ruleset.compile_criteria import CriteriaStep
from tierkit.ruleset.compile_decisions import DecisionStep
from tierkit.ruleset.compile_examples import ExampleStep
from tierkit.ruleset.compile_order import OrderStep, Parsed, names_in, previous_in
from tierkit.ruleset.compile_step import DEFAULT_STRATEGY, OTHER_NAME, RESERVED, RESULT_COLUMNS
from tierkit.ruleset.compiled import (
    CompiledDecision,
    CompiledExpr,
    CompiledRuleset,
    CriterionBinding,
    DerivedFact,
    Step,
)
from tierkit.ruleset.model import RulesetModel
from tierkit.ruleset.shape import Removed
from tierkit.ruleset.source import Document
from tierkit.ruleset.types import Type


class RulesetCompiler(CriteriaStep, OrderStep, DecisionStep, ExampleStep):
    """Every step of compiling one ruleset, run in order by :meth:`run`."""

    # ------------------------------------------------------------------------------------------

    def run(self) -> CompiledRuleset | None:
        strategy = self.strategy()
        repeated = self.check_names()
        criteria = self.criteria(strategy)
        decision_types = {
            name: self.decision_type(name)
            for name in self.model.decisions
            if name not in self.removed.names
        }
        parsed = self.parse_all()
        cyclic = self.cycles(parsed, repeated)
        order = self.order(parsed, cyclic)
        derived, decisions = self.check_all(parsed, order, criteria, decision_types)
        if self.problems:
            return None
        primary = self.main_decision(decisions)
        if primary in decisions:
            self.policies(decisions[primary])
        self.examples(criteria, derived, decisions)
        if self.problems:
            return None
        return CompiledRuleset(
            name=self.model.name,
            title=self.model.title,
            description=self.model.description,
            path=self.doc.source.path,
            sha256=hashlib.sha256(self.doc.source.text.encode()).hexdigest(),
            strategy=strategy or DEFAULT_STRATEGY,
            period=self.model.window.period,
            periods=self.model.window.periods,
            criteria=MappingProxyType(criteria),
            derived=MappingProxyType(derived),
            decisions=MappingProxyType(decisions),
            order=tuple(
                Step("derive" if p.kind == "derive" else "decision", p.name) for p in order
            ),
            policies=MappingProxyType(
                {k: MappingProxyType(dict(v)) for k, v in self.model.policies.items()}
            ),
            primary_decision=primary,
            examples=tuple(self.model.tests),
        )

    # strategy and names -----------------------------------------------------------------------

    def strategy(self) -> str | None:
        name = self.model.strategy or DEFAULT_STRATEGY
        if name in self.registry.strategies:
            return name
        known = sorted(self.registry.strategies)
        if self.model.strategy is None or self.removed.strategy:
            return None  # reported already, or the default is not installed
        self.add(
            UnknownStrategyError,
            f"unknown strategy '{name}'{did_you_mean(name, known)}",
            ("strategy",),
            hint="installed strategies: " + (", ".join(known) or "none"),
        )
        return None

    def check_names(self) -> set[str]:
        """Report reserved and repeated names; the repeated ones."""
        repeated: set[str] = set()
        seen: dict[str, str] = {}
        for section in ("criteria", "derive", "decisions"):
            for name in getattr(self.model, section):
                if name.startswith("__"):
                    self.add(
                        WrongValueError,
                        f"'{name}': names starting with '__' are not "
                        "allowed (expressions cannot use them)",
                        (section, name),
                        key=True,
                    )
                if name in RESERVED:
                    self.add(
                        WrongValueError,
                        f"'{name}' is a reserved word and cannot name "
                        "a criterion, derived fact or decision",
                        (section, name),
                        key=True,
                    )
                if name in RESULT_COLUMNS:
                    self.add(
                        WrongValueError,
                        f"'{name}' names a column every result has ({RESULT_COLUMNS[name]}) and "
                        "cannot name a criterion, derived fact or decision",
                        (section, name),
                        key=True,
                        hint=f"choose another name, such as '{OTHER_NAME[name]}'",
                    )
                if name in seen:
                    repeated.add(name)
                    self.add(
                        DuplicateNameError,
                        f"'{name}' is defined in {seen[name]}: and again in {section}:",
                        (section, name),
                        key=True,
                        hint="every criterion, derived fact and decision needs its own name",
                    )
                else:
                    seen[name] = section
        return repeated

    # criteria ---------------------------------------------------------------------------------

    def check_all(
        self,
        parsed: list[Parsed],
        order: list[Parsed],
        criteria: Mapping[str, CriterionBinding],
        decision_types: Mapping[str, Type],
    ) -> tuple[dict[str, DerivedFact], dict[str, CompiledDecision]]:
        symbols: dict[str, Symbol] = {
            name: Symbol(name, "criterion", b.type) for name, b in criteria.items()
        }
        for name in self.model.criteria:
            symbols.setdefault(name, Symbol(name, "criterion", None))
        for name in self.model.derive:
            symbols[name] = Symbol(name, "derived", None)
        for name, decided in decision_types.items():
            symbols.setdefault(name, Symbol(name, "decision", decided))
        for name in self.removed.names:
            symbols.setdefault(name, Symbol(name, "derived", None))
        functions = self.registry.functions
        derived: dict[str, DerivedFact] = {}
        decisions: dict[str, CompiledDecision] = {}
        by_name_decision = {
            n: [p for p in parsed if p.kind == "decision" and p.name == n]
            for n in self.model.decisions
        }
        for unit in order:
            if unit.kind == "derive":
                compiled = self.check_one(unit, symbols, decision_types, functions, True)
                if compiled is not None:
                    derived[unit.name] = DerivedFact(unit.name, compiled)
                    symbols[unit.name] = Symbol(
                        unit.name, "derived", compiled.type, ranking_of(compiled.tree)
                    )
            elif unit.name not in self.removed.names:
                rules = [
                    self.check_one(p, symbols, decision_types, functions, False)
                    for p in by_name_decision[unit.name]
                ]
                made = self.decision(unit.name, rules, decision_types[unit.name])
                if made is not None:
                    decisions[unit.name] = made
        return derived, decisions

    def check_one(
        self,
        item: Parsed,
        symbols: Mapping[str, Symbol],
        decision_types: Mapping[str, Type],
        functions: Mapping[str, Any],
        allow_ranking: bool,
    ) -> CompiledExpr | None:
        if item.tree is None:
            return None
        result = check_expression(
            item.tree, symbols, decision_types, functions, allow_ranking=allow_ranking
        )
        for problem in result.problems:
            self.add_expr(item.path, problem)
        if result.type is None:
            return None
        if item.kind == "decision":
            if result.type.base != "boolean":
                self.add_expr(
                    item.path,
                    ExprProblem(
                        TypeMismatchError,
                        f"a condition must be true or false, found {result.type.describe()}",
                        item.tree.start,
                        max(1, item.tree.end - item.tree.start),
                    ),
                )
                return None
            if result.type.per_period:
                self.add_expr(
                    item.path,
                    ExprProblem(
                        TypeMismatchError,
                        "a condition needs one value per customer, but this has one per period",
                        item.tree.start,
                        max(1, item.tree.end - item.tree.start),
                        "collapse the periods with any(), all(), count() or last()",
                    ),
                )
                return None
        line, column = self.doc.text_position(item.path, 0)
        text = self.doc_value(item.path)
        return CompiledExpr(
            text=text,
            tree=item.tree,
            type=result.type,
            node_types=MappingProxyType(dict(result.node_types)),
            names=frozenset(names_in(item.tree)),
            previous=frozenset(previous_in(item.tree)),
            line=line,
            column=column,
        )

    def main_decision(self, decisions: Mapping[str, CompiledDecision]) -> str:
        """``main:``, else the decision named ``category``, else the first."""
        names = list(self.model.decisions)
        main = self.model.main
        fallback = "category" if "category" in names else names[0]
        if main is None:
            return fallback
        if main not in names:
            self.add(
                OutcomesError,
                f"main: '{main}' is not a decision of this ruleset{did_you_mean(main, names)}",
                ("main",),
                hint="decisions: " + ", ".join(names),
            )
            return fallback
        if main in decisions and decisions[main].hit != "first":
            self.add(
                OutcomesError,
                f"main: '{main}' collects values (hit: collect); the main decision gives one "
                "value per customer",
                ("main",),
            )
        return main

    # policies and examples --------------------------------------------------------------------

    def policies(self, primary: CompiledDecision) -> None:
        known = [str(v) for v in primary.outcomes]
        for key in self.model.policies:
            if key not in known:
                self.add(
                    PolicyError,
                    f"policy for '{key}', which decision '{primary.name}' never gives"
                    f"{did_you_mean(key, known)}",
                    ("policies", key),
                    key=True,
                    hint=f"policies are keyed by the values of the main decision "
                    f"('{primary.name}'): {', '.join(known)}",
                )


def compile_ruleset(
    doc: Document,
    model: RulesetModel,
    registry: Registry,
    *,
    removed: Removed | None = None,
    allow_gaps: bool = False,
) -> tuple[CompiledRuleset | None, list[RulesetProblem]]:
    """Check the meaning of a well-shaped ruleset; the compiled ruleset or every problem.

    ``removed`` says what checking the shape already reported and removed: those names are known
    but of unknown type, so nothing that uses them is reported again. ``allow_gaps`` skips the proof
    that a decision without a default decides everyone (for DMN models, where no match is null).
    """
    compiler = RulesetCompiler(doc, model, registry, removed or Removed(), allow_gaps)
    compiled = compiler.run()
    return compiled, compiler.problems
