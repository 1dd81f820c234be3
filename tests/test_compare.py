"""'tierkit compare': the same customers under two strategies or two rulesets."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
from test_evaluate_api import RULESET, make_data
from typer.testing import CliRunner

from tierkit.cli import app
from tierkit.history import category_overlap


def test_category_overlap_by_hand() -> None:
    a = pl.DataFrame({"customer_id": ["1", "2", "3", "4"], "c": ["A", "A", "B", "C"]})
    b = pl.DataFrame({"customer_id": ["1", "2", "3", "4"], "c": ["A", "B", "B", "A"]})
    assert category_overlap(a, b, "c", ["A", "B", "C"]) == [
        {"category": "A", "in_first": 2, "in_second": 2, "in_both": 1, "overlap": round(1 / 3, 6)},
        {"category": "B", "in_first": 1, "in_second": 2, "in_both": 1, "overlap": 0.5},
        {"category": "C", "in_first": 1, "in_second": 0, "in_both": 0, "overlap": 0.0},
    ]
    assert category_overlap(a, b, "c", ["D"]) == [
        {"category": "D", "in_first": 0, "in_second": 0, "in_both": 0, "overlap": None},
    ]


def _setup(tmp_path: Path) -> tuple[Path, Path]:
    ruleset = tmp_path / "abc.yaml"
    ruleset.write_text(RULESET)
    data = make_data(tmp_path / "data")
    (data / "shipments.csv").write_text(
        "customer_id,shipped_at,units\ne,2026-02-01,10\nd,2026-02-01,1\n"
    )
    return ruleset, data


def test_compare_two_strategies(tmp_path: Path) -> None:
    ruleset, data = _setup(tmp_path)
    args = [
        "compare",
        str(ruleset),
        "-s",
        "working-capital",
        "-s",
        "market-expansion",
        "--data",
        str(data),
        "--as-of",
        "2026-04-01",
        "--json",
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    # cash: a, b → A; c → B; d, e → C.  units: e → A; d → B; a, b, c → C
    assert out["changes"] == {"up": 2, "down": 3, "same": 0, "new": 0, "gone": 0}
    assert [
        (o["category"], o["in_first"], o["in_second"], o["in_both"]) for o in out["overlap"]
    ] == [("A", 2, 1, 0), ("B", 1, 1, 0), ("C", 2, 3, 0)]
    assert {m["customer_id"]: (m["from"], m["to"]) for m in out["movers"]} == {
        "e": ("C", "A"),
        "a": ("A", "C"),
        "b": ("A", "C"),
        "d": ("C", "B"),
        "c": ("B", "C"),
    }
    text = CliRunner().invoke(app, args[:-1])
    assert text.exit_code == 0, text.output
    assert "A: 2 under the first, 1 under the second, 0 under both (0% of either)" in text.output


def test_compare_two_rulesets(tmp_path: Path) -> None:
    ruleset, data = _setup(tmp_path)
    stricter = tmp_path / "stricter.yaml"
    stricter.write_text(RULESET.replace("ahead < 0.8", "ahead < 0.5"))
    args = [
        "compare",
        str(ruleset),
        str(stricter),
        "--data",
        str(data),
        "--as-of",
        "2026-04-01",
        "--json",
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    # b (ahead 0.6) drops from A to B
    assert [(m["customer_id"], m["from"], m["to"], m["rule"]) for m in out["movers"]] == [
        ("b", "A", "B", 2)
    ]


def test_compare_needs_two_of_something(tmp_path: Path) -> None:
    ruleset, data = _setup(tmp_path)
    result = CliRunner().invoke(app, ["compare", str(ruleset), "--data", str(data)])
    assert result.exit_code == 2
    assert "give one ruleset and --strategy twice" in result.output


YES_NO = """
tierkit: 1
name: big
window: {period: month, periods: 3}
criteria:
  cash: {use: value}
decisions:
  big:
    rules:
      - {when: "cash >= LIMIT", then: true}
    default: {then: false}
"""


def test_compare_counts_a_yes_no_decision_in_each_run(tmp_path: Path) -> None:
    """The overlap of a true/false decision read `True: 0 under the first, 0 under the second`:
    the outcomes were written True and False, the results true and false."""
    data = make_data(tmp_path / "data")  # cash Jan-Mar: a 600, b 250, c 100, d 50, e none
    old, new = tmp_path / "old.yaml", tmp_path / "new.yaml"
    old.write_text(YES_NO.replace("LIMIT", "200"))  # a, b
    new.write_text(YES_NO.replace("LIMIT", "100"))  # a, b, c
    args = ["compare", str(old), str(new), "--data", str(data), "--as-of", "2026-04-01",
            "--no-store", "--json"]
    done = CliRunner().invoke(app, args)
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["overlap"] == [
        {"category": "true", "in_first": 2, "in_second": 3, "in_both": 2, "overlap": 0.666667},
        {"category": "false", "in_first": 3, "in_second": 2, "in_both": 2, "overlap": 0.666667},
    ]
    explained = CliRunner().invoke(app, ["explain", str(old), "c", "--data", str(data),
                                         "--as-of", "2026-04-01", "--no-store"])
    assert explained.exit_code == 0, explained.output
    assert "  near miss: to reach big true: " in explained.output  # was `big True`
