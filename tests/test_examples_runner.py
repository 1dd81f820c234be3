"""The example runner (``tests:`` in a ruleset), ``tierkit test`` and the pytest plugin."""

from __future__ import annotations

import dataclasses
import json
import textwrap
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import typer
from typer.testing import CliRunner

from tierkit.cli.test_cmd import register
from tierkit.demo import DemoFormat, DemoSpec, generate_demo
from tierkit.errors import RulesetInvalid
from tierkit.evaluation import evaluate
from tierkit.evaluation.examples import (
    ExampleResult,
    criteria_from_transactions,
    describe_result,
    run_example,
    run_examples,
)
from tierkit.registry import Registry
from tierkit.ruleset import load_ruleset_text
from tierkit.ruleset.compiled import CompiledRuleset
from tierkit.ruleset.model import Example
from tierkit.shipped import shipped_rulesets

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parent.parent

BASE = """
tierkit: 1
name: t
window: {period: month, periods: 3}
criteria:
  paid: {use: payments.received, per: period}
  history: {use: payments.received, per: period, periods: 5}
  recent: {use: payments.received, per: period, periods: 2}
  on_time: delivery.on_time_rate
  tenure: tenure.months
  terminated: contracts.terminated
derive:
  total: sum(paid)
  all_five: sum(history)
  recent_months: count(recent > 0)
  months: count(paid > 0)
  top: top_share(total, among=total > 0)
  big_month: paid >= 100
decisions:
  category:
    rules:
      - {when: "top <= 0.5 or total >= 1000", then: A, because: "Top half, or 1000 or more"}
      - {when: "previous.category == 'A'", then: B, because: "Was A"}
    default: {then: C, because: "The rest"}
  flags:
    hit: collect
    rules:
      - {when: "on_time < 0.9", then: late, because: "Late deliveries"}
      - {when: terminated, then: leaving, because: "Terminated a contract"}
      - {when: "missing(tenure)", then: unknown_start}
"""


def load(text: str) -> CompiledRuleset:
    return load_ruleset_text(textwrap.dedent(text).lstrip("\n"), "test.yaml")


def ruleset_with(tests: str) -> CompiledRuleset:
    return load(BASE + "tests:\n" + textwrap.indent(textwrap.dedent(tests), "  "))


def results(tests: str, registry: Registry) -> list[ExampleResult]:
    return run_examples(ruleset_with(tests), registry)


def one(tests: str, registry: Registry) -> ExampleResult:
    [result] = results(tests, registry)
    return result


def values(result: ExampleResult) -> dict[str, Any]:
    return {c.name: c.actual for c in result.checks}


# --------------------------------------------------------------------------------------------
# the runner


def test_a_passing_example_reports_the_rule_that_fired(registry: Registry) -> None:
    result = one(
        """
        - name: a big payer
          given: {paid: [1000, 0, 5]}
          expect: {category: A, total: 1005, months: 2}
        """,
        registry,
    )
    assert result.passed, describe_result(result)
    assert result.customer == "example"
    category = result.checks[0]
    assert (category.rule, category.because) == ("rule 1", "Top half, or 1000 or more")
    assert describe_result(result) == ["✓ a big payer"]


def test_a_failing_example_says_expected_actual_and_why(registry: Registry) -> None:
    result = one(
        """
        - name: wrong on purpose
          given: {paid: [0, 0, 0], previous.category: A}
          expect: {category: C, total: 1}
        """,
        registry,
    )
    assert not result.passed
    [category, total] = result.mismatches
    assert (category.expected, category.actual, category.rule) == ("C", "B", "rule 2")
    assert category.because == "Was A"
    assert (total.expected, total.actual, total.rule) == (1, 0.0, None)
    assert describe_result(result) == [
        "✗ wrong on purpose",
        "    category: expected 'C', got 'B'",
        '      decided by rule 2: "Was A"',
        "    total: expected 1, got 0",
    ]


def test_criteria_not_given_take_their_neutral_value(registry: Registry) -> None:
    result = one(
        """
        - name: nothing given
          expect: {total: 0, months: 0, top: null, category: C, flags: [unknown_start]}
        """,
        registry,
    )
    assert result.passed, describe_result(result)
    assert values(result)["flags"] == ["unknown_start"]
    # on_time (missing) is not < 0.9; terminated is false; tenure is missing
    flags = next(c for c in result.checks if c.name == "flags")
    assert (flags.rule, flags.because) == ("rules 3", None)


def test_a_default_decision_is_reported_as_default(registry: Registry) -> None:
    result = one(
        """
        - name: no previous run
          given: {top: null}
          expect: {category: C}
        """,
        registry,
    )
    assert result.passed
    assert (result.checks[0].rule, result.checks[0].because) == ("default", "The rest")


def test_per_period_lists_follow_each_criterion_s_own_periods(registry: Registry) -> None:
    # history has five periods (two before the window), recent the last two
    result = one(
        """
        - name: own periods
          given: {paid: [1, 2, 3], history: [100, 200, 1, 2, 3], recent: [0, 7]}
          expect: {total: 6, all_five: 306, recent_months: 1, big_month: [false, false, false]}
        """,
        registry,
    )
    assert result.passed, describe_result(result)


def test_a_list_of_the_wrong_length_fails_naming_example_and_criterion(
    registry: Registry,
) -> None:
    result = one(
        """
        - name: too short
          given: {history: [1, 2, 3]}
          expect: {category: C}
        """,
        registry,
    )
    assert not result.passed
    assert result.error == (
        "example 'too short': 'history' needs 5 values, one per period oldest first, found 3"
    )
    assert describe_result(result)[1] == f"    {result.error}"


def test_a_wrong_length_in_a_population_names_the_customer(registry: Registry) -> None:
    result = one(
        """
        - name: ranked
          population:
            - {customer_id: a, paid: [1, 2, 3]}
            - {customer_id: b, paid: [1, 2]}
          customer: a
          expect: {category: A}
        """,
        registry,
    )
    assert result.error is not None and "(customer b): 'paid' needs 3 values" in result.error


def test_ranking_in_a_population(registry: Registry) -> None:
    tests = """
        - name: ranked
          population:
            - {customer_id: a, paid: [50, 0, 0]}
            - {customer_id: b, paid: [0, 0, 40]}
            - {customer_id: c, paid: [0, 0, 0]}
            - {customer_id: d, paid: [10, 10, 10]}
          customer: CUSTOMER
          expect: {category: CATEGORY}
    """
    # ranked: a (50), b (40), d (30); c has no value and is not ranked
    for customer, category, top in (("a", "A", 1 / 3), ("b", "C", 2 / 3), ("c", "C", None)):
        text = tests.replace("CUSTOMER", customer).replace("CATEGORY", category)
        result = one(text, registry)
        assert result.passed, describe_result(result)
        assert result.customer == customer
        got = run_example(
            ruleset_with(text.replace("{category:", "{top: null, category:")), registry, 0
        )
        actual_top = next(c.actual for c in got.checks if c.name == "top")
        assert actual_top == (pytest.approx(top) if top is not None else None)


def test_given_applies_to_every_population_row_and_a_row_wins(registry: Registry) -> None:
    tests = """
        - name: shared values
          given: {paid: [5, 5, 5], previous.category: A}
          population:
            - {customer_id: a}
            - {customer_id: b, paid: [9, 9, 9]}
            - {customer_id: c, previous.category: C}
          customer: CUSTOMER
          expect: {category: CATEGORY, total: TOTAL}
    """
    for customer, category, total in (("b", "A", "27"), ("a", "B", "15"), ("c", "C", "15")):
        text = tests.replace("CUSTOMER", customer).replace("CATEGORY", category)
        result = one(text.replace("TOTAL", total), registry)
        assert result.passed, describe_result(result)


def test_a_given_derived_fact_is_used_as_given_and_missing_elsewhere(
    registry: Registry,
) -> None:
    result = one(
        """
        - name: top given for one customer
          population:
            - {customer_id: a, paid: [1, 1, 1], top: 0.9}
            - {customer_id: b, paid: [0, 0, 0]}
          customer: b
          expect: {top: null, category: C}
        """,
        registry,
    )
    assert result.passed, describe_result(result)
    result = one(
        """
        - name: given, not computed
          given: {paid: [1, 1, 1], top: 0.9}
          expect: {top: 0.9, category: C}
        """,
        registry,
    )
    assert result.passed, describe_result(result)


def test_a_given_per_period_derived_fact(registry: Registry) -> None:
    result = one(
        """
        - name: big months given
          given: {big_month: [true, false, true], paid: [0, 0, 0]}
          expect: {big_month: [true, false, true], total: 0}
        """,
        registry,
    )
    assert result.passed, describe_result(result)


def test_collect_decisions_compare_as_sets(registry: Registry) -> None:
    result = one(
        """
        - name: flags
          given: {on_time: 0.5, terminated: true, tenure: 12}
          expect: {flags: [leaving, late]}
        """,
        registry,
    )
    assert result.passed, describe_result(result)
    [flags] = result.checks
    assert flags.actual == ["late", "leaving"]
    assert flags.rule == "rules 1, 2"
    assert flags.because == "Late deliveries; Terminated a contract"
    wrong = one(
        """
        - name: flags
          given: {on_time: 0.95, tenure: 12}
          expect: {flags: [late]}
        """,
        registry,
    )
    assert [(c.expected, c.actual, c.rule) for c in wrong.mismatches] == [(["late"], [], "no rule")]


def test_previous_of_a_collect_decision(registry: Registry) -> None:
    ruleset = load(
        """
        tierkit: 1
        name: t
        criteria:
          paid: payments.received
        decisions:
          category:
            rules:
              - {when: "'big' in previous.flags", then: A, because: "Was big"}
            default: {then: C}
          flags:
            hit: collect
            rules:
              - {when: "paid > 100", then: big}
        tests:
          - name: was big
            given: {paid: 5, previous.flags: [big]}
            expect: {category: A, flags: []}
          - name: was not
            given: {paid: 500, previous.flags: []}
            expect: {category: C, flags: [big]}
        """
    )
    assert all(r.passed for r in run_examples(ruleset, registry))


def test_a_given_decision_is_used_by_later_ones(registry: Registry) -> None:
    ruleset = load(
        """
        tierkit: 1
        name: t
        criteria:
          tenure: tenure.months
        decisions:
          category:
            rules:
              - {when: "tenure > 100", then: A}
            default: {then: C}
          key:
            rules:
              - {when: "category == 'A' and tenure >= 24", then: true}
            default: {then: false}
        """
    )
    # the ruleset format checks given names at load time; the runner itself accepts decisions
    example = Example(name="given", given={"category": "A", "tenure": 30}, expect={"key": True})
    result = run_example(dataclasses.replace(ruleset, examples=(example,)), registry, 0)
    assert result.passed, describe_result(result)


def test_a_repeated_customer_id_is_refused_at_its_line() -> None:
    """It was found only when the example ran (exit 1, as a failed example); it is a mistake in
    the ruleset, refused when it loads (exit 2), as 9 and '9' are the same id."""
    with pytest.raises(RulesetInvalid) as caught:
        ruleset_with(
            """
            - name: twice
              population:
                - {customer_id: 9}
                - {customer_id: '9'}
              customer: 9
              expect: {category: C}
            """
        )
    [problem] = caught.value.problems
    assert problem.message == (
        "customer_id '9' appears more than once in the example's population"
    )
    assert (problem.location.line, problem.location.column) == (35, 23)


def test_numbers_compare_with_a_tolerance_and_types_strictly(registry: Registry) -> None:
    result = one(
        """
        - name: close enough
          given: {paid: [0.1, 0.2, 0]}
          expect: {total: 0.3, months: 2.0}
        """,
        registry,
    )
    assert result.passed, describe_result(result)


def test_example_lines_point_into_the_file(tmp_path: Path, registry: Registry) -> None:
    from tierkit.evaluation.examples import example_lines
    from tierkit.ruleset import load_ruleset

    path = tmp_path / "r.yaml"
    path.write_text(BASE + TESTS)
    lines = example_lines(path)
    text = path.read_text().splitlines()
    assert [text[n - 1].strip()[:8] for n in lines] == ["- name: ", "- name: "]
    results = run_examples(load_ruleset(path, registry), registry, lines)
    assert [r.line for r in results] == lines


# --------------------------------------------------------------------------------------------
# transactions


TRANSACTIONS = """
tierkit: 1
name: t
window: {period: month, periods: 3}
criteria:
  paid: {use: value, per: period}
  count: payments.count
  tenure: tenure.months
derive:
  total: sum(paid)
decisions:
  category:
    rules:
      - {when: "total >= 100 and tenure >= 12", then: A}
    default: {then: C}
"""


def test_criteria_from_tiny_transaction_tables(registry: Registry) -> None:
    ruleset = load(TRANSACTIONS)
    tables = {
        "customers": [{"customer_id": "a", "since": date(2024, 1, 1)}],
        "payments": [
            {"customer_id": "a", "paid_at": date(2025, 11, 5), "amount": 60.1},
            {"customer_id": "a", "paid_at": "2025-12-31", "amount": "39.9"},
            {"customer_id": "a", "paid_at": date(2026, 1, 1), "amount": 1000},  # as-of: out
            {"customer_id": "b", "paid_at": date(2025, 10, 1), "amount": 5},
        ],
    }
    computed = criteria_from_transactions(ruleset, registry, tables, date(2026, 1, 1), ["a", "b"])
    assert computed["a"] == {"count": 2.0, "tenure": 24.0, "paid": [0.0, 60.1, 39.9]}
    assert computed["b"] == {"count": 1.0, "tenure": None, "paid": [5.0, 0.0, 0.0]}


def test_an_example_with_transactions(registry: Registry) -> None:
    ruleset = dataclasses.replace(
        load(TRANSACTIONS),
        examples=(Example(name="raw", expect={"category": "A", "total": 100}),),
    )
    tables = {
        "customers": [{"since": "2020-06-30"}],
        "payments": [{"paid_at": date(2025, 12, 1), "amount": 100}],
    }
    result = run_example(ruleset, registry, 0, transactions=tables, as_of=date(2026, 1, 1))
    assert result.passed, describe_result(result)
    # values given directly win over computed ones
    given = dataclasses.replace(
        ruleset, examples=(Example(name="raw", given={"tenure": 3}, expect={"category": "C"}),)
    )
    result = run_example(given, registry, 0, transactions=tables, as_of=date(2026, 1, 1))
    assert result.passed, describe_result(result)


def test_bad_transaction_rows_fail_the_example(registry: Registry) -> None:
    ruleset = dataclasses.replace(
        load(TRANSACTIONS), examples=(Example(name="bad", expect={"category": "C"}),)
    )
    tables = {"payments": [{"paid_at": "yesterday", "amount": 5}]}
    result = run_example(ruleset, registry, 0, transactions=tables, as_of=date(2026, 1, 1))
    assert result.error is not None
    assert "transactions.payments" in result.error and "paid_at" in result.error
    missing_date = run_example(ruleset, registry, 0, transactions=tables)
    assert missing_date.error is not None and "as-of date" in missing_date.error


# --------------------------------------------------------------------------------------------
# examples decide exactly as a real run does


@pytest.fixture(scope="module")
def small_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo")
    spec = DemoSpec(customers=40, months=24, seed=11, as_of=date(2026, 1, 1))
    generate_demo(spec, folder, DemoFormat.CSV)
    return folder


@pytest.mark.parametrize(
    "name", ["vip-monthly", "value-matrix", "key-partner", "points", "lifecycle", "rfm"]
)
def test_examples_agree_with_a_real_run(name: str, small_demo: Path, registry: Registry) -> None:
    """Criteria computed from the demo rows, given to an example, decide as ``evaluate``."""
    as_of = date(2026, 1, 1)
    run = evaluate(shipped_rulesets()[name], small_demo, as_of=as_of, registry=registry)
    ruleset = run.ruleset
    tables = {
        path.stem: pl.read_csv(path, infer_schema=False).to_dicts()
        for path in small_demo.glob("*.csv")
    }
    ids = run.values["customer_id"].to_list()
    computed = criteria_from_transactions(ruleset, registry, tables, as_of, ids)
    population = [{"customer_id": i, **computed[i]} for i in ids]
    expectable = [n for n in [*ruleset.derived, *ruleset.decisions] if n in run.values.columns]
    for row in run.values.head(12).iter_rows(named=True):
        expect = {n: _expected(ruleset, n, row[n]) for n in expectable}
        example = Example(
            name="agrees", population=population, customer=row["customer_id"], expect=expect
        )
        result = run_example(dataclasses.replace(ruleset, examples=(example,)), registry, 0)
        assert result.passed, describe_result(result)


def _expected(ruleset: CompiledRuleset, name: str, value: Any) -> Any:
    decision = ruleset.decisions.get(name)
    if decision is not None and decision.hit == "collect":
        return [v for v in str(value).split(", ") if v]
    return value


# --------------------------------------------------------------------------------------------
# tierkit test


TESTS = """
tests:
  - name: passes
    given: {paid: [1000, 0, 5]}
    expect: {category: A}
  - name: fails
    given: {paid: [0, 0, 0], previous.category: A}
    expect: {category: C}
"""


def cli(*args: str) -> Any:
    app = typer.Typer()
    register(app)

    @app.callback()
    def _root() -> None:
        """The test command alone."""

    return CliRunner().invoke(app, ["test", *args])


def line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_cli_all_pass_exits_0(tmp_path: Path) -> None:
    path = write(tmp_path, "ok.yaml", BASE + TESTS.split("  - name: fails")[0])
    done = cli(str(path))
    assert done.exit_code == 0, done.output
    assert "✓ passes" in done.output
    assert done.output.strip().endswith("1 example: 1 passed")


def test_cli_a_failing_example_exits_1_with_expected_actual_and_rule(tmp_path: Path) -> None:
    path = write(tmp_path, "r.yaml", BASE + TESTS)
    done = cli(str(path))
    assert done.exit_code == 1, done.output
    lines = done.output.splitlines()
    assert lines[0] == f"{path} (t): 2 examples"
    assert lines[1] == "  ✓ passes"
    assert lines[2] == f"  ✗ fails  ({path}:{line_of(path, '- name: fails')})"
    assert lines[3:5] == [
        "      category: expected 'C', got 'B'",
        '        decided by rule 2: "Was A"',
    ]
    assert lines[-1] == "2 examples: 1 passed, 1 failed"


def test_cli_an_invalid_ruleset_exits_2(tmp_path: Path) -> None:
    good = write(tmp_path, "a.yaml", BASE + TESTS)
    bad = write(
        tmp_path,
        "b.yaml",
        "tierkit: 1\nname: b\ndecisions:\n  c: {default: {then: C}}\n"
        "tests:\n  - name: x\n    given: {nope: 1}\n    expect: {c: C}\n",
    )
    done = cli(str(good), str(bad))
    assert done.exit_code == 2
    assert "b.yaml:7:13: unknown name 'nope' in given values" in done.output
    assert "1 invalid ruleset" in done.output


def test_cli_json(tmp_path: Path) -> None:
    write(tmp_path, "r.yaml", BASE + TESTS)
    done = cli(str(tmp_path), "--json")
    assert done.exit_code == 1
    report = json.loads(done.output)
    assert (report["passed"], report["examples"], report["failed"]) == (False, 2, 1)
    [ruleset] = report["rulesets"]
    assert (ruleset["name"], ruleset["passed"], ruleset["failed"]) == ("t", 1, 1)
    failing = ruleset["examples"][1]
    assert failing["checks"] == [
        {
            "name": "category",
            "expected": "C",
            "actual": "B",
            "passed": False,
            "rule": "rule 2",
            "because": "Was A",
        }
    ]
    assert failing["line"] == line_of(tmp_path / "r.yaml", "- name: fails")


def test_cli_runs_shipped_rulesets_by_name() -> None:
    done = cli(*shipped_rulesets())
    assert done.exit_code == 0, done.output
    assert "failed" not in done.output


# --------------------------------------------------------------------------------------------
# the pytest plugin


def test_pytest_collects_ruleset_examples(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", r=BASE + TESTS)
    done = pytester.runpytest("r.yaml", "-v")
    done.assert_outcomes(passed=1, failed=1)
    line = line_of(pytester.path / "r.yaml", "- name: fails")
    done.stdout.fnmatch_lines(
        [
            "*r.yaml::passes PASSED*",
            "*r.yaml::fails FAILED*",
            f"*r.yaml:{line}: ✗ fails",
            "*category: expected 'C', got 'B'",
            '*decided by rule 2: "Was A"',
        ]
    )


def test_pytest_reports_an_invalid_ruleset_as_one_failure(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", bad="tierkit: 1\nname: bad\ndecisions: {}\n")
    done = pytester.runpytest("bad.yaml")
    done.assert_outcomes(failed=1)
    done.stdout.fnmatch_lines(["*bad.yaml:3:*'decisions' needs at least one entry*"])


def test_pytest_takes_only_rulesets_asked_for(pytester: pytest.Pytester) -> None:
    pytester.mkdir("rules")
    pytester.mkdir("rules/broken")
    write(pytester.path / "rules", "ok.yaml", BASE + TESTS.split("  - name: fails")[0])
    write(pytester.path / "rules/broken", "bad.yaml", "tierkit: 1\nname: bad\n")
    write(pytester.path / "rules", "other.yaml", "name: not a ruleset\n")
    pytester.makeini("[pytest]\ntestpaths = rules\n")
    # the project's own run (testpaths, or no arguments) collects no ruleset
    pytester.runpytest().assert_outcomes()
    # asked for explicitly: the ruleset, not the broken one, not other YAML
    done = pytester.runpytest("rules")
    done.assert_outcomes(passed=1)


def test_pytest_runs_the_shipped_rulesets(pytester: pytest.Pytester) -> None:
    done = pytester.runpytest(str(ROOT / "rulesets"), "-p", "no:cacheprovider")
    outcomes = done.parseoutcomes()
    assert outcomes.get("failed", 0) == 0 and outcomes["passed"] >= 50, done.stdout.str()


POINTS = """
tierkit: 1
name: points
window: {period: month, periods: 3}
criteria:
  paid: {use: payments.received, per: period}
derive:
  total: sum(paid)
decisions:
  points:
    rules:
      - {when: "total >= 1000", then: 10}
      - {when: "total >= 100", then: 2.5}
    default: {then: 0}
  member:
    rules:
      - {when: "total >= 100", then: true}
    default: {then: false}
tests:
"""


def test_an_example_may_write_a_whole_number_outcome_with_a_decimal_point(
    registry: Registry,
) -> None:
    """`expect: {points: 10.0}` of a decision giving 10 was refused as a value the decision
    'never gives (did you mean 10?)': 10.0 and 10 are one number. true is still not 1."""
    examples = """
    - {name: ten, given: {paid: [1000, 0, 0]}, expect: {points: 10.0}}
    - {name: none, given: {paid: [0, 0, 0]}, expect: {points: 0.0, member: false}}
    """
    ruleset = load(POINTS + textwrap.indent(textwrap.dedent(examples), "  "))
    ran = run_examples(ruleset, registry)
    assert [(r.name, r.passed) for r in ran] == [("ten", True), ("none", True)]
    wrong = "\n  - {name: t, given: {paid: [0, 0, 0]}, expect: {member: 0}}\n"
    with pytest.raises(RulesetInvalid) as refused:
        load(POINTS + wrong)
    said = [p.message for p in refused.value.problems]
    assert "expects member = 0, which decision 'member' never gives" in said, said
