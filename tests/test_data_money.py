"""Money as a company has it: refunds and credit notes netted into the sums, never rejected."""

from __future__ import annotations

import textwrap
from datetime import date
from decimal import Decimal
from pathlib import Path

import narwhals.stable.v2 as nw
import polars as pl
import pytest

import tierkit
from tierkit.contract import Window
from tierkit.data import open_source, prepare_tables, scan
from tierkit.data.magnitude import WIDEST, footer_bounds, money_types
from tierkit.errors import DataInvalid
from tierkit.plugins.payments import received_totals
from tierkit.registry import get_registry

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


MAGNITUDE = """
tierkit: 1
name: magnitude
strategy: working-capital
window: {period: month, periods: 3}
criteria:
  paid: {use: payments.received}
  late: {use: payments.days_late}
  units: {use: shipments.units}
decisions:
  category:
    rules:
      - {when: paid > 0 and units >= 0 and late >= 0, then: A}
    default: {then: B}
"""


def _magnitude(tmp_path: Path, payments: pl.DataFrame, units: list[float] | None = None) -> Path:
    data = tmp_path / "data"
    data.mkdir(parents=True)
    write(tmp_path, "magnitude.yaml", MAGNITUDE)
    ids = sorted({*payments["customer_id"].to_list(), "C1"})
    pl.DataFrame({"customer_id": ids, "name": ids}).write_parquet(data / "customers.parquet")
    payments.write_parquet(data / "payments.parquet")
    shipped = units or [1.0]
    pl.DataFrame(
        {"customer_id": ["C1"] * len(shipped), "shipped_at": [date(2026, 1, 2)] * len(shipped),
         "units": shipped}
    ).write_parquet(data / "shipments.parquet")
    return tmp_path


def _payments(ids: list[str], amounts: pl.Series, due: date | None = None) -> pl.DataFrame:
    n = len(ids)
    return pl.DataFrame({"customer_id": ids, "paid_at": [date(2026, 2, 1)] * n,
                         "amount": amounts, "due_at": [due or date(2026, 1, 1)] * n})


def _run(folder: Path, backend: str = "polars") -> dict[str, dict[str, object]]:
    run = tierkit.evaluate(folder / "magnitude.yaml", folder / "data", as_of="2026-03-01",
                           backend=backend, save=False)
    return {r["customer_id"]: r for r in run.results.iter_rows(named=True)}


def _problems(folder: Path) -> list[str]:
    with pytest.raises(DataInvalid) as info:
        _run(folder)
    return [p.render() for p in info.value.problems]


@pytest.mark.parametrize("backend", ["polars", "duckdb"])
def test_amounts_beyond_64_bits_add_up_exactly(tmp_path: Path, backend: str) -> None:
    # 1,844,674,407,370,956 is 18,446,744,073,709,560,000 ten-thousandths: beyond 2^64 (wrapped
    # to 0.8384 before). Two payments of 5·10^14 sum to 10^15 (wrapped to a negative before).
    amounts = pl.Series([Decimal("1844674407370956"), Decimal("5E14"), Decimal("5E14"),
                         Decimal("-0.01")], dtype=pl.Decimal(18, 2))
    folder = _magnitude(tmp_path, _payments(["C1", "C2", "C2", "C3"], amounts))
    rows = _run(folder, backend)
    assert rows["C1"]["paid"] == 1_844_674_407_370_956.0
    assert rows["C2"]["paid"] == 1_000_000_000_000_000.0  # 5·10^14 + 5·10^14
    assert rows["C3"]["paid"] == -0.01
    # paid 2026-02-01, due 2026-01-01: 31 days late, whatever the amount
    assert rows["C1"]["late"] == 31.0


def test_a_decimal_18_2_near_its_limit_and_integer_amounts(tmp_path: Path) -> None:
    # DECIMAL(18,2) holds at most 9,999,999,999,999,999.99; twice that is
    # 19,999,999,999,999,999.98, whose nearest float is 2·10^16
    top = Decimal("9999999999999999.99")
    folder = _magnitude(tmp_path, _payments(["C1", "C1"], pl.Series([top, top],
                                                                    dtype=pl.Decimal(18, 2))))
    assert _run(folder)["C1"]["paid"] == float(Decimal("19999999999999999.98"))
    # a Parquet integer amount of 922,337,203,685,478 (×10^4 passes 2^63) stays positive
    folder = _magnitude(tmp_path / "int", _payments(["C1"], pl.Series([922_337_203_685_478])))
    assert _run(folder)["C1"]["paid"] == 922_337_203_685_478.0


def test_ten_to_the_fifteen_times_a_million_rows_is_exact(tmp_path: Path) -> None:
    # a million payments of 10^15 (a weak currency): 10^21 in all, for one customer, and a
    # million more of 10^15 - 0.0001 for another: 10^21 - 100
    n = 1_000_000
    amounts = pl.Series([Decimal(10**15)] * n + [Decimal("999999999999999.9999")] * n,
                        dtype=pl.Decimal(20, 4))
    folder = _magnitude(tmp_path, _payments(["C1"] * n + ["C2"] * n, amounts))
    registry = get_registry()
    prepared = prepare_tables(open_source(str(folder / "data"), registry),
                              [registry.criteria["payments.received"]], date(2026, 3, 1), "data")
    tables = {k: nw.from_native(v) for k, v in prepared.tables.items()}
    window = Window(as_of=date(2026, 3, 1), period="month", periods=2)
    totals = nw.to_native(received_totals(tables, window, {})).collect()
    exact = dict(zip(totals["customer_id"], totals["total"], strict=True))
    # in ten-thousandths: 10^6 × 10^19 = 10^25; 10^6 × (10^19 - 1) = 10^25 - 10^6
    assert exact == {"C1": 10**25, "C2": 10**25 - 10**6}
    rows = _run(folder)
    # the value is the float nearest 10^25, divided by 10^4 (one rounding more than exact)
    assert rows["C1"]["paid"] == float(10**25) / 10**4


def test_impossible_magnitudes_are_located_errors(tmp_path: Path) -> None:
    floats = pl.Series([1.0, float("inf"), 1e300])
    folder = _magnitude(tmp_path / "f", _payments(["C1"] * 3, floats), units=[1e308, 2.0])
    problems = _problems(folder)
    assert problems == [
        f"{folder / 'data' / 'payments.parquet'}: column 'amount': 1 value cannot be read: too "
        "large (at most 30 digits before the point)\n    row 3: amount = '1e+300'",
        f"{folder / 'data' / 'payments.parquet'}: column 'amount': 1 value cannot be read as an "
        "amount (like 1234.50)\n    row 2: amount = 'inf'",
        f"{folder / 'data' / 'shipments.parquet'}: column 'units': 1 value cannot be read: too "
        "large (at most 10^14)\n    row 1: units = '1e+308'",
    ]
    # 30 digits read, but 2 × 10^30 currency units could pass 10^38 ten-thousandths / 2^23
    huge = pl.Series(["9" * 30, "9" * 30])
    folder = _magnitude(tmp_path / "t", _payments(["C1", "C1"], huge))
    assert _problems(folder) == [
        f"{folder / 'data' / 'payments.parquet'}: column 'amount': amounts up to "
        f"{int('9' * 30):,} over 2 rows could add up beyond what tierkit sums exactly (about "
        "10^27 in currency units); check the column's unit (cents instead of units?)"
    ]


def test_units_up_to_the_limit_add_up(tmp_path: Path) -> None:
    # 10^14 units is 10^18 ten-thousandths; three of them pass 2^63 and still add up
    folder = _magnitude(tmp_path, _payments(["C1"], pl.Series([1.0])), units=[1e14] * 3)
    assert _run(folder)["C1"]["units"] == 3e14


def test_bounds_from_a_parquet_footer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "p.parquet"
    pl.DataFrame({"amount": pl.Series([Decimal("-12.5"), Decimal("3.25")],
                                      dtype=pl.Decimal(18, 2)),
                  "whole": [7, -9]}).write_parquet(path)
    # |-12.50| = 125,000 ten-thousandths; |-9| = 90,000
    assert footer_bounds(str(path), ["amount", "whole"]) == {
        "__rows": 2, "amount": 125_000, "whole": 90_000}
    assert footer_bounds(str(path), ["missing"]) is None
    # a name DuckDB would read as a pattern is not read by its footer (it could name others)
    glob = tmp_path / "p[0].parquet"
    path.rename(glob)
    assert footer_bounds(str(glob), ["amount"]) is None
    glob.rename(path)
    # a column without statistics has no bound from the footer
    bare = tmp_path / "bare.parquet"
    pl.DataFrame({"amount": [5, -7]}).write_parquet(bare, statistics=False)
    assert footer_bounds(str(bare), ["amount"]) is None
    # a large file is bounded by its footer: the same types and sums as by aggregation
    monkeypatch.setattr(scan, "FOOTER_ROWS", 0)
    test_a_decimal_18_2_near_its_limit_and_integer_amounts(tmp_path / "footer")


def test_wide_decimal_and_128_bit_columns_are_located_when_too_large(tmp_path: Path) -> None:
    # Decimal(38, 2) holds 10^35, which four decimals cannot hold in 38 digits; 10^20 fits
    wide = pl.Series([Decimal(10**35), Decimal(10**20)], dtype=pl.Decimal(38, 2))
    folder = _magnitude(tmp_path / "d", _payments(["C1", "C2"], wide))
    assert _problems(folder) == [
        f"{folder / 'data' / 'payments.parquet'}: column 'amount': 1 value cannot be read: too "
        "large (at most 30 digits before the point)\n"
        f"    row 1: amount = '{10**35}.00'"
    ]
    fits = pl.Series([Decimal(10**20), Decimal(10**20)], dtype=pl.Decimal(38, 2))
    assert _run(_magnitude(tmp_path / "f", _payments(["C1", "C1"], fits)))["C1"]["paid"] == 2e20
    # a 128-bit integer column (a DuckDB HUGEINT) of 10^31 is refused the same way
    huge = pl.Series([10**31, 5], dtype=pl.Int128)
    folder = _magnitude(tmp_path / "h", _payments(["C1", "C2"], huge))
    assert _problems(folder)[0].startswith(
        f"{folder / 'data' / 'payments.parquet'}: column 'amount': 1 value cannot be read: too "
        "large")


@pytest.mark.parametrize(
    ("largest", "kind"),
    [
        (2**61 - 1, "Int64"),  # 2 rows × (2^61 - 1) < 2^62: every sum and difference fits
        (-(2**61), "Decimal"),  # 2 × 2^61 = 2^62: a difference of two sums could reach 2^63
        (WIDEST // 2 - 1, "Decimal"),  # 2 × that < 10^38 / 2^23
        (WIDEST // 2, None),  # 2 × that = WIDEST: refused
    ],
)
def test_the_type_of_a_money_column_by_its_bound(largest: int, kind: str | None) -> None:
    frame = pl.LazyFrame({"amount": pl.Series([largest, 1], dtype=pl.Int128)})
    types, problems = money_types(frame, {"amount": pl.col("amount")}, ["amount"], "t")
    if kind is None:
        assert types == {} and problems[0].column == "amount"
    else:
        assert problems == [] and type(types["amount"]).__name__ == kind
