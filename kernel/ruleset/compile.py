"""Check a ruleset's meaning and compile it: names, criteria, types, graph, completeness.

Every problem is collected; :func:`compile_ruleset` returns the compiled ruleset only when
there are none.
"""

from __future__ import annotations

import hashlib
import keyword
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from tierkit.errors import (
    CycleError,
    DuplicateNameError,
    ExampleError,
    IncompleteDecisionError,
    OutcomesError,
    ParameterError,
    PolicyError,
    RulesetProblem,
    ThenTypeError,
    TypeMismatchError,
    UnknownCriterionError,
    UnknownStrategyError,
    WrongValueError,
    did_you_mean,
)
from tierkit.params import resolve_params
from tierkit.registry import Registry
from tierkit.ruleset.attributes import (
    NOT_ATTRIBUTES,
    PREFIX,
    attribute_column,
    criterion_for,
    default_type,
)
from tierkit.ruleset.check import ExprProblem, Symbol, check_expression, ranking_of
from tierkit.ruleset.compiled import (
    CompiledDecision,
    CompiledExpr,
    CompiledRule,
    CompiledRuleset,
    CriterionBinding,
    DefaultOutcome,
    DerivedFact,
    Step,
    ThenValue,
)
from tierkit.ruleset.complete import find_gap
from tierkit.ruleset.expr import (
    FORBIDDEN_WORDS,
    Expr,
    Literal,
    Name,
    Previous,
    SyntaxProblem,
    parse_expression,
)
from tierkit.ruleset.hit import LISTS, ORDERED, SINGLE, split_hit
from tierkit.ruleset.model import CriterionUse, RulesetModel
from tierkit.ruleset.source import Document, KeyPath
from tierkit.ruleset.types import Type

DEFAULT_STRATEGY = "working-capital"
RESERVED = frozenset(
    {"previous", "true", "false", "and", "or", "not", "in", *keyword.kwlist, *FORBIDDEN_WORDS}
)


@dataclass
class _Parsed:
    name: str
    kind: str  # "derive" or "decision"
    path: KeyPath
    tree: Expr | None
    refs: set[str] = field(default_factory=set)


class _Compiler:
    def __init__(
        self,
        doc: Document,
        model: RulesetModel,
        registry: Registry,
        broken: frozenset[str],
        strategy_broken: bool,
        allow_gaps: bool = False,
    ) -> None:
        self.allow_gaps = allow_gaps
        self.doc = doc
        self.model = model
        self.registry = registry
        self.broken = broken
        self.strategy_broken = strategy_broken
        self.problems: list[RulesetProblem] = []
        self.attribute_types: dict[str, str] = {}

    def add(
        self,
        kind: type[RulesetProblem],
        message: str,
        path: KeyPath,
        *,
        key: bool = False,
        hint: str | None = None,
    ) -> None:
        self.problems.append(self.doc.problem(kind, message, path, key=key, hint=hint))

    def add_expr(self, path: KeyPath, problem: ExprProblem | SyntaxProblem) -> None:
        line, column = self.doc.text_position(path, problem.offset)
        self.problems.append(
            self.doc.source.problem(
                problem.kind, problem.message, line, column, problem.length, problem.hint
            )
        )

    # ------------------------------------------------------------------------------------------

    def run(self) -> CompiledRuleset | None:
        strategy = self.strategy()
        repeated = self.check_names()
        criteria = self.criteria(strategy)
        decision_types = {
            name: self.decision_type(name)
            for name in self.model.decisions
            if name not in self.broken
        }
        parsed = self.parse_all()
        cyclic = self.cycles(parsed, repeated)
        order = self.order(parsed, cyclic)
        derived, decisions = self.check_all(parsed, order, criteria, decision_types, cyclic)
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
        if self.model.strategy is None or self.strategy_broken:
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

    def criteria(self, strategy: str | None) -> dict[str, CriterionBinding]:
        bindings: dict[str, CriterionBinding] = {}
        for name, entry in self.model.criteria.items():
            use = entry if isinstance(entry, CriterionUse) else CriterionUse(use=entry)
            path: KeyPath = ("criteria", name)
            use_path = (*path, "use") if isinstance(entry, CriterionUse) else path
            binding = self.bind(name, use, path, use_path, strategy)
            if binding is not None:
                bindings[name] = binding
        return bindings

    def bind(
        self,
        name: str,
        use: CriterionUse,
        path: KeyPath,
        use_path: KeyPath,
        strategy: str | None,
    ) -> CriterionBinding | None:
        column = attribute_column(use.use)
        if column is not None:
            return self.bind_attribute(name, use, column, path, use_path)
        if use.type is not None:
            self.add(
                WrongValueError,
                f"'type' is only for customer attributes (use: customer.COLUMN); the type of "
                f"'{use.use}' is fixed by its plugin",
                (*path, "type"),
                key=True,
            )
        params: dict[str, Any] = {}
        if use.use == "value":
            if strategy is None:
                if self.model.strategy is None and not self.strategy_broken:
                    self.add(
                        UnknownStrategyError,
                        f"'use: value' needs a strategy, and the default strategy "
                        f"'{DEFAULT_STRATEGY}' is not installed",
                        use_path,
                    )
                return None
            chosen = self.registry.strategies[strategy]
            criterion_name = chosen.value
            params.update(chosen.params)
        else:
            criterion_name = use.use
        criterion = self.registry.criteria.get(criterion_name)
        if criterion is None:
            known = sorted(self.registry.criteria)
            self.add(
                UnknownCriterionError,
                f"unknown criterion '{criterion_name}'{did_you_mean(criterion_name, known)}",
                use_path,
                hint="see `tierkit plugins` for installed criteria, or use: value for the "
                "strategy's value",
            )
            return None
        resolved, problems = resolve_params(criterion.params, {**params, **use.params})
        for key, message in problems:
            allowed = [p.name for p in criterion.params]
            suffix = did_you_mean(key, allowed) if message.startswith("unknown") else ""
            self.add(
                ParameterError,
                f"{message} for criterion '{criterion_name}'{suffix}",
                (*path, "params", key),
                key=message.startswith("unknown"),
                hint=("parameters: " + ", ".join(allowed))
                if allowed
                else f"'{criterion_name}' takes no parameters",
            )
        if use.per == "period" and not criterion.per_period:
            self.add(
                WrongValueError,
                f"criterion '{criterion_name}' has one value per customer; per: period is not "
                "available for it",
                (*path, "per"),
            )
        per_period = use.per == "period"
        return CriterionBinding(
            name=name,
            criterion=criterion_name,
            uses_value=use.use == "value",
            per_period=per_period,
            periods=use.periods or self.model.window.periods,
            params=MappingProxyType(resolved),
            type=Type(criterion.type.value, per_period, criterion.neutral is None),
            title=use.title or criterion.title,
        )

    def bind_attribute(
        self, name: str, use: CriterionUse, column: str, path: KeyPath, use_path: KeyPath
    ) -> CriterionBinding | None:
        """``use: customer.COLUMN``: the column as a criterion of the declared type."""
        if not column or column in NOT_ATTRIBUTES:
            self.add(
                WrongValueError,
                f"'{use.use}' is not a customer attribute: use: customer.COLUMN names a column "
                f"of the customers table other than {', '.join(sorted(NOT_ATTRIBUTES))}",
                use_path,
            )
            return None
        for key, given in (("per", use.per != "window"), ("periods", use.periods is not None),
                           ("params", bool(use.params))):
            if given:
                self.add(
                    WrongValueError,
                    f"'{key}' does not apply to a customer attribute ('{use.use}' has one "
                    "value per customer and no parameters)",
                    (*path, key),
                    key=True,
                )
        type_name = use.type or default_type(column)
        earlier = self.attribute_types.setdefault(column, type_name)
        if earlier != type_name:
            self.add(
                WrongValueError,
                f"column '{column}' of the customers table is read as {earlier} by an earlier "
                f"criterion and as {type_name} here; a column has one type",
                (*path, "type") if use.type else use_path,
            )
        span = self.doc.span(use_path)
        return CriterionBinding(
            name=name,
            criterion=PREFIX + column,
            uses_value=False,
            per_period=False,
            periods=self.model.window.periods,
            params=MappingProxyType({}),
            type=Type(type_name),  # type: ignore[arg-type]
            title=use.title or column.replace("_", " ").capitalize(),
            attribute=column,
            where=f"{self.doc.source.path}:{span.line}:{span.column}",
        )

    # decisions' value types -------------------------------------------------------------------

    def decision_type(self, name: str) -> Type:
        decision = self.model.decisions[name]
        outcomes: list[tuple[KeyPath, ThenValue]] = [
            (("decisions", name, "rules", i, "then"), rule.then)
            for i, rule in enumerate(decision.rules)
        ]
        counted = split_hit(decision.hit, decision.aggregate)[1] == "count"
        if decision.default is not None and not counted:  # a count's default is a number
            outcomes.append((("decisions", name, "default", "then"), decision.default.then))
        elif decision.default is not None and _then_base(decision.default.then) != "number":
            self.add(
                ThenTypeError,
                f"decision '{name}' counts the matching rules, so its default must be a number, "
                f"found {_show(decision.default.then)}",
                ("decisions", name, "default", "then"),
                hint="the count when no rule matches is 0 without a default",
            )
        base = _then_base(outcomes[0][1]) if outcomes else "text"
        for path, value in outcomes[1:]:
            if _then_base(value) != base:
                found = _then_base(value)
                hint = None
                if isinstance(value, bool) and base == "text":
                    hint = (
                        "YAML reads yes, no, on, off, true and false as true/false; put the "
                        "value in quotes to keep it as text"
                    )
                self.add(
                    ThenTypeError,
                    f"decision '{name}' gives {_article(base)} elsewhere but "
                    f"{_article(found)} here ({_show(value)})",
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
                f"but its rules give {_article(base)}",
                path,
                hint="use `collect count`, or give numbers in `then`",
            )

    # expressions ------------------------------------------------------------------------------

    def parse_all(self) -> list[_Parsed]:
        parsed: list[_Parsed] = []
        for name, value in self.model.derive.items():
            parsed.append(self.parse(name, "derive", ("derive", name), value))
        for name, decision in self.model.decisions.items():
            for i, rule in enumerate(decision.rules):
                item = self.parse(
                    name, "decision", ("decisions", name, "rules", i, "when"), rule.when
                )
                parsed.append(item)
        return parsed

    def parse(self, name: str, kind: str, path: KeyPath, value: Any) -> _Parsed:
        span = self.doc.span(path)
        if not isinstance(value, str):
            return _Parsed(name, kind, path, Literal(value, 0, 0))
        tree = parse_expression(value)
        if isinstance(tree, SyntaxProblem):
            self.add_expr(path, tree)
            return _Parsed(name, kind, path, None)
        del span
        item = _Parsed(name, kind, path, tree)
        item.refs = _names(tree)
        return item

    def cycles(self, parsed: list[_Parsed], repeated: set[str]) -> set[str]:
        """Report each circle of references once; the names on circles.

        A name defined twice is left out: which of its definitions a reference means is
        already reported as the problem.
        """
        graph: dict[str, set[str]] = {}
        first_path: dict[str, KeyPath] = {}
        for item in parsed:
            graph.setdefault(item.name, set()).update(item.refs)
            first_path.setdefault(item.name, item.path[:2])
        for name in self.model.decisions:
            graph.setdefault(name, set())
            first_path.setdefault(name, ("decisions", name))
        nodes = set(graph) - repeated
        graph = {k: {r for r in v if r in nodes} for k, v in graph.items() if k in nodes}
        cyclic: set[str] = set()
        reported: set[frozenset[str]] = set()
        for start in graph:
            path = _find_cycle(graph, start)
            if path is None:
                continue
            members = frozenset(path)
            cyclic |= members
            if members in reported:
                continue
            reported.add(members)
            chain = " → ".join([*path, path[0]])
            self.add(
                CycleError,
                f"'{path[0]}' depends on itself: {chain}",
                first_path[path[0]],
                key=True,
                hint="derived facts and decisions must not refer to each other in a circle; "
                "previous.NAME reads the last run and is not a cycle",
            )
        return cyclic

    def order(self, parsed: list[_Parsed], cyclic: set[str]) -> list[_Parsed]:
        """Derived facts and decisions (one entry each) so that each follows what it uses."""
        units: dict[str, _Parsed] = {}
        refs: dict[str, set[str]] = {}
        for item in parsed:
            units.setdefault(item.name, item)
            refs.setdefault(item.name, set()).update(item.refs)
        for name in self.model.decisions:
            units.setdefault(name, _Parsed(name, "decision", ("decisions", name), None))
            refs.setdefault(name, set())
        done: list[_Parsed] = []
        placed: set[str] = set()
        remaining = [n for n in units if n not in cyclic]
        while remaining:
            for name in remaining:
                if all(
                    r in placed or r not in units or r in cyclic or r == name for r in refs[name]
                ):
                    done.append(units[name])
                    placed.add(name)
                    remaining.remove(name)
                    break
            else:  # pragma: no cover - cycles were removed above
                break
        return done

    def check_all(
        self,
        parsed: list[_Parsed],
        order: list[_Parsed],
        criteria: Mapping[str, CriterionBinding],
        decision_types: Mapping[str, Type],
        cyclic: set[str],
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
        for name in self.broken:
            symbols.setdefault(name, Symbol(name, "derived", None))
        functions = self.registry.functions
        derived: dict[str, DerivedFact] = {}
        decisions: dict[str, CompiledDecision] = {}
        whens: dict[str, list[CompiledExpr | None]] = {}
        for item in parsed:
            if item.kind == "decision":
                whens.setdefault(item.name, [])
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
            elif unit.name not in self.broken:
                rules = [
                    self.check_one(p, symbols, decision_types, functions, False)
                    for p in by_name_decision[unit.name]
                ]
                made = self.decision(unit.name, rules, decision_types[unit.name])
                if made is not None:
                    decisions[unit.name] = made
        del cyclic
        return derived, decisions

    def check_one(
        self,
        item: _Parsed,
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
            names=frozenset(_names(item.tree)),
            previous=frozenset(_previous(item.tree)),
            line=line,
            column=column,
        )

    def doc_value(self, path: KeyPath) -> str:
        value: Any = self.doc.data
        for step in path:
            value = value[step]
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)

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
                    example = ", ".join(
                        f"{k} is {'true' if v else 'false'}" for k, v in sorted(gap.items())
                    )
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
            if any(_same(value, s) for s in seen):
                self.add(
                    OutcomesError, f"'{name}' lists the outcome {_show(value)} twice", (*path, i)
                )
            elif not any(_same(value, g) for g in given):
                choices = ", ".join(_show(g) for g in given)
                self.add(
                    OutcomesError,
                    f"'{name}' lists the outcome {_show(value)}, which no rule or default of "
                    f"the decision gives{did_you_mean(str(value), [str(g) for g in given])}",
                    (*path, i),
                    hint=f"it gives: {choices}",
                )
            else:
                seen.append(value)
        left_out = [g for g in given if not any(_same(g, s) for s in seen)]
        if left_out:
            self.add(
                OutcomesError,
                f"'{name}' outcomes leave out {', '.join(_show(v) for v in left_out)}, which "
                "the decision can give",
                path,
                key=True,
                hint="list every value of the rules and the default, best first",
            )
        return [*seen, *left_out]

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

    def examples(
        self,
        criteria: Mapping[str, CriterionBinding],
        derived: Mapping[str, DerivedFact],
        decisions: Mapping[str, CompiledDecision],
    ) -> None:
        givable: dict[str, Type] = {n: b.type for n, b in criteria.items()}
        givable.update({n: d.expr.type for n, d in derived.items()})
        givable.update({f"previous.{n}": d.type for n, d in decisions.items()})
        givable.update({n: d.type for n, d in decisions.items()})  # to test a later decision
        expectable: dict[str, Type] = {n: d.type for n, d in decisions.items()}
        expectable.update({n: d.expr.type for n, d in derived.items()})
        for name in self.broken:  # reported already; their values cannot be checked
            givable.setdefault(name, Type("list"))
            expectable.setdefault(name, Type("list"))
            givable.setdefault(f"previous.{name}", Type("list"))
        for i, example in enumerate(self.model.tests):
            base: KeyPath = ("tests", i)
            self.example_values(example.given, givable, (*base, "given"), "given")
            self.example_values(example.expect, expectable, (*base, "expect"), "expected")
            self.example_outcomes(example.expect, decisions, (*base, "expect"))
            self.example_transactions(example, criteria, base)
            if example.population is not None:
                for j, row in enumerate(example.population):
                    row_path = (*base, "population", j)
                    if "customer_id" not in row:
                        self.add(ExampleError, "a population row needs a customer_id", row_path)
                    rest = {k: v for k, v in row.items() if k != "customer_id"}
                    self.example_values(rest, givable, row_path, "given")
                ids = [r.get("customer_id") for r in example.population]
                if example.customer is None:
                    self.add(
                        ExampleError,
                        "an example with a population must name the customer "
                        "whose results it expects (customer:)",
                        base,
                    )
                elif example.customer not in ids:
                    self.add(
                        ExampleError,
                        f"customer {example.customer!r} is not in the example's population",
                        (*base, "customer"),
                    )

    def example_transactions(
        self, example: Any, criteria: Mapping[str, CriterionBinding], base: KeyPath
    ) -> None:
        """``transactions`` need ``as_of`` and must be tables some criterion reads."""
        if example.transactions is None:
            return
        if example.as_of is None:
            self.add(
                ExampleError,
                "an example with transactions needs as_of: the date its window ends at",
                (*base, "transactions"),
                key=True,
            )
        tables = {
            n.table
            for b in criteria.values()
            for n in criterion_for(b, self.registry.criteria).needs
        } | {"customers"}
        for table in example.transactions:
            if table not in tables:
                self.add(
                    ExampleError,
                    f"transactions for table '{table}', which no criterion "
                    f"of this ruleset reads{did_you_mean(table, tables)}",
                    (*base, "transactions", table),
                    key=True,
                    hint="tables read: " + ", ".join(sorted(tables)),
                )

    def example_outcomes(
        self, expect: Mapping[str, Any], decisions: Mapping[str, CompiledDecision], path: KeyPath
    ) -> None:
        """An expected decision value must be one the decision can give."""
        for key, value in expect.items():
            decision = decisions.get(key)
            if decision is None or decision.hit == "collect" or value is None:
                continue
            if decision.aggregate is not None:
                continue
            if value not in decision.outcomes or type(value) is not type(
                next((o for o in decision.outcomes if o == value), value)
            ):
                choices = ", ".join(_show(o) for o in decision.outcomes)
                self.add(
                    ExampleError,
                    f"expects {key} = {_show(value)}, which decision '{key}' never gives"
                    f"{did_you_mean(str(value), [str(o) for o in decision.outcomes])}",
                    (*path, key),
                    hint=f"it gives: {choices}",
                )

    def example_values(
        self, values: Mapping[str, Any], known: Mapping[str, Type], path: KeyPath, what: str
    ) -> None:
        for key, value in values.items():
            wanted = known.get(key)
            if wanted is None:
                self.add(
                    ExampleError,
                    f"unknown name '{key}' in {what} values{did_you_mean(key, known)}",
                    (*path, key),
                    key=True,
                    hint="names: " + ", ".join(sorted(known)),
                )
                continue
            if key.removeprefix("previous.") in self.broken:
                continue
            problem = _example_value_problem(value, wanted)
            if problem:
                self.add(ExampleError, f"'{key}': {problem}", (*path, key))


def _example_value_problem(value: Any, wanted: Type) -> str | None:
    if value is None:
        return None
    if wanted.per_period:
        if not isinstance(value, list):
            return f"expected a list of values, one per period ({wanted.describe()})"
        items = value
        scalar = wanted.scalar()
    elif wanted.base == "list":
        if not isinstance(value, list):
            return f"expected a list ({wanted.describe()})"
        items = value
        scalar = Type(wanted.item or "text")
    else:
        items = [value]
        scalar = wanted
    for item in items:
        if item is None:
            continue
        ok = {
            "number": isinstance(item, int | float) and not isinstance(item, bool),
            "boolean": isinstance(item, bool),
            "text": isinstance(item, str),
            "date": hasattr(item, "isoformat"),
            "list": isinstance(item, list),
        }[scalar.base]
        if not ok:
            return f"expected {scalar.describe()}, found {_show(item)}"
    return None


def _names(tree: Expr) -> set[str]:
    found: set[str] = set()
    for node in _walk(tree):
        if isinstance(node, Name):
            found.add(node.name)
    return found


def _previous(tree: Expr) -> set[str]:
    return {node.name for node in _walk(tree) if isinstance(node, Previous)}


def _walk(tree: Expr) -> Iterable[Expr]:
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        for attr in ("operand", "left", "right"):
            child = getattr(node, attr, None)
            if child is not None:
                stack.append(child)
        stack.extend(getattr(node, "args", ()))
        stack.extend(getattr(node, "items", ()))
        stack.extend(k.value for k in getattr(node, "kwargs", ()))


def _find_cycle(graph: Mapping[str, set[str]], start: str) -> list[str] | None:
    """The shortest path from ``start`` back to itself, if any."""
    frontier: list[list[str]] = [[start]]
    seen = {start}
    while frontier:
        nxt: list[list[str]] = []
        for path in frontier:
            for ref in sorted(graph.get(path[-1], ())):
                if ref == start:
                    return path
                if ref not in seen:
                    seen.add(ref)
                    nxt.append([*path, ref])
        frontier = nxt
    return None


def _then_base(value: ThenValue) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return "text"


def _article(base: str) -> str:
    return {"boolean": "true/false", "number": "a number", "text": "a text"}[base]


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f"'{value}'"
    return repr(value)


def compile_ruleset(
    doc: Document,
    model: RulesetModel,
    registry: Registry,
    *,
    broken: frozenset[str] = frozenset(),
    strategy_broken: bool = False,
    allow_gaps: bool = False,
) -> tuple[CompiledRuleset | None, list[RulesetProblem]]:
    """Check the meaning of a well-shaped ruleset; the compiled ruleset or every problem.

    ``broken`` names parts already reported as malformed and removed: they are known names of
    unknown type, so nothing that uses them is reported again. ``allow_gaps`` skips the proof
    that a decision without a default decides everyone (for DMN models, where no match is null).
    """
    compiler = _Compiler(doc, model, registry, broken, strategy_broken, allow_gaps)
    compiled = compiler.run()
    return compiled, compiler.problems


def _same(a: Any, b: Any) -> bool:
    """Equal and of the same type (``true`` is not ``1``)."""
    return type(a) is type(b) and a == b
