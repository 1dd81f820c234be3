"""The one interface every decision engine implements (docs/engines.md).

An evaluation computes the criteria and derived facts as frames, then hands each decision
table, in the ruleset's order, to an engine. Both engines give the same columns, types and
values for every customer: the vector engine (:mod:`tierkit.engines.vector`) as frame
expressions, the durable engine (:mod:`tierkit.engines.durable`) through durable_rules.
"""

from __future__ import annotations

from typing import Protocol

import polars as pl

from tierkit.engines.vector.expressions import Compiler
from tierkit.ruleset.compiled import CompiledDecision, CompiledRuleset


class Engine(Protocol):
    """Decides decision tables."""

    name: str
    """The name users choose it by (``--engine``)."""
    lazy: bool
    """True when :meth:`add_decision` adds frame expressions still to be collected: collecting
    the results then rebuilds their text from the rule number and checks overlaps."""

    def add_decision(self, compiler: Compiler, decision: CompiledDecision) -> None:
        """Add one decision's columns to the customers frame of ``compiler``; every column the
        decision reads is already there."""
        ...

    def decide(self, ruleset: CompiledRuleset, inputs: pl.DataFrame) -> pl.DataFrame:
        """Only the decisions, on given per-customer inputs.

        ``inputs`` holds ``customer_id`` and every criterion, derived fact and ``previous.NAME``
        column the decisions read. Returns ``customer_id`` and every decision's columns
        (:func:`tierkit.columns.decision_columns`), by ``customer_id``.
        """
        ...
