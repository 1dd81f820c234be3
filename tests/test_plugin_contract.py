"""The plugin contract: every hook works, and every way a plugin can break it names the plugin.

Test plugins are small classes registered into a fresh plugin manager next to the installed
ones; nothing global is changed.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable
from typing import Any

import narwhals.stable.v2 as nw
import pytest
from typer.testing import CliRunner

from tierkit import hookspecs
from tierkit.cli import app
from tierkit.contract import (
    Column,
    ColumnType,
    Criterion,
    Function,
    FunctionArg,
    OpenedSource,
    Source,
    Strategy,
    TableNeed,
    ValueType,
    Writer,
)
from tierkit.errors import PluginError, RulesetInvalid, TypeMismatchError
from tierkit.hookspecs import hookimpl
from tierkit.registry import Registry, build_registry, make_plugin_manager
from tierkit.ruleset import load_ruleset_text


def _compute(tables: Any, window: Any, params: Any) -> Any:
    raise AssertionError("not called while loading")


def criterion(name: str = "visits.count", **changes: Any) -> Criterion:
    fields: dict[str, Any] = {
        "name": name,
        "title": "Visits",
        "unit": "visits",
        "better": "higher",
        "description": "Sales visits in the window.",
        "needs": (TableNeed("visits", (Column("customer_id", ColumnType.ID),)),),
        "compute": _compute,
    }
    fields.update(changes)
    return Criterion(**fields)


# a third-party plugin installed here must not change what these tests see (conftest.py)
pytestmark = pytest.mark.usefixtures("builtin_plugins_only")


def registry_with(*plugins: tuple[str, object], installed: bool = True) -> Registry:
    return build_registry(make_plugin_manager(list(plugins), load_entry_points=installed))


def ruleset(body: str) -> str:
    return "tierkit: 1\nname: t\n" + body


# --------------------------------------------------------------------------------------------
# tierkit_criteria


class VisitsPlugin:
    @hookimpl
    def tierkit_criteria(self) -> Iterable[Criterion]:
        return [criterion()]


def test_tierkit_criteria_registers_and_stamps_the_plugin() -> None:
    registry = registry_with(("visits", VisitsPlugin()))
    assert registry.criteria["visits.count"].plugin == "visits"
    assert registry.criteria["payments.received"].plugin == "tierkit-payments"
    compiled = load_ruleset_text(
        ruleset(
            "criteria: {v: {use: visits.count}}\n"
            "decisions: {busy: {rules: [{when: v > 3, then: true}], default: {then: false}}}"
        ),
        registry=registry,
    )
    assert compiled.criteria["v"].criterion == "visits.count"


def test_tierkit_criteria_duplicate_name_names_both_plugins() -> None:
    class Again:
        @hookimpl
        def tierkit_criteria(self) -> Iterable[Criterion]:
            return [criterion("payments.received")]

    with pytest.raises(PluginError) as info:
        registry_with(("again", Again()))
    assert info.value.plugin == "again"
    assert "'payments.received'" in str(info.value)
    assert "tierkit-payments" in str(info.value)


def test_tierkit_criteria_that_raises_names_the_plugin() -> None:
    class Broken:
        @hookimpl
        def tierkit_criteria(self) -> Iterable[Criterion]:
            raise RuntimeError("database password missing")

    with pytest.raises(PluginError) as info:
        registry_with(("broken", Broken()))
    assert info.value.plugin == "broken"
    assert info.value.hook == "tierkit_criteria"
    assert "RuntimeError: database password missing" in str(info.value)


@pytest.mark.parametrize(
    ("returned", "found"),
    [
        ({"name": "x"}, "dict"),
        ("visits.count", "str"),
        (42, "int"),
        ([{"name": "visits.count"}], "dict"),
        ([Strategy("s", "S", "d", "payments.received")], "Strategy"),
    ],
)
def test_tierkit_criteria_wrong_shape_names_the_plugin(returned: object, found: str) -> None:
    class Wrong:
        @hookimpl
        def tierkit_criteria(self) -> object:
            return returned

    with pytest.raises(PluginError) as info:
        registry_with(("wrong", Wrong()), installed=False)
    assert info.value.plugin == "wrong"
    assert found in info.value.message
    assert "Criterion" in info.value.message


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": "Visits Count"}, "lower case"),
        ({"name": "customer.visits"}, "'customer.' is kept for the columns of the customers"),
        ({"better": "more"}, "better must be"),
        ({"compute": "not a function"}, "compute is not callable"),
        ({"needs": [TableNeed("visits", ())]}, "needs must be a tuple"),
        (
            {"needs": (TableNeed("visits", (Column("customer_key", ColumnType.ID),)),)},
            "column 'customer_key' in table 'visits'; that name is tierkit's own",
        ),
    ],
)
def test_tierkit_criteria_invalid_definition(changes: dict[str, Any], message: str) -> None:
    class Invalid:
        @hookimpl
        def tierkit_criteria(self) -> Iterable[Criterion]:
            return [criterion(**changes)]

    with pytest.raises(PluginError, match=message) as info:
        registry_with(("invalid", Invalid()), installed=False)
    assert info.value.plugin == "invalid"


def test_tierkit_criteria_returning_none_declares_nothing() -> None:
    class Nothing:
        @hookimpl
        def tierkit_criteria(self) -> None:
            return None

    registry = registry_with(("nothing", Nothing()), installed=False)
    assert dict(registry.criteria) == {}


# --------------------------------------------------------------------------------------------
# tierkit_strategies


class LoyaltyStrategy:
    @hookimpl
    def tierkit_strategies(self) -> Iterable[Strategy]:
        return [Strategy("loyalty", "Loyalty", "Value is tenure.", "tenure.months")]


def test_tierkit_strategies_third_party_strategy_drives_value() -> None:
    registry = registry_with(("loyalty", LoyaltyStrategy()))
    assert registry.strategies["loyalty"].plugin == "loyalty"
    compiled = load_ruleset_text(
        ruleset(
            "strategy: loyalty\ncriteria: {v: {use: value}}\n"
            "decisions: {old: {rules: [{when: v > 12, then: true}], default: {then: false}}}"
        ),
        registry=registry,
    )
    assert compiled.criteria["v"].criterion == "tenure.months"
    assert compiled.strategy == "loyalty"


def test_tierkit_strategies_value_must_be_a_declared_criterion() -> None:
    class Dangling:
        @hookimpl
        def tierkit_strategies(self) -> Iterable[Strategy]:
            return [Strategy("visits-first", "Visits", "d", "visits.count")]

    with pytest.raises(PluginError, match=r"'visits\.count'") as info:
        registry_with(("dangling", Dangling()))
    assert info.value.plugin == "dangling"


def test_tierkit_strategies_duplicate_name_is_refused() -> None:
    class Twice:
        @hookimpl
        def tierkit_strategies(self) -> Iterable[Strategy]:
            return [Strategy("net-profit", "N", "d", "profit.net")]

    with pytest.raises(PluginError, match="already declares") as info:
        registry_with(("twice", Twice()))
    assert info.value.plugin == "twice"


# --------------------------------------------------------------------------------------------
# tierkit_functions


class DoublePlugin:
    @hookimpl
    def tierkit_functions(self) -> Iterable[Function]:
        return [
            Function(
                "double",
                "Twice x.",
                "double(x)",
                (FunctionArg("x", ValueType.NUMBER),),
                ValueType.NUMBER,
                lambda x: x * 2,
            )
        ]


def test_tierkit_functions_are_usable_and_type_checked() -> None:
    registry = registry_with(("double", DoublePlugin()))
    assert registry.functions["double"].plugin == "double"
    body = (
        "criteria: {t: {use: tenure.months}}\n"
        "decisions: {old: {rules: [{when: double(t) > 12, then: true}], "
        "default: {then: false}}}"
    )
    load_ruleset_text(ruleset(body), registry=registry)
    with pytest.raises(RulesetInvalid) as info:
        load_ruleset_text(ruleset(body.replace("double(t)", "double('t')")), registry=registry)
    [problem] = info.value.problems
    assert isinstance(problem, TypeMismatchError)
    assert "double() argument 'x' needs a number" in problem.message
    compiled_expr = registry.functions["double"].compile(nw.col("t"))
    assert isinstance(compiled_expr, nw.Expr)


def test_tierkit_functions_wrong_shape_names_the_plugin() -> None:
    class Wrong:
        @hookimpl
        def tierkit_functions(self) -> object:
            return [lambda x: x]

    with pytest.raises(PluginError, match="expected Function") as info:
        registry_with(("wrong", Wrong()), installed=False)
    assert info.value.hook == "tierkit_functions"


# --------------------------------------------------------------------------------------------
# tierkit_sources and tierkit_writers


class MemoryIO:
    @hookimpl
    def tierkit_sources(self) -> Iterable[Source]:
        return [
            Source(
                "memory",
                "Tables kept in memory.",
                lambda p: p.startswith("memory:"),
                lambda p: OpenedSource({}, {}),
            )
        ]

    @hookimpl
    def tierkit_writers(self) -> Iterable[Writer]:
        return [Writer("tsv", (".tsv",), "Tab-separated values.", lambda frame, path: None)]


def test_tierkit_sources_register_with_their_plugin() -> None:
    registry = registry_with(("memory", MemoryIO()), installed=False)
    source = registry.sources["memory"]
    assert source.plugin == "memory"
    assert source.accepts("memory:x") and not source.accepts("/data")


def test_tierkit_writers_register_with_their_plugin() -> None:
    registry = registry_with(("memory", MemoryIO()), installed=False)
    assert registry.writers["tsv"].extensions == (".tsv",)
    assert registry.writers["tsv"].plugin == "memory"


def test_tierkit_sources_and_writers_must_be_callable() -> None:
    class Wrong:
        @hookimpl
        def tierkit_writers(self) -> Iterable[Writer]:
            return [Writer("tsv", (".tsv",), "d", "write")]  # type: ignore[arg-type]

    with pytest.raises(PluginError, match="write is not callable"):
        registry_with(("wrong", Wrong()), installed=False)


# --------------------------------------------------------------------------------------------
# tierkit_run_started and tierkit_run_finished


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []

    @hookimpl
    def tierkit_run_started(self, manifest: dict[str, Any]) -> None:
        self.calls.append(("started", manifest["run_id"]))

    @hookimpl
    def tierkit_run_finished(self, manifest: dict[str, Any], results: Any) -> None:
        self.calls.append(("finished", (manifest["run_id"], results)))


def test_tierkit_run_started_and_finished_receive_the_run() -> None:
    recorder = Recorder()
    registry = registry_with(("recorder", recorder), installed=False)
    registry.emit("tierkit_run_started", manifest={"run_id": "r1"})
    registry.emit("tierkit_run_finished", manifest={"run_id": "r1"}, results="frame")
    assert recorder.calls == [("started", "r1"), ("finished", ("r1", "frame"))]


def test_tierkit_run_finished_that_raises_names_the_plugin() -> None:
    class Failing:
        @hookimpl
        def tierkit_run_finished(self, manifest: Any, results: Any) -> None:
            raise OSError("mail server down")

    registry = registry_with(("notify", Failing()), installed=False)
    with pytest.raises(PluginError, match="mail server down") as info:
        registry.emit("tierkit_run_finished", manifest={}, results=None)
    assert (info.value.plugin, info.value.hook) == ("notify", "tierkit_run_finished")


# --------------------------------------------------------------------------------------------
# loading


def test_misspelled_hook_is_refused_at_registration() -> None:
    class Typo:
        @hookimpl
        def tierkit_criterias(self) -> list[Criterion]:
            return []

    with pytest.raises(PluginError, match="tierkit_criterias") as info:
        make_plugin_manager([("typo", Typo())], load_entry_points=False)
    assert info.value.plugin == "typo"


def test_hook_with_unknown_argument_is_refused() -> None:
    class BadArgs:
        @hookimpl
        def tierkit_run_started(self, manifest: Any, extra: Any) -> None:
            pass

    with pytest.raises(PluginError, match="extra") as info:
        make_plugin_manager([("badargs", BadArgs())], load_entry_points=False)
    assert info.value.plugin == "badargs"


def test_only_named_plugins_load(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "TIERKIT_PLUGINS", "tierkit-payments,tierkit-strategies,tierkit-shipments,tierkit-profit"
    )
    registry = build_registry(make_plugin_manager())
    names = {p.name for p in registry.plugins}
    assert names == {
        "tierkit-payments",
        "tierkit-strategies",
        "tierkit-shipments",
        "tierkit-profit",
    }
    assert "tenure.months" not in registry.criteria


def test_only_unknown_plugin_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIERKIT_PLUGINS", "tierkit-paymnts")
    with pytest.raises(PluginError, match="not installed") as info:
        make_plugin_manager()
    assert info.value.plugin == "tierkit-paymnts"


def test_trace_prints_every_hook_call(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TIERKIT_TRACE_HOOKS", "1")
    registry_with(("visits", VisitsPlugin()), installed=False)
    assert "tierkit_criteria -> plugin 'visits'" in capsys.readouterr().err


def test_plugins_command_lists_plugins_criteria_and_strategies() -> None:
    result = CliRunner().invoke(app, ["plugins", "--json"])
    assert result.exit_code == 0, result.output
    import json

    data = json.loads(result.output)
    payments = next(p for p in data["plugins"] if p["name"] == "tierkit-payments")
    assert payments["package"] == "tierkit"
    assert payments["hooks"] == ["tierkit_criteria"]
    received = next(c for c in data["criteria"] if c["name"] == "payments.received")
    assert received["unit"] == "currency"
    assert received["plugin"] == "tierkit-payments"
    assert {s["name"] for s in data["strategies"]} >= {
        "market-expansion",
        "working-capital",
        "net-profit",
    }
    table = CliRunner().invoke(app, ["plugins"])
    assert table.exit_code == 0, table.output
    assert "payments.received" in table.output and "working-capital" in table.output


def test_plugin_error_in_a_command_exits_2_without_traceback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TIERKIT_PLUGINS", "nope")
    from tierkit.registry import _cached_registry

    _cached_registry.cache_clear()
    result = CliRunner().invoke(app, ["plugins"])
    assert result.exit_code == 2, result.output
    assert "plugin 'nope'" in result.output
    assert "Traceback" not in result.output


# --------------------------------------------------------------------------------------------
# the contract about the contract


def _hook_names() -> list[str]:
    return [
        name
        for name, _ in inspect.getmembers(hookspecs, inspect.isfunction)
        if name.startswith("tierkit_")
    ]


@pytest.mark.parametrize("hook", _hook_names())
def test_plugin_hooks_have_tests(hook: str) -> None:
    tests = [name for name in globals() if name.startswith("test_")]
    assert any(hook in name for name in tests), f"no test in this module names {hook}"


def test_every_hook_is_documented_in_hookspecs() -> None:
    for name in _hook_names():
        doc = inspect.getdoc(getattr(hookspecs, name)) or ""
        assert ":returns:" in doc or ":param" in doc, f"{name} lacks :param:/:returns:"


def test_tierkit_sources_of_plugins_come_before_the_built_in_ones() -> None:
    class FolderToo:
        @hookimpl
        def tierkit_sources(self) -> Iterable[Source]:
            return [
                Source(
                    "my_folder",
                    "A folder, read my way.",
                    lambda p: True,
                    lambda p: OpenedSource({}, {}),
                )
            ]

    registry = registry_with(("mine", FolderToo()))
    assert next(iter(registry.sources)) == "my_folder"
    assert list(registry.sources)[1:] == ["folder", "duckdb", "sqlite", "postgres"]


def test_an_error_outside_a_hook_has_no_hook_but_says_where() -> None:
    class Misspelled:
        @hookimpl
        def tierkit_criterias(self) -> Iterable[Criterion]:
            return []

    with pytest.raises(PluginError) as info:
        registry_with(("misspelled", Misspelled()))
    assert (info.value.plugin, info.value.where, info.value.hook) == (
        "misspelled",
        "register",
        None,
    )
    assert str(info.value).startswith("plugin 'misspelled' (register): ")


def test_hookspecs_declare_their_return_types_without_ignores() -> None:
    source = inspect.getsource(hookspecs)
    assert "type: ignore" not in source
    assert inspect.signature(hookspecs.tierkit_run_finished).parameters["results"].annotation == (
        "pl.DataFrame"
    )


def test_built_ins_load_from_a_source_tree_without_install_metadata(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import tierkit.registry as registry_module

    monkeypatch.setattr(registry_module, "entry_points", lambda group: [])
    registry = build_registry(make_plugin_manager())
    assert "payments.received" in registry.criteria
    assert "working-capital" in registry.strategies
    assert {p.name for p in registry.plugins} == set(registry_module.BUILT_INS)


def test_the_built_in_list_matches_the_declared_entry_points() -> None:
    import tomllib
    from pathlib import Path

    from tierkit.registry import BUILT_INS

    pyproject = Path(__file__).resolve().parent.parent / "pyproject.toml"
    declared = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["entry-points"]
    assert declared["tierkit"] == BUILT_INS
