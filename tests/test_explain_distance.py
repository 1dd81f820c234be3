"""`tierkit explain` shows the near miss the results carry: for every shipped ruleset on demo
data, the distance explain gives a customer equals the results' NAME.to_better, NAME.to_worse
and NAME.limited_by (vip-monthly's near miss needs the per-period values, which explain once
could not see: it said no single value limits the category)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from typer.testing import CliRunner

from tierkit.cli import app
from tierkit.demo import DemoFormat, DemoSpec, generate_demo
from tierkit.evaluation import evaluate
from tierkit.shipped import shipped_rulesets

AS_OF = date(2026, 1, 1)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("explain-demo") / "demo"
    generate_demo(
        DemoSpec(customers=300, months=24, seed=7, as_of=AS_OF), folder, DemoFormat.CSV, None
    )
    return folder


def picked(results: pl.DataFrame, main: str) -> list[str]:
    """Up to three customers of each outcome, those with a distance first."""
    ordered = results.sort(pl.col(f"{main}.to_better").is_null(), pl.col("customer_id"))
    chosen: list[str] = []
    for outcome in ordered[main].unique(maintain_order=True).to_list():
        chosen += ordered.filter(pl.col(main) == outcome)["customer_id"].head(3).to_list()
    return chosen


@pytest.mark.parametrize("name", sorted(shipped_rulesets()))
def test_explain_shows_the_distance_of_the_results(demo: Path, name: str) -> None:
    path = shipped_rulesets()[name]
    run = evaluate(path, demo, as_of=AS_OF)
    main = run.ruleset.primary_decision
    columns = [f"{main}.to_better", f"{main}.to_worse", f"{main}.limited_by"]
    customers = picked(run.results, main)
    done = CliRunner().invoke(
        app,
        [
            "explain",
            str(path),
            *customers,
            "--data",
            str(demo),
            "--as-of",
            "2026-01-01",
            "--json",
            "--no-store",
        ],
    )
    assert done.exit_code == 0, done.output
    explained = {e["customer_id"]: e for e in json.loads(done.stdout)}
    rows = {r["customer_id"]: r for r in run.results.iter_rows(named=True)}
    for customer in customers:
        shown: dict[str, Any] = explained[customer]["distance"]
        expected = dict(
            zip(
                ("to_better", "to_worse", "limited_by"),
                (rows[customer][c] for c in columns),
                strict=True,
            )
        )
        assert shown == expected, customer
        miss = " ".join(explained[customer]["near_miss"])
        if expected["limited_by"] is not None:
            assert "no single value" not in miss
            for key in ("to_better", "to_worse"):
                if expected[key]:
                    assert (
                        f"{abs(expected[key]):,.2f}" in miss or f"{abs(expected[key]):,g}" in miss
                    ), (customer, miss)


def test_vip_monthly_near_miss_is_limited_by_paid(demo: Path) -> None:
    path = shipped_rulesets()["vip-monthly"]
    run = evaluate(path, demo, as_of=AS_OF)
    row = run.results.filter(pl.col("category") == "C").sort("customer_id").row(0, named=True)
    assert row["category.limited_by"] == "paid" and row["category.to_better"] > 0
    done = CliRunner().invoke(
        app,
        [
            "explain",
            str(path),
            row["customer_id"],
            "--data",
            str(demo),
            "--as-of",
            "2026-01-01",
            "--no-store",
        ],
    )
    assert done.exit_code == 0, done.output
    assert "no single value limits" not in done.stdout
    assert f"to reach category B: {row['category.to_better']:,.2f} more paid" in done.stdout
