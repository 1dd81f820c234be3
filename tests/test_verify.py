"""The verifier of ``tierkit validate``: unreachable and shadowed rules, forbidden overlaps,
thresholds outside a criterion's range; each at its file, line and column.

Expected findings are stated by hand from the small rulesets below. Property tests check the
verifier against the vector engine: a rule it calls unreachable or shadowed never decides a
customer, and the example of an overlap really makes a unique table fail.
"""

from __future__ import annotations

import json
import math
import re
import textwrap
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from helpers import property_examples
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from tierkit.cli import app
from tierkit.errors import HitPolicyError, IncompleteDecisionError, RulesetInvalid
from tierkit.evaluation.run import decide_vector
from tierkit.registry import get_registry
from tierkit.ruleset import load_ruleset, load_ruleset_text
from tierkit.ruleset.compiled import CompiledRuleset
from tierkit.ruleset.formula import Translator, conj
from tierkit.ruleset.intervals import ChoiceSet, Interval, NumberSet, Other, representatives
from tierkit.ruleset.read import parse_document
from tierkit.ruleset.solve import Solver
from tierkit.ruleset.verify import Finding, verify
from tierkit.shipped import resolve_ruleset_paths

HEAD = """\
tierkit: 1
name: t
criteria:
  paid: {use: value}
  late: payments.days_late
  on_time: delivery.on_time_rate
  tenure: tenure.months
  region: customer.region
"""
"""Eight lines: what follows starts on line 9."""


def findings(body: str) -> list[Finding]:
    text = HEAD + textwrap.dedent(body).lstrip("\n")
    ruleset = load_ruleset_text(text, "t.yaml")
    return verify(ruleset, parse_document(text, "t.yaml"))


def where(finding: Finding) -> tuple[str, int, int]:
    return finding.kind, finding.location.line, finding.location.column


# --------------------------------------------------------------------------------------------
# the value sets


def test_number_sets_union_intersection_complement() -> None:
    above = NumberSet.compare(">", 5)
    below = NumberSet.compare("<", 3)
    assert (above & below).is_empty()
    assert (above | below) == NumberSet(
        (Interval(-math.inf, 3, False, False), Interval(5, math.inf, False, False))
    )
    # not (x > 5) holds for x <= 5 and for a missing x
    assert ~above == NumberSet((Interval(-math.inf, 5, False, True),), missing=True)
    assert 5 in ~above and None in ~above and 5.5 not in ~above
    assert NumberSet.compare(">=", 3) | NumberSet.compare("<", 3) == ~NumberSet(missing=True)
    assert NumberSet.compare("!=", 2) == ~NumberSet.points([2], missing=True)


def test_choice_sets_of_texts() -> None:
    north = ChoiceSet(frozenset({"n"}))
    either = ChoiceSet(frozenset({"n", "s"}))
    assert north & either == north
    assert (~either & north).is_empty()
    assert "x" in ~either and None in ~either and "n" not in ~either
    assert ChoiceSet(frozenset({"n"}), other=True) | north == ChoiceSet(other=True)


def test_representatives_cover_every_region() -> None:
    sets = [NumberSet.compare(">", 1000), NumberSet.compare(">", 5000)]
    assert representatives(sets, None) == [1000.0, 5000.0, 999.0, 5001.0, 1001.0, None]
    texts = representatives([ChoiceSet(frozenset({"n"}))], None, missing=False)
    assert texts == ["n", Other(("n",))]
    # a bands() result takes only its points
    points = representatives([NumberSet.compare(">=", 4)], NumberSet.points([1, 3, 5], True))
    assert points == [1.0, 3.0, 5.0, None]


# --------------------------------------------------------------------------------------------
# unreachable and shadowed rules


def test_a_condition_that_never_holds_is_unreachable_at_its_line() -> None:
    found = findings("""
        decisions:
          category:
            rules:
              - {when: false, then: X}
              - {when: "paid > 5 and paid < 3", then: Y}
              - {when: "0 < late < 1 and late == 2", then: Z}
            default: {then: C}
        """)
    assert [where(f) for f in found] == [
        ("unreachable", 12, 16),
        ("unreachable", 13, 17),
        ("unreachable", 14, 17),
    ]
    assert found[0].rules == ("rule 1",)
    assert "rule 2 can never fire" in found[1].message
    assert found[2].decision == "category"


def test_a_wider_rule_first_shadows_a_narrower_one() -> None:
    found = findings("""
        decisions:
          category:
            rules:
              - {when: "paid > 1000", then: A}
              - {name: top, when: "paid > 5000", then: A+}
            default: {then: C}
        """)
    assert [where(f) for f in found] == [("shadowed", 13, 28)]
    assert found[0].rules == ("rule 1", "top")
    assert found[0].related[0].line == 12
    assert "rule 2 (top) can never fire" in found[0].message
    assert "matched first by rule 1 (line 12)" in found[0].message


def test_a_rule_covered_by_several_earlier_rules_together_is_shadowed_by_them() -> None:
    found = findings("""
        decisions:
          category:
            rules:
              - {when: "paid > 10", then: A}
              - {when: "region == 'north'", then: B}
              - {when: "paid <= 10", then: C}
              - {when: "paid >= 3", then: D}
            default: {then: E}
        """)
    assert [where(f) for f in found] == [("shadowed", 15, 17)]
    assert found[0].rules == ("rule 1", "rule 3", "rule 4")
    assert "matched first by rule 1 and rule 3 (lines 12, 14)" in found[0].message


def test_thousands_of_rules_are_checked_within_the_bound_and_early_findings_stay() -> None:
    """Each of 1,200 rules under hit: first is checked against every rule above it. The work of
    substituting values was not counted toward the bound, and 4,000 rules took 16 s to
    validate. The bound now stops the checks part way: what was found before it is reported,
    the rest of the table is left alone (its last rule, shadowed too, is not named)."""
    rules = "".join(f"      - {{when: 'paid > {i * 10} and tenure >= {i % 37}', then: R}}\n"
                    for i in range(1200, 0, -1))
    text = (
        HEAD + "decisions:\n  category:\n    rules:\n"
        "      - {when: 'late > 100', then: A}\n"
        "      - {when: 'late > 200', then: B}\n"  # line 13: shadowed by the first
        + rules
        + "      - {when: 'late > 300', then: B}\n"  # shadowed too, past the bound
        + "    default: {then: C}\n"
    )
    found = verify(load_ruleset_text(text, "t.yaml"), parse_document(text, "t.yaml"))
    assert [where(f) for f in found] == [("shadowed", 13, 17)]


def test_a_missing_value_keeps_a_later_rule_alive() -> None:
    # not (late > 10) holds for a customer without a due date (late missing): the third rule
    # decides those, so it is not shadowed; the same rule without 'not' would be
    found = findings("""
        decisions:
          category:
            rules:
              - {when: "late > 10", then: A}
              - {when: "late <= 10", then: B}
              - {when: "not late > 100", then: C}
              - {when: "late < 100", then: D}
            default: {then: E}
        """)
    assert [where(f) for f in found] == [("shadowed", 15, 17)]
    assert found[0].rules == ("rule 3", "rule 4")


def test_texts_lists_and_derived_facts_are_read_through() -> None:
    found = findings("""
        derive:
          southern: region in ['south', 'south-east']
          loyal: tenure >= 24
        decisions:
          category:
            rules:
              - {when: "southern or region == 'north'", then: A}
              - {when: "region == 'south' and loyal", then: B}
              - {when: "region not in ['north', 'south'] and tenure > 30 and not loyal", then: C}
              - {when: "region != 'north'", then: D}
            default: {then: E}
        """)
    assert [where(f) for f in found] == [("shadowed", 16, 17), ("unreachable", 17, 17)]


def test_parts_the_verifier_cannot_read_never_make_a_finding() -> None:
    # golden is a function of two facts: 'golden > 5' after 'paid > 5' is no finding, and two
    # comparisons of two facts are independent unknowns; the same text is the same value
    found = findings("""
        derive:
          golden: paid + tenure
        decisions:
          category:
            rules:
              - {when: "paid > 5 and tenure > 0", then: A}
              - {when: "golden > 5", then: B}
              - {when: "paid > tenure", then: C}
              - {when: "tenure < paid", then: D}
              - {when: "coalesce(late, 0) > 1", then: E}
              - {when: "coalesce(late, 0) > 2", then: F}
            default: {then: G}
        """)
    assert [where(f) for f in found] == [("shadowed", 19, 17)]


# --------------------------------------------------------------------------------------------
# overlaps


def test_overlapping_rules_of_a_unique_table_are_named_with_an_example() -> None:
    found = findings("""
        decisions:
          size:
            hit: unique
            rules:
              - {when: "paid > 1000", then: big}
              - {when: "paid < 5000", then: small}
              - {when: "paid < 0", then: refund}
            default: {then: none}
        """)
    assert [where(f) for f in found] == [("overlap", 14, 17), ("overlap", 15, 17)]
    assert found[0].rules == ("rule 1", "rule 2")
    assert "rule 1 (line 13) and rule 2 both match a customer with paid = 1001" in found[0].message
    assert "rule 2 (line 14) and rule 3 both match a customer with paid = -1" in found[1].message


def test_an_any_table_may_overlap_where_the_rules_agree() -> None:
    found = findings("""
        decisions:
          risk:
            hit: any
            rules:
              - {when: "late > 30", then: high}
              - {when: "on_time < 0.5", then: high}
              - {when: "late > 60 and region == 'north'", then: low}
            default: {then: none}
        """)
    assert [where(f) for f in found] == [("overlap", 15, 17), ("overlap", 15, 17)]
    assert [f.rules for f in found] == [("rule 1", "rule 3"), ("rule 2", "rule 3")]
    assert "with late = 61, region = 'north';" in found[0].message
    assert "with late = 61, on_time = 0, region = 'north';" in found[1].message
    assert "they give different values (high, low)" in found[0].message


def test_rules_on_different_values_of_an_unknown_part_do_not_overlap() -> None:
    found = findings("""
        derive:
          score: paid / 100 + tenure
        decisions:
          grade:
            hit: unique
            rules:
              - {when: "score >= 50", then: high}
              - {when: "score < 50 and paid > tenure", then: mid}
              - {when: "score < 50 and tenure >= paid", then: low}
            default: {then: none}
        """)
    assert found == []


# --------------------------------------------------------------------------------------------
# thresholds outside a criterion's range


def test_a_threshold_outside_the_declared_range_is_pointed_at() -> None:
    found = findings("""
        derive:
          punctual: on_time >= 0.95
          seasoned: tenure > -1
        decisions:
          category:
            rules:
              - {when: "paid > 0 and on_time >= 90", then: A}
              - {when: "on_time in [0.5, 50]", then: B}
              - {when: "1.5 < on_time", then: C}
            default: {then: D}
        """)
    assert [where(f) for f in found] == [
        ("range", 11, 13),
        ("range", 15, 30),
        ("range", 16, 17),
        ("range", 17, 17),
    ]
    assert found[0].message == (
        "derived fact 'seasoned': tenure (tenure.months) lies at or above 0, so \"tenure > -1\" "
        "holds for every value it has"
    )
    assert '"on_time >= 90" never holds' in found[1].message
    assert "lists 50, outside it" in found[2].message
    assert '"1.5 < on_time" never holds' in found[3].message


def test_a_criterion_may_declare_its_range_and_the_registry_checks_it() -> None:
    from tierkit.contract import Criterion
    from tierkit.registry import _check_criterion

    on_time = get_registry().criteria["delivery.on_time_rate"]
    assert (on_time.minimum, on_time.maximum) == (0, 1)
    assert get_registry().criteria["payments.received"].minimum is None
    from dataclasses import replace

    wrong: Criterion = replace(on_time, minimum=2)
    assert _check_criterion(wrong) == "minimum 2 is above maximum 1"


# --------------------------------------------------------------------------------------------
# the examples of docs/verifier.md

DOC = (Path(__file__).parent.parent / "docs" / "verifier.md").read_text(encoding="utf-8")
DOC_EXAMPLES = re.findall(r"<!-- verifier: (.*?) -->\n```yaml\n(.*?)```", DOC, re.S)


def test_the_verifier_page_has_an_example_of_each_finding() -> None:
    kinds = {m.split()[0] for marks, _ in DOC_EXAMPLES for m in marks.split(", ")}
    assert kinds == {"unreachable", "shadowed", "overlap", "range"}


@pytest.mark.parametrize("marks,text", DOC_EXAMPLES, ids=[m for m, _ in DOC_EXAMPLES])
def test_verifier_page_examples_find_what_the_page_says(marks: str, text: str) -> None:
    match = re.search(r"name: (\S+)", text)
    assert match is not None
    name = f"{match.group(1)}.yaml"
    found = verify(load_ruleset_text(text, name), parse_document(text, name))
    assert [f"{f.kind} {f.location.line}:{f.location.column}" for f in found] == marks.split(", ")
    for finding in found:  # the page quotes each message as printed
        assert f"{finding.location}: warning: {finding.message}\n" in DOC, finding.message


# --------------------------------------------------------------------------------------------
# shipped rulesets and the command


@pytest.mark.parametrize("path", resolve_ruleset_paths(["rulesets"]), ids=lambda p: p.name)
def test_shipped_rulesets_have_no_findings(path: Any) -> None:
    assert verify(load_ruleset(path)) == []


BAD = HEAD + textwrap.dedent("""
    decisions:
      category:
        rules:
          - {when: "paid > 1000", then: A}
          - {when: "paid > 5000", then: A+}
          - {when: "paid < 0 and paid > 0", then: R}
        default: {then: C}
    """).lstrip("\n")


def test_validate_warns_and_strict_fails(tmp_path: Any) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(BAD)
    runner = CliRunner()
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    assert f"{path}:13:17: warning: decision 'category' (hit: first): rule 2" in result.stderr
    assert f"{path}:14:17: warning: decision 'category': rule 3 can never fire" in result.stderr
    assert '  13 |       - {when: "paid > 5000", then: A+}' in result.stderr
    assert result.stdout.endswith("; 2 warnings\n")
    strict = runner.invoke(app, ["validate", "--strict", str(path)])
    assert strict.exit_code == 1, strict.output
    clean = runner.invoke(app, ["validate", "--strict", "vip-monthly"])
    assert clean.exit_code == 0, clean.output


def test_validate_json_lists_findings(tmp_path: Any) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(BAD)
    result = CliRunner().invoke(app, ["validate", "--json", str(path)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["valid"] is True and report["findings"] == 2
    first = report["files"][0]["findings"][0]
    assert {k: first[k] for k in ("kind", "line", "column", "decision", "rules")} == {
        "kind": "shadowed",
        "line": 13,
        "column": 17,
        "decision": "category",
        "rules": ["rule 1", "rule 2"],
    }
    assert first["related"] == [{"file": str(path), "line": 12, "column": 17}]
    assert first["severity"] == "warning"


# --------------------------------------------------------------------------------------------
# property: the verifier agrees with the vector engine

PROPERTY_HEAD = "tierkit: 1\nname: p\ncriteria: {a: payments.days_late, s: customer.region}\n"
NUMBERS = [-1, 0, 1, 2.5, 3]
VALUES_A: list[float | None] = [None, -2, -1, -0.5, 0, 0.5, 1, 2, 2.5, 2.75, 3, 4]
VALUES_S: list[str | None] = [None, "n", "s", "x", "y"]


def _atoms() -> st.SearchStrategy[str]:
    number = st.sampled_from(NUMBERS).map(str)
    text = st.sampled_from(["'n'", "'s'"])
    return st.one_of(
        st.tuples(st.sampled_from(["<", "<=", ">", ">=", "==", "!="]), number).map(
            lambda t: f"a {t[0]} {t[1]}"
        ),
        st.tuples(st.sampled_from(["==", "!="]), text).map(lambda t: f"s {t[0]} {t[1]}"),
        st.sampled_from(
            [
                "s in ['n', 'x']",
                "s not in ['n']",
                "a in [0, 3]",
                "missing(a)",
                "missing(s)",
                "true",
                "false",
            ]
        ),
    )


def _conditions() -> st.SearchStrategy[str]:
    return st.recursive(
        _atoms(),
        lambda inner: st.one_of(
            inner.map(lambda c: f"not ({c})"),
            st.tuples(inner, st.sampled_from(["and", "or"]), inner).map(
                lambda t: f"({t[0]}) {t[1]} ({t[2]})"
            ),
        ),
        max_leaves=4,
    )


def _ruleset(hit: str, conditions: list[str], default: bool = True) -> CompiledRuleset:
    rules = "".join(
        f"      - {{when: {json.dumps(c)}, then: R{i + 1}}}\n" for i, c in enumerate(conditions)
    )
    text = f"{PROPERTY_HEAD}decisions:\n  d:\n    hit: {hit}\n    rules:\n{rules}"
    return load_ruleset_text(text + ("    default: {then: none}\n" if default else ""), "p.yaml")


def _inputs(rows: list[tuple[float | None, str | None]]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "customer_id": [str(i) for i in range(len(rows))],
            "a": [r[0] for r in rows],
            "s": [r[1] for r in rows],
        },
        schema={"customer_id": pl.String, "a": pl.Float64, "s": pl.String},
    )


EVERY_ROW = [(a, s) for a in VALUES_A for s in VALUES_S]
"""Every combination of the sample values: each region of each condition above has one."""


@settings(
    max_examples=property_examples(300),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(st.lists(_conditions(), min_size=1, max_size=5))
def test_a_rule_called_unreachable_or_shadowed_never_fires(conditions: list[str]) -> None:
    ruleset = _ruleset("first", conditions)
    never = {
        int(r.split()[-1])
        for f in verify(ruleset)
        if f.kind in ("unreachable", "shadowed")
        for r in f.rules[-1:]
    }
    fired = set(decide_vector(ruleset, get_registry(), _inputs(EVERY_ROW))["d.rule"].to_list())
    assert not never & fired, (never, fired)
    # the sample rows reach every region, so the verifier misses nothing here either
    assert set(range(1, len(conditions) + 1)) - fired == never


def _row(example: dict[str, Any]) -> tuple[float | None, str | None]:
    a, s = example.get("a", 0.0), example.get("s", "n")
    return a, "zz" if isinstance(s, Other) else s


@settings(
    max_examples=property_examples(300),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(st.lists(_conditions(), min_size=2, max_size=4))
def test_an_overlap_example_makes_a_unique_table_fail(conditions: list[str]) -> None:
    ruleset = _ruleset("unique", conditions)
    overlaps = [f for f in verify(ruleset) if f.kind == "overlap"]
    registry = get_registry()
    translator = Translator(ruleset)
    rules = ruleset.decisions["d"].rules
    formulas = [translator.condition(r.when.tree, r.when.node_types) for r in rules]
    solver = Solver(translator.terms)
    for finding in overlaps:
        i, j = (int(name.split()[-1]) - 1 for name in finding.rules)
        pair = solver.witness(conj(formulas[i], formulas[j]))
        assert pair is not None
        with pytest.raises(HitPolicyError):
            decide_vector(ruleset, registry, _inputs([_row(pair)]))
    if not overlaps:
        decide_vector(ruleset, registry, _inputs(EVERY_ROW))  # no customer matches two rules


@settings(
    max_examples=property_examples(300),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(st.lists(_conditions(), min_size=1, max_size=4))
def test_a_table_without_default_loads_exactly_when_it_decides_everyone(
    conditions: list[str],
) -> None:
    try:
        ruleset = _ruleset("first", conditions, default=False)
    except RulesetInvalid as exc:
        [problem] = exc.problems
        assert isinstance(problem, IncompleteDecisionError)
        assert "no rule matches when" in problem.message
        undecided = _ruleset("first", conditions)  # the same rules with a default
        decided = decide_vector(undecided, get_registry(), _inputs(EVERY_ROW))
        assert 0 in decided["d.rule"].to_list(), "refused, yet every customer is decided"
        return
    decided = decide_vector(ruleset, get_registry(), _inputs(EVERY_ROW))
    assert decided["d"].null_count() == 0, "loaded, yet a customer is not decided"


# --------------------------------------------------------------------------------------------
# gaps: a decision without a default is proven complete over value ranges


def test_a_table_covering_every_value_with_missing_needs_no_default() -> None:
    ruleset = load_ruleset_text(
        HEAD
        + textwrap.dedent("""
            decisions:
              band:
                rules:
                  - {when: "late >= 10", then: late}
                  - {when: "late < 10", then: on_time}
                  - {when: "missing(late)", then: unknown}
            """).lstrip("\n"),
        "t.yaml",
    )
    assert ruleset.decisions["band"].default is None
    assert verify(ruleset) == []


def test_a_gap_is_named_with_an_example_value() -> None:
    with pytest.raises(RulesetInvalid) as info:
        load_ruleset_text(
            HEAD
            + textwrap.dedent("""
                decisions:
                  category:
                    rules:
                      - {when: "tenure >= 24", then: A}
                      - {when: "tenure < 12 or region in ['north', 'south']", then: C}
                """).lstrip("\n"),
            "t.yaml",
        )
    [problem] = info.value.problems
    assert isinstance(problem, IncompleteDecisionError)
    assert problem.message == (
        "decision 'category' has no default and cannot be shown to decide every customer: no "
        "rule matches when region is a value other than 'north', 'south', tenure is 12"
    )
    assert (problem.location.line, problem.location.column) == (10, 3)
