"""The report with losses: shares of the positive total, the net total beside them, and the
whale curve of net profit, against hand-computed numbers (and drawn in Chromium)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest
from test_report import check_charts, rendered
from test_value_shares import RULESET, make_profit_data

from tierkit.evaluation import evaluate
from tierkit.history import HistoryStore
from tierkit.report import build_report_data, render_report, write_report
from tierkit.report.common import category_rows
from tierkit.report.data import value_section

AS_OF = date(2026, 4, 1)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One net-profit run: a 700, b 200, c 100, d -150, e -350 (net 500, positive 1000)."""
    folder = tmp_path_factory.mktemp("whale")
    ruleset = folder / "profit.yaml"
    ruleset.write_text(RULESET)
    path = folder / "tierkit.duckdb"
    evaluate(ruleset, make_profit_data(folder / "data"), as_of=AS_OF, store=path)
    return path


def test_category_shares_are_of_the_positive_total(store: Path) -> None:
    data = build_report_data(HistoryStore(store))
    assert data["value"] == {"net": 500.0, "positive": 1000.0, "losses": -500.0, "has_losses": True}
    # ahead: a 0, b 0.7 → A; c 0.9 → B; d and e 1.0 → C
    rows = {r["category"]: r for r in data["categories"]}
    assert (rows["A"]["value"], rows["A"]["value_share"]) == (900.0, 0.9)
    assert (rows["B"]["value"], rows["B"]["value_share"]) == (100.0, 0.1)
    assert (rows["C"]["value"], rows["C"]["value_losses"], rows["C"]["value_share"]) == (
        -500.0,
        -500.0,
        0.0,
    )


def test_the_pareto_curve_is_of_the_positive_total(store: Path) -> None:
    pareto = build_report_data(HistoryStore(store))["pareto"]
    # cumulative positive value 700, 900, 1000, 1000, 1000 of 1000; loss-makers add nothing
    assert pareto["points"] == [
        [0.0, 0.0],
        [0.2, 0.7],
        [0.4, 0.9],
        [0.6, 1.0],
        [0.8, 1.0],
        [1.0, 1.0],
    ]
    assert pareto["top_20_value_share"] == 0.7


def test_the_whale_curve_rises_above_the_net_total_and_falls_back(store: Path) -> None:
    whale = build_report_data(HistoryStore(store))["whale"]
    # cumulative net 700, 900, 1000, then 1000 - 150 = 850 and 850 - 350 = 500
    assert whale["points"] == [
        [0.0, 0.0],
        [0.2, 700.0],
        [0.4, 900.0],
        [0.6, 1000.0],
        [0.8, 850.0],
        [1.0, 500.0],
    ]
    assert (whale["scale"], whale["net"], whale["loss_makers"]) == (500.0, 500.0, 2)
    # the peak: the 3 customers with a positive value earn 1000 = 200% of the net total
    assert whale["peak"] == {
        "customers": 3,
        "customer_share": 0.6,
        "value": 1000.0,
        "net_share": 2.0,
    }


def test_the_page_names_the_positive_total_and_the_net_total(store: Path) -> None:
    html, _ = render_report(store, "latest")
    assert "90.0% of positive value" in html  # A's card
    assert "<th class=\"num\">share of positive value</th>" in html
    assert 'data-field="value_losses">-500.00<' in html
    assert "net total 500.00 (positive 1,000.00, losses -500.00)" in html
    assert (
        "The 3 customers with a positive value (60.0% of customers) earn "
        '<b data-field="whale_peak">200%</b> of the net total (1,000.00); 2 loss-making '
        "customers bring it back to the net total of 500.00."
    ) in html


def test_a_negative_net_total_draws_the_whale_curve_in_amounts(tmp_path: Path) -> None:
    ruleset = tmp_path / "profit.yaml"
    ruleset.write_text(RULESET)
    data = tmp_path / "data"
    data.mkdir()
    (data / "customers.csv").write_text("customer_id,name\na,A\nb,B\n")
    # net profit a 100, b -300: net -200, positive 100
    (data / "invoices.csv").write_text(
        "customer_id,invoice_id,issued_at,amount,cost\n"
        "a,1,2026-02-01,300,200\nb,2,2026-02-01,100,400\n"
    )
    path = tmp_path / "s.duckdb"
    evaluate(ruleset, data, as_of=AS_OF, store=path)
    report = build_report_data(HistoryStore(path))
    whale = report["whale"]
    assert whale["points"] == [[0.0, 0.0], [0.5, 100.0], [1.0, -200.0]]
    assert whale["scale"] is None and whale["peak"]["net_share"] is None
    assert report["pareto"]["points"] == [[0.0, 0.0], [0.5, 1.0], [1.0, 1.0]]
    rows = {r["category"]: r for r in report["categories"]}
    assert (rows["A"]["value_share"], rows["C"]["value_share"]) == (1.0, 0.0)
    html, _ = render_report(path, "latest")
    assert "curve is in amounts" in html


def test_no_whale_curve_without_losses_under_another_strategy(tmp_path: Path) -> None:
    ruleset = tmp_path / "cash.yaml"
    ruleset.write_text(RULESET.replace("strategy: net-profit", "strategy: working-capital"))
    data = tmp_path / "data"
    data.mkdir()
    (data / "customers.csv").write_text("customer_id,name\na,A\nb,B\n")
    (data / "payments.csv").write_text(
        "customer_id,paid_at,amount\na,2026-02-01,300\nb,2026-02-01,100\n"
    )
    path = tmp_path / "s.duckdb"
    evaluate(ruleset, data, as_of=AS_OF, store=path)
    report = build_report_data(HistoryStore(path))
    assert report["whale"]["points"] == []
    assert report["value"]["has_losses"] is False
    html, _ = render_report(path, "latest")
    page = html[: html.index("<script")]  # the page without the embedded script
    assert 'id="chart-whale"' not in page and "of positive value" not in page


def test_the_whale_curve_renders_in_chromium(store: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    write_report(store, "latest", out)
    data = build_report_data(HistoryStore(store))
    dom = rendered(out, tmp_path)
    charts = check_charts(dom, data)
    labels = charts["chart-whale"].texts("text")
    assert "200%" in labels  # the peak's label
    assert "net total (100%)" in labels


def test_a_run_stored_before_is_counted_again_from_its_results() -> None:
    results = pl.DataFrame(
        {
            "customer_id": ["a", "b", "c"],
            "category": ["A", "C", "C"],
            "value": [300.0, 100.0, -200.0],
        }
    )
    # an old manifest: shares of the net total 200 (A 150%, C -50%), no positive value
    old = {
        "categories": [
            {"category": "A", "customers": 1, "value": 300.0, "value_share": 1.5},
            {"category": "C", "customers": 2, "value": -100.0, "value_share": -0.5},
        ]
    }
    rows = {r["category"]: r for r in category_rows(old, results, "category", ["A", "B", "C"])}
    # positive total 400: A 300 / 400, C 100 / 400 (its loss of 200 beside it)
    assert (rows["A"]["value_share"], rows["C"]["value_share"]) == (0.75, 0.25)
    assert (rows["C"]["value"], rows["C"]["value_losses"]) == (-100.0, -200.0)
    assert rows["B"]["customers"] == 0
    totals = {"net": 200.0, "positive": 400.0, "losses": -200.0, "has_losses": True}
    assert value_section(old, results) == totals
