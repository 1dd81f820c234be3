"""payments.count, the F of RFM: payments of a positive amount. A refund is not a purchase —
it counts neither for frequency nor for recency — while payments.received nets it."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from tierkit.evaluation import evaluate

RULESET = """\
tierkit: 1
name: frequency
window: {period: month, periods: 3}
criteria:
  count: {use: payments.count}
  monthly: {use: payments.count, per: period}
  paid: {use: payments.received}
  recency: {use: payments.recency_days}
derive:
  months_bought: count(monthly > 0)
decisions:
  category:
    rules:
      - {when: count >= 2, then: repeat}
      - {when: count == 1, then: once}
    default: {then: none}
"""


@pytest.mark.parametrize("backend", ["polars", "duckdb"])
def test_refunds_and_zero_amounts_are_not_counted(tmp_path: Path, backend: str) -> None:
    (tmp_path / "customers.csv").write_text("customer_id,name\n1,One\n2,Two\n3,Three\n4,Four\n")
    (tmp_path / "payments.csv").write_text(
        "customer_id,paid_at,amount\n"
        "1,2026-01-10,100\n1,2026-02-10,40\n1,2026-03-10,-30\n"  # 2 payments, 110 net
        "2,2026-02-20,-50\n"  # a refund only: 0 payments, -50, never bought
        "3,2026-01-05,0\n3,2026-03-05,20\n"  # a zero amount is no purchase: 1
        "4,2025-12-31,500\n4,2026-01-15,-500\n",  # bought before the window, refund in it: 0
        encoding="utf-8",
    )
    (tmp_path / "frequency.yaml").write_text(RULESET, encoding="utf-8")
    run = evaluate(tmp_path / "frequency.yaml", tmp_path, as_of=date(2026, 4, 1), backend=backend)
    rows = {r["customer_id"]: r for r in run.values.iter_rows(named=True)}
    assert {c: rows[c]["count"] for c in rows} == {"1": 2.0, "2": 0.0, "3": 1.0, "4": 0.0}
    assert {c: rows[c]["paid"] for c in rows} == {"1": 110.0, "2": -50.0, "3": 20.0, "4": -500.0}
    # the last purchase: 1 on 2026-02-10 (the refund of 03-10 is not one), 3 on 2026-03-05
    assert {c: rows[c]["recency"] for c in rows} == {"1": 50, "2": None, "3": 27, "4": None}
    # months with a purchase: 1 January and February; 3 March only
    assert {c: rows[c]["months_bought"] for c in rows} == {"1": 2, "2": 0, "3": 1, "4": 0}
    category = dict(zip(run.results["customer_id"], run.results["category"], strict=True))
    assert category == {"1": "repeat", "2": "none", "3": "once", "4": "none"}
