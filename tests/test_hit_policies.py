"""Every DMN 1.5 hit policy, with DMN's meaning, on both engines.

Each case decides a few customers (ids "9" and "10" among them, so id order is by number) with
the vector engine and, where durable_rules is installed, with the durable engine too: the two
must give the same frame.
"""

from __future__ import annotations

import importlib.util
import json
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, assume, given, note, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal
from test_durable_engine import REGISTRY  # criteria t.num and t.label, given directly

from tierkit.errors import HitPolicyError, RulesetInvalid
from tierkit.evaluation.run import decide_vector
from tierkit.ruleset import load_ruleset_text
from tierkit.ruleset.compiled import CompiledRuleset
from tierkit.ruleset.hit import SPELLINGS, normalize_hit

HAS_DURABLE = importlib.util.find_spec("durable") is not None


IDS = ["9", "10", "11", "100"]


def load(decision: str) -> CompiledRuleset:
    text = (
        "tierkit: 1\nname: t\ncriteria: {a: {use: t.num}, s: {use: t.label}}\n"
        f"decisions:\n  d:\n{decision}"
    )
    return load_ruleset_text(text, registry=REGISTRY)


def decide(ruleset: CompiledRuleset, a: list[float | None]) -> pl.DataFrame:
    inputs = pl.DataFrame(
        {"customer_id": IDS[: len(a)], "a": a, "s": ["x"] * len(a)},
        schema={"customer_id": pl.String, "a": pl.Float64, "s": pl.String},
    )
    expected = decide_vector(ruleset, REGISTRY, inputs)
    if HAS_DURABLE:
        from tierkit.engines import decide_durable

        got = decide_durable(ruleset, REGISTRY, inputs)
        # the durable engine returns customers by id; compare in the same order
        assert_frame_equal(got, expected.sort("customer_id"))
    # back in the order the customers were given
    order = inputs.select("customer_id").with_row_index("__given")
    return expected.join(order, on="customer_id").sort("__given").drop("__given")


# --------------------------------------------------------------------------------------------
# spellings


@pytest.mark.parametrize(
    ("written", "canonical"),
    [
        ("U", "unique"),
        ("A", "any"),
        ("P", "priority"),
        ("F", "first"),
        ("R", "rule order"),
        ("O", "output order"),
        ("C", "collect"),
        ("C+", "collect sum"),
        ("C<", "collect min"),
        ("C>", "collect max"),
        ("C#", "collect count"),
        ("RULE ORDER", "rule order"),
        ("output_order", "output order"),
        ("Collect  Sum", "collect sum"),
        ("c#", "collect count"),
    ],
)
def test_every_dmn_spelling_means_one_policy(written: str, canonical: str) -> None:
    assert normalize_hit(written) == canonical


def test_an_unknown_hit_policy_is_a_located_error_listing_the_policies() -> None:
    with pytest.raises(RulesetInvalid) as caught:
        load("    hit: best\n    rules: [{when: a > 0, then: A}]\n    default: {then: Z}\n")
    text = caught.value.render()
    # line 6 of the ruleset (after tierkit, name, criteria, decisions, d), column 10
    assert "<ruleset>:6:10: 'decisions.d.hit' is the text 'best': not a hit policy" in text
    assert "output order" in text and "C+" in text


# --------------------------------------------------------------------------------------------
# single-value policies

UNIQUE = (
    "    hit: unique\n    rules:\n"
    "      - {when: a >= 10, then: A}\n"
    "      - {when: a >= 5 and a < 10, then: B}\n"
    "      - {when: a >= 8, then: C}\n"
    "    default: {then: Z}\n"
)


def test_unique_decides_when_one_rule_matches() -> None:
    # a = 6 -> only rule 2 (B); a = 1 and a missing -> none (default Z)
    result = decide(load(UNIQUE), [6.0, 1.0, None])
    assert result["d"].to_list() == ["B", "Z", "Z"]
    assert result["d.rule"].to_list() == [2, 0, 0]


def test_unique_overlap_is_an_error_naming_the_rules_and_a_customer() -> None:
    # "9": a = 12 -> rules 1 and 3; "10": a = 9 -> rules 2 and 3; "9" comes first by number
    with pytest.raises(HitPolicyError) as caught:
        decide(load(UNIQUE), [12.0, 9.0, 1.0])
    text = str(caught.value)
    assert "rule 1 and rule 3" in text
    assert "customer 9 " in text
    assert "and 1 more customer" in text


ANY = (
    "    hit: any\n    rules:\n"
    "      - {when: a >= 10, then: A}\n"
    "      - {when: a >= 20, then: A}\n"
    "      - {when: a < 0, then: B}\n"
    "      - {when: a < -5, then: C}\n"
    "    default: {then: Z}\n"
)


def test_any_accepts_overlapping_rules_that_agree() -> None:
    # a = 25 -> rules 1 and 2 both say A; a = -1 -> rule 3 only
    result = decide(load(ANY), [25.0, -1.0, 3.0])
    assert result["d"].to_list() == ["A", "B", "Z"]


def test_any_refuses_overlapping_rules_that_disagree() -> None:
    # customer "10": a = -6 -> rule 3 (B) and rule 4 (C) disagree
    with pytest.raises(HitPolicyError) as caught:
        decide(load(ANY), [25.0, -6.0])
    text = str(caught.value)
    assert "rule 3 and rule 4" in text and "customer 10 " in text and "(B, C)" in text


PRIORITY = (
    "    hit: priority\n    outcomes: [A, B, C]\n    rules:\n"
    "      - {when: a > 0, then: C}\n"
    "      - {when: a > 10, then: A}\n"
    "      - {when: a > 5, then: B}\n"
    "      - {when: a > 20, then: A}\n"
    "    default: {then: C}\n"
)


def test_priority_takes_the_best_outcome_and_its_first_rule() -> None:
    # a = 25 -> rules 1 (C), 2 (A), 3 (B), 4 (A): best A, first giving it rule 2
    # a = 7 -> rules 1 (C), 3 (B): B by rule 3; a = 1 -> C by rule 1; a = -1 -> default
    result = decide(load(PRIORITY), [25.0, 7.0, 1.0, -1.0])
    assert result["d"].to_list() == ["A", "B", "C", "C"]
    assert result["d.rule"].to_list() == [2, 3, 1, 0]


def refused(decision: str) -> str:
    """The rendered load error of a decision that must not load."""
    with pytest.raises(RulesetInvalid) as caught:
        load(decision)
    return caught.value.render()


def test_priority_without_outcomes_is_a_load_error() -> None:
    text = refused("    hit: P\n    rules: [{when: a > 0, then: A}]\n    default: {then: Z}\n")
    assert "declares none" in text


def test_a_then_outside_the_declared_outcomes_is_a_load_error() -> None:
    text = refused(
        "    hit: first\n    outcomes: [A, B]\n    rules: [{when: a > 0, then: D}]\n"
        "    default: {then: A}\n"
    )
    # the order must name every value the rules give, and only those (B is given by none)
    assert "outcomes leave out 'D', which the decision can give" in text
    assert "lists the outcome 'B', which no rule or default of the decision gives" in text


# --------------------------------------------------------------------------------------------
# list policies

LIST = (
    "    outcomes: [A, B, C]\n    rules:\n"
    "      - {when: a > 0, then: C}\n"
    "      - {when: a > 10, then: A}\n"
    "      - {when: a > 5, then: C}\n"
    "      - {when: a > 20, then: B}\n"
)


def test_rule_order_lists_every_match_in_rule_order_with_repeats() -> None:
    ruleset = load("    hit: rule order\n" + LIST + "    default: {then: B}\n")
    # a = 25 -> rules 1..4: C, A, C, B; a = 7 -> rules 1, 3: C, C; a = -1 -> default B
    result = decide(ruleset, [25.0, 7.0, -1.0])
    assert result["d"].to_list() == ["C, A, C, B", "C, C", "B"]
    assert result["d::C"].to_list() == [True, True, False]
    assert result["d::B"].to_list() == [True, False, True]


def test_output_order_lists_every_match_best_first() -> None:
    ruleset = load("    hit: O\n" + LIST)
    # a = 25 -> A (rule 2), B (rule 4), C (rule 1), C (rule 3); a = 7 -> C, C; none -> empty
    result = decide(ruleset, [25.0, 7.0, -1.0])
    assert result["d"].to_list() == ["A, B, C, C", "C, C", ""]


# --------------------------------------------------------------------------------------------
# aggregations

POINTS = (
    "    rules:\n"
    "      - {when: a > 0, then: 0.1}\n"
    "      - {when: a > 1, then: 0.2}\n"
    "      - {when: a > 2, then: -0.05}\n"
)
NONE = "    default: {then: 9}\n"


@pytest.mark.parametrize("hit", ["collect sum", "C+", "{hit: collect, aggregate: sum}"])
def test_collect_sum_adds_decimals_exactly(hit: str) -> None:
    mapping = "    aggregate: sum\n    hit: collect\n"
    spelled = mapping if hit.startswith("{") else f"    hit: {hit}\n"
    ruleset = load(spelled + POINTS + NONE)
    # a = 3: 0.1 + 0.2 - 0.05 = 0.25 (floats would give 0.25000000000000006)
    # a = 1.5: 0.1 + 0.2 = 0.3 (floats: 0.30000000000000004); a = 0.5: 0.1; a = 0: default 9
    result = decide(ruleset, [3.0, 1.5, 0.5, 0.0])
    assert result["d"].to_list() == [0.25, 0.3, 0.1, 9.0]


def test_collect_min_max_and_count() -> None:
    # a = 3 matches 0.1, 0.2, -0.05: min -0.05, max 0.2, count 3; a = 0: the default 9,
    # and a count of nothing is 0 (a count needs no default)
    min_d = load("    hit: C<\n" + POINTS + NONE)
    assert decide(min_d, [3.0, 1.5, 0.0])["d"].to_list() == [-0.05, 0.1, 9.0]
    max_d = load("    hit: C>\n" + POINTS + NONE)
    assert decide(max_d, [3.0, 1.5, 0.0])["d"].to_list() == [0.2, 0.2, 9.0]
    assert decide(load("    hit: C#\n" + POINTS), [3.0, 0.0])["d"].to_list() == [3.0, 0.0]


def test_an_aggregate_default_decides_when_no_rule_matches() -> None:
    ruleset = load("    hit: collect sum\n" + POINTS + "    default: {then: 0}\n")
    # a = 0 matches nothing -> the default 0; a = 0.5 -> 0.1
    result = decide(ruleset, [0.0, 0.5])
    assert result["d"].to_list() == [0.0, 0.1]
    assert result["d.rule"].to_list() == [0, 1]


def test_a_count_of_text_values_has_a_number_for_its_default() -> None:
    # s is "x" for every customer: one match gives 1; a = 0 matches nothing: the default 5
    ruleset = load(
        "    hit: C#\n    outcomes: ['yes']\n    rules: [{when: a > 0, then: 'yes'}]\n"
        "    default: {then: 5}\n"
    )
    assert decide(ruleset, [1.0, 0.0])["d"].to_list() == [1.0, 5.0]
    text = refused("    hit: C#\n    rules: [{when: a > 0, then: A}]\n    default: {then: B}\n")
    assert "counts the matching rules, so its default must be a number" in text


def test_sum_of_text_and_aggregate_outside_collect_are_load_errors() -> None:
    assert "needs numbers" in refused("    hit: C+\n    rules: [{when: a > 0, then: A}]\n")
    text = refused("    hit: first\n    aggregate: sum\n    rules: [{when: true, then: 1}]\n")
    assert "needs 'hit: collect'" in text


def test_a_sum_without_default_must_decide_everyone() -> None:
    # DMN gives null when nothing matches; a ruleset must say what that customer gets
    assert "has no default" in refused("    hit: C+\n" + POINTS)


# --------------------------------------------------------------------------------------------
# the whole evaluation, and a ruleset's own examples

PIPELINE = """
criteria:
  v: {use: fact.value}
derive:
  top: top_share(v)
decisions:
  tier:
    hit: unique
    rules:
      - {when: top <= 0.5, then: A}
      - {when: v > 0 and top > 0.5, then: B}
      - {when: v >= 100, then: X}
    default: {then: C}
  score:
    hit: collect max
    rules:
      - {when: "tier == 'A'", then: 3}
      - {when: v > 0, then: 1}
    default: {then: 0}
"""


def _run(engine: str, values: list[float]) -> dict[str, tuple[Any, Any]]:
    """Evaluate PIPELINE for customers 9, 10, 11 and 100; (tier, score) by customer."""
    import narwhals.stable.v2 as nw
    from test_evaluate_vector import AS_OF
    from test_evaluate_vector import Facts as ValueFacts

    from tierkit.evaluation import evaluate_tables
    from tierkit.registry import build_registry, make_plugin_manager

    registry = build_registry(make_plugin_manager([("facts", ValueFacts())]))
    ruleset = load_ruleset_text(
        "tierkit: 1\nname: t\nwindow: {period: month, periods: 3}\n" + PIPELINE,
        registry=registry,
    )
    ids = ["9", "10", "11", "100"]
    facts = pl.LazyFrame(
        {"customer_id": ids, "period": [-1] * 4, "value": values},
        schema_overrides={"period": pl.Int64},
    ).with_columns(pl.lit(None, pl.Float64).alias("rate"), pl.lit(None, pl.Boolean).alias("flag"))
    customers = pl.LazyFrame({"customer_id": ids, "name": ids})
    tables = {"customers": nw.from_native(customers), "facts": nw.from_native(facts)}
    result = evaluate_tables(ruleset, registry, tables, AS_OF, engine=engine).results
    return {r["customer_id"]: (r["tier"], r["score"]) for r in result.iter_rows(named=True)}


@pytest.mark.parametrize("engine", ["vector", "durable"] if HAS_DURABLE else ["vector"])
def test_a_run_decides_with_every_policy_and_stops_at_an_overlap(engine: str) -> None:
    # values 50, 40, 0, -5 for ids 9, 10, 11, 100: top shares 0.25, 0.5, 0.75, 1.0
    # tier: 9 and 10 rule 1 (A); 11 (v = 0) and 100 (v < 0) no rule: C
    # score: 9 and 10 match both rules (max 3); 11 and 100 match none: the default 0
    assert _run(engine, [50.0, 40.0, 0.0, -5.0]) == {
        "9": ("A", 3.0),
        "10": ("A", 3.0),
        "11": ("C", 0.0),
        "100": ("C", 0.0),
    }
    # customer "10" now has v = 150: top share 0.25 (rule 1) and v >= 100 (rule 3)
    with pytest.raises(HitPolicyError, match="rule 1 and rule 3 all match customer 10;"):
        _run(engine, [50.0, 150.0, 0.0, -5.0])


EXAMPLES = """tierkit: 1
name: ex
criteria:
  tenure: {use: tenure.months}
decisions:
  flags:
    hit: rule order
    rules:
      - {when: "tenure >= 12", then: loyal}
      - {when: "tenure >= 36", then: veteran}
      - {when: "tenure >= 24", then: loyal}
  points:
    hit: C+
    rules:
      - {when: "tenure >= 12", then: 1.5}
      - {when: "tenure >= 24", then: 2}
    default: {then: 0}
tests:
  - name: a long-standing customer
    given: {tenure: 40}
    expect: {flags: [loyal, veteran, loyal], points: 3.5}
  - name: a new customer
    given: {tenure: 1}
    expect: {flags: [], points: 0}
"""


def test_examples_check_the_order_and_repeats_of_a_list(tmp_path: Any) -> None:
    from typer.testing import CliRunner

    from tierkit.cli import app

    good = tmp_path / "good.yaml"
    good.write_text(EXAMPLES)
    result = CliRunner().invoke(app, ["test", str(good)])
    assert result.exit_code == 0, result.output
    # tenure 40 matches rules 1, 2, 3 in that order: [loyal, veteran, loyal], not a set
    bad = tmp_path / "bad.yaml"
    bad.write_text(EXAMPLES.replace("[loyal, veteran, loyal]", "[loyal, veteran]"))
    result = CliRunner().invoke(app, ["test", str(bad)])
    assert result.exit_code == 1, result.output
    assert "got ['loyal', 'veteran', 'loyal']" in result.output


# --------------------------------------------------------------------------------------------
# both engines agree on generated tables under every policy

POLICIES = list(SPELLINGS)


@st.composite
def policy_rulesets(draw: st.DrawFn) -> str:
    """One to three decisions, each under any policy; later ones may read earlier ones."""
    from test_durable_engine import OUTCOMES, conditions, decision_atoms

    lines: list[str] = []
    earlier: list[str] = []
    for i in range(draw(st.integers(1, 3))):
        hit = draw(st.sampled_from(POLICIES))
        aggregate = hit.startswith("collect ")
        kind = (
            "number"
            if aggregate and hit != "collect count"
            else draw(st.sampled_from(list(OUTCOMES)))
        )
        references = draw(st.lists(st.sampled_from(earlier), max_size=2)) if earlier else []
        rules: list[str] = []
        given: list[Any] = []
        for _ in range(draw(st.integers(1, 4))):
            when = draw(conditions(references))
            then = draw(st.sampled_from(OUTCOMES[kind]))
            given.append(then)
            rules.append(f"      - {{when: {json.dumps(when)}, then: {json.dumps(then)}}}")
        default = draw(st.sampled_from(OUTCOMES["number" if hit == "collect count" else kind]))
        if hit != "collect count":
            given.append(default)
        # only outcomes a rule or the default gives: listing another one is a load error
        listed = [o for o in OUTCOMES[kind] if any(o == g and type(o) is type(g) for g in given)]
        lines += [f"  d{i}:", f"    hit: {hit}", f"    outcomes: {json.dumps(listed)}"]
        lines += ["    rules:", *rules, f"    default: {{then: {json.dumps(default)}}}"]
        shape = "collect" if hit in ("rule order", "output order", "collect") else "first"
        earlier += decision_atoms(f"d{i}", shape, "number" if aggregate else kind)
    return "\n".join(lines) + "\n"


@pytest.mark.skipif(not HAS_DURABLE, reason="durable-rules is not installed")
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), decisions=policy_rulesets())
def test_both_engines_agree_under_every_policy(data: st.DataObject, decisions: str) -> None:
    from test_durable_engine import both, inputs_for
    from test_durable_engine import load as load_decisions

    try:
        ruleset = load_decisions(decisions)
    except RulesetInvalid:
        assume(False)
        raise
    inputs = data.draw(inputs_for(ruleset))
    note(f"ruleset:\n{decisions}\ninputs:\n{inputs.to_dicts()}")
    vector_error = durable_error = None
    try:
        both(ruleset, inputs)
        return
    except HitPolicyError as error:  # both engines must stop, and say the same
        vector_error = str(error)
    from tierkit.engines import decide_durable

    with pytest.raises(HitPolicyError) as caught:
        decide_durable(ruleset, REGISTRY, inputs)
    durable_error = str(caught.value)
    assert durable_error == vector_error


def test_an_example_whose_customer_breaks_unique_fails_naming_the_rules(tmp_path: Any) -> None:
    from typer.testing import CliRunner

    from tierkit.cli import app

    path = tmp_path / "unique.yaml"
    path.write_text(
        "tierkit: 1\nname: u\ncriteria:\n  tenure: {use: tenure.months}\ndecisions:\n"
        "  tier:\n    hit: unique\n    rules:\n"
        "      - {when: 'tenure >= 12', then: B}\n"
        "      - {when: 'tenure >= 24', then: A}\n"
        "    default: {then: C}\n"
        "tests:\n  - name: a veteran\n    given: {tenure: 30}\n    expect: {tier: A}\n"
    )
    # tenure 30 is >= 12 (rule 1) and >= 24 (rule 2)
    result = CliRunner().invoke(app, ["test", str(path)])
    assert result.exit_code == 1, result.output
    assert "(hit: unique): rule 1 and rule 2 all match customer" in result.output


def test_a_sum_too_fine_for_whole_units_is_added_as_it_is() -> None:
    # 1e-30 in whole units of 1e-30 makes 1 a 10^30, beyond 64 bits: added as floats instead,
    # where 1 + 1e-30 is 1.0 (a double keeps about 16 digits)
    ruleset = load(
        "    hit: collect sum\n    rules:\n"
        "      - {when: a > 0, then: 1}\n      - {when: a > 1, then: 1.0e-30}\n"
        "    default: {then: 0}\n"
    )
    assert decide(ruleset, [2.0, 0.5, 0.0])["d"].to_list() == [1.0, 1.0, 0.0]
