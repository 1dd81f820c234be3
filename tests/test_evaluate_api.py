"""The whole pipeline on files: hand-computed categories, backends, determinism, outputs."""

from __future__ import annotations

import dataclasses
import json
import random
from datetime import date
from pathlib import Path
from types import MappingProxyType
from typing import Any

import polars as pl
import pytest
from typer.testing import CliRunner

from tierkit.cli import app
from tierkit.errors import UsageError
from tierkit.evaluation import evaluate, write_results
from tierkit.registry import Registry

AS_OF = date(2026, 4, 1)
RULESET = """
tierkit: 1
name: abc
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
    default: {then: C}
policies:
  A: {visits: 12}
  C: {visits: 1}
"""
# payments in Jan–Mar 2026: a 600, b 250, c 100, d 50 (+ one before the window, one after)
PAYMENTS = [
    ("a", "2026-01-10", "400.00"),
    ("a", "2026-03-31", "200.00"),
    ("b", "2026-02-01", "250"),
    ("c", "2026-01-01", "60.5"),
    ("c", "2026-02-15", "39.50"),
    ("d", "2026-03-01", "50"),
    ("d", "2025-12-31", "999"),
    ("a", "2026-04-01", "999"),
]


def make_data(folder: Path, shuffle: int | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    rows = list(PAYMENTS)
    customers = [("a", "A Co"), ("b", "B Co"), ("c", "C Co"), ("d", "D Co"), ("e", "E Co")]
    if shuffle is not None:
        random.Random(shuffle).shuffle(rows)
        random.Random(shuffle).shuffle(customers)
    (folder / "customers.csv").write_text(
        "customer_id,name\n" + "".join(f"{c},{n}\n" for c, n in customers)
    )
    (folder / "payments.csv").write_text(
        "customer_id,paid_at,amount\n" + "".join(f"{c},{d},{a}\n" for c, d, a in rows)
    )
    return folder


@pytest.fixture
def ruleset(tmp_path: Path) -> Path:
    path = tmp_path / "abc.yaml"
    path.write_text(RULESET)
    return path


def test_abc_by_cumulative_share(ruleset: Path, tmp_path: Path) -> None:
    run = evaluate(ruleset, make_data(tmp_path / "data"), as_of=AS_OF)
    rows = {r["customer_id"]: r for r in run.results.iter_rows(named=True)}
    # total 1000: a 600 (ahead 0), b 250 (ahead .6), c 100 (ahead .85), d 50 (.95), e 0 (1.0)
    assert [rows[c]["value"] for c in "abcde"] == [600.0, 250.0, 100.0, 50.0, 0.0]
    assert [rows[c]["category"] for c in "abcde"] == ["A", "A", "B", "C", "C"]
    assert [rows[c]["category.rule"] for c in "abcde"] == [1, 1, 2, 0, 0]
    assert [rows[c]["policy.visits"] for c in "abcde"] == [12, 12, None, 1, 1]
    assert run.manifest["categories"] == [
        {
            "category": "A",
            "customers": 2,
            "customer_share": 0.4,
            "value": 850.0,
            "value_positive": 850.0,
            "value_losses": 0.0,
            "value_share": 0.85,
        },
        {
            "category": "B",
            "customers": 1,
            "customer_share": 0.2,
            "value": 100.0,
            "value_positive": 100.0,
            "value_losses": 0.0,
            "value_share": 0.1,
        },
        {
            "category": "C",
            "customers": 2,
            "customer_share": 0.4,
            "value": 50.0,
            "value_positive": 50.0,
            "value_losses": 0.0,
            "value_share": 0.05,
        },
    ]
    # no losses: the positive total is the net total
    assert run.manifest["value_totals"] == {"net": 1000.0, "positive": 1000.0, "losses": 0.0}
    assert run.manifest["data"]["payments"]["skipped"] == {"on or after the as-of date": 1}


def test_strategy_swaps_what_value_means(ruleset: Path, tmp_path: Path) -> None:
    data = make_data(tmp_path / "data")
    (data / "shipments.csv").write_text(
        "customer_id,shipped_at,units\ne,2026-02-01,10\nd,2026-02-01,1\n"
    )
    run = evaluate(ruleset, data, as_of=AS_OF, strategy="market-expansion")
    assert run.manifest["strategy"] == "market-expansion"
    rows = {r["customer_id"]: r["category"] for r in run.results.iter_rows(named=True)}
    assert rows == {"e": "A", "d": "B", "a": "C", "b": "C", "c": "C"}


def _counting_registry(registry: Registry, name: str, calls: list[int]) -> Registry:
    """``registry`` with criterion ``name`` counting how many periods each call asked for."""
    original = registry.criteria[name]

    def compute(tables: Any, window: Any, params: Any) -> Any:
        calls.append(window.periods)
        return original.compute(tables, window, params)

    criteria = {**registry.criteria, name: dataclasses.replace(original, compute=compute)}
    return dataclasses.replace(registry, criteria=MappingProxyType(criteria))


@pytest.mark.parametrize(
    ("binding", "expected_calls"),
    [
        ("{use: value}", [3]),
        ("{use: payments.received}", [3]),  # the strategy's criterion named directly
        ("{use: payments.received, periods: 2}", [2, 3]),  # another window: computed again
    ],
)
def test_the_strategy_value_is_taken_from_the_ruleset_when_it_is_the_same(
    tmp_path: Path, registry: Registry, binding: str, expected_calls: list[int]
) -> None:
    path = tmp_path / "abc.yaml"
    path.write_text(RULESET.replace("{use: value}", binding))
    calls: list[int] = []
    counting = _counting_registry(registry, "payments.received", calls)
    run = evaluate(path, make_data(tmp_path / "data"), as_of=AS_OF, registry=counting)
    assert calls == expected_calls
    values = dict(run.results.select("customer_id", "value").iter_rows())
    assert values == {"a": 600.0, "b": 250.0, "c": 100.0, "d": 50.0, "e": 0.0}


def test_backends_and_row_order_give_identical_results(ruleset: Path, tmp_path: Path) -> None:
    first = evaluate(ruleset, make_data(tmp_path / "one"), as_of=AS_OF).results
    shuffled = evaluate(ruleset, make_data(tmp_path / "two", shuffle=3), as_of=AS_OF).results
    on_duckdb = evaluate(
        ruleset, make_data(tmp_path / "one"), as_of=AS_OF, backend="duckdb"
    ).results
    assert first.equals(shuffled)
    assert first.equals(on_duckdb)
    write_results(first, tmp_path / "a.csv")
    write_results(shuffled, tmp_path / "b.csv")
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".json", ".xlsx"])
def test_results_are_written_in_each_format(ruleset: Path, tmp_path: Path, suffix: str) -> None:
    run = evaluate(ruleset, make_data(tmp_path / "data"), as_of=AS_OF)
    target = tmp_path / "out" / f"results{suffix}"
    write_results(run.results, target)
    assert target.exists()
    assert [p.name for p in target.parent.iterdir()] == [target.name]  # no partial file left
    if suffix == ".json":
        assert json.loads(target.read_text())[0]["customer_id"] == "a"
    if suffix == ".parquet":
        assert pl.read_parquet(target)["category"].to_list() == ["A", "A", "B", "C", "C"]


def test_unknown_output_format_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"unknown output format '\.txt'"):
        write_results(pl.DataFrame({"a": [1]}), tmp_path / "x.txt")
    assert not list(tmp_path.iterdir())


def test_failed_write_leaves_no_file(tmp_path: Path) -> None:
    target = tmp_path / "results.parquet"
    with pytest.raises(Exception):  # noqa: B017 - any writer error
        write_results(pl.DataFrame({"a": [object()]}), target)
    assert not list(tmp_path.iterdir())


def test_evaluate_command(ruleset: Path, tmp_path: Path) -> None:
    data = make_data(tmp_path / "data")
    out = tmp_path / "r.csv"
    result = CliRunner().invoke(
        app,
        ["evaluate", str(ruleset), "--data", str(data), "--as-of", "2026-04-01", "--out", str(out)],
    )
    assert result.exit_code == 0, result.output
    assert "abc · strategy working-capital · as of 2026-04-01 · 5 customers" in result.output
    assert pl.read_csv(out)["category"].to_list() == ["A", "A", "B", "C", "C"]
    manifest = json.loads(
        CliRunner()
        .invoke(
            app, ["evaluate", str(ruleset), "--data", str(data), "--as-of", "2026-04-01", "--json"]
        )
        .stdout
    )
    assert manifest["customers"] == 5 and manifest["ruleset"]["name"] == "abc"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--as-of", "2026-13-01"], "--as-of: '2026-13-01' is no day of the calendar"),
        (["--strategy", "net-proft"], "did you mean 'net-profit'?"),
        (["--engine", "rete"], "unknown engine 'rete'"),
        (["--engine", "durable", "--backend", "duckdb"], "durable engine runs with the polars"),
        (["--backend", "excel"], "unknown backend 'excel'"),
    ],
)
def test_evaluate_command_bad_options_exit_2(
    ruleset: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    data = make_data(tmp_path / "data")
    result = CliRunner().invoke(app, ["evaluate", str(ruleset), "--data", str(data), *args])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output


def test_evaluate_command_missing_data_exits_2(ruleset: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["evaluate", str(ruleset), "--data", str(tmp_path / "no")])
    assert result.exit_code == 2
    assert "no such file or folder" in result.output


def test_per_period_ruleset_agrees_on_polars_and_duckdb(tmp_path: Path) -> None:
    from tierkit.demo import DemoFormat, DemoSpec, generate_demo
    from tierkit.shipped import shipped_rulesets

    generate_demo(
        DemoSpec(customers=400, months=12, seed=5, as_of=date(2026, 1, 1)),
        tmp_path / "demo",
        DemoFormat.CSV,
        None,
    )
    ruleset = shipped_rulesets()["vip-monthly"]
    runs = [
        evaluate(ruleset, tmp_path / "demo", as_of=date(2026, 1, 1), backend=b)
        for b in ("polars", "duckdb")
    ]
    assert runs[0].results.equals(runs[1].results)
    assert set(runs[0].results["category"]) == {"A", "B", "C"}


def test_summary_counts_the_other_decisions(tmp_path: Path) -> None:
    ruleset = tmp_path / "two.yaml"
    big = (
        "  big:\n    rules:\n      - {when: cash >= 250, then: true}\n    default: {then: false}\n"
    )
    ruleset.write_text(RULESET.replace("policies:", big + "policies:"))
    run = evaluate(ruleset, make_data(tmp_path / "data"), as_of=AS_OF)
    assert run.manifest["decisions"] == {"big": {"false": 3, "true": 2}}


def test_previous_of_a_collect_decision(tmp_path: Path) -> None:
    body = RULESET.replace(
        "policies:",
        """  flags:
    hit: collect
    rules:
      - {when: cash >= 250, then: big}
  watch:
    rules:
      - {when: "'big' in previous.flags", then: true}
    default: {then: false}
policies:""",
    )
    ruleset = tmp_path / "flags.yaml"
    ruleset.write_text(body)
    data = make_data(tmp_path / "data")
    store = tmp_path / "store.duckdb"
    first = evaluate(ruleset, data, as_of=AS_OF, store=store)
    assert first.results["watch"].to_list() == [False] * 5  # no earlier run
    second = evaluate(ruleset, data, as_of=date(2026, 5, 1), store=store)
    watched = dict(zip(second.results["customer_id"], second.results["watch"], strict=True))
    assert watched == {"a": True, "b": True, "c": False, "d": False, "e": False}


@pytest.mark.parametrize("name", ["vip-monthly", "key-partner", "lifecycle", "rfm"])
def test_durable_engine_decides_like_the_vector_engine(tmp_path: Path, name: str) -> None:
    from tierkit.demo import DemoFormat, DemoSpec, generate_demo
    from tierkit.shipped import shipped_rulesets

    pytest.importorskip("durable", reason="durable-rules runs on Python up to 3.12")
    generate_demo(
        DemoSpec(customers=500, months=12, seed=3, as_of=date(2026, 1, 1)),
        tmp_path / "demo",
        DemoFormat.CSV,
        None,
    )
    ruleset = shipped_rulesets()[name]
    vector = evaluate(ruleset, tmp_path / "demo", as_of=date(2026, 1, 1))
    durable = evaluate(ruleset, tmp_path / "demo", as_of=date(2026, 1, 1), engine="durable")
    assert durable.results.equals(vector.results)
