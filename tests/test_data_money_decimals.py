"""Amounts in text with more than four decimals: rounded to four, half away from zero, on their
digits — as float and DECIMAL columns are — while text that is not a number is still refused."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from tierkit.data.parse import money
from tierkit.errors import DataInvalid
from tierkit.evaluation import evaluate
from tierkit.shipped import shipped_rulesets


@pytest.mark.parametrize(
    ("text", "units"),
    [
        ("16.448000000000004", 164480),  # a float written out by pandas or Excel
        ("-0.00005", -1),  # half away from zero: -0.0001
        ("0.00004999", 0),  # only the fifth decimal counts: 0
        ("0.00005", 1),
        ("12.34567", 123457),
        ("12.34564999", 123456),
        ("9999.99995", 100000000),  # the carry reaches the whole part: 10000
        ("-2.71828182845", -27183),
        ("+.123456", 1235),
        ("7.", 70000),
        ("1234.50", 12345000),  # four decimals or fewer: unchanged
    ],
)
def test_text_with_more_than_four_decimals_is_rounded(text: str, units: int) -> None:
    frame = pl.DataFrame({"amount": [text]}).select(money(pl.col("amount"), pl.String))
    assert frame["amount"].to_list() == [units]


@pytest.mark.parametrize("text", ["1,250.00", "12.34.5", "1e3", ".", "-", "abc", "0.1234a"])
def test_text_that_is_not_a_number_is_still_refused(text: str) -> None:
    frame = pl.DataFrame({"amount": [text]}).select(money(pl.col("amount"), pl.String))
    assert frame["amount"].to_list() == [None]


def write(folder: Path, payments: str) -> Path:
    folder.mkdir()
    (folder / "customers.csv").write_text("customer_id,name\n1,One\n2,Two\n3,Three\n")
    (folder / "payments.csv").write_text("customer_id,paid_at,amount\n" + payments)
    return folder


def test_a_float_export_gives_the_totals_of_its_decimals(tmp_path: Path) -> None:
    # 1: 16.448000000000004 + 0.1 -> 16.448 + 0.1 = 16.548; 2: 0.30000000000000004 -> 0.3;
    # 3: 10.00005 - 0.00005 -> 10.0001 - 0.0001 = 10
    data = write(
        tmp_path / "floats",
        "1,2026-01-05,16.448000000000004\n1,2026-02-05,0.1\n2,2026-02-06,0.30000000000000004\n"
        "3,2026-02-07,10.00005\n3,2026-02-08,-0.00005\n",
    )
    run = evaluate(shipped_rulesets()["abc-pareto"], data, as_of=date(2026, 3, 1))
    paid = dict(zip(run.values["customer_id"], run.values["total"], strict=True))
    assert paid == {"1": 16.548, "2": 0.3, "3": 10.0}


def test_text_that_is_not_a_number_stops_the_run_located(tmp_path: Path) -> None:
    data = write(tmp_path / "typo", "1,2026-01-05,16.448000000000004\n2,2026-01-06,12.34.5\n")
    with pytest.raises(DataInvalid) as caught:
        evaluate(shipped_rulesets()["abc-pareto"], data, as_of=date(2026, 3, 1))
    problem = caught.value.render()
    assert "payments.csv: column 'amount': 1 value cannot be read as an amount" in problem
    assert "row 3: amount = '12.34.5'" in problem
    assert "16.448" not in problem
