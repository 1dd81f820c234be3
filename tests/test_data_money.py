"""Money as a company has it: refunds and credit notes netted into the sums, never rejected."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import tierkit

RULESET = """
tierkit: 1
name: refunds
strategy: working-capital
window: {period: month, periods: 3}
criteria:
  paid: {use: payments.received}
  profit: {use: profit.net}
decisions:
  category:
    rules:
      - {when: paid > 100 and profit > 0, then: A}
    default: {then: B}
"""


def write(folder: Path, name: str, text: str) -> None:
    (folder / name).write_text(textwrap.dedent(text).strip() + "\n")


@pytest.fixture
def refunds(tmp_path: Path) -> Path:
    write(tmp_path, "refunds.yaml", RULESET)
    data = tmp_path / "data"
    data.mkdir()
    write(data, "customers.csv", """
        customer_id,name
        C1,Harbor Foods
        C2,Lumen Tools
        C3,Nordic Mills
        C4,Orchard Ltd
        C5,Pike & Sons
    """)
    write(data, "payments.csv", """
        customer_id,paid_at,amount
        C1,2026-01-05,100.00
        C1,2026-01-20,50.00
        C1,2026-02-03,-30.00
        C2,2026-02-10,80.00
        C2,2026-02-11,-80.00
        C3,2026-01-15,-12.50
        C4,2026-02-27,0.01
    """)
    write(data, "invoices.csv", """
        customer_id,issued_at,amount,cost
        C1,2026-01-05,150.00,100.00
        C1,2026-02-03,-30.00,-20.00
        C2,2026-01-10,80.00,95.50
        C3,2026-02-01,10.00,-2.00
        C5,2026-01-31,200.00,200.00
    """)
    return tmp_path


@pytest.mark.parametrize("backend", ["polars", "duckdb"])
def test_refunds_and_credit_notes_are_netted(refunds: Path, backend: str) -> None:
    run = tierkit.evaluate(refunds / "refunds.yaml", refunds / "data", as_of="2026-03-01",
                           backend=backend, save=False)
    rows = {r["customer_id"]: r for r in run.results.iter_rows(named=True)}
    # paid: C1 100 + 50 - 30 = 120; C2 80 - 80 = 0; C3 -12.50 (a refund only); C4 0.01; C5 none
    assert [rows[c]["paid"] for c in ("C1", "C2", "C3", "C4")] == [120.0, 0.0, -12.5, 0.01]
    # profit: C1 (150 - 100) + (-30 - -20) = 50 - 10 = 40; C2 80 - 95.50 = -15.50 (a loss);
    # C3 10 - (-2) = 12; C5 200 - 200 = 0
    assert [rows[c]["profit"] for c in ("C1", "C2", "C3", "C5")] == [40.0, -15.5, 12.0, 0.0]
    assert [rows[c]["category"] for c in ("C1", "C2", "C3", "C4", "C5")] == list("ABBBB")
    data = run.manifest["data"]
    # refunds: -30 (C1), -80 (C2), -12.50 (C3): 3 rows, -122.50
    assert data["payments"]["negative"] == {"amount": {"rows": 3, "total": "-122.50"}}
    # credit note -30 with cost -20 (C1), rebate cost -2 (C3)
    assert data["invoices"]["negative"] == {
        "amount": {"rows": 1, "total": "-30.00"},
        "cost": {"rows": 2, "total": "-22.00"},
    }
