"""Load plugins from the ``tierkit`` entry-point group and collect what they declare.

Every definition is stamped with the plugin that declared it. A plugin that cannot be imported,
implements a hook that does not exist, raises, returns the wrong shape or declares a name that
another plugin already declared stops the run with a :class:`~tierkit.errors.PluginError` naming
it. ``TIERKIT_PLUGINS=a,b`` loads only the named plugins; ``TIERKIT_TRACE_HOOKS=1`` prints every
hook call to standard error.
"""

from __future__ import annotations

import dataclasses
import os
import re
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib.metadata import Distribution, EntryPoint, entry_points
from types import MappingProxyType
from typing import Any, TypeVar

import pluggy

from tierkit import hookspecs
from tierkit.contract import (
    CUSTOMER_KEY,
    NAME_PATTERN,
    Criterion,
    Definition,
    Function,
    Param,
    Source,
    Strategy,
    TableNeed,
    ValueType,
    Writer,
)
from tierkit.errors import PluginError
from tierkit.params import check_param_value

ENTRY_POINT_GROUP = "tierkit"
ONLY_ENV = "TIERKIT_PLUGINS"
TRACE_ENV = "TIERKIT_TRACE_HOOKS"

BUILT_INS = {
    "tierkit-payments": "tierkit.plugins.payments",
    "tierkit-shipments": "tierkit.plugins.shipments",
    "tierkit-profit": "tierkit.plugins.profit",
    "tierkit-tenure": "tierkit.plugins.tenure",
    "tierkit-assessments": "tierkit.plugins.assessments",
    "tierkit-growth": "tierkit.plugins.growth",
    "tierkit-strategies": "tierkit.plugins.strategies",
    "tierkit-functions": "tierkit.plugins.functions",
    "tierkit-sources": "tierkit.plugins.sources",
    "tierkit-postgres": "tierkit.plugins.postgres",
    "tierkit-writers": "tierkit.plugins.writers",
}
"""The built-in plugins, as pyproject.toml declares them in the ``tierkit`` entry-point group.
Loaded from here when tierkit runs from a source tree without install metadata (so no entry
points), so that the built-in criteria are there either way."""

STRATEGY_NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
FUNCTION_NAME = re.compile(r"^[a-z][a-z0-9_]*$")

D = TypeVar("D", bound=Definition)


@dataclass(frozen=True)
class PluginInfo:
    """One loaded plugin: its name, the distribution it came from, and the hooks it implements."""

    name: str
    package: str
    version: str
    hooks: tuple[str, ...]


@dataclass(frozen=True)
class Registry:
    """Everything the loaded plugins declared, by name."""

    criteria: Mapping[str, Criterion]
    strategies: Mapping[str, Strategy]
    functions: Mapping[str, Function]
    sources: Mapping[str, Source]
    writers: Mapping[str, Writer]
    plugins: tuple[PluginInfo, ...]
    manager: pluggy.PluginManager = field(compare=False, repr=False)

    def emit(self, hook: str, **kwargs: Any) -> None:
        """Call an event hook on every plugin; a plugin that raises is named in the error."""
        for impl in _impls(self.manager, hook):
            _call(impl, hook, kwargs)


def make_plugin_manager(
    extra: Sequence[tuple[str, object]] = (), *, load_entry_points: bool = True
) -> pluggy.PluginManager:
    """A plugin manager with the installed plugins (and ``extra`` ones, for tests) registered."""
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    if load_entry_points:
        for ep in _selected_entry_points():
            try:
                plugin = ep.load()
            except Exception as exc:
                raise PluginError(ep.name, "import", f"could not be imported: {exc}") from exc
            _register(pm, plugin, ep.name, ep)
    for name, plugin in extra:
        _register(pm, plugin, name, None)
    return pm


def build_registry(pm: pluggy.PluginManager) -> Registry:
    """Call every definition hook and check what each plugin returns."""
    criteria = _collect(pm, "tierkit_criteria", Criterion, _check_criterion)
    strategies = _collect(pm, "tierkit_strategies", Strategy, _check_strategy)
    for strategy in strategies.values():
        if strategy.value not in criteria:
            raise PluginError(
                strategy.plugin,
                "tierkit_strategies",
                f"strategy '{strategy.name}' stands for criterion '{strategy.value}', "
                "which no loaded plugin declares",
            )
    functions = _collect(pm, "tierkit_functions", Function, _check_function)
    sources = _collect(pm, "tierkit_sources", Source, _check_callable("accepts", "open"))
    writers = _collect(pm, "tierkit_writers", Writer, _check_callable("write"))
    return Registry(
        criteria=MappingProxyType(criteria),
        strategies=MappingProxyType(strategies),
        functions=MappingProxyType(functions),
        sources=MappingProxyType(sources),
        writers=MappingProxyType(writers),
        plugins=tuple(_plugin_infos(pm)),
        manager=pm,
    )


@lru_cache(maxsize=4)
def _cached_registry(only: str) -> Registry:
    return build_registry(make_plugin_manager())


def get_registry() -> Registry:
    """The registry of the installed plugins (cached per ``TIERKIT_PLUGINS`` value)."""
    return _cached_registry(os.environ.get(ONLY_ENV, ""))


# --------------------------------------------------------------------------------------------
# loading


def _selected_entry_points() -> list[EntryPoint]:
    found: dict[str, EntryPoint] = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name in found and found[ep.name].value != ep.value:
            first = found[ep.name]
            raise PluginError(
                ep.name,
                "entry point",
                f"two installed packages name a plugin '{ep.name}': {_dist(first)} "
                f"({first.value}) and {_dist(ep)} ({ep.value}); uninstall or rename one",
            )
        found.setdefault(ep.name, ep)
    if not BUILT_INS.keys() & found.keys():  # not installed: no entry points of our own
        for name, module in BUILT_INS.items():
            found[name] = EntryPoint(name=name, value=module, group=ENTRY_POINT_GROUP)
    only = [n.strip() for n in os.environ.get(ONLY_ENV, "").split(",") if n.strip()]
    if not only:
        return list(found.values())
    unknown = [n for n in only if n not in found]
    if unknown:
        raise PluginError(
            unknown[0],
            ONLY_ENV,
            f"{ONLY_ENV} names a plugin that is not installed; installed: "
            + ", ".join(sorted(found)),
        )
    return [found[n] for n in only]


def _dist(ep: EntryPoint) -> str:
    return ep.dist.name if ep.dist is not None else "an unknown package"


def _register(pm: pluggy.PluginManager, plugin: object, name: str, ep: EntryPoint | None) -> None:
    try:
        pm.register(plugin, name=name)
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        pm.unregister(name=name) if pm.has_plugin(name) else None
        raise PluginError(name, "register", str(exc)) from exc
    except ValueError as exc:  # pluggy: a plugin name or object registered twice
        raise PluginError(name, "register", str(exc)) from exc
    if ep is not None and ep.dist is not None:
        _DISTRIBUTIONS[id(plugin)] = _name_and_version(ep.dist)


_DISTRIBUTIONS: dict[int, tuple[str, str]] = {}
_READ: dict[str, tuple[str, str]] = {}


def _name_and_version(dist: Distribution) -> tuple[str, str]:
    """The package's name and version, its metadata read once per installed package: every
    ``dist.name`` and ``dist.version`` parses the package's METADATA file anew, and the
    built-in plugins share one package."""
    key = str(getattr(dist, "_path", id(dist)))
    if key not in _READ:
        metadata = dist.metadata
        _READ[key] = (metadata["Name"], metadata["Version"])
    return _READ[key]


def _plugin_infos(pm: pluggy.PluginManager) -> Iterable[PluginInfo]:
    for name, plugin in pm.list_name_plugin():
        if plugin is None:
            continue
        package, version = _DISTRIBUTIONS.get(id(plugin), ("(not installed)", ""))
        hooks = tuple(sorted(c.name for c in pm.get_hookcallers(plugin) or ()))
        yield PluginInfo(name=name, package=package, version=version, hooks=hooks)


# --------------------------------------------------------------------------------------------
# calling hooks


def _impls(
    pm: pluggy.PluginManager, hook: str, *, call_order: bool = True
) -> list[pluggy.HookImpl]:
    """Implementations of ``hook``: in pluggy's call order (last registered first, tryfirst and
    trylast respected), or in registration order (built-ins marked trylast first)."""
    impls = list(getattr(pm.hook, hook).get_hookimpls())
    return list(reversed(impls)) if call_order else impls


def _call(impl: pluggy.HookImpl, hook: str, kwargs: Mapping[str, Any]) -> Any:
    if os.environ.get(TRACE_ENV):
        print(f"tierkit: {hook} -> plugin '{impl.plugin_name}'", file=sys.stderr)
    args = {name: kwargs[name] for name in impl.argnames}
    try:
        return impl.function(**args)
    except Exception as exc:
        raise PluginError(impl.plugin_name, hook, f"raised {type(exc).__name__}: {exc}") from exc


def _collect(
    pm: pluggy.PluginManager,
    hook: str,
    kind: type[D],
    check: Callable[[D], str | None],
) -> dict[str, D]:
    found: dict[str, D] = {}
    fallback: set[str] = set()
    # Registration order, so that a plugin repeating a name of an earlier one is the one named.
    for impl in _impls(pm, hook, call_order=False):
        plugin = impl.plugin_name
        returned = _call(impl, hook, {})
        if returned is None:
            continue
        if isinstance(returned, str | bytes | Mapping) or not isinstance(returned, Iterable):
            raise PluginError(
                plugin,
                hook,
                f"returned {_describe(returned)}, expected a list of {kind.__name__} objects",
            )
        for item in returned:
            if not isinstance(item, kind):
                raise PluginError(
                    plugin,
                    hook,
                    f"returned {_describe(item)} in its list, expected {kind.__name__} objects "
                    f"(from tierkit.contract)",
                )
            problem = check(item)
            if problem:
                raise PluginError(plugin, hook, f"{kind.__name__.lower()} '{item.name}': {problem}")
            if item.name in found:
                other = found[item.name].plugin
                raise PluginError(
                    plugin,
                    hook,
                    f"declares {kind.__name__.lower()} '{item.name}', which plugin '{other}' "
                    "already declares; rename one of them",
                )
            found[item.name] = dataclasses.replace(item, plugin=plugin)
            if impl.trylast:
                fallback.add(item.name)
    # Where the first definition that fits is used (sources, writers), plugins come before the
    # built-ins, which are marked trylast.
    return {
        **{k: v for k, v in found.items() if k not in fallback},
        **{k: v for k, v in found.items() if k in fallback},
    }


def _describe(value: object) -> str:
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{type(value).__name__} {text}"


# --------------------------------------------------------------------------------------------
# checking definitions


def _check_name(name: object, pattern: re.Pattern[str] = NAME_PATTERN) -> str | None:
    if not isinstance(name, str) or not pattern.match(name):
        return f"name {name!r} must be lower case letters, digits and '_' ({pattern.pattern})"
    return None


def _check_criterion(c: Criterion) -> str | None:
    problem = _check_name(c.name)
    if problem:
        return problem
    if c.name.startswith("customer."):  # use: customer.COLUMN names a customers column
        return f"name '{c.name}': 'customer.' is kept for the columns of the customers table"
    if not callable(c.compute):
        return "compute is not callable"
    if c.better not in ("higher", "lower", "neither"):
        return f"better must be 'higher', 'lower' or 'neither', not {c.better!r}"
    if not isinstance(c.type, ValueType):
        return f"type must be a ValueType, not {c.type!r}"
    if not isinstance(c.needs, tuple) or not all(isinstance(n, TableNeed) for n in c.needs):
        return "needs must be a tuple of TableNeed"
    reserved = [n.table for n in c.needs if any(col.name == CUSTOMER_KEY for col in n.columns)]
    if reserved:
        return (
            f"needs a column '{CUSTOMER_KEY}' in table '{reserved[0]}'; that name is "
            "tierkit's own (the key it adds beside customer_id), so a table may not bring it"
        )
    if not isinstance(c.params, tuple) or not all(isinstance(p, Param) for p in c.params):
        return "params must be a tuple of Param"
    names = [p.name for p in c.params]
    if len(names) != len(set(names)):
        return "declares a parameter twice"
    bounds = [b for b in (c.minimum, c.maximum) if b is not None]
    if any(isinstance(b, bool) or not isinstance(b, int | float) for b in bounds):
        return "minimum and maximum must be numbers or None"
    if c.type != ValueType.NUMBER and bounds:
        return "only a number criterion can declare a minimum or maximum"
    if len(bounds) == 2 and bounds[0] > bounds[1]:
        return f"minimum {bounds[0]} is above maximum {bounds[1]}"
    for p in c.params:
        problem = check_param_value(p, p.default)
        if problem:
            return f"default of parameter '{p.name}' {problem}"
    return None


def _check_strategy(s: Strategy) -> str | None:
    problem = _check_name(s.name, STRATEGY_NAME)
    if problem:
        return problem
    if not isinstance(s.value, str):
        return "value must name a criterion"
    return None


def _check_function(f: Function) -> str | None:
    problem = _check_name(f.name, FUNCTION_NAME)
    if problem:
        return problem
    if not callable(f.compile):
        return "compile is not callable"
    if not isinstance(f.returns, ValueType):
        return f"returns must be a ValueType, not {f.returns!r}"
    return None


def _check_callable(*attrs: str) -> Callable[[Any], str | None]:
    def check(item: Any) -> str | None:
        problem = _check_name(item.name)
        if problem:
            return problem
        for attr in attrs:
            if not callable(getattr(item, attr)):
                return f"{attr} is not callable"
        return None

    return check
