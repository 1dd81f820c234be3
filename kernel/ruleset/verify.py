"""The verifier: rules that can never fire, overlaps a hit policy forbids, thresholds outside a
criterion's declared range.

It reads a loaded ruleset's conditions as formulas over value sets of facts
(:mod:`tierkit.ruleset.formula`), asks :mod:`tierkit.ruleset.solve` about them, and reports
what is certain, never a guess:

- **unreachable**: a rule whose condition holds for no value of its facts (``when: false``,
  ``paid > 5 and paid < 3``);
- **shadowed** (``hit: first``): a rule every customer of which an earlier rule takes first
  (``paid > 1000`` before ``paid > 5000``);
- **overlap** (``hit: unique``; ``hit: any`` with different values): two rules that both match
  a customer, with an example input;
- **range**: a comparison of a criterion with a number outside the range its plugin declares
  (``on_time >= 90`` for a share between 0 and 1).

Findings are warnings: the ruleset loads and runs as written. Parts of conditions the verifier
does not read (a function of several facts, a ranking) are left open, so they never cause a
finding; a decision too large to examine is skipped the same way.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from tierkit.errors import Location
from tierkit.registry import Registry, get_registry
from tierkit.ruleset.compiled import CompiledDecision, CompiledExpr, CompiledRule, CompiledRuleset
from tierkit.ruleset.expr import Binary, Call, Expr, ListLit, Literal, Name, Unary
from tierkit.ruleset.formula import Formula, Translator, conj, negate
from tierkit.ruleset.intervals import NumberSet, show
from tierkit.ruleset.solve import Solver, Unsure, describe, exclusive, necessary
from tierkit.ruleset.source import Document, KeyPath

KINDS = ("unreachable", "shadowed", "overlap", "range")


@dataclass(frozen=True)
class Finding:
    """One thing the verifier found: where, what, and the rules involved."""

    kind: str
    """``unreachable``, ``shadowed``, ``overlap`` or ``range``."""
    message: str
    location: Location
    decision: str | None = None
    rules: tuple[str, ...] = ()
    """The rules involved, by name (``rule 2``, or the rule's own ``name:``)."""
    related: tuple[Location, ...] = ()
    """Where the other rules involved are."""
    source_line: str | None = None
    hint: str | None = None

    def render(self) -> str:
        lines = [f"{self.location}: warning: {self.message}"]
        if self.source_line is not None:
            number = str(self.location.line)
            text = self.source_line.rstrip("\r\n").expandtabs(1)
            lines.append(f"  {number} | {text}")
            width = max(1, min(self.location.length, len(text) - self.location.column + 1))
            lines.append(f"  {' ' * len(number)} | {' ' * (self.location.column - 1)}{'^' * width}")
        if self.hint:
            lines.append(f"  hint: {self.hint}")
        return "\n".join(lines)

    def as_dict(self) -> dict[str, object]:
        """The finding for ``--json`` output."""
        return {
            "kind": self.kind,
            "severity": "warning",
            "file": self.location.path,
            "line": self.location.line,
            "column": self.location.column,
            "decision": self.decision,
            "rules": list(self.rules),
            "related": [{"file": r.path, "line": r.line, "column": r.column} for r in self.related],
            "message": self.message,
            "hint": self.hint,
        }


def verify(
    ruleset: CompiledRuleset,
    document: Document | None = None,
    registry: Registry | None = None,
) -> list[Finding]:
    """Every finding of a loaded ruleset, in file order.

    ``document`` (the file as read, :func:`~tierkit.ruleset.source.read_document`) puts the
    caret of a range finding on the number itself and shows the source line.
    """
    return _Verifier(ruleset, document, registry or get_registry()).run()


@dataclass(frozen=True)
class _Rule:
    """A rule with its condition as a formula, and the negation of that formula."""

    rule: CompiledRule
    when: Formula
    unless: Formula


@dataclass
class _Verifier:
    ruleset: CompiledRuleset
    document: Document | None
    registry: Registry
    findings: list[Finding] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.ranges = _ranges(self.ruleset, self.registry)
        self.translator = Translator(self.ruleset, self.ranges)

    def run(self) -> list[Finding]:
        for name, fact in self.ruleset.derived.items():
            self.range_checks(fact.expr, ("derive", name), None, f"derived fact '{name}'")
        for decision in self.ruleset.decisions.values():
            for rule in decision.rules:
                path = ("decisions", decision.name, "rules", rule.index - 1, "when")
                what = f"decision '{decision.name}', {_label(rule)}"
                self.range_checks(rule.when, path, decision.name, what)
            try:
                self.decision(decision)
            except (Unsure, RecursionError):
                continue  # too many cases, or too deep: say nothing more rather than guess
        return sorted(self.findings, key=lambda f: (f.location.line, f.location.column, f.kind))

    # rules -------------------------------------------------------------------------------------

    def decision(self, decision: CompiledDecision) -> None:
        solver = Solver(self.translator.terms)
        reachable: list[_Rule] = []
        for rule in decision.rules:
            when = self.translator.condition(rule.when.tree, rule.when.node_types)
            if solver.satisfiable(when) is None:
                self.add_rule(
                    "unreachable",
                    decision,
                    rule,
                    f"decision '{decision.name}': {_label(rule)} can never fire: its "
                    f'condition "{rule.when.text}" holds for no value of its facts',
                    hint="correct the condition, or remove the rule",
                )
                continue
            item = _Rule(rule, when, negate(when))
            if decision.policy == "first" and reachable:
                self.shadowed(decision, item, reachable, solver)
            reachable.append(item)
        if decision.policy in ("unique", "any"):
            self.overlaps(decision, [(r.rule, r.when) for r in reachable], solver)

    def shadowed(
        self, decision: CompiledDecision, item: _Rule, earlier: list[_Rule], solver: Solver
    ) -> None:
        def escapes(others: list[_Rule]) -> bool:
            """Whether a customer matches the rule and none of the others."""
            return solver.satisfiable(conj(item.when, *(o.unless for o in others))) is not None

        if escapes(earlier):
            return
        by = next(([r] for r in earlier if not escapes([r])), None)
        if by is None:  # several earlier rules together: name a set no customer escapes
            by = [r for r in earlier if solver.satisfiable(conj(item.when, r.when)) is not None]
            for other in list(by):
                if not escapes([r for r in by if r is not other]):
                    by.remove(other)
        rules = [r.rule for r in by]
        names = _join([_label(r) for r in rules])
        lines = ", ".join(str(r.when.line) for r in rules)
        rule = item.rule
        self.add_rule(
            "shadowed",
            decision,
            rule,
            f"decision '{decision.name}' (hit: first): {_label(rule)} can never fire: every "
            f'customer its condition "{rule.when.text}" matches is matched first by {names} '
            f"(line{'s' if len(rules) > 1 else ''} {lines})",
            others=rules,
            hint="move the narrower rule above the wider one, or remove it",
        )

    def overlaps(
        self,
        decision: CompiledDecision,
        rules: list[tuple[CompiledRule, Formula]],
        solver: Solver,
    ) -> None:
        musts = [necessary(when) for _, when in rules]
        for j, (second, b) in enumerate(rules):
            for i, (first, a) in enumerate(rules[:j]):
                if decision.policy == "any" and first.then == second.then:
                    continue
                if exclusive(musts[i], musts[j]):
                    continue  # a quick proof that no customer matches both
                example = solver.witness(conj(a, b))
                if example is None:
                    continue
                case = describe(example, self.translator.terms) or "any input"
                if decision.policy == "unique":
                    why = "the rules of a unique table must not overlap"
                else:
                    why = (
                        f"they give different values ({show_then(first.then)}, "
                        f"{show_then(second.then)}) and the rules of an any table must agree"
                    )
                self.add_rule(
                    "overlap",
                    decision,
                    second,
                    f"decision '{decision.name}' (hit: {decision.policy}): {_label(first)} "
                    f"(line {first.when.line}) and {_label(second)} both match a customer "
                    f"with {case}; {why}",
                    others=[first],
                    hint="narrow one of the conditions, or use hit: first",
                )

    def add_rule(
        self,
        kind: str,
        decision: CompiledDecision,
        rule: CompiledRule,
        message: str,
        others: list[CompiledRule] | None = None,
        hint: str | None = None,
    ) -> None:
        others = others or []
        where = _where(self.ruleset.path, rule.when)
        self.findings.append(
            Finding(
                kind,
                message,
                where,
                decision.name,
                tuple(r.name for r in [*others, rule]),
                tuple(_where(self.ruleset.path, r.when) for r in others),
                self.line(where.line),
                hint,
            )
        )

    def line(self, number: int) -> str | None:
        return self.document.source.line(number) if self.document is not None else None

    # ranges ------------------------------------------------------------------------------------

    def range_checks(
        self, expr: CompiledExpr, path: KeyPath, decision: str | None, what: str
    ) -> None:
        for node, name, number in _comparisons(expr.tree, self.ranges):
            low, high = self.ranges[name]
            problem = _out_of_range(node, number, low, high)
            if problem is None:
                continue
            line, column = self.position(expr, path, node)
            binding = self.ruleset.criteria[name]
            self.findings.append(
                Finding(
                    "range",
                    f"{what}: {name} ({binding.criterion}) lies {_bounds(low, high)}, so "
                    f'"{_text(expr, node)}" {problem}',
                    Location(self.ruleset.path, line, column, max(1, node.end - node.start)),
                    decision,
                    (),
                    (),
                    self.line(line),
                    hint=f"write the threshold on the criterion's scale, {_bounds(low, high)}",
                )
            )

    def position(self, expr: CompiledExpr, path: KeyPath, node: Expr) -> tuple[int, int]:
        if self.document is not None:
            return self.document.text_position(path, node.start)
        return expr.line, expr.column + node.start


def show_then(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _label(rule: CompiledRule) -> str:
    plain = f"rule {rule.index}"
    return plain if rule.name == plain else f"{plain} ({rule.name})"


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _where(path: str, expr: CompiledExpr) -> Location:
    return Location(path, expr.line, expr.column, max(1, len(expr.text)))


def _text(expr: CompiledExpr, node: Expr) -> str:
    return expr.text[node.start : node.end] if isinstance(expr.text, str) else ""


def _ranges(
    ruleset: CompiledRuleset, registry: Registry
) -> dict[str, tuple[float | None, float | None]]:
    """The declared range of each criterion the ruleset binds, by the ruleset's name for it."""
    found: dict[str, tuple[float | None, float | None]] = {}
    for name, binding in ruleset.criteria.items():
        criterion = registry.criteria.get(binding.criterion)
        if criterion is None or binding.attribute is not None:
            continue
        low = getattr(criterion, "minimum", None)
        high = getattr(criterion, "maximum", None)
        if low is not None or high is not None:
            found[name] = (low, high)
    return found


_SAME_RANGE = ("min", "max", "last", "mean")
"""Aggregates whose value lies in the range of their per-period argument."""
_FLIP = {"==": "==", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}


def _comparisons(
    tree: Expr, ranges: Mapping[str, object]
) -> Iterator[tuple[Binary, str, list[float]]]:
    """Comparisons of a ranged criterion with numbers: the node, the criterion, the numbers."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, Binary):
            stack += [node.right, node.left]
            found = _ranged(node, ranges)
            if found is not None:
                yield node, *found
        elif isinstance(node, Unary):
            stack.append(node.operand)
        elif isinstance(node, Call):
            stack += [*node.args, *(k.value for k in node.kwargs)]


def _ranged(node: Binary, ranges: Mapping[str, object]) -> tuple[str, list[float]] | None:
    name = _criterion(node.left, ranges)
    if node.op in ("in", "not in") and name is not None and isinstance(node.right, ListLit):
        numbers = [_number(i) for i in node.right.items]
        return name, [n for n in numbers if n is not None]
    if node.op not in _FLIP:
        return None
    number = _number(node.right)
    if name is None:
        name, number = _criterion(node.right, ranges), _number(node.left)
    if name is None or number is None:
        return None
    return name, [number]


def _criterion(node: Expr, ranges: Mapping[str, object]) -> str | None:
    if isinstance(node, Call) and node.func in _SAME_RANGE and len(node.args) == 1:
        node = node.args[0]
    return node.name if isinstance(node, Name) and node.name in ranges else None


def _number(node: Expr) -> float | None:
    if isinstance(node, Literal) and not isinstance(node.value, bool | str):
        return float(node.value)
    if isinstance(node, Unary) and node.op in ("-", "+"):
        inner = _number(node.operand)
        return None if inner is None else (-inner if node.op == "-" else inner)
    return None


def _out_of_range(
    node: Binary, numbers: list[float], low: float | None, high: float | None
) -> str | None:
    """Why the comparison is suspicious given the range, or None."""
    span = ~NumberSet(missing=True)
    if low is not None:
        span = span & NumberSet.compare(">=", low)
    if high is not None:
        span = span & NumberSet.compare("<=", high)
    outside = [n for n in numbers if n not in span]
    if node.op in ("in", "not in"):
        if not outside:
            return None
        return f"lists {', '.join(show(n) for n in outside)}, outside it"
    op = node.op if not _is_number(node.left) else _FLIP[node.op]
    holds = NumberSet.compare(op, numbers[0])
    meet = holds & span
    if meet.is_empty():
        return "never holds"
    if not outside:
        return None
    if (span & ~holds).is_empty():
        return "holds for every value it has"
    return f"compares it with {show(numbers[0])}, outside it"


def _is_number(node: Expr) -> bool:
    return _number(node) is not None


def _bounds(low: float | None, high: float | None) -> str:
    if low is not None and high is not None:
        return f"between {show(low)} and {show(high)}"
    if low is not None:
        return f"at or above {show(low)}"
    return f"at or below {show(high)}"
