"""The durable engine: each decision table becomes a durable_rules ruleset.

For every decision, in the ruleset's order (a later decision reads the earlier ones' columns):

1. its conditions are translated into durable_rules conditions
   (:mod:`tierkit.engines.conditions`);
2. each customer becomes one fact with the values the rules read (:mod:`tierkit.engines.facts`);
3. a fresh durable_rules ruleset decides them, and every customer is counted
   (:mod:`tierkit.engines.runner`): a customer decided never or twice stops the run with
   :class:`~tierkit.engines.errors.DurableIncomplete` instead of partial results;
4. the decision's columns are added as the vector engine adds them
   (:mod:`tierkit.engines.durable_columns`).

docs/engines.md describes the design and what is precomputed.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import polars as pl

from tierkit.columns import ID, decision_columns
from tierkit.engines.conditions import columns_read, translate
from tierkit.engines.durable_columns import collect_columns, first_columns, matched_columns
from tierkit.engines.facts import encode, fact_frame, facts, needs_keys
from tierkit.engines.runner import DurableRun, fact_ids
from tierkit.engines.vector.expressions import Compiler
from tierkit.errors import EngineUnavailable
from tierkit.registry import Registry
from tierkit.ruleset.compiled import CompiledDecision, CompiledRuleset

UNAVAILABLE = "the durable engine needs durable-rules, which supports Python up to 3.12"
INSTALL = (
    "install it with: pip install 'tierkit[durable]' (from a source checkout: "
    "pip install -e '.[durable]'; it builds from C sources, so it needs a C compiler), "
    "or use --engine vector, the default, which gives the same results"
)
NEWER_PYTHON = "use --engine vector, the default, which gives the same results"
NEWEST_PYTHON = (3, 12)
LATE_RESULTS_TIMEOUT = 10.0
"""Seconds to wait, after the last batch call returned, for actions still to run."""


def load_durable() -> Any:
    """The ``durable.lang`` module, or :class:`EngineUnavailable` saying why not."""
    if sys.version_info[:2] > NEWEST_PYTHON:
        version = f"{sys.version_info[0]}.{sys.version_info[1]}"
        raise EngineUnavailable(f"{UNAVAILABLE} (this is Python {version}); {NEWER_PYTHON}")
    try:
        return importlib.import_module("durable.lang")
    except ImportError as error:
        missing = (error.name or "").split(".")[0] in {"durable", "durable_rules_engine"}
        why = "it is not installed" if missing else f"it cannot be imported: {error}"
        raise EngineUnavailable(f"{UNAVAILABLE}, and {why}; {INSTALL}") from error


def decide_durable(
    ruleset: CompiledRuleset,
    registry: Registry,
    inputs: pl.DataFrame,
    *,
    timeout: float = LATE_RESULTS_TIMEOUT,
) -> pl.DataFrame:
    """Decide every customer of ``inputs`` with durable_rules.

    Same contract as :meth:`tierkit.engines.vector.engine.VectorEngine.decide`: ``inputs`` holds
    ``customer_id`` and every per-customer value the decisions read (see
    :func:`required_inputs`); the result has the same columns, types, values and row order (by
    ``customer_id``). ``timeout`` bounds the wait for late results of each decision.
    """
    load_durable()
    work = inputs
    added: list[str] = []
    for step in ruleset.order:
        if step.kind == "decision":
            decision = ruleset.decisions[step.name]
            work = add_decision(decision, registry, work, timeout=timeout)
            added += decision_columns(decision)
    return work.select(ID, *added).sort(ID)


def add_decision(
    decision: CompiledDecision,
    registry: Registry,
    values: pl.DataFrame,
    *,
    timeout: float = LATE_RESULTS_TIMEOUT,
) -> pl.DataFrame:
    """``values`` (one row per customer, any order) with one decision's columns added.

    For pipelines that interleave derived facts and decisions: call it at each decision step
    of ``ruleset.order``, with every column the decision reads in ``values``.
    """
    lang = load_durable()
    table = translate(decision)
    sources = table.fields.sources
    raw = fact_frame(values, sources, dict(registry.functions), decision.name)
    keys = needs_keys(raw, sources, table.constants)
    batch = facts(encode(raw, sources, keys), fact_ids(values.height))
    run = DurableRun(lang, table, keys, values, timeout)
    if decision.policy == "collect" and decision.aggregate is None:
        return collect_columns(values, decision, run.collect(batch))
    if decision.policy == "first" and decision.aggregate is None:
        return first_columns(values, decision, run.first(batch))
    return matched_columns(values, decision, run.collect(batch))


def required_inputs(ruleset: CompiledRuleset) -> dict[str, str]:
    """The input columns the decisions read, with their base types (``number``, ...).

    Columns the decisions produce themselves (an earlier decision's value or flags) are left
    out; ``previous.NAME`` and ``previous.NAME::VALUE`` columns are included.
    """
    produced = {c for d in ruleset.decisions.values() for c in decision_columns(d)}
    needed: dict[str, str] = {}
    for decision in ruleset.decisions.values():
        for rule in decision.rules:
            for column, base in columns_read(rule.when.tree, rule.when.node_types).items():
                needed.setdefault(column, base)
    return {c: base for c, base in sorted(needed.items()) if c not in produced}


class DurableEngine:
    """Each decision table becomes a durable_rules ruleset; one fact per customer."""

    name = "durable"
    lazy = False

    def __init__(self, registry: Registry, timeout: float = LATE_RESULTS_TIMEOUT) -> None:
        self.registry = registry
        self.timeout = timeout

    def add_decision(self, compiler: Compiler, decision: CompiledDecision) -> None:
        frames = compiler.frames
        customers = frames.collect_customers()
        frames.replace_customers(
            add_decision(decision, self.registry, customers, timeout=self.timeout)
        )

    def decide(self, ruleset: CompiledRuleset, inputs: pl.DataFrame) -> pl.DataFrame:
        return decide_durable(ruleset, self.registry, inputs, timeout=self.timeout)
