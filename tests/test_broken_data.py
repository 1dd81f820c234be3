"""A catalogue of broken (and merely unusual) data folders, each run through the real CLI.

Each folder in ``tests/broken_data/`` holds the tables of one case and ``expect.txt``: its
first line is the exit status ``tierkit evaluate abc-pareto`` must give (2: the data is refused;
0: it is read), and every further line is text that must appear — in the error output for a
refusal (each problem located by file and line or column), in the output or the results file
for a run.
Cases that cannot be stored as plain files in the repository (an empty file, a folder named
like a table, UTF-16 bytes) are in :data:`GENERATED`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

BROKEN = Path(__file__).resolve().parent / "broken_data"
CUSTOMERS = "customer_id,name\nc1,Alpha\nc2,Beta\n"
PAYMENTS = "customer_id,paid_at,amount\nc1,2026-06-15,5\n"


def _payments(write: Callable[[Path], None]) -> Callable[[Path], None]:
    def make(folder: Path) -> None:
        (folder / "customers.csv").write_text(CUSTOMERS)
        write(folder / "payments.csv")

    return make


GENERATED: dict[str, tuple[Callable[[Path], None], int, list[str]]] = {
    "empty-file": (_payments(lambda p: p.write_bytes(b"")), 2,
                   ["payments.csv: is empty; expected a header line"]),
    "folder-named-like-a-table": (_payments(lambda p: p.mkdir()), 2,
                                  ["payments.csv: is a folder, expected a file"]),
    "utf-16": (_payments(lambda p: p.write_bytes(PAYMENTS.encode("utf-16"))), 2,
               ["payments.csv: is UTF-16", "save it as 'CSV UTF-8 (comma delimited)'"]),
    "utf-16-no-bom": (_payments(lambda p: p.write_bytes(PAYMENTS.encode("utf-16-le"))), 2,
                      ["payments.csv: is UTF-16"]),
    # read with the bytes replaced, 'Kä' would not be the customer 'Kä' of customers.csv:
    # its payments would be dropped as of an unknown customer
    "latin-1-id": (_payments(lambda p: p.write_bytes(
        b"customer_id,paid_at,amount\nc1,2026-06-15,5\nK\xe4,2026-06-15,7\n")), 2,
        ["payments.csv: line 3, column 'customer_id': 'K\ufffd' holds bytes that are not UTF-8",
         "save it as 'CSV UTF-8 (comma delimited)'"]),
    # polars stopped with an internal error on both
    "bom-and-blank-line": (_payments(lambda p: p.write_bytes(b"\xef\xbb\xbf\r\n")), 2,
                           ["payments.csv: line 1: is blank; expected the header line"]),
    "quote-inside-unquoted-value": (_payments(lambda p: p.write_bytes(
        b'customer_id,paid_at,amount,note\nc1,2026-06-15,5,"a, ""b"""\nc1,2026-06-15,5,'
        b'Bob 5" Tools\n')), 2,
        ["payments.csv: line 3, column 'note': 'Bob 5\" Tools' holds a quote (\") but is not "
         'quoted; write the whole value in quotes with the quote doubled ("5"" Tools")']),
    "excel-separator-hint": (_payments(lambda p: p.write_bytes(b"sep=,\r\n" + PAYMENTS.encode())),
                             2, ["payments.csv: line 1: 'sep=,' is a separator hint"]),
    # the csv reader took \r\r\n as one line end, polars read the header's last name as 'amount\r'
    "cr-cr-lf": (_payments(lambda p: p.write_bytes(PAYMENTS.replace("\n", "\r\r\n").encode())),
                 2, ["payments.csv: line 1: cannot be read as CSV: a line ends with a carriage "
                     "return alone"]),
    "cp1252-quoted-text": (_payments(lambda p: p.write_bytes(
        b'customer_id,paid_at,amount,note\nc1,2026-06-15,5,"\x80 5, paid"\n')), 2,
        ["payments.csv: line 2, column 'note': '\ufffd 5, paid' holds bytes that are not UTF-8"]),
}


def _table(name: str, write: Callable[[Path], None]) -> Callable[[Path], None]:
    def make(folder: Path) -> None:
        (folder / "customers.csv").write_text(CUSTOMERS)
        write(folder / name)

    return make


def _excel_with_a_column_twice(path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    book.active.append(["customer_id", "paid_at", "amount", "amount"])
    book.active.append(["c1", "2026-06-15", "5", "6"])
    book.save(path)


def _excel_with_error_cells(path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    book.active.append(["customer_id", "paid_at", "amount", "note"])
    book.active.append(["c1", "2026-06-15", 5, "#REF!"])  # a column no criterion reads
    book.active.append(["c1", "2026-06-16", "#N/A", "ok"])  # written as error cells
    book.save(path)


def _excel_cells(cells: dict[str, object]) -> Callable[[Path], None]:
    """A workbook with these cells (``{"B3": "customer_id"}``) in its first sheet."""

    def write(path: Path) -> None:
        openpyxl = pytest.importorskip("openpyxl")
        book = openpyxl.Workbook()
        for ref, value in cells.items():
            book.active[ref] = value
        book.save(path)

    return write


def _row(row: int, *values: object, first: str = "A") -> dict[str, object]:
    return {f"{chr(ord(first) + i)}{row}": v for i, v in enumerate(values) if v is not None}


# calamine starts the table at the first cell with something in it and dropped empty rows: a
# table from B3, with an empty row, was numbered from row 2 and its error cell in column D
# patched into the column to its right
_OFFSET_TABLE = {
    **_row(3, "customer_id", "paid_at", "amount", "note", first="B"),
    **_row(4, "c1", "2026-06-15", 5, "ok", first="B"),
    **_row(6, "c1", "2026-06-16", "five", "ok", first="B"),
    **_row(7, "c1", "2026-06-17", 7, "#N/A", first="B"),
}
_TITLED_TABLE = {
    "A1": "Payments, June 2026",
    **_row(3, "customer_id", "paid_at", "amount"),
    **_row(4, "c1", "2026-06-15", 5),
}


def _excel_with_prefixed_elements(path: Path) -> None:
    """The error-cell workbook as some .NET writers save it: every element of the sheet with a
    namespace prefix (<x:c r="D3" t="e">), attributes in another order."""
    import re
    import zipfile

    plain = path.with_suffix(".plain.xlsx")
    _excel_with_error_cells(plain)
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(path, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(rb"<(/?)(sheetData|row|c|v|is|t|f)\b", rb"<\1x:\2", data)
                data = re.sub(rb'<x:c r="([A-Z]+\d+)"( [^>]*?)(/?)>', rb'<x:c\2 r="\1"\3>', data)
                data = data.replace(
                    b"<worksheet ",
                    b'<worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/'
                    b'2006/main" ',
                    1,
                )
                assert b'<x:c t="e" r="C3">' in data or b'r="C3"' in data
            target.writestr(item, data)
    plain.unlink()


def _excel_with_the_table_on_sheet_two(path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    book.create_sheet("payments").append(["customer_id", "paid_at", "amount"])
    book.save(path)


GENERATED.update({
    "excel-first-sheet-empty": (_table("payments.xlsx", _excel_with_the_table_on_sheet_two), 2,
                                ["payments.xlsx: its first sheet is empty; tierkit reads the "
                                 "first sheet only"]),
    # calamine reads an error cell as empty: the #N/A payment added nothing, silently
    "excel-error-cell": (_table("payments.xlsx", _excel_with_error_cells), 2,
                         ["payments.xlsx: column 'amount': 1 value cannot be read as an amount",
                          "row 3: amount = '#N/A'"]),
    "excel-error-cell-prefixed": (_table("payments.xlsx", _excel_with_prefixed_elements), 2,
                                  ["payments.xlsx: column 'amount': 1 value cannot be read as "
                                   "an amount", "row 3: amount = '#N/A'"]),
    "excel-table-off-the-corner": (
        _table("payments.xlsx", _excel_cells(_OFFSET_TABLE)), 2,
        ["payments.xlsx: column 'amount': 1 value cannot be read as an amount",
         "row 6: amount = 'five'"]),
    "excel-title-above-the-names": (
        _table("payments.xlsx", _excel_cells(_TITLED_TABLE)), 2,
        ["payments.xlsx: column 'customer_id' is missing (needed by payments.received); the "
         "column names seem to be on row 3, and tierkit reads them from the first row: delete "
         "the rows above them"]),
    "csv-title-above-the-names": (
        _payments(lambda p: p.write_text("Payments June 2026,,\n" + PAYMENTS)), 2,
        ["payments.csv: column 'amount' is missing (needed by payments.received); the column "
         "names seem to be on line 2, and tierkit reads them from the first line"]),
    "empty-parquet": (_table("payments.parquet", lambda p: p.write_bytes(b"")), 2,
                      ["payments.parquet: is empty (0 bytes)"]),
    "not-parquet": (_table("payments.parquet", lambda p: p.write_bytes(b"PAR1 not really")), 2,
                    ["payments.parquet: cannot be read as a Parquet file"]),
    "empty-excel": (_table("payments.xlsx", lambda p: p.write_bytes(b"")), 2,
                    ["payments.xlsx: is empty (0 bytes)"]),
    "excel-column-twice": (_table("payments.xlsx", _excel_with_a_column_twice), 2,
                           ["payments.xlsx: row 1: column 'amount' appears twice in the header"]),
})


def _parquet_amounts(amounts: object) -> Callable[[Path], None]:
    """payments.parquet of c1 and c2 paid on 2026-06-15, with ``amounts`` (a pyarrow array)."""

    def write(path: Path) -> None:
        import datetime

        import pyarrow as pa
        import pyarrow.parquet as pq

        day = datetime.date(2026, 6, 15)
        pq.write_table(pa.table({"customer_id": ["c1", "c2"], "paid_at": [day, day],
                                 "amount": amounts}), path)

    return _table("payments.parquet", write)


def _decimal256() -> object:
    import decimal

    import pyarrow as pa

    return pa.array([decimal.Decimal("1.50"), decimal.Decimal("2")], pa.decimal256(50, 2))


GENERATED.update({
    "parquet-decimal-wider-than-38": (
        lambda folder: _parquet_amounts(_decimal256())(folder), 2,
        ["payments.parquet: column 'amount' holds DECIMAL(50, 2), wider than the 38 digits"]),
})


def _crlf_with_a_quoted_carriage_return(folder: Path) -> None:
    (folder / "customers.csv").write_bytes(b'customer_id,name\r\nc1,"Al\rpha"\r\nc2,Beta\r\n')
    (folder / "payments.csv").write_bytes(b"customer_id,paid_at,amount\r\nc1,2026-06-15,5\r\n")


GENERATED.update(
    {
        # polars ends lines at \n only: a bare \r made one row of two (an internal error) or
        # the whole file one header line ("column 'amount' is missing")
        "mixed-line-endings": (
            _payments(
                lambda p: p.write_bytes(
                    b"customer_id,paid_at,amount\r\nc1,2026-06-15,5\nc2,2026-06-15,7\rc1,2026-06-16,1\n"
                )
            ),
            2,
            ["payments.csv: line 3: cannot be read as CSV: a line ends with a carriage return"],
        ),
        "carriage-returns-only": (
            _payments(lambda p: p.write_bytes(b"customer_id,paid_at,amount\rc1,2026-06-15,5\r")),
            2,
            ["payments.csv: line 1: cannot be read as CSV: a line ends with a carriage return"],
        ),
        "crlf-with-a-quoted-carriage-return": (
            _crlf_with_a_quoted_carriage_return,
            0,
            ["c1,", ",A,", "c2,Beta,C,"],
        ),
    }
)


GENERATED.update(
    {
        # polars has a year 0, Python's dates do not: the run ended in an internal error
        "year-zero": (
            _payments(lambda p: p.write_text("customer_id,paid_at,amount\nc1,0000-01-01,5\n")),
            2,
            ["payments.csv: column 'paid_at': 1 value cannot be read as a date", "row 2"],
        ),
        "years-1-and-9999": (
            _payments(
                lambda p: p.write_text(
                    "customer_id,paid_at,amount\nc1,0001-01-01,5\nc2,9999-12-31,7\nc2,2026-06-01,3\n"
                )
            ),
            0,
            ["c1,Alpha,C,", "c2,Beta,A,"],
        ),
    }
)


GENERATED.update(
    {
        # the leading + was dropped before the check, so '+-5' was read as a refund of 5
        "two-signs": (
            _payments(
                lambda p: p.write_text(
                    "customer_id,paid_at,amount\nc1,2026-06-15,+-5\nc2,2026-06-15,+7.5\n"
                )
            ),
            2,
            ["payments.csv: column 'amount': 1 value cannot be read as an amount", "row 2"],
        ),
    }
)


def _float16() -> object:
    import pyarrow as pa

    return pa.array([1.5, 2.5]).cast(pa.float16())


GENERATED.update(
    {
        # scaled to ten-thousandths in half precision: 2.5 * 10000 rounded to 24992
        "parquet-half-precision-amounts": (
            lambda folder: _parquet_amounts(_float16())(folder),
            0,
            ["c1,Alpha,A,", "of value,1.5,0.625,", "c2,Beta,A,", "of value,2.5,0.0,"],
        ),
    }
)


def _parquet_payments(path: Path, amounts: bool = True) -> None:
    import datetime

    import pyarrow as pa
    import pyarrow.parquet as pq

    day = datetime.date(2026, 6, 15)
    columns = {"customer_id": ["c1"], "paid_at": [day]}
    if amounts:
        columns["amount"] = pa.array([5], pa.decimal128(18, 2))
    pq.write_table(pa.table(columns), path)


def _spark_dataset(folder: Path) -> None:
    """payments.parquet as Spark writes it: a folder with a part, its checksum and _SUCCESS."""
    (folder / "customers.csv").write_text(CUSTOMERS)
    parts = folder / "payments.parquet"
    parts.mkdir()
    _parquet_payments(parts / "part-00000-1f2e.c000.snappy.parquet")
    (parts / ".part-00000-1f2e.c000.snappy.parquet.crc").write_bytes(b"crc\x00\x01")
    (parts / "_SUCCESS").write_bytes(b"")


def _parquet_payments_with_row_column(path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    _parquet_payments(path)
    table = pq.read_table(path)
    pq.write_table(table.append_column("_row", pa.array([41])), path)


def _excel_payments_with_row_column(path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    book.active.append(["customer_id", "paid_at", "amount", "_row"])
    book.active.append(["c1", "2026-06-15", 5, 41])
    book.save(path)


def _lines_of_empty_fields(folder: Path) -> None:
    (folder / "customers.csv").write_text(CUSTOMERS + ",\n,\n")
    (folder / "payments.csv").write_text(PAYMENTS + ",,\n")


def _dataset_in_pandas_chunks(folder: Path) -> None:
    """payments.parquet written by pandas in chunks: a chunk whose due_at is empty in every
    row has the Parquet type null there, text in the other chunk."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    (folder / "customers.csv").write_text(CUSTOMERS)
    (folder / "payments.parquet").mkdir()
    chunks = [("c1", "5", pa.array([None], pa.null())), ("c2", "1", pa.array(["2026-06-01"]))]
    for number, (customer, amount, due) in enumerate(chunks):
        rows = {"customer_id": [customer], "paid_at": ["2026-06-15"], "amount": [amount]}
        table = pa.table(rows).append_column("due_at", due)
        pq.write_table(table, folder / "payments.parquet" / f"part-{number}.parquet")


def _dataset_partitioned_by_id(folder: Path) -> None:
    """payments.parquet partitioned by customer_id (customer_id=007/, customer_id=7/)."""
    import datetime

    import pyarrow as pa
    import pyarrow.parquet as pq

    (folder / "customers.csv").write_text("customer_id,name\n007,Alpha\n7,Beta\n")
    for customer, amount in (("007", 50), ("7", 3)):
        part = folder / "payments.parquet" / f"customer_id={customer}"
        part.mkdir(parents=True)
        rows = {
            "paid_at": [datetime.date(2026, 6, 15)],
            "amount": pa.array([amount], pa.decimal128(18, 2)),
        }
        pq.write_table(pa.table(rows), part / "part-0.parquet")


def _dataset_parts_differ(folder: Path) -> None:
    (folder / "customers.csv").write_text(CUSTOMERS)
    (folder / "payments.parquet").mkdir()
    _parquet_payments(folder / "payments.parquet" / "part-0.parquet")
    _parquet_payments(folder / "payments.parquet" / "part-1.parquet", amounts=False)


def _damaged_parquet(cut: bool) -> Callable[[Path], None]:
    """A Parquet file whose footer reads but whose pages do not: overwritten with zeros, or
    (``cut``) with half of them missing."""

    def write(path: Path) -> None:
        _parquet_payments(path)
        data = path.read_bytes()
        footer = int.from_bytes(data[-8:-4], "little") + 8
        pages = data[4:-footer]
        pages = pages[: len(pages) // 2] if cut else bytes(len(pages))
        path.write_bytes(data[:4] + pages + data[-footer:])

    return _table("payments.parquet", write)


GENERATED.update(
    {
        # polars read every file of the folder: the checksum file made it an internal error
        "parquet-dataset-from-spark": (_spark_dataset, 0, ["c1,Alpha,A,", "c2,Beta,C,"]),
        # the partition value 007 was read as the number 7: customer 007's payment of 50 went
        # to customer 7 (A with 53), and 007 was C with nothing
        "parquet-dataset-partitioned-by-id": (
            _dataset_partitioned_by_id, 0, ["007,Alpha,A,", "7,Beta,B,"]
        ),
        # tierkit numbers rows in a column '_row' of its own: an export with a column so named
        # was an internal error (DuplicateError), in CSV, Parquet and Excel alike
        "csv-with-a-column-named-_row": (
            _payments(lambda p: p.write_text("_row,customer_id,paid_at,amount\n7,c1,2026-06-15,5\n"
                                            "8,c1,2026-06-15,x\n")),
            2, ["payments.csv: column 'amount': 1 value cannot be read", "row 3: amount = 'x'"],
        ),
        "parquet-with-a-column-named-_row": (
            _table("payments.parquet", _parquet_payments_with_row_column), 0,
            ["c1,Alpha,A,", "c2,Beta,C,"],
        ),
        "excel-with-a-column-named-_row": (
            _table("payments.xlsx", _excel_payments_with_row_column), 0,
            ["c1,Alpha,A,", "c2,Beta,C,"],
        ),
        # Excel saves rows that were emptied but still formatted as ',,' lines: customers.csv
        # was refused for "2 rows without a customer_id"; a sheet's empty rows are dropped
        "csv-lines-of-empty-fields": (
            _lines_of_empty_fields, 0, ["c1,Alpha,A,", "c2,Beta,C,"],
        ),
        # refused: "column 'due_at' holds String, in part-0.parquet Null"
        "parquet-dataset-chunk-with-an-empty-column": (
            _dataset_in_pandas_chunks, 0, ["c1,Alpha,A,", "c2,Beta,B,"]
        ),
        "parquet-dataset-empty": (
            _table("payments.parquet", lambda p: p.mkdir()),
            2,
            ["payments.parquet: is a folder without Parquet files (*.parquet) in it"],
        ),
        "parquet-dataset-parts-differ": (
            _dataset_parts_differ,
            2,
            [
                "payments.parquet/part-1.parquet: column 'amount' is missing (it is in"
                " part-0.parquet); every part of a Parquet dataset needs the same columns"
            ],
        ),
        # the footer was checked, the pages were not: an internal error, or a panic of polars
        # that escaped as a Python traceback with exit status 1
        "parquet-damaged-inside": (
            _damaged_parquet(cut=False),
            2,
            ["payments.parquet: cannot be read as a Parquet file: parquet: File out of"],
        ),
        "parquet-cut-inside": (
            _damaged_parquet(cut=True),
            2,
            ["payments.parquet: cannot be read as a Parquet file: "],
        ),
    }
)


def test_an_as_of_date_out_of_range(tmp_path: Path) -> None:
    """A window ending in 9999 or starting before year 1 was an internal error."""
    folder = tmp_path / "data"
    folder.mkdir()
    _payments(lambda p: p.write_text(PAYMENTS))(folder)
    for day in ("9999-12-31", "0001-01-01"):
        done = subprocess.run(
            [sys.executable, "-m", "tierkit", "evaluate", "abc-pareto", "--data", str(folder),
             "--as-of", day, "--no-store"],
            capture_output=True, text=True, timeout=120, check=False,
        )
        assert done.returncode == 2, done.stderr
        assert f"as-of date {day} is out of range" in done.stderr
        assert "from 1900-01-01 to 9000-12-31" in done.stderr


def _run(folder: Path, out: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tierkit", "evaluate", "abc-pareto", "--data", str(folder),
         "--as-of", "2026-07-01", "--no-store", "--out", str(out)],
        capture_output=True, text=True, timeout=120, check=False,
    )


def _check(folder: Path, status: int, texts: list[str], tmp_path: Path) -> None:
    out = tmp_path / "results.csv"
    done = _run(folder, out)
    said = done.stdout + done.stderr
    assert done.returncode == status, said
    assert "Traceback" not in said
    where = said if status else said + _without_near_miss(out)
    for text in texts:
        assert text in where, f"{text!r} not in:\n{where}"


def _without_near_miss(results: Path) -> str:
    """The results as CSV text without the near-miss columns, which these cases do not test."""
    import polars as pl

    frame = pl.read_csv(results, infer_schema=False)
    kept = [c for c in frame.columns if not c.endswith((".to_better", ".to_worse", ".limited_by"))]
    return frame.select(kept).write_csv()


CASES = sorted(p.name for p in BROKEN.iterdir() if (p / "expect.txt").is_file())


@pytest.mark.parametrize("case", CASES)
def test_a_stored_case(case: str, tmp_path: Path) -> None:
    lines = (BROKEN / case / "expect.txt").read_text().splitlines()
    folder = tmp_path / case
    shutil.copytree(BROKEN / case, folder, ignore=shutil.ignore_patterns("expect.txt"))
    _check(folder, int(lines[0]), lines[1:], tmp_path)


@pytest.mark.parametrize("case", sorted(GENERATED))
def test_a_generated_case(case: str, tmp_path: Path) -> None:
    make, status, texts = GENERATED[case]
    folder = tmp_path / case
    folder.mkdir()
    make(folder)
    _check(folder, status, texts, tmp_path)


def test_an_unreadable_file(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root reads every file whatever its permissions")
    folder = tmp_path / "data"
    folder.mkdir()
    _payments(lambda p: p.write_text(PAYMENTS))(folder)
    (folder / "payments.csv").chmod(0)
    _check(folder, 2, ["payments.csv: cannot be read: permission denied"], tmp_path)
