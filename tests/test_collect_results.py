"""Collecting results: text put back after sorting equals the text the plan computes."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from test_evaluate_api import AS_OF, make_data

import tierkit.evaluation.run as run_module
from tierkit.engines.vector import collect
from tierkit.evaluation import evaluate

# Decisions of every shape whose text is rebuilt from the rule number: string, number and
# true/false values; a rule without a reason; a default with and without a reason; a decision
# without a default that decides everyone; one that reads an earlier decision; and a collect
# decision, whose columns are collected as they are.
RULESET = """
tierkit: 1
name: shapes
strategy: working-capital
window: {period: month, periods: 3}
criteria:
  cash: {use: value}
derive:
  ahead: cum_share(cash)
decisions:
  category:
    rules:
      - {when: ahead < 0.8, then: A, because: first 80%}
      - {when: ahead < 0.95, then: B}
    default: {then: C, because: the rest}
  visits:
    rules:
      - {when: category == 'A', then: 12, because: an A customer}
      - {when: cash > 0, then: 2.5}
    default: {then: 0}
  paying:
    rules:
      - {when: cash > 0, then: true, because: paid}
      - {when: true, then: false, because: nothing paid}
  flags:
    hit: collect
    rules:
      - {when: cash > 300, then: big}
      - {when: category == 'C', then: watch}
"""


@pytest.fixture
def ruleset(tmp_path: Path) -> Path:
    path = tmp_path / "shapes.yaml"
    path.write_text(RULESET)
    return path


def test_rebuilt_text_is_what_the_rules_say(ruleset: Path, tmp_path: Path) -> None:
    data = make_data(tmp_path / "data", shuffle=3)  # customers out of id order
    results = evaluate(ruleset, data, as_of=AS_OF, store=None).results
    # total 1000: a 600 (ahead 0), b 250 (.6), c 100 (.85), d 50 (.95), e 0 (1.0)
    assert results["customer_id"].to_list() == ["a", "b", "c", "d", "e"]
    assert results["name"].to_list() == ["A Co", "B Co", "C Co", "D Co", "E Co"]
    assert results["category"].to_list() == ["A", "A", "B", "C", "C"]
    assert results["category.because"].to_list() == [
        "first 80%",
        "first 80%",
        None,
        "the rest",
        "the rest",
    ]
    assert results["visits"].to_list() == [12, 12, 2.5, 2.5, 0]
    assert results["visits.because"].to_list() == ["an A customer"] * 2 + [None] * 3
    assert results["paying"].to_list() == [True, True, True, True, False]
    assert results["paying.rule"].to_list() == [1, 1, 1, 1, 2]
    assert results["flags"].to_list() == ["big", "", "", "watch", "watch"]


def test_same_frame_as_collecting_everything(
    ruleset: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = make_data(tmp_path / "data", shuffle=3)  # customers out of id order
    rebuilt = evaluate(ruleset, data, as_of=AS_OF, store=None)

    def everything(frames, customers, decided):  # type: ignore[no-untyped-def]
        return collect._with_names(frames.collect_customers(), collect._names(customers))

    monkeypatch.setattr(run_module, "collect_results", everything)
    collected = evaluate(ruleset, data, as_of=AS_OF, store=None)
    assert rebuilt.results.schema == collected.results.schema
    assert rebuilt.results.equals(collected.results)
    assert rebuilt.values.equals(collected.values)


def test_types_follow_the_plan() -> None:
    rules = pl.Series([1, 0, None, 1])
    plan = (
        pl.DataFrame({"r": rules})
        .lazy()
        .select(
            number=pl.when(pl.col("r") == 1).then(pl.lit(12)).otherwise(pl.lit(2.5)),
            whole=pl.when(pl.col("r") == 1).then(pl.lit(3)).when(pl.col("r") == 0).then(pl.lit(0)),
            text=pl.when(pl.col("r") == 0).then(pl.lit("x")),
        )
    )
    schema, expected = plan.collect_schema(), plan.collect()
    # rule null (no rule decided) has the default's outcome in `number` only
    number = collect.from_rule(rules.fill_null(0), {1: 12, 0: 2.5}, schema["number"])
    assert number.to_list() == [12.0, 2.5, 2.5, 12.0]
    assert number.equals(expected["number"], check_names=False)
    whole = collect.from_rule(rules, {1: 3, 0: 0}, schema["whole"])
    assert whole.dtype == schema["whole"]
    assert whole.equals(expected["whole"], check_names=False)
    text = collect.from_rule(rules, {0: "x", 1: None}, schema["text"])
    assert text.to_list() == [None, "x", None, None]
