"""The durable engine agrees with the vector engine on every customer.

Hand-written cases pin the tricky parts (priorities, missing values in every operator, ``in``,
collect, decisions reading decisions, ``previous.*``); a property test then generates small
rulesets and inputs with missing values and compares the two engines frame for frame.
``TIERKIT_PROPERTY_EXAMPLES`` raises the number of generated rulesets (default 300).
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import sys
import threading
from collections.abc import Callable, Iterable
from typing import Any

import polars as pl
import pytest
from helpers import property_examples
from hypothesis import HealthCheck, assume, given, note, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from tierkit.contract import Column, ColumnType, Criterion, Function, FunctionArg, TableNeed
from tierkit.contract import ValueType as V
from tierkit.engines import (
    DurableIncomplete,
    DurableUnsupported,
    decide_durable,
    durable,
    required_inputs,
    runner,
)
from tierkit.engines.conditions import translate
from tierkit.errors import EngineUnavailable, RulesetInvalid, TierkitError
from tierkit.evaluation.run import decide_vector
from tierkit.hookspecs import hookimpl
from tierkit.registry import build_registry, make_plugin_manager
from tierkit.ruleset import load_ruleset_text
from tierkit.ruleset.compiled import CompiledRuleset

durable_only = pytest.mark.skipif(
    importlib.util.find_spec("durable") is None,
    reason="durable-rules is not installed (it supports Python up to 3.12)",
)

EXAMPLES = property_examples(300)


def _not_computed(*args: Any) -> Any:
    raise AssertionError("decisions are tested on given inputs")


class Facts:
    """Criteria whose values the tests give directly, and two extra functions."""

    @hookimpl
    def tierkit_criteria(self) -> Iterable[Criterion]:
        need = (TableNeed("facts", (Column("customer_id", ColumnType.ID),)),)

        def criterion(name: str, kind: V) -> Criterion:
            return Criterion(
                name, name, "unit", "higher", name, need, _not_computed, type=kind,
                neutral=None, per_period=False,
            )

        return [criterion("t.num", V.NUMBER), criterion("t.flag", V.BOOLEAN),
                criterion("t.label", V.TEXT), criterion("t.day", V.DATE)]

    @hookimpl
    def tierkit_functions(self) -> Iterable[Function]:
        x = (FunctionArg("x", V.NUMBER),)
        return [
            Function("twice", "2x", "twice(a)", x, V.NUMBER, lambda e: e * 2),
            Function("positive", "x > 0", "positive(a)", x, V.BOOLEAN, lambda e: e > 0),
        ]


REGISTRY = build_registry(make_plugin_manager([("facts", Facts())]))
CRITERIA = (
    "criteria: {a: {use: t.num}, b: {use: t.num}, f: {use: t.flag}, g: {use: t.flag}, "
    "s: {use: t.label}, u: {use: t.label}, since: {use: t.day}}\n"
)
DTYPES: dict[str, pl.DataType] = {"number": pl.Float64(), "boolean": pl.Boolean(),
                                  "text": pl.String(), "date": pl.Date()}


KINDS = {bool: "boolean", str: "text", dt.date: "date"}


def load(decisions: str) -> CompiledRuleset:
    text = f"tierkit: 1\nname: t\n{CRITERIA}decisions:\n{decisions}"
    return load_ruleset_text(text, registry=REGISTRY)


def frame(columns: dict[str, list[Any]]) -> pl.DataFrame:
    """Inputs: ``customer_id`` c0, c1, ... and the columns, typed by their first value."""
    height = len(next(iter(columns.values())))
    data: dict[str, Any] = {"customer_id": [f"c{i}" for i in range(height)]}
    schema: dict[str, pl.DataType] = {"customer_id": pl.String()}
    for name, values in columns.items():
        sample = next((v for v in values if v is not None), 0.0)
        kind = KINDS.get(type(sample), "number")
        data[name] = values
        schema[name] = DTYPES[kind]
    return pl.DataFrame(data, schema=schema)


def both(ruleset: CompiledRuleset, inputs: pl.DataFrame) -> pl.DataFrame:
    """Decide with both engines, check they agree, return the result."""
    expected = decide_vector(ruleset, REGISTRY, inputs)
    got = decide_durable(ruleset, REGISTRY, inputs)
    assert_frame_equal(got, expected)
    return got


def one_rule(when: str) -> CompiledRuleset:
    rule = f"{{when: {json.dumps(when)}, then: Y}}"
    return load(f"  d:\n    rules: [{rule}]\n    default: {{then: N}}\n")


def matches(when: str, columns: dict[str, list[Any]]) -> list[bool]:
    result = both(one_rule(when), frame(columns))
    return [v == "Y" for v in result["d"].to_list()]


# --------------------------------------------------------------------------------------------
# hand-written cases


@durable_only
def test_the_first_matching_rule_wins_over_later_rules_and_the_default() -> None:
    ruleset = load(
        "  d:\n    rules:\n"
        "      - {when: a > 10, then: A, because: big}\n"
        "      - {when: a > 1, then: B, because: medium}\n"
        "      - {when: a > 0, then: C}\n"
        "    default: {then: Z, because: rest}\n"
    )
    result = both(ruleset, frame({"a": [20.0, 5.0, 0.5, -1.0, None]}))
    assert result["d"].to_list() == ["A", "B", "C", "Z", "Z"]
    assert result["d.rule"].to_list() == [1, 2, 3, 0, 0]
    assert result["d.because"].to_list() == ["big", "medium", None, "rest", "rest"]


@durable_only
def test_the_catch_all_is_declared_first_so_only_priorities_decide(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    declared: list[int] = []
    lang = durable.load_durable()
    original = lang.pri

    def spy(value: int) -> Any:
        declared.append(value)
        return original(value)

    monkeypatch.setattr(lang, "pri", spy)
    ruleset = load(
        "  d:\n    rules: [{when: a > 1, then: A}, {when: a > 0, then: B}]\n"
        "    default: {then: Z}\n"
    )
    result = both(ruleset, frame({"a": [2.0, 0.5, None]}))
    assert declared == [3, 2, 1]  # default (catch-all) first, then the rules in reverse
    assert result["d"].to_list() == ["A", "B", "Z"]


@durable_only
def test_without_default_an_undecided_customer_gets_nothing() -> None:
    ruleset = load("  d:\n    rules: [{when: f, then: A}, {when: not f, then: B}]\n")
    result = both(ruleset, frame({"f": [True, False, None]}))
    assert result["d"].to_list() == ["A", "B", "B"]


@durable_only
@pytest.mark.parametrize(
    ("when", "expected"),
    [
        ("a == 1", [True, False, False, False]),
        ("a != 1", [False, True, False, False]),
        ("a < 2", [True, False, False, False]),
        ("a <= 1", [True, False, False, False]),
        ("a > 1", [False, True, False, False]),
        ("a >= 3", [False, True, False, False]),
        ("1 == a", [True, False, False, False]),
        ("2 > a", [True, False, False, False]),
        ("a < b", [True, False, False, False]),
        ("a != b", [True, True, False, False]),
        ("a == b", [False, False, False, False]),
        ("not (a < 2)", [False, True, True, True]),
        ("not (a != 1)", [True, False, True, True]),
        ("not (a == b)", [True, True, True, True]),
        ("not (a >= b)", [True, False, True, True]),
        ("s == 'x'", [True, False, False, False]),
        ("s != 'x'", [False, True, False, False]),
        ("not (s != 'x')", [True, False, True, True]),
        ("f", [True, False, False, False]),
        ("not f", [False, True, True, True]),
        ("f == g", [True, True, False, False]),
        ("f != true", [False, True, False, False]),
        ("missing(a)", [False, False, True, True]),
        ("not missing(a)", [True, True, False, False]),
        ("missing(a + b)", [False, False, True, True]),
        ("a / b > 0", [True, True, False, False]),
        ("twice(a) >= 6", [False, True, False, False]),
        ("positive(a) or f", [True, True, False, False]),
        ("coalesce(a, 7) > 5", [False, False, True, True]),
        ("bands(a, [2], [10, 20]) == 20", [False, True, False, False]),
    ],
)
def test_a_missing_value_makes_every_comparison_false(when: str, expected: list[bool]) -> None:
    columns = {
        "a": [1.0, 3.0, None, None],
        "b": [2.0, 2.0, 2.0, None],
        "s": ["x", "y", None, None],
        "f": [True, False, None, None],
        "g": [True, False, True, None],
    }
    assert matches(when, columns) == expected


@durable_only
@pytest.mark.parametrize(
    ("when", "expected"),
    [
        ("s in ['x', 'y']", [True, True, False, False]),
        ("s not in ['x', 'y']", [False, False, True, False]),
        ("not (s in ['x', 'y'])", [False, False, True, True]),
        ("not (s not in ['x'])", [True, False, False, True]),
        ("a in [1, 2.5]", [True, True, False, False]),
        ("a not in [1]", [False, True, True, False]),
        ("'x' in ['x']", [True, True, True, True]),
        ("a + b in [3]", [True, False, False, False]),
    ],
)
def test_in_and_not_in_are_both_false_for_a_missing_value(
    when: str, expected: list[bool]
) -> None:
    columns = {
        "s": ["x", "y", "z", None],
        "a": [1.0, 2.5, 4.0, None],
        "b": [2.0, 2.0, 2.0, 2.0],
    }
    assert matches(when, columns) == expected


@durable_only
def test_collect_gives_every_matching_rule_and_later_decisions_read_it() -> None:
    ruleset = load(
        "  flags:\n    hit: collect\n    rules:\n"
        "      - {when: f, then: flagged}\n"
        "      - {when: a < 0.5 or a > 10, then: odd}\n"
        "      - {when: missing(a), then: unknown}\n"
        "      - {when: not f and a > 10, then: flagged}\n"
        "  watch:\n    rules:\n"
        "      - {when: \"'odd' in flags and 'flagged' not in flags\", then: true}\n"
        "    default: {then: false}\n"
    )
    inputs = frame({"f": [True, None, False, True, None], "a": [20.0, 0.1, 20.0, None, 5.0]})
    result = both(ruleset, inputs)
    assert result["flags"].to_list() == ["flagged, odd", "odd", "flagged, odd",
                                         "flagged, unknown", ""]
    assert result["flags::unknown"].to_list() == [False, False, False, True, False]
    assert result["watch"].to_list() == [False, True, False, False, False]


@durable_only
def test_a_later_decision_reads_an_earlier_one() -> None:
    ruleset = load(
        "  category:\n    rules: [{when: a >= 10, then: A}, {when: a >= 5, then: B}]\n"
        "    default: {then: C}\n"
        "  key:\n    rules:\n"
        "      - {when: \"category == 'A' and f\", then: 1}\n"
        "      - {when: \"category in ['A', 'B']\", then: 2.5}\n"
        "    default: {then: 0}\n"
        "  big:\n    rules: [{when: key > 1, then: true}]\n    default: {then: false}\n"
    )
    result = both(ruleset, frame({"a": [12.0, 12.0, 6.0, None], "f": [True, None, True, True]}))
    assert result["category"].to_list() == ["A", "A", "B", "C"]
    assert result["key"].to_list() == [1.0, 2.5, 2.5, 0.0]
    assert result["big"].to_list() == [False, True, True, False]


@durable_only
def test_previous_values_may_be_missing() -> None:
    ruleset = load(
        "  category:\n    rules:\n"
        "      - {when: \"previous.category == 'A'\", then: B}\n"
        "      - {when: \"previous.category != 'A'\", then: C}\n"
        "      - {when: \"'x' in previous.flags\", then: X}\n"
        "    default: {then: N}\n"
        "  flags:\n    hit: collect\n    rules: [{when: f, then: x}]\n"
    )
    inputs = frame({
        "previous.category": ["A", "B", None, None],
        "previous.flags::x": [None, None, True, None],
        "f": [True, None, False, True],
    })
    result = both(ruleset, inputs)
    assert result["category"].to_list() == ["B", "C", "X", "N"]


@durable_only
def test_awkward_numbers_and_texts_are_compared_exactly() -> None:
    # durable_rules' JSON reader cannot read 1e-05 or 1e+16: such decisions use number keys
    tiny, huge = 1e-05, 1e16
    columns = {"a": [tiny, huge, -tiny, 0.0, float("inf"), None],
               "s": ['a"b', "é\\", "", "x\ny", "'", None]}
    assert matches("a == 1e-05", columns) == [True, False, False, False, False, False]
    assert matches("a >= 1e16", columns) == [False, True, False, False, True, False]
    assert matches("a < 0", columns) == [False, False, True, False, False, False]
    assert matches("not (a > 0)", columns) == [False, False, True, True, False, True]
    assert matches("s == 'a\"b'", columns) == [True, False, False, False, False, False]
    assert matches("s in ['', 'é\\\\']", columns) == [False, True, True, False, False, False]


@durable_only
def test_dates_compare_with_date_constants() -> None:
    columns = {"since": [dt.date(2023, 12, 31), dt.date(2024, 1, 1), None]}
    assert matches("since >= date('2024-01-01')", columns) == [False, True, False]
    assert matches("not (since < date('2024-01-01'))", columns) == [False, True, True]


@durable_only
def test_a_collect_default_is_given_when_no_rule_matches() -> None:
    ruleset = load(
        "  flags:\n    hit: collect\n    rules: [{when: f, then: x}, {when: a > 1, then: y}]\n"
        "    default: {then: none}\n"
    )
    result = both(ruleset, frame({"f": [True, None, False], "a": [2.0, 2.0, None]}))
    assert result["flags"].to_list() == ["x, y", "y", "none"]


@durable_only
@pytest.mark.parametrize(
    ("when", "rules", "fields"),
    [
        (" or ".join(f"(a >= {i} and b <= {i})" for i in range(20)), 20, 2),  # split by "or"
        (" and ".join(f"(a > {i} or b < {i})" for i in range(20)), 1, 1),  # precomputed whole
        (" and ".join(f"not (a > {i})" for i in range(20)), 1, 1),
    ],
)
def test_conditions_too_big_for_one_durable_rule(when: str, rules: int, fields: int) -> None:
    ruleset = one_rule(when)
    table = translate(ruleset.decisions["d"])
    assert (len(table.conditions), len(table.fields.sources)) == (rules, fields)
    values = [None, -1.0, 0.0, 3.0, 7.0, 25.0]
    both(ruleset, frame({"a": values * 6, "b": [v for v in values for _ in range(6)]}))


@durable_only
def test_no_customers() -> None:
    ruleset = load("  d:\n    rules: [{when: a > 1, then: A}]\n    default: {then: B}\n")
    empty = pl.DataFrame(schema={"customer_id": pl.String, "a": pl.Float64})
    assert both(ruleset, empty).height == 0


@durable_only
def test_required_inputs_are_the_columns_the_decisions_read() -> None:
    ruleset = load(
        "  d:\n    hit: collect\n    rules: [{when: a + b > 1 or f, then: x}]\n"
        "  e:\n    rules: [{when: \"'x' in d or 'x' in previous.d or previous.e\", then: true}]\n"
        "    default: {then: false}\n"
    )
    assert required_inputs(ruleset) == {
        "a": "number", "b": "number", "f": "boolean",
        "previous.d::x": "boolean", "previous.e": "boolean",
    }


@durable_only
def test_durable_rules_hashes_message_ids_as_we_do() -> None:
    # durable_rules' HASH_ID is the hash of "id"; the property names of a fact must not clash
    assert runner.fnv1a_32("id") == 926444256
    names = ["id", "sid", "r", *(f"v{i}" for i in range(250))]
    assert len({runner.fnv1a_32(n) for n in names}) == len(names)
    ids = runner.fact_ids(50_000)
    assert len({runner.fnv1a_32(i) for i in ids}) == len(ids) == len(set(ids))


@durable_only
def test_a_customer_left_undecided_stops_the_run(monkeypatch: pytest.MonkeyPatch) -> None:
    original = runner.DurableRun.send

    def drop_one(self: runner.DurableRun, call: Callable[..., Any], batch: list[Any]) -> None:
        original(self, call, batch[1:])

    monkeypatch.setattr(runner.DurableRun, "send", drop_one)
    ruleset = load("  d:\n    rules: [{when: a > 1, then: A}]\n    default: {then: B}\n")
    with pytest.raises(DurableIncomplete, match=r"decided 2 of 3 customers.*c0") as info:
        decide_durable(ruleset, REGISTRY, frame({"a": [1.0, 2.0, 3.0]}), timeout=0.2)
    assert isinstance(info.value, TierkitError)


@durable_only
def test_late_results_are_waited_for(monkeypatch: pytest.MonkeyPatch) -> None:
    original = runner.DurableRun.send

    def late(self: runner.DurableRun, call: Callable[..., Any], batch: list[Any]) -> None:
        threading.Timer(0.3, original, (self, call, batch)).start()

    monkeypatch.setattr(runner.DurableRun, "send", late)
    ruleset = load(
        "  d:\n    rules: [{when: a > 1, then: A}]\n    default: {then: B}\n"
        "  e:\n    hit: collect\n    rules: [{when: d == 'A', then: x}, {when: a > 2, then: y}]\n"
    )
    result = both(ruleset, frame({"a": [1.0, 2.0, 3.0, None]}))
    assert result["e"].to_list() == ["", "x", "x, y", ""]


@durable_only
def test_unusable_inputs_are_refused_clearly() -> None:
    ruleset = load("  d:\n    rules: [{when: a > 1, then: A}]\n    default: {then: B}\n")
    with pytest.raises(DurableUnsupported, match="'a', which the inputs do not have"):
        decide_durable(ruleset, REGISTRY, pl.DataFrame({"customer_id": ["c0"]}))
    with pytest.raises(DurableUnsupported, match="NaN"):
        decide_durable(ruleset, REGISTRY, frame({"a": [float("nan")]}))


def test_engine_unavailable_when_durable_cannot_be_imported(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "durable", None)
    monkeypatch.setitem(sys.modules, "durable.lang", None)
    ruleset = load("  d:\n    rules: [{when: a > 1, then: A}]\n    default: {then: B}\n")
    # the message says how to add the engine: durable-rules is an extra, not a dependency
    with pytest.raises(EngineUnavailable, match=r"not installed; install it with: pip install "
                       r"'tierkit\[durable\]'.*or use --engine vector"):
        decide_durable(ruleset, REGISTRY, frame({"a": [1.0]}))


def test_engine_unavailable_on_newer_pythons(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(durable, "NEWEST_PYTHON", (3, 10))
    with pytest.raises(EngineUnavailable, match=r"supports Python up to 3\.12 \(this is Python "
                       r"3\.\d+\); use --engine vector"):
        durable.load_durable()


# --------------------------------------------------------------------------------------------
# property test: generated rulesets, both engines, every customer

NUMBER_VALUES = [-2.0, -0.5, 0.0, 0.5, 1.0, 2.0, 3.0, 10.0]
AWKWARD_NUMBERS = [1e-05, 1e16, -3e-07]
TEXT_VALUES = ["A", "B", "x", "", 'a"b', "é"]
DATE_VALUES = [dt.date(2023, 12, 31), dt.date(2024, 1, 1), dt.date(2025, 6, 30)]
NUMBER_LITERALS = ["0", "1", "2", "0.5", "-1", "2.5", "1e-05"]
OUTCOMES: dict[str, list[Any]] = {"text": ["A", "B", "C"], "boolean": [True, False],
                                  "number": [1, 2, 2.5]}


def text_literal(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return text_literal(value) if isinstance(value, str) else repr(value)


numbers_atom = st.sampled_from(["a", "b", *NUMBER_LITERALS])
numbers = st.one_of(
    numbers_atom,
    st.builds(lambda x, op, y: f"({x} {op} {y})", numbers_atom,
              st.sampled_from(["+", "-", "*", "/", "%"]), numbers_atom),
    st.sampled_from(["-a", "twice(b)", "coalesce(a, b, 1)", "bands(a, [0, 2], [1, 2, 3])"]),
)
comparison = st.sampled_from(["==", "!=", "<", "<=", ">", ">="])
texts = st.sampled_from(["s", "u", *(text_literal(t) for t in TEXT_VALUES)])
text_list = st.lists(st.sampled_from(TEXT_VALUES), min_size=1, max_size=3).map(
    lambda items: "[" + ", ".join(text_literal(i) for i in items) + "]"
)
number_list = st.lists(st.sampled_from(NUMBER_LITERALS[:6]), min_size=1, max_size=3).map(
    lambda items: "[" + ", ".join(items) + "]"
)
plain_atoms = st.one_of(
    st.builds(lambda x, op, y: f"{x} {op} {y}", numbers, comparison, numbers),
    st.builds(lambda x, op, y: f"{x} {op} {y}", texts, st.sampled_from(["==", "!="]), texts),
    st.builds(lambda x, op, y: f"{x} {op} {y}", st.sampled_from(["s", "u"]),
              st.sampled_from(["in", "not in"]), text_list),
    st.builds(lambda x, op, y: f"{x} {op} {y}", st.sampled_from(["a", "b", "(a + b)"]),
              st.sampled_from(["in", "not in"]), number_list),
    st.builds(lambda op, day: f"since {op} date('{day}')", comparison,
              st.sampled_from(["2024-01-01", "2025-01-01"])),
    st.sampled_from(["f", "g", "f == g", "f != true", "positive(a)", "missing(a)",
                     "missing(b - a)", "missing(s)", "missing(since)", "true", "false"]),
)


def decision_atoms(name: str, hit: str, kind: str) -> list[str]:
    """Conditions on a decision's value (``name`` may be ``previous.X``)."""
    values = OUTCOMES[kind]
    if hit == "collect":
        return [f"{literal(v)} {op} {name}" for v in values for op in ("in", "not in")]
    if kind == "boolean":
        return [name, f"not {name}", f"{name} == false"]
    if kind == "number":
        return [f"{name} > 1", f"{name} == 2.5", f"{name} + a >= 3", f"missing({name})"]
    return [f"{name} == 'A'", f"{name} != 'B'", f"{name} in ['A', 'C']", f"missing({name})"]


def conditions(references: list[str]) -> st.SearchStrategy[str]:
    atoms = st.one_of(plain_atoms, st.sampled_from(references)) if references else plain_atoms
    return st.recursive(
        atoms,
        lambda inner: st.one_of(
            st.builds(lambda x, y: f"({x}) and ({y})", inner, inner),
            st.builds(lambda x, y: f"({x}) or ({y})", inner, inner),
            inner.map(lambda x: f"not ({x})"),
        ),
        max_leaves=6,
    )


@st.composite
def rulesets(draw: st.DrawFn) -> str:
    count = draw(st.integers(1, 3))
    shapes = [(draw(st.sampled_from(["first", "first", "collect"])),
               draw(st.sampled_from(list(OUTCOMES)))) for _ in range(count)]
    previous = [a for i, (hit, kind) in enumerate(shapes)
                for a in decision_atoms(f"previous.d{i}", hit, kind)]
    lines = []
    for i, (hit, kind) in enumerate(shapes):
        earlier = [a for j, (h, k) in enumerate(shapes[:i]) for a in decision_atoms(f"d{j}", h, k)]
        references = draw(st.lists(st.sampled_from(earlier + previous), max_size=3))
        lines += [f"  d{i}:", f"    hit: {hit}", "    rules:"]
        for _ in range(draw(st.integers(1, 5))):
            when = draw(conditions(references))
            then = draw(st.sampled_from(OUTCOMES[kind]))
            because = draw(st.sampled_from([None, "why", "a 'quoted' reason"]))
            rule = f"{{when: {json.dumps(when)}, then: {json.dumps(then)}"
            rule += f", because: {json.dumps(because)}}}" if because else "}"
            lines.append(f"      - {rule}")
        last = json.dumps(draw(st.sampled_from(OUTCOMES[kind])))
        if draw(st.booleans()) or draw(st.booleans()):
            lines.append(f"    default: {{then: {last}}}")
        elif hit == "first" and draw(st.booleans()):  # complete without a default
            lines.append(f"      - {{when: true, then: {last}}}")
    return "\n".join(lines) + "\n"


def column_values(kind: str, awkward: bool) -> st.SearchStrategy[Any]:
    if kind == "number":
        pool = NUMBER_VALUES + (AWKWARD_NUMBERS if awkward else [])
        return st.one_of(st.none(), st.sampled_from(pool))
    if kind == "boolean":
        return st.one_of(st.none(), st.booleans())
    if kind == "date":
        return st.one_of(st.none(), st.sampled_from(DATE_VALUES))
    return st.one_of(st.none(), st.sampled_from(TEXT_VALUES))


@st.composite
def inputs_for(draw: st.DrawFn, ruleset: CompiledRuleset) -> pl.DataFrame:
    height = draw(st.integers(0, 12))
    awkward = draw(st.integers(0, 9)) == 0
    data: dict[str, list[Any]] = {"customer_id": [f"c{i:02d}" for i in range(height)]}
    schema: dict[str, pl.DataType] = {"customer_id": pl.String()}
    for column, kind in sorted(required_inputs(ruleset).items()):
        data[column] = draw(st.lists(column_values(kind, awkward), min_size=height,
                                     max_size=height))
        schema[column] = DTYPES[kind]
    shuffle = draw(st.integers(0, 2**32 - 1))  # the rows in any order
    return pl.DataFrame(data, schema=schema).sample(fraction=1.0, shuffle=True, seed=shuffle)


@durable_only
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(data=st.data(), decisions=rulesets())
def test_durable_agrees_with_vector_on_generated_rulesets(
    data: st.DataObject, decisions: str
) -> None:
    try:
        ruleset = load(decisions)
    except RulesetInvalid:
        assume(False)
        raise
    inputs = data.draw(inputs_for(ruleset))
    note(f"ruleset:\n{decisions}")
    note(f"inputs:\n{inputs.to_dicts()}")
    both(ruleset, inputs)


def test_engines_are_chosen_by_name_behind_one_interface() -> None:
    from tierkit.engines import ENGINES, DurableEngine, VectorEngine, engine_named
    from tierkit.errors import UsageError

    vector, durable_engine = engine_named("vector", REGISTRY), engine_named("durable", REGISTRY)
    assert isinstance(vector, VectorEngine) and (vector.name, vector.lazy) == ("vector", True)
    assert isinstance(durable_engine, DurableEngine)
    assert (durable_engine.name, durable_engine.lazy) == ("durable", False)
    assert ENGINES == ("vector", "durable")
    with pytest.raises(UsageError, match="unknown engine 'rete'; choose one of vector, durable"):
        engine_named("rete", REGISTRY)


def test_the_vector_engine_decides_given_inputs_through_the_interface() -> None:
    from tierkit.engines import engine_named

    ruleset = load("  d:\n    rules: [{when: 'a >= 10', then: Y}]\n    default: {then: N}\n")
    inputs = frame({"a": [12.0, 3.0, None]})
    decided = engine_named("vector", REGISTRY).decide(ruleset, inputs)
    assert decided.columns == ["customer_id", "d", "d.rule", "d.because"]
    assert decided["d"].to_list() == ["Y", "N", "N"]
    assert decided["d.rule"].to_list() == [1, 0, 0]


@durable_only
def test_the_durable_engine_agrees_through_the_interface() -> None:
    from tierkit.engines import engine_named

    ruleset = load("  d:\n    rules: [{when: 'a >= 10', then: Y}]\n    default: {then: N}\n")
    inputs = frame({"a": [12.0, 3.0, None]})
    assert_frame_equal(
        engine_named("durable", REGISTRY).decide(ruleset, inputs),
        engine_named("vector", REGISTRY).decide(ruleset, inputs),
    )
