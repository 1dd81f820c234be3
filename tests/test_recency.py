"""Recency criteria: days since the last payment or shipment, relative to the as-of date."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import narwhals.stable.v2 as nw
import polars as pl
import pytest
from criteria_helpers import BACKENDS, criteria, d, money, run, table

from tierkit.contract import Window
from tierkit.evaluation import evaluate
from tierkit.registry import Registry

CRITERIA = criteria()
W = -1


def _payments(backend: str) -> dict[str, nw.LazyFrame[Any]]:
    rows = [
        # customer, paid_at, amount
        ("9", "2026-03-31", "10.00"),   # the day before as-of: 1 day
        ("10", "2026-03-01", "50.00"),  # 31 days
        ("10", "2026-03-20", "-50.00"),  # a refund later: not a purchase, still 31
        ("11", "2026-01-01", "5.00"),   # first day of a 3-month window: 90 days
        ("12", "2025-12-31", "99.00"),  # one day before the window: outside, missing
        ("13", "2026-02-10", "0.00"),   # a zero payment: not a purchase, missing
        ("14", "2026-04-01", "7.00"),   # on as-of: outside
        ("14", "2026-02-01", "7.00"),   # 59 days (28 in Feb + 31 in Mar)
        ("14", "2026-02-01", "3.00"),   # the same day twice: still 59
    ]
    return {"payments": table(backend, {
        "customer_id": [r[0] for r in rows],
        "paid_at": [d(r[1]) for r in rows],
        "amount": [money(r[2]) for r in rows],
    }, {"customer_id": pl.String, "paid_at": pl.Date, "amount": pl.Int64})}


WINDOW = Window(date(2026, 4, 1), "month", 3)  # 2026-01-01 .. 2026-03-31


@pytest.mark.parametrize("backend", BACKENDS)
def test_days_since_the_last_payment(backend: str) -> None:
    got = run(CRITERIA["payments.recency_days"], _payments(backend), WINDOW)
    assert got == [("10", W, 31.0), ("11", W, 90.0), ("14", W, 59.0), ("9", W, 1.0)]


def test_a_longer_window_looks_further_back() -> None:
    # six months from 2025-10-01: 12's payment of 2025-12-31 is in, 91 days before as-of
    # (Jan 31 + Feb 28 + Mar 31 + 1)
    got = run(CRITERIA["payments.recency_days"], _payments("polars"),
              Window(date(2026, 4, 1), "month", 6))
    assert ("12", W, 91.0) in got


def test_recency_is_a_state_not_per_period() -> None:
    assert CRITERIA["payments.recency_days"].per_period is False
    assert CRITERIA["payments.recency_days"].neutral is None  # missing without a payment
    assert CRITERIA["shipments.recency_days"].better == "lower"


RULESET = """\
tierkit: 1
name: recency
window: {period: month, periods: 3}
criteria:
  recency: payments.recency_days
  recent_2y: {use: payments.recency_days, periods: 24}
  shipped: shipments.recency_days
decisions:
  status:
    rules:
      - {when: "recency <= 30", then: active}
      - {when: "recency > 30", then: cooling}
      - {when: "not missing(recent_2y)", then: lapsed}
    default: {then: never}
"""


@pytest.mark.parametrize("backend", ["polars", "duckdb"])
def test_in_a_ruleset(tmp_path: Path, registry: Registry, backend: str) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "customers.csv").write_text("customer_id,name\n9,Nine\n10,Ten\n11,Eleven\n12,Twelve\n")
    (data / "payments.csv").write_text(
        "customer_id,paid_at,amount\n"
        "9,2026-03-15,10\n"     # 17 days before 2026-04-01: active
        "10,2026-01-31,10\n"    # 60 days: cooling
        "11,2025-06-30,10\n"    # outside 3 months, inside 24: lapsed
    )
    (data / "shipments.csv").write_text(
        "customer_id,shipped_at,units\n9,2026-03-30,2\n10,2026-03-30,0\n"
    )
    rules = tmp_path / "recency.yaml"
    rules.write_text(RULESET)
    result = evaluate(rules, data, as_of=date(2026, 4, 1), registry=registry, backend=backend,
                      store=None)
    values = {r["customer_id"]: r for r in result.values.iter_rows(named=True)}
    assert {k: v["status"] for k, v in values.items()} == {
        "9": "active", "10": "cooling", "11": "lapsed", "12": "never",
    }
    assert values["9"]["recency"] == 17.0
    # 2025-06-30 to 2026-04-01: 1 (rest of June) + 31+31+30+31+30+31 (Jul-Dec) + 31+28+31 = 275
    assert values["11"]["recent_2y"] == 275.0
    assert values["9"]["shipped"] == 2.0
    assert values["10"]["shipped"] is None  # shipped 0 units: not a shipment
