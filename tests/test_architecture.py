"""The module map of docs/architecture.md holds: layers, no cycles, small modules.

Imports are read with :mod:`ast` from every module of kernel/ and plugins/, at any depth
(an import inside a function counts: it still ties the two packages together), except those
under ``if TYPE_CHECKING:``, which never run.
"""

from __future__ import annotations

import ast
import graphlib
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
KERNEL = ROOT / "kernel"
PLUGINS = ROOT / "plugins"
MAX_LINES = 500

LAYERS: list[set[str]] = [
    # foundations: names, errors and the plugin contract
    {"exitcodes", "errors", "version", "defaults", "numbers", "columns", "by_id", "schema"}
    | {"special_files", "visible"}
    | {"contract", "params", "hookspecs"},
    # plugins found and checked; shipped rulesets; the reference of criteria and functions
    {"registry", "shipped", "reference"},
    # a ruleset read, checked and compiled
    {"ruleset"},
    # the stages' machinery: data read and prepared, decision engines, stored runs
    {"data", "engines", "history"},
    # an evaluation: criteria, derived facts, decisions, results, explanations, examples
    {"evaluation"},
    # what is built on evaluations and rulesets
    {"report", "dmn", "workbook", "demo", "watch", "pytest_plugin"},
    # the command line and the Python API's front door
    {"cli", "__main__", "<api>"},
]
"""A unit (a package or a module directly under tierkit/) may import its own layer's units and
the layers above it in this list, never a later one."""

PLUGIN_MAY_IMPORT = {"contract", "hookspecs", "errors", "plugins"}
"""Plugins are written against the contract alone, like anyone else's plugins."""

OVER_500_LINES: dict[str, str] = {}
"""Modules still over the limit, each with the reason; the list only ever shrinks."""


def _module_name(path: Path) -> str:
    if path.is_relative_to(PLUGINS):
        parts = ["tierkit", "plugins", *path.relative_to(PLUGINS).with_suffix("").parts]
    else:
        parts = ["tierkit", *path.relative_to(KERNEL).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _sources() -> dict[str, Path]:
    return {_module_name(p): p for folder in (KERNEL, PLUGINS) for p in folder.rglob("*.py")}


MODULES = _sources()


def _runtime_nodes(tree: ast.AST) -> Iterator[ast.AST]:
    """Every node, leaving out the bodies of ``if TYPE_CHECKING:``."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            yield from (n for child in node.orelse for n in [child, *_runtime_nodes(child)])
            continue
        yield node
        yield from _runtime_nodes(node)


def _imports(name: str, source: str, is_package: bool = False) -> set[str]:
    """The tierkit modules that module ``name`` imports when it runs."""
    package = name if is_package else name.rpartition(".")[0]
    found: set[str] = set()
    for node in _runtime_nodes(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, *([node.module] if node.module else [])])
            # ``from tierkit import defaults`` imports the module tierkit.defaults
            found |= {
                f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names
            }
    return {m for m in found if m == "tierkit" or m.startswith("tierkit.")}


def _unit(module: str) -> str:
    """The package (or top-level module) a module belongs to; ``<api>`` for tierkit itself."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "<api>"


IMPORTS = {
    name: _imports(name, path.read_text(encoding="utf-8"), path.name == "__init__.py")
    for name, path in MODULES.items()
}


def _unit_graph(modules: dict[str, set[str]]) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for module, imported in modules.items():
        graph.setdefault(_unit(module), set()).update(
            _unit(i) for i in imported if _unit(i) != _unit(module)
        )
    return graph


def test_the_import_reader_sees_function_level_and_relative_imports() -> None:
    source = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from tierkit.report import page\n"
        "def f():\n    from tierkit.engines import engine_named\n"
        "from tierkit import defaults, __version__\n"
        "from . import run\nfrom ..ruleset import compiled\nimport polars\n"
    )
    assert _imports("tierkit.evaluation.probe", source) == {
        "tierkit.engines",
        "tierkit.defaults",
        "tierkit",
        "tierkit.evaluation.run",
        "tierkit.ruleset.compiled",
    }


def test_no_import_cycle_between_the_kernel_packages() -> None:
    graph = _unit_graph(IMPORTS)
    try:
        order = list(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError as error:
        pytest.fail(f"import cycle between packages: {' -> '.join(error.args[1])}")
    assert "evaluation" in order and "engines" in order


def test_no_import_cycle_between_modules() -> None:
    try:
        graphlib.TopologicalSorter(
            {m: {i for i in imported if i in MODULES and i != m} for m, imported in IMPORTS.items()}
        ).prepare()
    except graphlib.CycleError as error:
        pytest.fail(f"import cycle between modules: {' -> '.join(error.args[1])}")


def test_every_kernel_unit_has_a_layer() -> None:
    placed = set().union(*LAYERS)
    units = {_unit(m) for m in MODULES if not m.startswith("tierkit.plugins")}
    assert units - placed == set(), "add the new package to LAYERS and docs/architecture.md"
    assert placed - units == set(), "a package in LAYERS no longer exists"


def test_packages_import_only_their_own_layer_and_the_layers_before() -> None:
    layer_of = {unit: i for i, layer in enumerate(LAYERS) for unit in layer}
    wrong = [
        f"{module} imports {i} ({_unit(module)} may not import {_unit(i)})"
        for module, imported in sorted(IMPORTS.items())
        if _unit(module) != "plugins"
        for i in sorted(imported)
        if _unit(i) == "plugins" or layer_of[_unit(i)] > layer_of[_unit(module)]
    ]
    assert wrong == []


def test_plugins_import_only_the_contract() -> None:
    wrong = [
        f"{module} imports {i}"
        for module, imported in sorted(IMPORTS.items())
        if _unit(module) == "plugins"
        for i in sorted(imported)
        if _unit(i) not in PLUGIN_MAY_IMPORT
    ]
    assert wrong == []


def test_no_module_over_500_lines() -> None:
    sizes = {
        str(path.relative_to(ROOT)): len(path.read_text(encoding="utf-8").splitlines())
        for path in MODULES.values()
    }
    too_big = {p: n for p, n in sizes.items() if n > MAX_LINES and p not in OVER_500_LINES}
    assert too_big == {}, "split the module by job (docs/architecture.md)"
    no_longer = [p for p in OVER_500_LINES if sizes.get(p, 0) <= MAX_LINES]
    assert no_longer == [], "remove these from OVER_500_LINES"


def test_the_module_map_names_every_package() -> None:
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    named = set(re.findall(r"`tierkit\.(\w+)`", text))
    packages = {_unit(m) for m in MODULES if "." in m} - {"__main__"}
    assert packages - named == set(), "docs/architecture.md must describe every package"


def test_every_package_is_in_the_wheel() -> None:
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    listed = set(config["tool"]["setuptools"]["packages"])
    packages = {_module_name(path) for path in MODULES.values() if path.name == "__init__.py"}
    assert packages - listed == set(), "add the package to pyproject.toml's packages"
