"""tierkit: decide which customers matter most, with criterion plugins and declarative rulesets.

The Python API mirrors the command line (docs/python-api.md)::

    import tierkit

    run = tierkit.evaluate("vip-monthly", "tierkit-demo", as_of="2026-11-01")
    run.results, run.manifest
    tierkit.explain(run, ["C0000042"])

The plugin contract is in :mod:`tierkit.hookspecs` and :mod:`tierkit.contract`.
"""

from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from tierkit.errors import DataInvalid, PluginError, RulesetInvalid, TierkitError
from tierkit.evaluation import Run, evaluate, write_results
from tierkit.evaluation.examples import ExampleResult
from tierkit.evaluation.explain import Explanation, explain_run
from tierkit.history import HistoryStore
from tierkit.registry import Registry, get_registry
from tierkit.ruleset import load_ruleset_text
from tierkit.ruleset.compiled import CompiledRuleset
from tierkit.ruleset.load import load_ruleset as _load_file

try:
    __version__ = version("tierkit")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"


def load_ruleset(
    ruleset: str | Path, registry: Registry | None = None, *, strategy: str | None = None
) -> CompiledRuleset:
    """Load a ruleset file, or a shipped ruleset by name; raises :class:`RulesetInvalid`."""
    from tierkit.shipped import resolve_ruleset_paths

    [path] = resolve_ruleset_paths([str(ruleset)])[:1]
    return _load_file(path, registry, strategy=strategy)


def explain(run: Run, customers: list[str]) -> list[Explanation]:
    """Why each of ``customers`` got its decisions in ``run``, and the near miss."""
    return explain_run(run, customers)


def run_examples(ruleset: CompiledRuleset, registry: Registry | None = None) -> list[ExampleResult]:
    """Run the examples (``tests:``) of a ruleset; one result per example."""
    from tierkit.evaluation.examples import run_examples as run

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
    "write_results",
]
