"""The near miss of abc-pareto where the population is unusual, computed by hand.

abc-pareto: ``ahead = cum_share(total, among=total > 0)``; A while ``ahead < 0.80``, B while
``ahead < 0.95``, else C. A customer's ``to_worse`` / ``to_better`` is the change of its own
total (the others' as they are) that gives the next worse / better class.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from tierkit.evaluation import evaluate
from tierkit.shipped import shipped_rulesets


def near_miss(tmp_path: Path, totals: dict[str, float], ruleset: Path | None = None) -> dict:
    data = tmp_path / "data"
    data.mkdir(exist_ok=True)
    (data / "customers.csv").write_text(
        "customer_id,name\n" + "".join(f"{c},{c}\n" for c in totals), encoding="utf-8"
    )
    (data / "payments.csv").write_text(
        "customer_id,paid_at,amount\n"
        + "".join(f"{c},2025-06-01,{a}\n" for c, a in totals.items()),
        encoding="utf-8",
    )
    path = ruleset or shipped_rulesets()["abc-pareto"]
    results = evaluate(path, data, as_of=date(2026, 1, 1), save=False).results
    return {
        row["customer_id"]: (row["category"], row["category.to_better"], row["category.to_worse"])
        for row in results.iter_rows(named=True)
    }


def test_an_all_a_population_still_has_a_way_down(tmp_path: Path) -> None:
    # a and b hold 500 each: both A (b has 0.5 ahead). Either becomes B at 125, where the
    # other's 500 is 80% of 625; and a, first by id on a tie, stays A down to 500.
    assert near_miss(tmp_path, {"a": 500, "b": 500}) == {
        "a": ("A", None, -375.0),
        "b": ("A", None, -375.0),
    }


def test_a_single_customer_has_no_b_below_it(tmp_path: Path) -> None:
    # alone, any positive total has nothing ahead (A); at 0 or less it is not ranked (C):
    # no total gives B, the next worse class, so there is no distance to it
    assert near_miss(tmp_path, {"a": 500}) == {"a": ("A", None, None)}


def test_customers_outside_the_ranking_have_a_way_in(tmp_path: Path) -> None:
    # ranked: a 500, b 300, c 100, d 60, e 40 (total 1000); z (0) and y (-50) are outside.
    # z enters B above 40: with 40.01 it ranks after e, with 960 of 1040.01 ahead (92%).
    found = near_miss(tmp_path, {"a": 500, "b": 300, "c": 100, "d": 60, "e": 40, "z": 0, "y": -50})
    assert found["z"] == ("C", 40.0, None)
    assert found["y"] == ("C", 90.0, None)
    assert found["e"] == ("C", pytest.approx(960 / 0.95 - 1000 - 0), None)  # 960/(960+v) < .95


def test_an_among_line_counts_for_customers_inside_and_outside(tmp_path: Path) -> None:
    # among=total > 50: ranked a 500, b 300, c 100, d 60 (960); e (40) is outside.
    ruleset = tmp_path / "abc50.yaml"
    text = shipped_rulesets()["abc-pareto"].read_text(encoding="utf-8")
    ruleset.write_text(text.replace("among=total > 0", "among=total > 50"), encoding="utf-8")
    found = near_miss(tmp_path, {"a": 500, "b": 300, "c": 100, "d": 60, "e": 40}, ruleset)
    # d (B, 900 of 960 ahead) drops out of the ranking at 50, before its share reaches 95%
    # (at 47.37): C at -10. c likewise at -50; c reaches A above 140 (800 of 940.01 ahead).
    assert found["d"] == ("B", 40.0, -10.0)
    assert found["c"] == ("B", 40.0, -50.0)
    # e must enter the ranking (> 50) with less than 95% ahead: 960/(960+v) < 0.95 from 50.53
    assert found["e"] == ("C", pytest.approx(960 / 0.95 - 960 - 40), None)
    # b falls to B where c's 100 passes it: 600 of 660 + 90 ahead is 80%
    assert found["b"] == ("A", None, -210.0)
