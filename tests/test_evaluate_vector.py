"""The vector engine against hand-computed tables: ranking, ties, periods, decisions.

A test plugin serves criterion values straight from a ``facts`` table, so these tests check
the evaluator alone.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

import narwhals.stable.v2 as nw
import polars as pl
import pytest

from tierkit.contract import Column, ColumnType, Criterion, TableNeed, ValueType
from tierkit.evaluation import evaluate_tables
from tierkit.hookspecs import hookimpl
from tierkit.registry import Registry, build_registry, make_plugin_manager
from tierkit.ruleset import load_ruleset_text

AS_OF = date(2026, 4, 1)


def _fixed(column: str) -> Any:
    def compute(tables: Any, window: Any, params: Any) -> Any:
        facts = tables["facts"]
        wanted = nw.col("period") >= 0 if params["_per_period"] else nw.col("period") == -1
        return facts.filter(wanted).select("customer_id", "period", nw.col(column).alias("value"))

    return compute


class Facts:
    @hookimpl
    def tierkit_criteria(self) -> Iterable[Criterion]:
        need = (TableNeed("facts", (Column("customer_id", ColumnType.ID),)),)
        return [
            Criterion(
                "fact.value", "Value", "currency", "higher", "A fixed value.", need, _fixed("value")
            ),
            Criterion(
                "fact.rate",
                "Rate",
                "share",
                "higher",
                "A fixed rate.",
                need,
                _fixed("rate"),
                neutral=None,
                per_period=False,
            ),
            Criterion(
                "fact.flag",
                "Flag",
                "flag",
                "higher",
                "A fixed flag.",
                need,
                _fixed("flag"),
                type=ValueType.BOOLEAN,
                neutral=False,
            ),
        ]


@pytest.fixture(scope="module")
def registry() -> Registry:
    return build_registry(make_plugin_manager([("facts", Facts())]))


def run(registry: Registry, body: str, facts: dict[str, list[Any]], ids: list[str]) -> pl.DataFrame:
    text = "tierkit: 1\nname: t\nwindow: {period: month, periods: 3}\n" + body
    ruleset = load_ruleset_text(text, registry=registry)
    customers = pl.LazyFrame({"customer_id": ids, "name": [i.upper() for i in ids]})
    frame = pl.LazyFrame(facts, schema_overrides={"period": pl.Int64})
    for column in ("value", "rate"):
        if column not in facts:
            frame = frame.with_columns(pl.lit(None, pl.Float64).alias(column))
    if "flag" not in facts:
        frame = frame.with_columns(pl.lit(None, pl.Boolean).alias("flag"))
    tables = {"customers": nw.from_native(customers), "facts": nw.from_native(frame)}
    return evaluate_tables(ruleset, registry, tables, AS_OF).values


RANKS = """
criteria:
  v: {use: fact.value}
derive:
  top: top_share(v)
  cum: cum_share(v)
  pct: pct_rank(v)
  own: share(v)
  mm: minmax(v)
  z: zscore(v)
  top_payers: top_share(v, among=v > 0)
decisions:
  c:
    rules:
      - {when: cum < 0.5, then: A, because: first half}
      - {when: top <= 0.8, then: B}
    default: {then: C, because: rest}
"""


def test_ranking_with_ties_zeros_and_missing(registry: Registry) -> None:
    # values a=100 b=100 c=50 d=0 e=(none: neutral 0); order: a, b (tie by id), c, d, e
    result = run(
        registry,
        RANKS,
        {
            "customer_id": ["b", "a", "c", "d"],
            "period": [-1] * 4,
            "value": [100.0, 100.0, 50.0, 0.0],
        },
        ["a", "b", "c", "d", "e"],
    )
    assert result["customer_id"].to_list() == ["a", "b", "c", "d", "e"]
    assert result["v"].to_list() == [100.0, 100.0, 50.0, 0.0, 0.0]
    assert result["top"].to_list() == [0.2, 0.4, 0.6, 0.8, 1.0]
    assert result["cum"].to_list() == [0.0, 0.4, 0.8, 1.0, 1.0]
    assert result["pct"].to_list() == [1.0, 0.75, 0.5, 0.25, 0.0]
    assert result["own"].to_list() == [0.4, 0.4, 0.2, 0.0, 0.0]
    assert result["mm"].to_list() == [1.0, 1.0, 0.5, 0.0, 0.0]
    # mean 50, population sd sqrt((4*2500 + 0 + 2*2500... )) = sqrt(2000) over x in [100,100,50,0,0]
    sd = (sum((x - 50.0) ** 2 for x in [100, 100, 50, 0, 0]) / 5) ** 0.5
    assert result["z"].to_list() == pytest.approx([50 / sd, 50 / sd, 0.0, -50 / sd, -50 / sd])
    assert result["top_payers"].to_list() == [round(1 / 3, 12), round(2 / 3, 12), 1.0, None, None]
    # cum_share a 0, b 0.4 (< 0.5: A); c top_share 0.6, d 0.8 (<= 0.8: B); e 1.0: C
    assert result["c"].to_list() == ["A", "A", "B", "B", "C"]
    assert result["c.rule"].to_list() == [1, 1, 2, 2, 0]
    assert result["c.because"].to_list() == ["first half", "first half", None, None, "rest"]


def test_all_zero_population_has_no_shares(registry: Registry) -> None:
    result = run(
        registry, RANKS, {"customer_id": ["a"], "period": [-1], "value": [0.0]}, ["a", "b"]
    )
    assert result["cum"].to_list() == [None, None]
    assert result["own"].to_list() == [None, None]
    assert result["top"].to_list() == [0.5, 1.0]
    assert result["mm"].to_list() == [0.0, 0.0]
    assert result["c"].to_list() == ["B", "C"]


def test_single_customer(registry: Registry) -> None:
    result = run(registry, RANKS, {"customer_id": ["a"], "period": [-1], "value": [5.0]}, ["a"])
    assert result.row(0, named=True) | {} == result.row(0, named=True)
    assert (result["top"][0], result["cum"][0], result["pct"][0], result["z"][0]) == (
        1.0,
        0.0,
        1.0,
        0.0,
    )


PERIODS = """
criteria:
  paid: {use: fact.value, per: period}
derive:
  vip_month: top_share(paid, among=paid > 0) <= 0.5
  vip: any(vip_month)
  months: count(paid > 0)
  total: sum(paid)
  avg: mean(paid)
  latest: last(paid)
  slope: trend(paid)
  good: top_share(sum(paid), among=not vip) <= 0.5
decisions:
  category:
    rules:
      - {when: vip, then: A}
      - {when: "good or previous.category == 'A'", then: B}
    default: {then: C}
"""


def test_per_period_ranking_and_aggregates(registry: Registry) -> None:
    # periods 0, 1, 2 (Jan, Feb, Mar 2026); missing rows are 0
    facts = {
        "customer_id": ["a", "a", "b", "b", "b", "c", "d"],
        "period": [0, 1, 0, 1, 2, 2, 0],
        "value": [10.0, 30.0, 20.0, 5.0, 1.0, 7.0, 2.0],
    }
    result = run(registry, PERIODS, facts, ["a", "b", "c", "d", "e"])
    rows = {r["customer_id"]: r for r in result.iter_rows(named=True)}
    # month 0 payers: b 20, a 10, d 2 → N=3, top_share ≤ 0.5 only b (1/3)
    # month 1 payers: a 30, b 5 → a (1/2) ; month 2 payers: c 7, b 1 → c (1/2)
    assert {k: rows[k]["vip"] for k in rows} == {
        "a": True,
        "b": True,
        "c": True,
        "d": False,
        "e": False,
    }
    assert [rows[k]["months"] for k in "abcde"] == [2.0, 3.0, 1.0, 1.0, 0.0]
    assert [rows[k]["total"] for k in "abcde"] == [40.0, 26.0, 7.0, 2.0, 0.0]
    assert [rows[k]["avg"] for k in "abcde"] == pytest.approx([40 / 3, 26 / 3, 7 / 3, 2 / 3, 0])
    assert [rows[k]["latest"] for k in "abcde"] == [0.0, 1.0, 7.0, 0.0, 0.0]
    # slope of a over x=0,1,2 with y=10,30,0: (3*30 - 3*40) / (3*5 - 9) = -30/6 = -5
    assert rows["a"]["slope"] == pytest.approx(-5.0)
    # among the non-VIP (d 2, e 0): d first (1/2) → good
    assert [rows[k]["category"] for k in "abcde"] == ["A", "A", "A", "B", "C"]


def test_booleans_missing_and_collect(registry: Registry) -> None:
    body = """
criteria:
  v: {use: fact.value}
  r: {use: fact.rate}
  f: {use: fact.flag}
decisions:
  flags:
    hit: collect
    rules:
      - {when: f, then: flagged}
      - {when: r < 0.5, then: slow}
      - {when: missing(r), then: unknown}
  watch:
    rules:
      - {when: "'slow' in flags or 'unknown' in flags", then: true}
      - {when: "r != 0.9 and not f", then: true}
    default: {then: false}
"""
    facts = {
        "customer_id": ["a", "b"],
        "period": [-1, -1],
        "value": [1.0, 2.0],
        "rate": [0.9, 0.2],
        "flag": [True, None],
    }
    result = run(registry, body, facts, ["a", "b", "c"])
    assert result["f"].to_list() == [True, False, False]
    assert result["r"].to_list() == [0.9, 0.2, None]
    assert result["flags"].to_list() == ["flagged", "slow", "unknown"]
    # c: r missing → "r != 0.9" is false, but 'unknown' in flags → true
    assert result["watch"].to_list() == [False, True, True]


def test_decide_vector_on_given_inputs(registry: Registry) -> None:
    from tierkit.evaluation.run import decide_vector

    ruleset = load_ruleset_text(
        "tierkit: 1\nname: t\ncriteria: {v: {use: fact.value}, r: {use: fact.rate}}\n"
        "decisions:\n"
        "  c: {rules: [{when: v > 10, then: A, because: big}, {when: missing(r), then: B}],"
        " default: {then: C}}\n"
        "  k: {rules: [{when: \"c == 'A' and r >= 0.5\", then: true}], default: {then: false}}\n",
        registry=registry,
    )
    inputs = pl.DataFrame(
        {"customer_id": ["x", "y", "z"], "v": [20.0, 5.0, 5.0], "r": [0.6, None, 0.1]}
    )
    out = decide_vector(ruleset, registry, inputs)
    assert out.columns == ["customer_id", "c", "c.rule", "c.because", "k", "k.rule", "k.because"]
    assert out["c"].to_list() == ["A", "B", "C"]
    assert out["c.rule"].to_list() == [1, 2, 0]
    assert out["k"].to_list() == [True, False, False]


def test_functions_bands_round_greatest_least(registry: Registry) -> None:
    body = """
criteria:
  v: {use: fact.value}
  r: {use: fact.rate}
derive:
  points: bands(v, [10, 100], [0, 1, 2])
  rounded: round(v / 3, 2)
  whole: round(v / 3)
  top: greatest(v, r)
  low: least(v, r)
decisions:
  c: {rules: [{when: points >= 2, then: A}], default: {then: B}}
"""
    facts = {
        "customer_id": ["a", "b", "c"],
        "period": [-1, -1, -1],
        "value": [5.0, 10.0, 250.0],
        "rate": [7.0, None, 1.0],
    }
    result = run(registry, body, facts, ["a", "b", "c"])
    assert result["points"].to_list() == [0.0, 1.0, 2.0]
    assert result["rounded"].to_list() == [1.67, 3.33, 83.33]
    assert result["whole"].to_list() == [2.0, 3.0, 83.0]
    assert result["top"].to_list() == [7.0, None, 250.0]
    assert result["low"].to_list() == [5.0, None, 1.0]
    assert result["c"].to_list() == ["B", "B", "A"]


def test_round_with_digits_beyond_a_float(registry: Registry) -> None:
    """10**400 is infinite and 10**-1000 is 0: the number stays as it is, or rounds to 0."""
    body = """
criteria:
  v: {use: fact.value}
derive:
  many: round(v, 400)
  huge: round(v, 1e30)
  zero: round(v, -1000)
  big: round(v, 20)
decisions:
  c: {rules: [{when: many > 1, then: A}], default: {then: B}}
"""
    facts = {
        "customer_id": ["a", "b", "c", "d"],
        "period": [-1, -1, -1, -1],
        "value": [0.0, 1.25, -3e200, 1e300],
    }
    result = run(registry, body, facts, ["a", "b", "c", "d"])
    assert result["many"].to_list() == [0.0, 1.25, -3e200, 1e300]
    assert result["huge"].to_list() == [0.0, 1.25, -3e200, 1e300]
    assert result["zero"].to_list() == [0.0, 0.0, 0.0, 0.0]
    assert result["big"].to_list() == [0.0, 1.25, -3e200, 1e300]
    assert result["c"].to_list() == ["B", "A", "B", "A"]


def test_arithmetic_past_the_largest_float_is_missing(registry: Registry) -> None:
    """1e300 * 1e300 is infinite and inf - inf is NaN, which backends order above every number:
    ``gap > 0`` was true for it and the customer went to A. Both are missing, so false."""
    body = """
criteria:
  v: {use: fact.value}
derive:
  big: v * 1e300 * 1e300
  gap: v * 1e300 * 1e300 - v * 1e300 * 1e300
  tiny: v / 1e-300 / 1e-300
  rest: (v * 1e300 * 1e300) % 7
decisions:
  c: {rules: [{when: gap > 0, then: A}, {when: big > 0, then: B}], default: {then: C}}
"""
    facts = {"customer_id": ["a", "b", "c"], "period": [-1, -1, -1], "value": [0.0, 2.0, -2.0]}
    result = run(registry, body, facts, ["a", "b", "c"])
    assert result["big"].to_list() == [0.0, None, None]
    assert result["gap"].to_list() == [0.0, None, None]
    assert result["tiny"].to_list() == [0.0, None, None]
    assert result["rest"].to_list() == [0.0, None, None]
    assert result["c"].to_list() == ["C", "C", "C"]


def test_hundreds_of_rules_do_not_nest(registry: Registry) -> None:
    """400 rules were a when/otherwise chain 400 deep: a RecursionError, exit 3."""
    rules = "".join(
        f"      - {{when: v > {i}, then: R{i}, because: over {i}}}\n" for i in range(399, -1, -1)
    )
    body = (
        "criteria:\n  v: {use: fact.value}\n"
        "decisions:\n  c:\n    hit: first\n    rules:\n"
        + rules
        + "    default: {then: low, because: nothing}\n"
    )
    facts = {
        "customer_id": ["a", "b", "c", "d"],
        "period": [-1, -1, -1, -1],
        "value": [5.0, 250.0, 1000.0, -1.0],
    }
    result = run(registry, body, facts, ["a", "b", "c", "d"])
    assert result["c"].to_list() == ["R4", "R249", "R399", "low"]
    assert result["c.rule"].to_list() == [396, 151, 1, 0]
    assert result["c.because"].to_list() == ["over 4", "over 249", "over 399", "nothing"]


def test_collect_default_applies_when_nothing_matches(registry: Registry) -> None:
    body = """
criteria:
  v: {use: fact.value}
decisions:
  flags:
    hit: collect
    rules:
      - {when: v > 10, then: big}
      - {when: v > 100, then: huge}
    default: {then: none}
  c: {rules: [{when: "'none' in flags", then: quiet}], default: {then: busy}}
"""
    facts = {"customer_id": ["a", "b", "c"], "period": [-1] * 3, "value": [5.0, 50.0, 500.0]}
    result = run(registry, body, facts, ["a", "b", "c"])
    assert result["flags"].to_list() == ["none", "big", "big, huge"]
    assert result["flags::none"].to_list() == [True, False, False]
    assert result["c"].to_list() == ["quiet", "busy", "busy"]
