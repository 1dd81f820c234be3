"""The decision engines, behind one interface (:class:`~tierkit.engines.base.Engine`).

The vector engine (:mod:`tierkit.engines.vector`, the default) decides every customer at once
with frame expressions; the durable engine (:mod:`tierkit.engines.durable`) runs the decision
tables through durable_rules and agrees with it on every customer (docs/engines.md). The
durable engine's modules are imported when first used, so that an evaluation with the vector
engine does not import them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from tierkit.engines.base import Engine
from tierkit.engines.vector.engine import VectorEngine
from tierkit.errors import UsageError
from tierkit.registry import Registry

if TYPE_CHECKING:
    from tierkit.engines.durable import (
        DurableEngine,
        add_decision,
        decide_durable,
        load_durable,
        required_inputs,
    )
    from tierkit.engines.errors import DurableIncomplete, DurableRulesError, DurableUnsupported

ENGINES = ("vector", "durable")

_DURABLE = {
    "DurableEngine": "tierkit.engines.durable",
    "add_decision": "tierkit.engines.durable",
    "decide_durable": "tierkit.engines.durable",
    "load_durable": "tierkit.engines.durable",
    "required_inputs": "tierkit.engines.durable",
    "DurableIncomplete": "tierkit.engines.errors",
    "DurableRulesError": "tierkit.engines.errors",
    "DurableUnsupported": "tierkit.engines.errors",
}


def __getattr__(name: str) -> object:
    if name in _DURABLE:
        value = getattr(importlib.import_module(_DURABLE[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'tierkit.engines' has no attribute '{name}'")


def engine_named(name: str, registry: Registry) -> Engine:
    """The engine users choose by ``name`` (``--engine``)."""
    if name == "vector":
        return VectorEngine(registry.functions)
    if name == "durable":
        from tierkit.engines.durable import DurableEngine

        return DurableEngine(registry)
    raise UsageError(f"unknown engine '{name}'; choose one of {', '.join(ENGINES)}")


__all__ = [
    "ENGINES",
    "DurableEngine",
    "DurableIncomplete",
    "DurableRulesError",
    "DurableUnsupported",
    "Engine",
    "VectorEngine",
    "add_decision",
    "decide_durable",
    "engine_named",
    "load_durable",
    "required_inputs",
]
