"""Loading a ruleset: names, types, graph order, completeness, policies and examples."""

from __future__ import annotations

import pytest
from helpers import load, problems

from tierkit.errors import (
    CycleError,
    DuplicateNameError,
    ExampleError,
    IncompleteDecisionError,
    MissingKeyError,
    ParameterError,
    PolicyError,
    RankingOutsideDeriveError,
    RulesetInvalid,
    ThenTypeError,
    TypeMismatchError,
    UnknownKeyError,
    UnknownNameError,
)
from tierkit.ruleset.types import Type

HEAD = """
tierkit: 1
name: t
criteria:
  paid: {use: value, per: period}
  total: {use: payments.received}
  tenure: {use: tenure.months}
  on_time: {use: delivery.on_time_rate}
  terminated: {use: contracts.terminated}
"""


def test_types_of_derived_facts_are_inferred() -> None:
    compiled = load(
        HEAD
        + """
derive:
  month_rank: top_share(paid)
  vip: any(month_rank <= 0.2)
  months_active: count(paid > 0)
  growth: trend(paid)
  ratio: total / 12
decisions:
  c: {rules: [{when: vip, then: A}], default: {then: B}}
"""
    )
    types = {name: fact.expr.type for name, fact in compiled.derived.items()}
    assert types["month_rank"] == Type("number", per_period=True, nullable=True)
    assert types["vip"] == Type("boolean", per_period=False, nullable=False)
    assert types["months_active"] == Type("number", nullable=False)
    assert types["growth"] == Type("number", nullable=True)
    assert types["ratio"] == Type("number", nullable=True)
    assert compiled.criteria["tenure"].type == Type("number", nullable=True)
    assert compiled.criteria["total"].type == Type("number", nullable=False)


def test_order_follows_dependencies_not_declaration() -> None:
    compiled = load(
        HEAD
        + """
derive:
  late: rank_ok and category == 'A'
  rank_ok: top_share(total) <= 0.5
decisions:
  category: {rules: [{when: rank_ok, then: A}], default: {then: B}}
  flag: {rules: [{when: late, then: true}], default: {then: false}}
"""
    )
    assert [s.name for s in compiled.order] == ["rank_ok", "category", "late", "flag"]


def test_every_problem_of_a_file_is_reported_together() -> None:
    found = problems(
        HEAD
        + """
derive:
  a: tenur >= 24
  b: total >= 'abc'
  c: nonsense(total)
decisions:
  category: {rules: [{when: top_share(total) < 0.2, then: A}], default: {then: B}}
"""
    )
    kinds = [type(p).__name__ for p in found]
    assert kinds == [
        "UnknownNameError",
        "TypeMismatchError",
        "UnknownFunctionError",
        "RankingOutsideDeriveError",
    ]
    assert [(p.location.line, p.location.column) for p in found] == [
        (11, 6),
        (12, 6),
        (13, 6),
        (15, 29),
    ]
    assert "did you mean 'tenure'?" in found[0].message


def test_shape_and_meaning_problems_are_reported_together() -> None:
    found = problems(
        HEAD
        + """
derivee: {}
derive:
  a: tenur >= 24
decisions:
  category: {rules: [{when: a, then: A, because: x, note: y}], default: {then: B}}
"""
    )
    assert [type(p) for p in found] == [UnknownKeyError, UnknownNameError, UnknownKeyError]
    assert "did you mean 'derive'?" in found[0].message


def test_missing_required_keys_point_at_their_mapping() -> None:
    found = problems("""
tierkit: 1
name: t
decisions:
  category:
    rules:
      - {then: A}
    default: {then: B}
""")
    [problem] = found
    assert isinstance(problem, MissingKeyError)
    assert "'when'" in problem.message
    assert (problem.location.line, problem.location.column) == (6, 9)


def test_cycle_is_named_with_its_members() -> None:
    found = problems(
        HEAD
        + """
derive:
  a: b + 1
  b: a * 2
decisions:
  c: {rules: [{when: a > 1, then: A}], default: {then: B}}
"""
    )
    [cycle] = [p for p in found if isinstance(p, CycleError)]
    assert "a → b → a" in cycle.message


def test_cycle_through_a_decision() -> None:
    found = problems(
        HEAD
        + """
derive:
  strong: category == 'A'
decisions:
  category: {rules: [{when: strong, then: A}], default: {then: B}}
"""
    )
    assert isinstance(found[0], CycleError)
    assert "category" in found[0].message and "strong" in found[0].message


def test_previous_is_not_a_cycle() -> None:
    compiled = load(
        HEAD
        + """
decisions:
  category: {rules: [{when: "previous.category == 'A'", then: A}], default: {then: B}}
"""
    )
    assert compiled.decisions["category"].rules[0].when.previous == {"category"}


def test_ranking_is_refused_in_a_decision() -> None:
    [problem] = problems(
        HEAD
        + """
decisions:
  c: {rules: [{when: "cum_share(total) < 0.8", then: A}], default: {then: B}}
"""
    )
    assert isinstance(problem, RankingOutsideDeriveError)


def test_by_groups_a_ranking_by_a_value_per_customer() -> None:
    compiled = load(
        HEAD
        + """
derive:
  top_of_group: top_share(total, by=terminated)
  month_in_group: cum_share(paid, among=paid > 0, by=tenure >= 24)
decisions:
  c: {rules: [{when: top_of_group <= 0.1, then: A}], default: {then: B}}
"""
    )
    types = {name: fact.expr.type for name, fact in compiled.derived.items()}
    assert types["top_of_group"] == Type("number", per_period=False, nullable=True)
    assert types["month_in_group"] == Type("number", per_period=True, nullable=True)
    assert compiled.derived["top_of_group"].expr.names == {"total", "terminated"}


@pytest.mark.parametrize(
    ("by", "message", "column"),
    [
        # line 11 is '  r: "top_share(total, by=...)"': the text starts at column 7, so by='s
        # value at 7 + len("top_share(total, by=") = 27
        ("paid", "by= needs one value per customer, found a number per period", 27),
        ("top_share(tenure)", "top_share() ranks them instead", 27),
        # 27 + len("sum(paid) > 0 and ") = 45
        ("sum(paid) > 0 and pct_rank(tenure) > 0", "pct_rank() ranks them instead", 45),
        ("date('2024-01-01')", "by= needs a text, number or true/false value", 27),
    ],
)
def test_by_refuses_periods_rankings_and_dates(by: str, message: str, column: int) -> None:
    [problem] = problems(
        HEAD
        + f"""
derive:
  r: "top_share(total, by={by})"
decisions:
  c: {{rules: [{{when: r <= 0.1, then: A}}], default: {{then: B}}}}
"""
    )
    assert isinstance(problem, TypeMismatchError), problem
    assert message in problem.message
    assert (problem.location.line, problem.location.column) == (11, column)


def test_by_refuses_a_derived_fact_that_is_a_ranking() -> None:
    [problem] = problems(
        HEAD
        + """
derive:
  rank: pct_rank(tenure)
  top_half: rank >= 0.5
  r: top_share(total, by=rank)
  fine: top_share(total, by=top_half)
decisions:
  c: {rules: [{when: r <= 0.1 and fine <= 0.5, then: A}], default: {then: B}}
"""
    )
    assert isinstance(problem, TypeMismatchError)
    assert "'rank' is pct_rank(), which ranks them instead" in problem.message
    # line 13 is "  r: top_share(total, by=rank)": by= at 6 + len("top_share(total, by=") = 26
    assert (problem.location.line, problem.location.column) == (13, 26)


def test_by_is_a_keyword_of_ranking_functions_only() -> None:
    [problem] = problems(
        HEAD
        + """
derive:
  s: sum(paid, by=terminated)
decisions:
  c: {rules: [{when: s > 0, then: A}], default: {then: B}}
"""
    )
    assert "sum() has no argument named 'by'" in problem.message


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ("tenure >= 'abc'", "cannot compare a number with a text"),
        ("total", "a condition must be true or false, found a number"),
        ("paid > 0", "one per period"),
        ("'A' + 1", "'+' needs numbers"),
        ("not total", "'not' needs true/false"),
        ("terminated > true", "can only be compared with == or !="),
        ("total in [1, 'a']", "mixes"),
        ("sum(total) > 0", "collapses values per period"),
        ("coalesce(tenure, 'x') > 1", "coalesce() mixes"),
    ],
)
def test_type_mismatches(condition: str, message: str) -> None:
    found = problems(
        HEAD
        + f"""
decisions:
  c: {{rules: [{{when: "{condition}", then: A}}], default: {{then: B}}}}
"""
    )
    assert isinstance(found[0], TypeMismatchError), found[0]
    assert message in found[0].message


def test_complete_without_default_when_conditions_cover_everything() -> None:
    compiled = load(
        HEAD
        + """
derive:
  big: total > 1000
decisions:
  size:
    rules:
      - {when: big, then: large}
      - {when: not big, then: small}
  partner:
    rules:
      - {when: "terminated or tenure < 12", then: false}
      - {when: true, then: true}
"""
    )
    assert compiled.decisions["size"].default is None
    assert compiled.decisions["size"].outcomes == ("large", "small")


def test_incomplete_decision_names_a_customer_it_misses() -> None:
    [problem] = problems(
        HEAD
        + """
decisions:
  size:
    rules:
      - {when: total >= 1000, then: large}
      - {when: total < 1000, then: small}
"""
    )
    assert isinstance(problem, IncompleteDecisionError)
    assert "no rule matches when total is missing" in problem.message
    assert (problem.location.line, problem.location.column) == (11, 3)


def test_collect_decisions_need_no_default() -> None:
    compiled = load(
        HEAD
        + """
decisions:
  flags:
    hit: collect
    rules:
      - {when: terminated, then: churn-risk}
      - {when: on_time < 0.9, then: late-deliveries}
  c: {rules: [{when: "'churn-risk' in flags", then: watch}], default: {then: ok}}
"""
    )
    assert compiled.decisions["flags"].type == Type("list", nullable=False, item="text")


def test_then_types_must_agree_and_yaml_booleans_are_explained() -> None:
    [problem] = problems(
        HEAD
        + """
decisions:
  answer:
    rules:
      - {when: terminated, then: yes-please}
    default: {then: no}
"""
    )
    assert isinstance(problem, ThenTypeError)
    assert "quotes" in (problem.hint or "")


def test_criterion_parameters_are_checked() -> None:
    found = problems(
        HEAD.replace(
            "{use: delivery.on_time_rate}",
            "{use: delivery.on_time_rate, params: {tolerance_days: -1, grace: 2}}",
        )
        + """
decisions:
  c: {rules: [{when: on_time > 0.9, then: A}], default: {then: B}}
"""
    )
    assert [type(p) for p in found] == [ParameterError, ParameterError]
    assert "at least 0" in found[0].message
    assert "unknown parameter 'grace'" in found[1].message


def test_policies_must_name_values_of_the_first_decision() -> None:
    [problem] = problems(
        HEAD
        + """
decisions:
  category: {rules: [{when: terminated, then: C}], default: {then: A}}
policies:
  A: {manager: senior}
  D: {manager: none}
"""
    )
    assert isinstance(problem, PolicyError)
    assert "'D'" in problem.message


def test_examples_name_known_facts_with_values_of_the_right_type() -> None:
    found = problems(
        HEAD
        + """
derive:
  vip: top_share(total) <= 0.2
decisions:
  category: {rules: [{when: vip, then: A}], default: {then: B}}
tests:
  - name: typo
    given: {vipp: true, paid: 3, previous.category: A}
    expect: {categroy: A}
"""
    )
    assert [type(p) for p in found] == [ExampleError, ExampleError, ExampleError]
    assert "did you mean 'vip'?" in found[0].message
    assert "list of values, one per period" in found[1].message
    assert "did you mean 'category'?" in found[2].message


def test_duplicate_names_across_sections() -> None:
    found = problems(
        HEAD
        + """
derive:
  total: 1
decisions:
  c: {default: {then: A}}
"""
    )
    assert isinstance(found[0], DuplicateNameError)


def test_loaded_ruleset_is_immutable() -> None:
    compiled = load(HEAD + "decisions:\n  c: {default: {then: A}}\n")
    with pytest.raises((AttributeError, TypeError)):
        compiled.name = "other"  # type: ignore[misc]
    with pytest.raises(TypeError):
        compiled.criteria["x"] = compiled.criteria["paid"]  # type: ignore[index]


def test_error_render_shows_the_line_and_a_caret() -> None:
    with pytest.raises(RulesetInvalid) as info:
        load(
            HEAD + "decisions:\n  c: {rules: [{when: tenur >= 24, then: A}], default: {then: B}}\n",
            "vip.yaml",
        )
    text = info.value.render()
    assert "vip.yaml:10:22: unknown name 'tenur' (did you mean 'tenure'?)" in text
    assert "  10 |   c: {rules: [{when: tenur >= 24, then: A}], default: {then: B}}" in text
    assert "     |                      ^^^^^" in text
