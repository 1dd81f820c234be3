"""zscore on amounts of 10^15 per customer: the right number on every backend, never a wrapped
square or a stop (the variance is taken from deviations, not from squared amounts)."""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import pytest
from helpers import java_problem

from tierkit.evaluation import evaluate

RULESET = """\
tierkit: 1
name: big-z
window: {period: month, periods: 12}
criteria:
  paid: {use: payments.received}
derive:
  z: zscore(paid)
decisions:
  category:
    rules:
      - {when: z > 1, then: high}
    default: {then: usual}
"""


def write(folder: Path, amounts: dict[str, str]) -> Path:
    folder.mkdir()
    ids = "".join(f"{c},Customer {c}\n" for c in amounts)
    (folder / "customers.csv").write_text("customer_id,name\n" + ids, encoding="utf-8")
    rows = "".join(f"{c},2025-06-01,{a}\n" for c, a in amounts.items())
    (folder / "payments.csv").write_text("customer_id,paid_at,amount\n" + rows, encoding="utf-8")
    (folder / "big-z.yaml").write_text(RULESET, encoding="utf-8")
    return folder


@pytest.mark.parametrize(
    "backend", ["polars", "duckdb", pytest.param("spark", marks=pytest.mark.spark)]
)
def test_zscore_of_amounts_of_a_thousand_trillion(tmp_path: Path, backend: str) -> None:
    if backend == "spark":
        pytest.importorskip("pyspark", reason="PySpark is not installed")
        if problem := java_problem():
            pytest.skip(problem)
    # 1, 2, 3, 4 times 10^15: mean 2.5e15, deviations ±0.5e15 and ±1.5e15, variance
    # (2.25 + 0.25 + 0.25 + 2.25) / 4 = 1.25 (e30), so z = ±0.5 / sqrt(1.25) = ±1/sqrt(5)
    # and ±1.5 / sqrt(1.25) = ±3/sqrt(5). The squares in ten-thousandths are 10^38 and more:
    # past 2^127, where 128-bit squares wrapped around (polars) or stopped the run (DuckDB).
    amounts = {"1": "1000000000000000", "2": "2000000000000000"}
    amounts |= {"3": "3000000000000000", "4": "4000000000000000.00"}
    data = write(tmp_path / "big", amounts)
    run = evaluate(data / "big-z.yaml", data, as_of=date(2026, 1, 1), backend=backend)
    z = dict(zip(run.values["customer_id"], run.values["z"], strict=True))
    r5 = math.sqrt(5)
    assert z == pytest.approx({"1": -3 / r5, "2": -1 / r5, "3": 1 / r5, "4": 3 / r5}, rel=1e-12)
    category = dict(zip(run.results["customer_id"], run.results["category"], strict=True))
    assert category == {"1": "usual", "2": "usual", "3": "usual", "4": "high"}


@pytest.mark.parametrize("backend", ["polars", "duckdb"])
def test_zscore_of_a_small_spread_around_a_large_mean(tmp_path: Path, backend: str) -> None:
    # 10^15 + 512, + 1024, + 1536 (exact in float64, as criterion values are): deviations
    # -512, 0, 512, variance 512² · 2/3, z = -sqrt(3/2), 0, sqrt(3/2). E[x²] - E[x]² in
    # float64 loses all of it at this mean (x² is 10^38 to 16 digits); the exact sum of
    # squares passes 2^127.
    amounts = {"1": "1000000000000512", "2": "1000000000001024", "3": "1000000000001536"}
    data = write(tmp_path / "spread", amounts)
    run = evaluate(data / "big-z.yaml", data, as_of=date(2026, 1, 1), backend=backend)
    z = dict(zip(run.values["customer_id"], run.values["z"], strict=True))
    assert z == pytest.approx({"1": -math.sqrt(1.5), "2": 0.0, "3": math.sqrt(1.5)}, abs=1e-12)
