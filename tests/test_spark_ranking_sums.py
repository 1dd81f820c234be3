"""Ranking sums on Spark are exact past 2^63 ten-thousandths, as on polars and DuckDB.

Marked ``spark``: needs PySpark and Java 17 (a local session starts in about 15 s).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from helpers import java_problem

pytest.importorskip("pyspark", reason="PySpark is not installed (pip install 'tierkit[spark]')")

from tierkit.evaluation import evaluate

pytestmark = pytest.mark.spark

RULESET = """\
tierkit: 1
name: big-shares
strategy: working-capital
window: {period: month, periods: 12}
criteria:
  paid: {use: value}
derive:
  ahead: cum_share(paid)
  own: share(paid)
decisions:
  category:
    rules:
      - {when: ahead < 0.5, then: A}
    default: {then: C}
"""


def test_shares_of_totals_beyond_64_bits_are_exact_on_spark(tmp_path: Path) -> None:
    problem = java_problem()
    if problem:
        pytest.skip(problem)
    # 20 customers with 90 trillion each: 1.8e15 in all, 1.8e19 ten-thousandths > 2^63
    data = tmp_path / "data"
    data.mkdir()
    ids = [str(n) for n in range(1, 21)]
    (data / "customers.csv").write_text(
        "customer_id,name\n" + "".join(f"{c},{c}\n" for c in ids), encoding="utf-8"
    )
    rows = "".join(f"{c},2025-06-01,{90_000_000_000_000 + int(c)}\n" for c in ids)
    (data / "payments.csv").write_text("customer_id,paid_at,amount\n" + rows, encoding="utf-8")
    path = tmp_path / "big.yaml"
    path.write_text(RULESET, encoding="utf-8")
    as_of = date(2026, 1, 1)
    on_spark = evaluate(path, data, as_of=as_of, backend="spark", save=False).values
    on_polars = evaluate(path, data, as_of=as_of, save=False).values
    total = sum(90_000_000_000_000 + n for n in range(1, 21))
    # "20" pays most and is first; "11" has the ten larger ones ahead of it
    expected_11 = sum(90_000_000_000_000 + n for n in range(12, 21)) / total
    found = dict(zip(on_spark["customer_id"], on_spark["ahead"], strict=True))
    assert found["20"] == 0.0
    assert found["11"] == pytest.approx(expected_11, rel=1e-12)
    assert on_spark.select("customer_id", "ahead", "own", "category").equals(
        on_polars.select("customer_id", "ahead", "own", "category")
    )


CUSHION = """\
tierkit: 1
name: cushion
strategy: working-capital
window: {period: month, periods: 12}
criteria:
  paid: {use: value}
derive:
  top: top_share(paid, among=paid > 0) <= 0.5
decisions:
  category:
    rules:
      - {when: top, then: A}
      - {when: "previous.category == 'A'", then: B}
    default: {then: C}
"""


def test_a_previous_run_is_read_on_spark(tmp_path: Path) -> None:
    """The previous run comes from the store as a polars frame and is joined on Spark."""
    problem = java_problem()
    if problem:
        pytest.skip(problem)
    data = tmp_path / "data"
    data.mkdir()
    (data / "customers.csv").write_text("customer_id,name\n1,a\n2,b\n10,c\n", encoding="utf-8")
    (data / "payments.csv").write_text(
        "customer_id,paid_at,amount\n1,2025-01-10,100\n2,2025-01-10,50\n10,2025-01-10,10\n"
        "10,2025-12-10,500\n",
        encoding="utf-8",
    )
    path = tmp_path / "cushion.yaml"
    path.write_text(CUSHION, encoding="utf-8")
    store = tmp_path / "history.duckdb"
    # to December: 1 (100) is the top half of three payers (1/3), 2 (2/3) is not; in the year
    # to January 10 (510) is first, and 1, second now, is cushioned by its earlier A
    evaluate(path, data, as_of=date(2025, 12, 1), store=store)
    found = evaluate(path, data, as_of=date(2026, 1, 1), backend="spark", store=store).results
    assert dict(zip(found["customer_id"], found["category"], strict=True)) == {
        "1": "B",
        "10": "A",
        "2": "C",
    }
