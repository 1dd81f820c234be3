"""A decision's declared order of outcomes (best first) and the ruleset's main decision."""

from __future__ import annotations

import polars as pl
from helpers import load, problems

from tierkit.errors import OutcomesError, PolicyError
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
