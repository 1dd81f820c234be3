"""Reading data: sources, table contracts, exact parsing, and the bad-data rules."""

from __future__ import annotations

import sqlite3
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tierkit.contract import MONEY_SCALE, Window
from tierkit.data import open_source, prepare_tables
from tierkit.errors import DataInvalid
from tierkit.registry import Registry

AS_OF = date(2026, 3, 1)


def write(folder: Path, name: str, text: str) -> None:
    (folder / name).write_text(text.strip() + "\n")


def prepare(registry: Registry, location: Path, *criteria: str):  # type: ignore[no-untyped-def]
    opened = open_source(str(location), registry)
    return prepare_tables(opened, [registry.criteria[c] for c in criteria], AS_OF, str(location))


def invalid(registry: Registry, location: Path, *criteria: str) -> list[str]:
    with pytest.raises(DataInvalid) as info:
        prepare(registry, location, *criteria)
    return [p.render() for p in info.value.problems]


@pytest.fixture
def good(tmp_path: Path) -> Path:
    write(
        tmp_path,
        "customers.csv",
        """
customer_id,name,since
C1,Alpha,2020-01-15
C2,Beta,
C3,Gamma,2025-06-30
""",
    )
    write(
        tmp_path,
        "payments.csv",
        """
customer_id,paid_at,amount
C1,2026-01-05,100.50
C1,2026-02-28,0.0001
C2,2025-12-31T10:00:00,7
C9,2026-01-01,5
C1,,3
C3,2026-03-01,9
""",
    )
    return tmp_path


def test_folder_of_csv_is_parsed_exactly(registry: Registry, good: Path) -> None:
    prepared = prepare(registry, good, "payments.received", "tenure.months")
    payments = prepared.tables["payments"].collect().sort("_row")
    assert payments["customer_id"].to_list() == ["C1", "C1", "C2"]
    assert payments["amount"].to_list() == [1_005_000, 1, 70_000]
    assert payments["paid_at"].to_list() == [
        date(2026, 1, 5),
        date(2026, 2, 28),
        date(2025, 12, 31),
    ]
    customers = prepared.tables["customers"].collect()
    assert customers["since"].to_list() == [date(2020, 1, 15), None, date(2025, 6, 30)]


def test_skipped_rows_are_counted_for_the_manifest(registry: Registry, good: Path) -> None:
    report = prepare(registry, good, "payments.received").report.as_dict()
    assert report["payments"] == {
        "origin": str(good / "payments.csv"),
        "rows": 6,
        "used": 3,
        "skipped": {"unknown customer": 1, "no paid_at": 1, "on or after the as-of date": 1},
        "first_date": "2025-12-31",
        "last_date": "2026-02-28",
        "negative": {},
        "warnings": [],
    }
    assert report["customers"]["rows"] == 3


def test_every_bad_value_is_reported_at_once_with_rows(registry: Registry, tmp_path: Path) -> None:
    write(
        tmp_path,
        "customers.csv",
        """
customer_id,name,since
C1,Alpha,2020-01-15
C2,Beta,2021-13-01
C1,Alpha again,2020-01-01
""",
    )
    write(
        tmp_path,
        "payments.csv",
        """
customer_id,paid_at,amount
C1,2026-01-05,100.50
C1,2026-02-05,abc
C2,2026-02-31,10
C2,2026-01-01,-3
C2,2026-01-01,1.2.3
""",
    )
    found = invalid(registry, tmp_path, "payments.received", "tenure.months")
    assert found == [
        f"{tmp_path / 'customers.csv'}: 1 customer_id value appears more than once; each "
        "customer must be listed once\n    row 2: customer_id='C1', name='Alpha'\n"
        "    row 4: customer_id='C1', name='Alpha again'",
        f"{tmp_path / 'customers.csv'}: column 'since': 1 value cannot be read as a date "
        "(YYYY-MM-DD)\n    row 3: since = '2021-13-01'",
        f"{tmp_path / 'payments.csv'}: column 'paid_at': 1 value cannot be read as a date "
        "(YYYY-MM-DD)\n    row 4: paid_at = '2026-02-31'",
        f"{tmp_path / 'payments.csv'}: column 'amount': 2 values cannot be read as an amount "
        "(like 1234.50)\n    row 3: amount = 'abc'\n    row 6: amount = '1.2.3'",
    ]  # the refund of row 5 (-3) is not a problem


def test_a_column_named_in_another_case_is_named_not_ignored(
    registry: Registry, tmp_path: Path
) -> None:
    # an optional column so named was read as absent: every contract open, none terminated
    write(tmp_path, "customers.csv", "customer_id,name\nC1,A")
    write(tmp_path, "payments.csv", "Customer_ID ,paid_at,amount\nC1,2026-01-05,3")
    write(
        tmp_path,
        "contracts.csv",
        "customer_id,contract_id,started_at,ended_at,Terminated_At\nC1,K1,2025-01-01,,2026-01-02",
    )
    found = invalid(registry, tmp_path, "payments.received", "contracts.terminated")
    exactly = "(column names are matched exactly, case and spaces included): rename it"
    assert found == [
        f"{tmp_path / 'payments.csv'}: column 'customer_id' is missing (needed by "
        f"payments.received); found 'Customer_ID ' {exactly}",
        f"{tmp_path / 'contracts.csv'}: column 'terminated_at' is missing (needed by "
        f"contracts.terminated); found 'Terminated_At' {exactly}",
    ]


def test_missing_tables_and_columns_name_the_criteria(registry: Registry, tmp_path: Path) -> None:
    write(tmp_path, "customers.csv", "customer_id,name\nC1,A")
    write(tmp_path, "payments.csv", "customer_id,amount\nC1,3")
    found = invalid(
        registry, tmp_path, "payments.received", "payments.days_late", "shipments.units"
    )
    assert found == [
        f"{tmp_path / 'payments.csv'}: column 'paid_at' is missing (needed by "
        "payments.received, payments.days_late)",
        f"{tmp_path / 'payments.csv'}: column 'due_at' is missing (needed by payments.days_late)",
        f"{tmp_path}: no table 'shipments' (needed by shipments.units); expected shipments.csv, "
        "shipments.parquet or shipments.xlsx in a folder, or a database table 'shipments'",
    ]


def test_a_table_named_in_another_case_is_named(registry: Registry, tmp_path: Path) -> None:
    # a Windows export (Payments.CSV) was reported as no table at all, the file unmentioned
    write(tmp_path, "customers.csv", "customer_id,name\nC1,A")
    write(tmp_path, "Payments.CSV", "customer_id,paid_at,amount\nC1,2026-01-05,3")
    [problem] = invalid(registry, tmp_path, "payments.received")
    assert problem.endswith(
        "or a database table 'payments'; found 'Payments' (table names are matched exactly):"
        " rename it 'payments'"
    )


def test_a_table_file_of_a_kind_not_read_is_named(registry: Registry, tmp_path: Path) -> None:
    # payments.csv.gz (a compressed export) and payments.xls were reported as no table at all
    write(tmp_path, "customers.csv", "customer_id,name\nC1,A")
    (tmp_path / "payments.csv.gz").write_bytes(b"\x1f\x8b")
    (tmp_path / "Payments.xls").write_bytes(b"\xd0\xcf")
    (tmp_path / "payments_old.csv.gz").write_bytes(b"\x1f\x8b")  # another table's name
    [problem] = invalid(registry, tmp_path, "payments.received")
    assert problem.endswith(
        "or a database table 'payments'; found 'Payments.xls', 'payments.csv.gz', which tierkit "
        "does not read: save the table as payments.csv, payments.parquet or payments.xlsx "
        "(uncompressed)"
    )


def test_empty_customer_id_is_rejected(registry: Registry, tmp_path: Path) -> None:
    write(tmp_path, "customers.csv", "customer_id,name\nC1,A\n,B")
    [problem] = invalid(registry, tmp_path, "tenure.months")
    assert "1 row without a customer_id" in problem and "row 3:" in problem


def test_typed_parquet_with_wrong_column_type(registry: Registry, tmp_path: Path) -> None:
    pl.DataFrame({"customer_id": ["C1"], "name": ["A"]}).write_parquet(
        tmp_path / "customers.parquet"
    )
    pl.DataFrame({"customer_id": ["C1"], "shipped_at": [True], "units": [3]}).write_parquet(
        tmp_path / "shipments.parquet"
    )
    [problem] = invalid(registry, tmp_path, "shipments.units")
    assert problem == (
        f"{tmp_path / 'shipments.parquet'}: column 'shipped_at' holds "
        "true/false values, expected dates"
    )


def test_categorical_parquet_columns_are_read_as_their_text(
    registry: Registry, tmp_path: Path
) -> None:
    # pandas writes a column of dtype "category" as a dictionary: polars reads it as
    # Categorical, which was refused ("column 'amount' holds Categorical, expected a number")
    pl.DataFrame({"customer_id": ["C1", "C2"], "name": ["A", "B"]}).write_parquet(
        tmp_path / "customers.parquet"
    )
    text = pl.Categorical
    pl.DataFrame(
        {
            "customer_id": ["C1", "C2", "C1"],
            "paid_at": ["2026-01-05", "2026-01-06", "2026-02-01"],
            "amount": ["100.50", "7", "100.50"],
        },
        schema={"customer_id": text, "paid_at": text, "amount": text},
    ).write_parquet(tmp_path / "payments.parquet")
    payments = prepare(registry, tmp_path, "payments.received").tables["payments"]
    rows = payments.collect().sort("_row")
    assert rows["amount"].to_list() == [1_005_000, 70_000, 1_005_000]
    assert rows["paid_at"].to_list() == [date(2026, 1, 5), date(2026, 1, 6), date(2026, 2, 1)]


def test_a_categorical_value_that_is_not_a_date_is_located(
    registry: Registry, tmp_path: Path
) -> None:
    pl.DataFrame({"customer_id": ["C1"], "name": ["A"]}).write_parquet(
        tmp_path / "customers.parquet"
    )
    pl.DataFrame(
        {"customer_id": ["C1", "C1"], "paid_at": ["2026-01-05", "05/01/2026"], "amount": [1, 2]},
        schema={"customer_id": pl.String, "paid_at": pl.Categorical, "amount": pl.Int64},
    ).write_parquet(tmp_path / "payments.parquet")
    [problem] = invalid(registry, tmp_path, "payments.received")
    assert problem.startswith(
        f"{tmp_path / 'payments.parquet'}: column 'paid_at': 1 value cannot be read as a date"
    )
    assert "row 2: paid_at = '05/01/2026'" in problem


def test_a_parquet_column_with_no_value_at_all_is_empty_not_refused(
    registry: Registry, tmp_path: Path
) -> None:
    # pandas writes an all-empty column (no contract ended early, no payment with a due date)
    # with the Parquet type null: it was refused ("holds Null, expected dates")
    pl.DataFrame({"customer_id": ["C1", "C2"], "name": ["A", "B"]}).write_parquet(
        tmp_path / "customers.parquet"
    )
    pl.DataFrame(
        {
            "customer_id": ["C1", "C2"],
            "contract_id": ["K1", "K2"],
            "started_at": [date(2025, 1, 1), date(2025, 6, 1)],
            "ended_at": [None, None],
            "terminated_at": [None, None],
        },
        schema_overrides={"ended_at": pl.Null, "terminated_at": pl.Null},
    ).write_parquet(tmp_path / "contracts.parquet")
    pl.DataFrame(
        {"customer_id": ["C1"], "paid_at": [date(2026, 1, 5)], "amount": [None]},
        schema_overrides={"amount": pl.Null},
    ).write_parquet(tmp_path / "payments.parquet")
    prepared = prepare(registry, tmp_path, "contracts.terminated", "payments.received")
    contracts = prepared.tables["contracts"].collect().sort("_row")
    assert contracts["terminated_at"].to_list() == [None, None]
    assert contracts["ended_at"].dtype == pl.Date
    assert prepared.tables["payments"].collect()["amount"].to_list() == [None]


def test_lists_and_structs_are_not_ids_or_text(registry: Registry, tmp_path: Path) -> None:
    # casting a list to text was an internal error ("cannot cast List type")
    pl.DataFrame({"customer_id": ["C1"], "name": [["Alpha", "GmbH"]]}).write_parquet(
        tmp_path / "customers.parquet"
    )
    pl.DataFrame(
        {"customer_id": [{"id": "C1"}], "shipped_at": [date(2026, 1, 5)], "units": [3]}
    ).write_parquet(tmp_path / "shipments.parquet")
    assert invalid(registry, tmp_path, "shipments.units") == [
        f"{tmp_path / 'customers.parquet'}: column 'name' holds List(String), expected text",
        f"{tmp_path / 'shipments.parquet'}: column 'customer_id' holds "
        "Struct({'id': String}), expected an identifier",
    ]


def test_two_files_for_one_table_are_refused(registry: Registry, good: Path) -> None:
    pl.read_csv(good / "payments.csv").write_parquet(good / "payments.parquet")
    [problem] = invalid(registry, good, "payments.received")
    assert "table 'payments' is given twice (payments.csv, payments.parquet)" in problem


def _expected_payments(prepared) -> list[tuple[str, date, int]]:  # type: ignore[no-untyped-def]
    frame = prepared.tables["payments"].collect().sort("customer_id", "paid_at")
    return list(frame.select("customer_id", "paid_at", "amount").iter_rows())


def test_databases_and_parquet_give_the_same_tables(
    registry: Registry, good: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    from_csv = _expected_payments(prepare(registry, good, "payments.received"))
    customers = pl.read_csv(good / "customers.csv", infer_schema=False)
    payments = pl.read_csv(good / "payments.csv", infer_schema=False)

    db = tmp_path_factory.mktemp("db")
    with duckdb.connect(str(db / "data.duckdb")) as con:
        con.register("c", customers)
        con.register("p", payments)
        con.execute(
            "create table customers as select customer_id, name, "
            "try_cast(since as date) as since from c"
        )
        con.execute(
            "create table payments as select customer_id, "
            "try_cast(paid_at as timestamp)::date as paid_at, "
            "cast(amount as decimal(18, 4)) as amount from p"
        )
    assert (
        _expected_payments(prepare(registry, db / "data.duckdb", "payments.received")) == from_csv
    )

    with sqlite3.connect(db / "data.sqlite") as con:
        con.execute("create table customers (customer_id text, name text, since text)")
        con.executemany("insert into customers values (?, ?, ?)", customers.rows())
        con.execute("create table payments (customer_id text, paid_at text, amount real)")
        con.executemany(
            "insert into payments values (?, ?, ?)",
            [(c, p, float(a)) for c, p, a in payments.rows()],
        )
    assert (
        _expected_payments(prepare(registry, db / "data.sqlite", "payments.received")) == from_csv
    )

    folder = tmp_path_factory.mktemp("parquet")
    customers.write_parquet(folder / "customers.parquet")
    payments.write_parquet(folder / "payments.parquet")
    assert _expected_payments(prepare(registry, folder, "payments.received")) == from_csv


def test_excel_folder(
    registry: Registry, good: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    tmp_path = tmp_path_factory.mktemp("excel")
    pytest.importorskip("fastexcel")
    openpyxl = pytest.importorskip("openpyxl")
    for name in ("customers", "payments"):
        book = openpyxl.Workbook()
        sheet = book.active
        for row in (good / f"{name}.csv").read_text().splitlines():
            sheet.append(row.split(","))
        book.save(tmp_path / f"{name}.xlsx")
    assert _expected_payments(
        prepare(registry, tmp_path, "payments.received")
    ) == _expected_payments(prepare(registry, good, "payments.received"))


def _payments_with_formulas(path: Path, saved: bool) -> None:
    """payments.xlsx whose amount in C3 is the formula C2*2; ``saved`` writes its result (200)
    beside it, as Excel and LibreOffice do, else the formula alone, as openpyxl does."""
    import zipfile

    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    book.active.append(["customer_id", "paid_at", "amount"])
    book.active.append(["c1", "2026-01-05", 100])
    book.active.append(["c2", "2026-01-06", "=C2*2"])
    book.active.append(["c2", "2026-01-07", 7])
    plain = path.with_suffix(".plain.xlsx")
    book.save(plain)
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(path, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml" and saved:
                assert b"<f>C2*2</f><v />" in data
                data = data.replace(b"<f>C2*2</f><v />", b"<f>C2*2</f><v>200</v>")
            target.writestr(item, data)
    plain.unlink()


def test_excel_formulas_are_read_by_their_saved_result(registry: Registry, tmp_path: Path) -> None:
    pytest.importorskip("fastexcel")
    (tmp_path / "customers.csv").write_text("customer_id,name\nc1,One\nc2,Two\n")
    _payments_with_formulas(tmp_path / "payments.xlsx", saved=True)
    assert _expected_payments(prepare(registry, tmp_path, "payments.received")) == [
        ("c1", date(2026, 1, 5), 100 * MONEY_SCALE),
        ("c2", date(2026, 1, 6), 200 * MONEY_SCALE),
        ("c2", date(2026, 1, 7), 7 * MONEY_SCALE),
    ]


def test_excel_formulas_without_a_saved_result_are_refused(
    registry: Registry, tmp_path: Path
) -> None:
    """calamine reads such a cell as empty: c2's payment of 200 would have added nothing."""
    pytest.importorskip("fastexcel")
    (tmp_path / "customers.csv").write_text("customer_id,name\nc1,One\nc2,Two\n")
    _payments_with_formulas(tmp_path / "payments.xlsx", saved=False)
    [problem] = invalid(registry, tmp_path, "payments.received")
    assert "payments.xlsx: 1 formula cell without a saved result" in problem
    assert "open the file in Excel or LibreOffice and save it" in problem
    assert "row 3, column 'amount' (C3): =C2*2" in problem


def test_a_hidden_first_sheet_is_refused_not_read(registry: Registry, tmp_path: Path) -> None:
    """tierkit reads the first sheet; a hidden one (a template or last month's table kept out
    of sight) was read silently: c1 got its 999 instead of the 5 the analyst sees."""
    pytest.importorskip("fastexcel")
    openpyxl = pytest.importorskip("openpyxl")
    (tmp_path / "customers.csv").write_text("customer_id,name\nc1,One\n")
    book = openpyxl.Workbook()
    kept = book.active
    kept.title = "Last month"
    kept.append(["customer_id", "paid_at", "amount"])
    kept.append(["c1", "2026-01-05", 999])
    kept.sheet_state = "hidden"
    shown = book.create_sheet("Payments")
    shown.append(["customer_id", "paid_at", "amount"])
    shown.append(["c1", "2026-01-05", 5])
    book.active = 1
    book.save(tmp_path / "payments.xlsx")
    [problem] = invalid(registry, tmp_path, "payments.received")
    assert problem == (
        f"{tmp_path / 'payments.xlsx'}: its first sheet, 'Last month', is hidden; tierkit reads"
        " the first sheet only: move the table to the first sheet, or delete or unhide the"
        " hidden one"
    )


def test_unknown_location_says_what_can_be_opened(registry: Registry, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    [problem] = invalid(registry, tmp_path / "notes.txt", "payments.received")
    assert "no installed source kind can open it" in problem
    assert "a folder with one file per table" in problem


@given(
    st.decimals(
        min_value=0,
        max_value=Decimal("99999999999"),
        places=4,
        allow_nan=False,
        allow_infinity=False,
    )
)
def test_money_text_is_read_exactly(amount: Decimal) -> None:
    from tierkit.data.parse import money

    text = format(amount, "f")
    parsed = pl.DataFrame({"a": [text]}).select(money(pl.col("a"), pl.String)).item()
    assert parsed == int(amount * MONEY_SCALE)


def test_rows_without_customer_id_are_counted(registry: Registry, good: Path) -> None:
    with (good / "payments.csv").open("a") as handle:
        handle.write(",2026-01-07,12\n")
    report = prepare(registry, good, "payments.received").report.as_dict()["payments"]
    assert report["rows"] == 7 and report["used"] == 3
    assert report["skipped"]["no customer_id"] == 1


def test_nan_and_inf_are_not_numbers(registry: Registry, tmp_path: Path) -> None:
    write(tmp_path, "customers.csv", "customer_id,name\nC1,A")
    write(
        tmp_path,
        "shipments.csv",
        "customer_id,shipped_at,units\nC1,2026-01-01,nan\nC1,2026-01-02,inf\nC1,2026-01-03,4",
    )
    [problem] = invalid(registry, tmp_path, "shipments.units")
    assert "column 'units': 2 values cannot be read as a number" in problem


def test_nan_and_infinity_stored_as_floats_are_rejected(registry: Registry, tmp_path: Path) -> None:
    """Float columns of a Parquet file (a pandas export) are checked like text: NaN and
    infinity are not amounts or numbers, and stopped the run with a polars error before."""
    pl.DataFrame({"customer_id": ["C1"], "name": ["A"]}).write_parquet(
        tmp_path / "customers.parquet"
    )
    day = date(2026, 1, 5)
    pl.DataFrame(
        {"customer_id": ["C1"] * 3, "paid_at": [day] * 3, "amount": [1.5, float("nan"), 2.0]}
    ).write_parquet(tmp_path / "payments.parquet")
    pl.DataFrame(
        {"customer_id": ["C1"] * 2, "shipped_at": [day] * 2, "units": [float("inf"), 3.0]}
    ).write_parquet(tmp_path / "shipments.parquet")
    assert invalid(registry, tmp_path, "payments.received", "shipments.units") == [
        f"{tmp_path / 'payments.parquet'}: column 'amount': 1 value cannot be read as an amount "
        "(like 1234.50)\n    row 2: amount = 'NaN'",
        f"{tmp_path / 'shipments.parquet'}: column 'units': 1 value cannot be read as a number"
        "\n    row 1: units = 'inf'",
    ]


def test_criteria_must_agree_on_a_column_type(registry: Registry, good: Path) -> None:
    from dataclasses import replace

    from tierkit.contract import Column, ColumnType, TableNeed

    other = replace(
        registry.criteria["payments.count"],
        name="x.count",
        plugin="other",
        needs=(TableNeed("payments", (Column("amount", ColumnType.NUMBER),)),),
    )
    opened = open_source(str(good), registry)
    with pytest.raises(DataInvalid) as info:
        prepare_tables(opened, [registry.criteria["payments.received"], other], AS_OF, "d")
    [problem] = info.value.problems
    assert "column 'amount' is read as money by payments.received but as number by x.count" in (
        problem.message
    )


def test_an_id_listed_twice_is_found_apart_and_with_spaces(
    registry: Registry, tmp_path: Path
) -> None:
    # the customers parse cleanly; the two C1 rows are apart, one written with spaces
    write(tmp_path, "customers.csv", "customer_id,name\nC2,B\n C1 ,A\nC3,C\nC1,A again\n")
    [problem] = invalid(registry, tmp_path, "tenure.months")
    assert problem == (
        f"{tmp_path / 'customers.csv'}: 1 customer_id value appears more than once; each "
        "customer must be listed once\n    row 3: customer_id='C1', name='A'\n"
        "    row 5: customer_id='C1', name='A again'"
    )


def test_an_as_of_date_far_from_the_data_is_warned_about(registry: Registry, good: Path) -> None:
    opened = open_source(str(good), registry)
    criteria = [registry.criteria["payments.received"]]

    def warnings(as_of: date, months: int) -> list[str]:
        window = Window(as_of, "month", months)
        prepared = prepare_tables(opened, criteria, as_of, str(good), window=window)
        return prepared.report.tables["payments"].warnings

    # the last payment kept is 2026-02-28, inside a 3-month window ending 2026-02-28
    assert warnings(AS_OF, 3) == []
    # as of 2027-03-01, 3 months start 2026-12-01; C3's payment of 2026-03-01 is now kept and
    # is the last: before them
    assert warnings(date(2027, 3, 1), 3) == [
        "the last paid_at is 2026-03-01, before the window (2026-12-01 to 2027-02-28), so no "
        "row counts in it; is the as-of date right?"
    ]
    # as of 2025-01-01 every dated row (the first is 2025-12-31) is on or after it
    assert warnings(date(2025, 1, 1), 3) == [
        "every row with a paid_at is dated on or after the as-of date 2025-01-01, so none "
        "counts; is the as-of date right?"
    ]


@pytest.mark.parametrize(("name", "sibling"), [("sales[2025]", "sales2"), ("data*", "data1")])
@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_a_folder_named_like_a_pattern_is_read_by_its_name(
    registry: Registry,
    good: Path,
    tmp_path_factory: pytest.TempPathFactory,
    name: str,
    sibling: str,
    kind: str,
) -> None:
    # polars read 'sales[2025]/payments.csv' as a file-name pattern: no file matched it (an
    # internal error), and 'data*/payments.csv' matched data1's payments too (wrong sums)
    parent = tmp_path_factory.mktemp("patterns")
    for folder, extra in ((parent / name, ""), (parent / sibling, "C1,2026-01-07,999\n")):
        folder.mkdir()
        customers = pl.read_csv(good / "customers.csv", infer_schema=False)
        text = (good / "payments.csv").read_text() + extra
        payments = pl.read_csv(text.encode(), infer_schema=False)
        if kind == "csv":
            customers.write_csv(folder / "customers.csv")
            payments.write_csv(folder / "payments.csv")
        else:
            customers.write_parquet(folder / "customers.parquet")
            payments.write_parquet(folder / "payments.parquet")
    # good's payments: C1 100.50 and 0.0001, C2 7 (C9 unknown, C1 undated, C3 on the as-of day)
    assert _expected_payments(prepare(registry, parent / name, "payments.received")) == [
        ("C1", date(2026, 1, 5), 1_005_000),
        ("C1", date(2026, 2, 28), 1),
        ("C2", date(2025, 12, 31), 70_000),
    ]
