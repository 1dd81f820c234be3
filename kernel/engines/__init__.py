"""The decision engines, behind one interface (:class:`~tierkit.engines.base.Engine`).

The vector engine (:mod:`tierkit.engines.vector`, the default) decides every customer at once
with frame expressions; the durable engine (:mod:`tierkit.engines.durable`) runs the decision
tables through durable_rules and agrees with it on every customer (docs/engines.md).
"""

from tierkit.engines.base import Engine
from tierkit.engines.durable import (
    DurableEngine,
    add_decision,
    decide_durable,
    load_durable,
    required_inputs,
)
from tierkit.engines.errors import DurableIncomplete, DurableRulesError, DurableUnsupported
from tierkit.engines.vector.engine import VectorEngine
from tierkit.errors import UsageError
from tierkit.registry import Registry

ENGINES = ("vector", "durable")


def engine_named(name: str, registry: Registry) -> Engine:
    """The engine users choose by ``name`` (``--engine``)."""
    if name == "vector":
        return VectorEngine(registry.functions)
    if name == "durable":
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
