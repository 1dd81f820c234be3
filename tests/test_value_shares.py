"""Each category's value and its share of the positive total, with losses in the data.

A share of the net total goes above 100% and below 0 when some customers lose money ("A holds
112% of value, C -33%"); the manifest, the summary of ``tierkit evaluate`` and the report take
shares of the positive total and show the net total and the losses beside it.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
from typer.testing import CliRunner

from tierkit.cli import app
from tierkit.evaluation import evaluate
from tierkit.evaluation.value_shares import category_values, value_totals, with_shares

RESULTS = pl.DataFrame(
    {
        "customer_id": ["a", "b", "c", "d", "e", "f"],
        "category": ["A", "A", "B", "B", "C", "C"],
        "value": [1000.0, 500.0, 300.0, -100.0, 0.0, -200.0],
    }
)


def by_category(rows: list[dict[str, object]]) -> dict[object, dict[str, object]]:
    return {r["category"]: r for r in rows}


def test_shares_are_of_the_positive_total() -> None:
    counted = category_values(RESULTS, pl.col("category"))
    shares = by_category(with_shares(counted, RESULTS.height))
    # positive: A 1500, B 300, C 0 → 1800; net: A 1500, B 200, C -200 → 1500
    assert shares["A"] == {
        "category": "A",
        "customers": 2,
        "customer_share": round(2 / 6, 6),
        "value": 1500.0,
        "value_positive": 1500.0,
        "value_losses": 0.0,
        "value_share": round(1500 / 1800, 6),
    }
    assert (shares["B"]["value"], shares["B"]["value_losses"]) == (200.0, -100.0)
    assert shares["B"]["value_share"] == round(300 / 1800, 6)
    # C lost 200 net: no share of the positive total (not -200 / 1500 = -13%)
    assert (shares["C"]["value"], shares["C"]["value_share"]) == (-200.0, 0.0)
    assert sum(r["value_share"] for r in shares.values()) == 1.0  # type: ignore[misc]
    assert value_totals(counted) == {"net": 1500.0, "positive": 1800.0, "losses": -300.0}


def test_a_negative_net_total_still_gives_shares_in_range() -> None:
    results = pl.DataFrame({"category": ["A", "C"], "value": [100.0, -500.0]})
    counted = category_values(results, pl.col("category"))
    shares = by_category(with_shares(counted, 2))
    # net -400: a share of it would be -25% for A and 125% for C
    assert (shares["A"]["value_share"], shares["C"]["value_share"]) == (1.0, 0.0)
    assert value_totals(counted) == {"net": -400.0, "positive": 100.0, "losses": -500.0}


def test_only_losses_leave_the_shares_missing() -> None:
    results = pl.DataFrame({"category": ["A", "C"], "value": [-1.0, -2.0]})
    shares = with_shares(category_values(results, pl.col("category")), 2)
    assert [r["value_share"] for r in shares] == [None, None]


def test_sums_are_exact() -> None:
    # 0.1 + 0.2 in floats is 0.30000000000000004; in ten-thousandths it is 3000
    results = pl.DataFrame({"category": ["A", "A"], "value": [0.1, 0.2]})
    counted = category_values(results, pl.col("category"))
    assert with_shares(counted, 2)[0]["value"] == 0.3


RULESET = """
tierkit: 1
name: profit-abc
strategy: net-profit
window: {period: month, periods: 3}
criteria:
  profit: {use: value}
derive:
  ahead: cum_share(profit)
decisions:
  category:
    rules:
      - {when: ahead < 0.8, then: A}
      - {when: ahead < 0.95, then: B}
    default: {then: C}
"""


def make_profit_data(folder: Path) -> Path:
    """Net profit (amount - cost): a 700, b 200, c 100, d -150, e -350 (net 500)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "customers.csv").write_text(
        "customer_id,name\n" + "".join(f"{c},{c.upper()} Co\n" for c in "abcde")
    )
    invoices = [("a", 1000, 300), ("b", 500, 300), ("c", 300, 200), ("d", 50, 200), ("e", 0, 350)]
    (folder / "invoices.csv").write_text(
        "customer_id,invoice_id,issued_at,amount,cost\n"
        + "".join(f"{c},{c}1,2026-02-10,{a},{k}\n" for c, a, k in invoices)
    )
    return folder


def test_a_profit_run_with_losses(tmp_path: Path) -> None:
    ruleset = tmp_path / "profit.yaml"
    ruleset.write_text(RULESET)
    run = evaluate(ruleset, make_profit_data(tmp_path / "data"), as_of=date(2026, 4, 1))
    # positive total 1000: ahead a 0, b 0.7, c 0.9, d 1, e 1 → A a b, B c, C d e
    categories = by_category(run.manifest["categories"])
    assert {c: r["customers"] for c, r in categories.items()} == {"A": 2, "B": 1, "C": 2}
    assert categories["A"]["value_share"] == 0.9  # 900 / 1000, not 900 / 500 = 180%
    assert categories["C"]["value"] == -500.0
    assert categories["C"]["value_share"] == 0.0
    assert run.manifest["value_totals"] == {"net": 500.0, "positive": 1000.0, "losses": -500.0}


def test_the_summary_names_the_positive_total_and_the_net_total(tmp_path: Path) -> None:
    ruleset = tmp_path / "profit.yaml"
    ruleset.write_text(RULESET)
    data = make_profit_data(tmp_path / "data")
    args = ["evaluate", str(ruleset), "--data", str(data), "--as-of", "2026-04-01"]
    result = CliRunner().invoke(app, args, env={"COLUMNS": "160"})  # headers on one line
    assert result.exit_code == 0, result.output
    assert "share of positive value" in result.output
    assert "losses" in result.output
    line = "value: net total 500.00 (positive 1,000.00, losses -500.00); shares are of the positive"
    assert line in " ".join(result.output.split())
    rows = {line.split()[1]: line for line in result.output.splitlines() if line[:3] == "│ A"}
    assert "90.0%" in rows["A"]
