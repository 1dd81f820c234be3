"""Amounts in text with more than four decimals: rounded to four, half away from zero, on their
digits — as float and DECIMAL columns are — while text that is not a number is still refused."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
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


HALVES = [
    ("0.00025", 3),  # half away from zero, not to the even 0.0002
    ("0.00015", 2),
    ("-0.00005", -1),
    ("1.23445", 12345),
    ("-1.23445", -12345),
    ("0.000249", 2),
]


@pytest.mark.parametrize(("text", "units"), HALVES)
def test_a_decimal_column_is_rounded_as_its_text_is(text: str, units: int) -> None:
    stored = pl.DataFrame({"amount": [Decimal(text)]}, schema={"amount": pl.Decimal(20, 6)})
    frame = stored.select(money(pl.col("amount"), pl.Decimal(20, 6)))
    assert frame["amount"].to_list() == [units]


@pytest.mark.parametrize(("text", "units"), [HALVES[0], HALVES[2], ("2.5", 25000)])
def test_a_float_column_is_rounded_half_away_from_zero(text: str, units: int) -> None:
    # 0.00025 and -0.00005 scale to exactly 2.5 and -0.5 ten-thousandths
    frame = pl.DataFrame({"amount": [float(text)]}).select(money(pl.col("amount"), pl.Float64))
    assert frame["amount"].to_list() == [units]


def test_a_parquet_decimal_export_gives_the_totals_of_its_csv(tmp_path: Path) -> None:
    # 1: 0.00025 + 10 -> 0.0003 + 10 = 10.0003; 2: -0.00005 + 5 -> -0.0001 + 5 = 4.9999
    rows = [("1", "0.00025"), ("1", "10"), ("2", "-0.00005"), ("2", "5")]
    folder = tmp_path / "decimals"
    folder.mkdir()
    (folder / "customers.csv").write_text("customer_id,name\n1,One\n2,Two\n")
    pl.DataFrame(
        {
            "customer_id": [c for c, _ in rows],
            "paid_at": [date(2026, 2, 5)] * len(rows),
            "amount": [Decimal(a) for _, a in rows],
        },
        schema={"customer_id": pl.String, "paid_at": pl.Date, "amount": pl.Decimal(18, 6)},
    ).write_parquet(folder / "payments.parquet")
    run = evaluate(shipped_rulesets()["abc-pareto"], folder, as_of=date(2026, 3, 1))
    paid = dict(zip(run.values["customer_id"], run.values["total"], strict=True))
    assert paid == {"1": 10.0003, "2": 4.9999}
