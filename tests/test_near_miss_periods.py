"""The near miss of vip-monthly (a decision on the top shares of a per-period value), by hand.

vip-monthly: VIP = the top 20% (at least the first) of a month's payers in any of six months
(A); good = the top 20% (at least the first) of the others who paid (B); the rest C. The
limiting value is ``paid``: ``to_better`` / ``to_worse`` is the change of it that gives the next
better / worse class, the other customers as they are (docs/ruleset-reference.md).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from tierkit.evaluation import evaluate
from tierkit.shipped import shipped_rulesets

MONTHS = ["2025-07-15", "2025-08-15", "2025-09-15", "2025-10-15", "2025-11-15", "2025-12-15"]
SEVEN = {
    "a": [1000, 0, 0, 0, 0, 0],
    "b": [100] * 6,
    "c": [50] * 6,
    "d": [10] * 6,
    "e": [5] * 6,
    "f": [2] * 6,
    "g": [1] * 6,
}


def write(folder: Path, paid: dict[str, list[float]], months: list[str] = MONTHS) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "customers.csv").write_text(
        "customer_id,name\n" + "".join(f"{c},{c}\n" for c in paid), encoding="utf-8"
    )
    rows = "".join(
        f"{c},{m},{a}\n"
        for c, values in paid.items()
        for m, a in zip(months, values, strict=True)
        if a
    )
    (folder / "payments.csv").write_text("customer_id,paid_at,amount\n" + rows, encoding="utf-8")
    (folder / "shipments.csv").write_text(
        "customer_id,shipped_at,units,promised_at,delivered_at\n", encoding="utf-8"
    )
    return folder


def near(folder: Path, as_of: date = date(2026, 1, 1), store: Path | None = None) -> dict:
    results = evaluate(
        shipped_rulesets()["vip-monthly"], folder, as_of=as_of, store=store, save=store is not None
    ).results
    return {
        row["customer_id"]: (row["category"], row["category.to_better"], row["category.to_worse"])
        for row in results.iter_rows(named=True)
    }


def test_seven_customers(tmp_path: Path) -> None:
    # July: 7 payers, the top 1 (a, 1000) is VIP; later months: 6 payers, the top 1 (b, 100).
    # The rest who paid: c 300, d 60, e 30, f 12, g 6 (N = 5): c is good.
    found = near(write(tmp_path / "d", SEVEN))
    # b leaves VIP at c's 50 in each of its five months (-250); with 350 it is then the first
    # of the rest (c 300): B. a leaves VIP at b's 100 in July (-900): with 100 it is not good,
    # so B cannot be reached (C would be).
    assert found["a"] == ("A", None, None)
    assert found["b"] == ("A", None, -250.0)
    # c: VIP at b's 100 in any month but July (+50, a tie it loses: a cent more); out of the
    # rest's top at d's 60 (-240)
    assert found["c"] == ("B", 50.0, -240.0)
    # d..g: good past c's total of 300
    assert found["d"] == ("C", 240.0, None)
    assert found["g"] == ("C", 294.0, None)


def test_the_distances_change_the_class_and_a_cent_less_does_not(tmp_path: Path) -> None:
    # c + 50.01 in August is August's top payer (A); + 49.99 is not
    assert near(write(tmp_path / "up", {**SEVEN, "c": [50, 100.01, 50, 50, 50, 50]}))["c"][0] == "A"
    assert near(write(tmp_path / "no", {**SEVEN, "c": [50, 99.99, 50, 50, 50, 50]}))["c"][0] == "B"
    # d + 240.01 spread over the months (no month passes b's 100): 300.01 passes c's 300 (B)
    spread = [50.0017, 50.0017, 50.0017, 50.0017, 50.0016, 50.0016]
    assert near(write(tmp_path / "d", {**SEVEN, "d": spread}))["d"][0] == "B"
    # b - 250 (50 in each month) ties c there and wins the tie (b < c): still A; a cent
    # less in each month is B (with 349.95, the first of the rest)
    same = near(write(tmp_path / "b", {**SEVEN, "b": [100, 50, 50, 50, 50, 50]}))
    assert same["b"][0] == "A"
    less = near(write(tmp_path / "b2", {**SEVEN, "b": [100, 49.99, 49.99, 49.99, 49.99, 49.99]}))
    assert less["b"][0] == "B"


def test_an_empty_month_and_a_month_of_four_payers(tmp_path: Path) -> None:
    # July: nobody pays; August to December: p 40, q 30, r 20, s 10 (N = 4: the top 1, p).
    paid = {"p": [0, 40, 40, 40, 40, 40], "q": [0, 30, 30, 30, 30, 30],
            "r": [0, 20, 20, 20, 20, 20], "s": [0, 10, 10, 10, 10, 10]}  # fmt: skip
    found = near(write(tmp_path / "d", paid))
    # q is good (first of q, r, s); it is VIP with anything in July, the empty month (+0, and
    # a cent more); p leaves VIP at q's 30 in five months (-50, p wins the tie: a cent more)
    # and with 150 leads the rest: B
    assert found["q"] == ("B", 0.0, -50.0)
    assert found["p"] == ("A", None, -50.0)
    # r: good past q's 150 (+50); s likewise (+100)
    assert found["r"] == ("C", 50.0, None)
    assert found["s"] == ("C", 100.0, None)


def test_a_customer_kept_in_b_by_the_previous_run_cannot_fall_to_c(tmp_path: Path) -> None:
    # as of December, v (June to November: 500 in June) is VIP; a month later June has left
    # the window and v, who paid nothing since, is B only because it was A
    months = ["2025-06-15", *MONTHS]
    paid = {"v": [500, 0, 0, 0, 0, 0, 0], "w": [0, 10, 10, 10, 10, 10, 10],
            "x": [0, 5, 5, 5, 5, 5, 5]}  # fmt: skip
    folder = write(tmp_path / "d", paid, months)
    store = tmp_path / "history.duckdb"
    near(folder, date(2025, 12, 1), store)
    found = near(folder, date(2026, 1, 1), store)
    # w (10 a month) tops every month of two payers; x (30 in all) is the rest's only payer
    # v: A with w's 10 in any month (v < w wins the tie); no change of paid makes it C
    assert found["v"] == ("B", 10.0, None)
    # x: A past w's 10 in a month (+5, a cent more); alone in the rest, out of it at 0 (-30)
    assert found["x"] == ("B", 5.0, -30.0)
