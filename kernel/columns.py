"""Column names every stage of an evaluation shares: the criteria, both decision engines,
the results and the report.

A decision ``NAME`` adds ``NAME``, ``NAME.rule`` and ``NAME.because``, or, when it gives a
list (``hit: collect``), ``NAME`` and one true/false ``NAME::VALUE`` column per value.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tierkit.ruleset.compiled import CompiledDecision

ID = "customer_id"
PERIOD = "period"
ORDER = "__order"
"""A column of the prepared customers table: each customer's place in id order (0, 1, ...).
The evaluation sorts results and breaks ranking ties by it when it is there."""
KEY = "__key"
"""The customers' :data:`tierkit.contract.CUSTOMER_KEY` inside the frames (a working column,
left out of the results)."""

RULE = ".rule"
BECAUSE = ".because"
OVERLAP = "!overlap:"
"""Prefix of a working column: the matching rules of a customer that breaks ``unique``/``any``.
Not ``__``-prefixed, so that it survives collecting the results (which drops working columns),
and spelled so that no decision's column can take its name."""


def decision_columns(decision: CompiledDecision) -> list[str]:
    """The result columns one decision adds."""
    if decision.hit == "collect":
        return [decision.name, *(f"{decision.name}::{o}" for o in decision.outcomes)]
    return [decision.name, decision.name + RULE, decision.name + BECAUSE]
