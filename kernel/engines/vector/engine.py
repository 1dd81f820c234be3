"""The vector engine behind the :class:`~tierkit.engines.base.Engine` interface."""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from tierkit.columns import ID, OVERLAP, decision_columns
from tierkit.contract import Function
from tierkit.engines.vector.decide import check_overlap, decide
from tierkit.engines.vector.expressions import Compiler
from tierkit.engines.vector.frames import Frames
from tierkit.ruleset.compiled import CompiledDecision, CompiledRuleset


class VectorEngine:
    """Decision tables as frame expressions over all customers at once (the default)."""

    name = "vector"
    lazy = True

    def __init__(self, functions: Mapping[str, Function]) -> None:
        self.functions = functions

    def add_decision(self, compiler: Compiler, decision: CompiledDecision) -> None:
        decide(compiler, decision)

    def decide(self, ruleset: CompiledRuleset, inputs: pl.DataFrame) -> pl.DataFrame:
        """The reference the durable engine must agree with."""
        frames = Frames.of_values(inputs)
        compiler = Compiler(frames, self.functions)
        added: list[str] = []
        for step in ruleset.order:
            if step.kind == "decision":
                decision = ruleset.decisions[step.name]
                decide(compiler, decision)
                added += decision_columns(decision)
        decided = frames.collect_customers()
        for decision in ruleset.decisions.values():
            if decision.policy in ("unique", "any"):
                check_overlap(decision, decided.select(ID, OVERLAP + decision.name))
        return decided.select(ID, *added)
