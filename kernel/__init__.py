"""tierkit: decide which customers matter most, with criterion plugins and declarative rulesets.

The Python API mirrors the command line (docs/python-api.md)::

    import tierkit

    run = tierkit.evaluate("vip-monthly", "tierkit-demo", as_of="2026-11-01")
    run.results, run.manifest
    tierkit.explain(run, ["C0000042"])

The plugin contract is in :mod:`tierkit.hookspecs` and :mod:`tierkit.contract`.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING

from tierkit.errors import DataInvalid, PluginError, RulesetInvalid, TierkitError
from tierkit.version import VERSION

if TYPE_CHECKING:
    from tierkit.evaluation import Run, evaluate, write_results
    from tierkit.evaluation.examples import ExampleResult
    from tierkit.evaluation.explain import Explanation
    from tierkit.evaluation.explain import explain_run as explain_run
    from tierkit.history import HistoryStore
    from tierkit.registry import Registry
    from tierkit.registry import get_registry as get_registry
    from tierkit.ruleset import load_ruleset_text
    from tierkit.ruleset.compiled import CompiledRuleset
    from tierkit.watch import watch_events as watch_events

__version__ = VERSION

_LAZY = {
    "Run": "tierkit.evaluation",
    "evaluate": "tierkit.evaluation",
    "write_results": "tierkit.evaluation",
    "ExampleResult": "tierkit.evaluation.examples",
    "Explanation": "tierkit.evaluation.explain",
    "explain_run": "tierkit.evaluation.explain",
    "HistoryStore": "tierkit.history",
    "Registry": "tierkit.registry",
    "get_registry": "tierkit.registry",
    "load_ruleset_text": "tierkit.ruleset",
    "CompiledRuleset": "tierkit.ruleset.compiled",
    "watch_events": "tierkit.watch",
}
"""Names imported when first used (PEP 562), so that ``import tierkit`` and the command line
start without importing polars, DuckDB or numpy; each is imported once, then kept here."""


def __getattr__(name: str) -> object:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    if not name.startswith("_"):  # a subpackage, as when this module imported them all
        try:
            return importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{name}":
                raise
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def load_ruleset(
    ruleset: str | Path, registry: Registry | None = None, *, strategy: str | None = None
) -> CompiledRuleset:
    """Load a ruleset file, or a shipped ruleset by name; raises :class:`RulesetInvalid`."""
    from tierkit.ruleset.load import load_ruleset as load_file
    from tierkit.shipped import resolve_ruleset_path

    path = resolve_ruleset_path(str(ruleset))
    return load_file(path, registry, strategy=strategy)


def explain(run: Run, customers: list[str]) -> list[Explanation]:
    """Why each of ``customers`` got its decisions in ``run``, and the near miss."""
    from tierkit.evaluation.explain import explain_run

    return explain_run(run, customers)


def run_examples(ruleset: CompiledRuleset, registry: Registry | None = None) -> list[ExampleResult]:
    """Run the examples (``tests:``) of a ruleset; one result per example."""
    from tierkit.evaluation.examples import run_examples as run
    from tierkit.registry import get_registry

    return run(ruleset, registry or get_registry())


__all__ = [
    "DataInvalid",
    "Explanation",
    "HistoryStore",
    "PluginError",
    "RulesetInvalid",
    "Run",
    "TierkitError",
    "__version__",
    "evaluate",
    "explain",
    "load_ruleset",
    "load_ruleset_text",
    "run_examples",
    "watch_events",
    "write_results",
]
