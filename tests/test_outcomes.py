"""A decision's declared order of outcomes (best first) and the ruleset's main decision."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import polars as pl
from helpers import load, problems
from test_evaluate_api import make_data
from typer.testing import CliRunner

from tierkit.cli import app
from tierkit.errors import OutcomesError, PolicyError
from tierkit.evaluation import evaluate
from tierkit.history.compare import compare_previous

HEAD = """
tierkit: 1
name: t
criteria:
  total: {use: payments.received}
  tenure: {use: tenure.months}
"""

LADDER = """
decisions:
  stage:
    outcomes: [loyal, regular, new, old]
    rules:
      - {when: "tenure < 12", then: new}
      - {when: "tenure >= 36", then: loyal}
      - {when: "total >= 100", then: regular}
    default: {then: old}
"""


def test_declared_outcomes_order_the_decision_best_first() -> None:
    compiled = load(HEAD + LADDER)
    assert compiled.decisions["stage"].outcomes == ("loyal", "regular", "new", "old")


def test_without_outcomes_the_order_is_the_rules_then_the_default() -> None:
    compiled = load(HEAD + LADDER.replace("    outcomes: [loyal, regular, new, old]\n", ""))
    assert compiled.decisions["stage"].outcomes == ("new", "loyal", "regular", "old")


def test_up_and_down_follow_the_declared_order() -> None:
    compiled = load(HEAD + LADDER)
    now = pl.DataFrame({"customer_id": ["9", "10", "11", "12"], "stage": ["regular"] * 4})
    before = pl.DataFrame({"customer_id": ["9", "10", "11"], "stage": ["new", "loyal", "regular"]})
    changed = compare_previous(now, before, compiled.decisions["stage"])
    # new → regular climbs the ladder (rule order would call it down: new is rule 1);
    # loyal → regular goes down; 12 had no previous value.
    assert changed["stage.change"].to_list() == ["up", "down", "same", "new"]


def test_an_outcome_left_out_is_an_error_at_the_list() -> None:
    [problem] = problems(HEAD + LADDER.replace("[loyal, regular, new, old]", "[loyal, new, old]"))
    assert isinstance(problem, OutcomesError)
    assert "leave out 'regular'" in problem.message
    assert problem.location.line == 9  # the `outcomes:` line


def test_an_outcome_no_rule_gives_is_an_error_at_the_value() -> None:
    text = HEAD + LADDER.replace("[loyal, regular, new, old]", "[loyal, regular, new, old, lost]")
    [problem] = problems(text)
    assert isinstance(problem, OutcomesError)
    assert "'lost'" in problem.message
    # 4 spaces + "outcomes: [" (11) + "loyal, regular, new, old, " (26): column 42
    assert (problem.location.line, problem.location.column) == (9, 42)


def test_true_is_not_the_number_one_in_outcomes() -> None:
    text = (
        HEAD
        + """
decisions:
  flag:
    outcomes: [1, false]
    rules: [{when: "total > 0", then: true}]
    default: {then: false}
"""
    )
    found = problems(text)
    assert {type(p) for p in found} == {OutcomesError}
    assert any("leave out true" in p.message for p in found)


MAIN = """
decisions:
  points:
    rules: [{when: "total >= 100", then: 10}]
    default: {then: 0}
  category:
    rules: [{when: "points >= 10", then: A}]
    default: {then: B}
policies:
  A: {manager: senior}
"""


def test_the_main_decision_defaults_to_category_else_the_first() -> None:
    assert load(HEAD + MAIN).primary_decision == "category"
    assert load(HEAD + LADDER).primary_decision == "stage"


def test_main_names_the_main_decision_and_policies_follow_it() -> None:
    compiled = load(HEAD + "main: stage\n" + LADDER + "policies:\n  loyal: {manager: senior}\n")
    assert compiled.primary_decision == "stage"
    [problem] = problems(HEAD + "main: points\n" + MAIN)
    assert isinstance(problem, PolicyError)  # policies are keyed by points' values now


def test_main_must_name_a_decision() -> None:
    [problem] = problems(HEAD + "main: categroy\n" + MAIN)
    assert isinstance(problem, OutcomesError)
    assert "did you mean 'category'" in problem.message


RANKED = """
tierkit: 1
name: ladder
window: {period: month, periods: 3}
criteria:
  cash: {use: value}
derive:
  points: cash / 10 + bonus
decisions:
  bonus:
    rules: [{when: "cash >= 200", then: 5}]
    default: {then: 0}
  category:
    outcomes: [A, B, C]
    rules:
      - {when: "points < 10", then: C}
      - {when: "points < 30", then: B}
    default: {then: A}
"""


def test_diff_and_the_run_follow_the_main_decision_and_its_order(tmp_path: Path) -> None:
    # bonus is decided first (category reads it through points), yet category is the main
    # decision. Cash in Jan-Mar: a 600, b 250, c 100, d 50, e none; in Feb-Apr the 999 paid by
    # a on Apr 1 counts and a's Jan 400 does not: a 200 + 999 = 1199, c 39.50.
    ruleset = tmp_path / "ladder.yaml"
    ruleset.write_text(RANKED)
    store = tmp_path / "runs.duckdb"
    data = make_data(tmp_path / "data")
    first = evaluate(ruleset, data, as_of=date(2026, 4, 1), store=store)
    second = evaluate(ruleset, data, as_of=date(2026, 5, 1), store=store)
    assert first.manifest["main"] == "category"
    # points: a 65 A, b 30 A, c 10 B, d 5 C, e 0 C; then a 124.9 A, b 30 A, c 3.95 C, d 5 C
    assert first.results["category"].to_list() == ["A", "A", "B", "C", "C"]
    assert second.results["category.change"].to_list() == ["same", "same", "down", "same", "same"]
    # a is 35 above the A line (30); b sits on it and c on the B line (10): any less drops
    # them; c is 20 short of A, d and e 5 and 10 short of B
    assert first.results["category.to_better"].to_list() == [None, None, 20.0, 5.0, 10.0]
    assert first.results["category.to_worse"].to_list() == [-35.0, 0.0, 0.0, None, None]
    done = CliRunner().invoke(app, ["diff", "previous", "latest", "--store", str(store), "--json"])
    assert done.exit_code == 0, done.output
    report = json.loads(done.stdout)
    assert report["decision"] == "category"
    assert report["outcomes"] == ["A", "B", "C"]
    assert report["changes"]["down"] == 1


NUMBER_POLICIES = """
tierkit: 1
name: points
window: {period: month, periods: 3}
criteria:
  cash: {use: value}
decisions:
  points:
    rules:
      - {when: "cash >= 500", then: 10}
      - {when: "cash >= 100", then: 2.5}
    default: {then: 0}
policies:
  10: {terms: 45}
  2.5: {terms: 30}
  0: {terms: 14}
"""

YES_NO_POLICIES = """
tierkit: 1
name: big
window: {period: month, periods: 3}
criteria:
  cash: {use: value}
decisions:
  big:
    rules:
      - {when: "cash >= 200", then: true}
    default: {then: false}
policies:
  true: {terms: 45}
  false: {terms: 14}
"""


def test_policies_of_number_and_yes_no_outcomes_reach_the_results(tmp_path: Path) -> None:
    """Policies keyed 10, 2.5, 0 (a float column: 10.0, 0.0) or true/false left every
    `policy.terms` empty, while validate called the ruleset valid."""
    data = make_data(tmp_path / "data")  # cash Jan-Mar: a 600, b 250, c 100, d 50, e none
    for name, text, terms in [
        ("points.yaml", NUMBER_POLICIES, [45, 30, 30, 14, 14]),
        ("big.yaml", YES_NO_POLICIES, [45, 45, 14, 14, 14]),
    ]:
        ruleset = tmp_path / name
        ruleset.write_text(text)
        run = evaluate(ruleset, data, as_of=date(2026, 4, 1))
        assert run.results["policy.terms"].to_list() == terms, name


def test_the_summary_lists_number_and_yes_no_outcomes_in_order_as_written(tmp_path: Path) -> None:
    """`tierkit evaluate` listed the categories 2.5, 0.0, 10.0 (out of the outcomes' order,
    which is best first: 10, 2.5, 0) and True, False where every other output writes true."""
    data = make_data(tmp_path / "data")  # cash Jan-Mar: a 600, b 250, c 100, d 50, e none
    for name, text, rows in [
        ("points.yaml", NUMBER_POLICIES, [("10", "1"), ("2.5", "2"), ("0", "2")]),
        ("big.yaml", YES_NO_POLICIES, [("true", "2"), ("false", "3")]),
    ]:
        ruleset = tmp_path / name
        ruleset.write_text(text)
        args = ["evaluate", str(ruleset), "--data", str(data), "--as-of", "2026-04-01",
                "--no-store"]
        done = CliRunner().invoke(app, args, env={"COLUMNS": "100"})
        assert done.exit_code == 0, done.output
        cells = [
            [cell.strip() for cell in line.strip("│").split("│")]
            for line in done.output.splitlines()
            if line.startswith("│")
        ]
        assert [(row[0], row[1]) for row in cells] == rows, name
