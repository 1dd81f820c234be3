"""Decision engines other than the vector engine (which lives in :mod:`tierkit.evaluation`).

:func:`decide_durable` runs the decision tables through durable_rules and agrees with
:func:`tierkit.evaluation.run.decide_vector` on every customer (docs/engines.md).
"""

from tierkit.engines.durable import add_decision, decide_durable, load_durable, required_inputs
from tierkit.engines.errors import DurableIncomplete, DurableRulesError, DurableUnsupported

__all__ = [
    "DurableIncomplete",
    "DurableRulesError",
    "DurableUnsupported",
    "add_decision",
    "decide_durable",
    "load_durable",
    "required_inputs",
]
