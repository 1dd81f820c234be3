"""The order of a ruleset's derived facts and decisions: expressions parsed, references
followed, circles reported, each name placed after what it uses."""

from __future__ import annotations

import heapq
from collections.abc import Mapping
from dataclasses import dataclass, field
from graphlib import TopologicalSorter
from typing import Any

from tierkit.errors import (
    CycleError,
)
from tierkit.ruleset.compile_step import CompileStep
from tierkit.ruleset.expr import Expr, Literal, Name, Previous, walk
from tierkit.ruleset.expr_parse import SyntaxProblem, parse_expression
from tierkit.ruleset.source import KeyPath


@dataclass
class Parsed:
    """One expression of the ruleset: a derived fact or a rule's condition."""

    name: str
    kind: str  # "derive" or "decision"
    path: KeyPath
    tree: Expr | None
    refs: set[str] = field(default_factory=set)


class OrderStep(CompileStep):
    """Parse the expressions and order what they define."""

    def parse_all(self) -> list[Parsed]:
        parsed: list[Parsed] = []
        for name, value in self.model.derive.items():
            parsed.append(self.parse(name, "derive", ("derive", name), value))
        for name, decision in self.model.decisions.items():
            for i, rule in enumerate(decision.rules):
                item = self.parse(
                    name, "decision", ("decisions", name, "rules", i, "when"), rule.when
                )
                parsed.append(item)
        return parsed

    def parse(self, name: str, kind: str, path: KeyPath, value: Any) -> Parsed:
        if not isinstance(value, str):
            return Parsed(name, kind, path, Literal(value, 0, 0))
        tree = parse_expression(value)
        if isinstance(tree, SyntaxProblem):
            self.add_expr(path, tree)
            return Parsed(name, kind, path, None)
        item = Parsed(name, kind, path, tree)
        item.refs = names_in(tree)
        return item

    def cycles(self, parsed: list[Parsed], repeated: set[str]) -> set[str]:
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
            path = find_cycle(graph, start)
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

    def order(self, parsed: list[Parsed], cyclic: set[str]) -> list[Parsed]:
        """Derived facts and decisions (one entry each) so that each follows what it uses."""
        units: dict[str, Parsed] = {}
        refs: dict[str, set[str]] = {}
        for item in parsed:
            units.setdefault(item.name, item)
            refs.setdefault(item.name, set()).update(item.refs)
        for name in self.model.decisions:
            units.setdefault(name, Parsed(name, "decision", ("decisions", name), None))
            refs.setdefault(name, set())
        # each name after what it uses; among those ready, the one defined first
        place = {name: i for i, name in enumerate(units)}
        graph = TopologicalSorter(
            {
                name: {r for r in refs[name] if r in units and r not in cyclic and r != name}
                for name in units
                if name not in cyclic
            }
        )
        graph.prepare()
        ready: list[tuple[int, str]] = []
        done: list[Parsed] = []
        while graph.is_active():
            for name in graph.get_ready():
                heapq.heappush(ready, (place[name], name))
            _, name = heapq.heappop(ready)
            done.append(units[name])
            graph.done(name)
        return done


def names_in(tree: Expr) -> set[str]:
    """The names an expression reads (criteria, derived facts, decisions)."""
    return {node.name for node in walk(tree) if isinstance(node, Name)}


def previous_in(tree: Expr) -> set[str]:
    """The decisions an expression reads the previous run of (``previous.NAME``)."""
    return {node.name for node in walk(tree) if isinstance(node, Previous)}


def find_cycle(graph: Mapping[str, set[str]], start: str) -> list[str] | None:
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
