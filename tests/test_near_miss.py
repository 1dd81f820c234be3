"""The near miss of every customer: the distance of the limiting value to the next better and
the next worse outcome of the main decision, computed by hand for five customers."""

from __future__ import annotations

from pathlib import Path

import polars as pl
from helpers import load
from test_evaluate_api import AS_OF, RULESET, make_data

from tierkit.evaluation import evaluate
from tierkit.evaluation.nearmiss import near_miss_columns
from tierkit.history import HistoryStore
from tierkit.report.data import build_report_data

ABC = """
tierkit: 1
name: abc
criteria:
  total: {use: value}
derive:
  ahead: cum_share(total, among=total > 0)
  in_first_80: ahead < 0.80
  in_first_95: ahead < 0.95
decisions:
  category:
    rules:
      - {when: in_first_80, then: A}
      - {when: in_first_95, then: B}
    default: {then: C}
"""


def _values(**columns: list[object]) -> pl.DataFrame:
    return pl.DataFrame(columns, strict=False)


def test_cumulative_share_lines_move_with_the_customers_own_value() -> None:
    # Totals 500, 300, 100, 60, 40 (sum 1000); ahead = 0, .5, .8, .9, .96: a, b are A; c, d
    # are B; e is C. A loss of -300 (id "10") is not ranked (among=) and is C. With value v'
    # below the first k others (holding P), the customer's share ahead is P / (T_o + v').
    values = _values(
        customer_id=["a", "b", "c", "d", "e", "10"],
        total=[500.0, 300.0, 100.0, 60.0, 40.0, -300.0],
        ahead=[0.0, 0.5, 0.8, 0.9, 0.96, None],
        category=["A", "A", "B", "B", "C", "C"],
    )
    found = near_miss_columns(load(ABC), values)
    assert found["category.to_better"].to_list() == [
        None,  # A is the best
        None,
        0.0,  # c: 800 / (900 + v') < 0.8 for any v' > 100: the smallest step more
        40.0,  # d: past c's 100, 800 / (940 + v') < 0.8; below it 900 / (940 + v') is not
        10.526316,  # e: 960 / (960 + v') < 0.95 for v' > 50.526316, still below d's 60
        340.0,  # "10": past e's 40, 960 / (1000 + v') < 0.95; below it 1000 / (1000 + v') no
    ]
    assert found["category.to_worse"].to_list() == [
        -440.0,  # a: below 60, 460 / (500 + v') >= 0.8; above, 400 / (500 + v') < 0.8
        -240.0,  # b: below 60, 660 / (700 + v') >= 0.8; above 60, 500 / (700 + v') < 0.8
        -60.0,  # c: below 40, 900 / (900 + v') >= 0.95 (v' < 47.4)
        -20.0,  # d: below 40, 940 / (940 + v') >= 0.95; above 40, 900 / (940 + v') < 0.95
        None,  # C is the worst
        None,
    ]
    assert found["category.limited_by"].to_list() == ["total"] * 6


POINTS = """
tierkit: 1
name: p
main: category
criteria:
  tenure: {use: tenure.months}
  total: {use: value}
derive:
  points: coalesce(total, 0) / 100 + termination
decisions:
  termination:
    rules: [{when: "tenure < 12", then: -15}]
    default: {then: 0}
  category:
    outcomes: [A, B, C]
    rules:
      - {when: "points >= 50", then: A}
      - {when: "30 <= points", then: B}
    default: {then: C}
"""


def test_a_direct_comparison_is_the_threshold_minus_the_value() -> None:
    values = _values(
        customer_id=["9", "10", "11", "12"],
        points=[36.0, 50.0, 29.5, None],
        category=["B", "A", "C", "C"],
    )
    found = near_miss_columns(load(POINTS), values)
    # "9": 50 - 36 = 14 to A; 30 - 36 = -6 (and a bit) to C. "10": on the A line. "11": 0.5 to B.
    assert found["category.to_better"].to_list() == [14.0, None, 0.5, None]
    assert found["category.to_worse"].to_list() == [-6.0, 0.0, None, None]
    assert found["category.limited_by"].to_list() == ["points", "points", "points", None]


def test_top_share_lines_are_in_the_ranked_value_not_in_ranks() -> None:
    text = """
tierkit: 1
name: t
criteria:
  total: {use: value}
derive:
  rank: top_share(total)
decisions:
  category:
    rules: [{when: "rank <= 0.4", then: A}]
    default: {then: B}
"""
    # top_share of 500, 300, 100, 60, 40 is 0.2, 0.4, 0.6, 0.8, 1.0: a and b are A. Rank
    # depends on the order alone: B customers must pass b's 300, A customers fall out only
    # below c's 100, the first customer outside.
    values = _values(
        customer_id=["a", "b", "c", "d", "e"],
        total=[500.0, 300.0, 100.0, 60.0, 40.0],
        rank=[0.2, 0.4, 0.6, 0.8, 1.0],
        category=["A", "A", "B", "B", "B"],
    )
    found = near_miss_columns(load(text), values)
    assert found["category.to_better"].to_list() == [None, None, 200.0, 240.0, 260.0]
    assert found["category.to_worse"].to_list() == [-400.0, -200.0, None, None, None]


def test_pct_rank_lines_rise_with_the_value() -> None:
    text = """
tierkit: 1
name: t
criteria:
  total: {use: value}
derive:
  pct: pct_rank(total)
decisions:
  category:
    rules: [{when: "pct >= 0.5", then: A}]
    default: {then: B}
"""
    # pct_rank (n - position) / (n - 1) of 500, 300, 100, 60, 40 is 1, .75, .5, .25, 0: a, b,
    # c are A. d must pass c's 100 (40 more, e 60 more); a, b, c fall out below d's 60.
    values = _values(
        customer_id=["a", "b", "c", "d", "e"],
        total=[500.0, 300.0, 100.0, 60.0, 40.0],
        pct=[1.0, 0.75, 0.5, 0.25, 0.0],
        category=["A", "A", "A", "B", "B"],
    )
    found = near_miss_columns(load(text), values)
    assert found["category.to_better"].to_list() == [None, None, None, 40.0, 60.0]
    assert found["category.to_worse"].to_list() == [-440.0, -240.0, -40.0, None, None]


def test_no_single_limiting_value_leaves_the_near_miss_missing() -> None:
    text = """
tierkit: 1
name: t
criteria:
  total: {use: value}
  tenure: {use: tenure.months}
decisions:
  category:
    rules: [{when: "total >= 100 and tenure >= 12", then: A}, {when: "total >= 10", then: B}]
    default: {then: C}
"""
    values = _values(
        customer_id=["a", "b"],
        total=[50.0, 500.0],
        tenure=[24.0, 3.0],
        category=["B", "B"],
    )
    found = near_miss_columns(load(text), values)
    assert found["category.to_better"].to_list() == [None, None]
    assert found["category.limited_by"].to_list() == [None, None]


def test_a_ladder_written_upside_down_follows_the_declared_order() -> None:
    # Rules name the worst outcome first; `outcomes` says gold is best. 120 is silver: gold
    # needs 1000 - 120 = 880 more, bronze is below 100: 100 - 120 = -20.
    text = """
tierkit: 1
name: t
criteria:
  total: {use: value}
decisions:
  category:
    outcomes: [gold, silver, bronze]
    rules:
      - {when: "total < 100", then: bronze}
      - {when: "total < 1000", then: silver}
    default: {then: gold}
"""
    values = _values(customer_id=["x"], total=[120.0], category=["silver"])
    found = near_miss_columns(load(text), values)
    assert found.row(0) == ("x", 880.0, -20.0, "total")


def test_results_explain_and_report_carry_the_same_near_miss(tmp_path: Path) -> None:
    # Cash a 600, b 250, c 100, d 50, e 0 (test_evaluate_api); A: ahead < 0.8, B: < 0.95.
    # c (ahead .85) needs 850 / (900 + v) < 0.8: v > 162.5, 62.50 more; d (ahead .95) needs
    # 950 / (950 + v) < 0.95: v > 50, any more than its 50; e (0): below d 1000 / (1000 + v)
    # < 0.95 needs v > 52.6, past d 950 / (1000 + v) < 0.95 holds: more than 50.
    ruleset = tmp_path / "abc.yaml"
    ruleset.write_text(RULESET)
    store = HistoryStore(tmp_path / "runs.duckdb")
    run = evaluate(ruleset, make_data(tmp_path / "data"), as_of=AS_OF, store=store)
    assert run.results["category"].to_list() == ["A", "A", "B", "C", "C"]
    assert run.results["category.to_better"].to_list() == [None, None, 62.5, 0.0, 50.0]
    table = {c["key"]: c for c in build_report_data(store)["customers"]["columns"]}
    ids = table["customer_id"]
    ids = [ids["dict"][c] for c in ids["codes"]] if "dict" in ids else ids["values"]
    shown = dict(zip(ids, table["category.to_better"]["values"], strict=True))
    assert shown == {"a": None, "b": None, "c": 62.5, "d": 0.0, "e": 50.0}
    assert table["category.to_better"]["title"] == "to better (cash)"


def test_a_ranking_among_another_condition_is_no_line() -> None:
    # Who is ranked depends on `tenure`, which more `total` does not change: no distance.
    text = ABC.replace("among=total > 0", "among=tenure >= 12").replace(
        "  total: {use: value}", "  total: {use: value}\n  tenure: {use: tenure.months}"
    )
    values = _values(
        customer_id=["a", "b"],
        total=[500.0, 300.0],
        tenure=[24.0, 3.0],
        ahead=[0.0, None],
        category=["A", "C"],
    )
    found = near_miss_columns(load(text), values)
    assert found["category.to_better"].to_list() == [None, None]
