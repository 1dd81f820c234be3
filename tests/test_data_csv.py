"""The shape check of CSV files: the fast screen and the located reader agree."""

from __future__ import annotations

from pathlib import Path

import pytest

from tierkit.plugins import _csv as csv_check
from tierkit.plugins._csv import _plain_and_even, csv_problems


@pytest.mark.parametrize(
    ("text", "plain"),
    [
        ("customer_id,paid_at,amount\nc1,2026-01-05,10\n\nc2,2026-01-06,3.5\n", True),
        ("customer_id,paid_at,amount\r\nc1,2026-01-05,10\r\n", True),  # Windows line ends
        ('customer_id,name,amount\nc1,"Smith, J.",10\n', False),  # quoted: the csv reader
        ("customer_id,paid_at,amount\nc1,2026-01-05,1,234.50\n", False),  # four fields
        ("customer_id,paid_at,amount\nc1,2026-01-05\n", False),  # two fields
    ],
)
def test_the_screen_passes_only_plain_even_files(tmp_path: Path, text: str, plain: bool) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(text.encode())
    assert _plain_and_even(path, 3) is plain


def test_a_quoted_comma_is_one_field(tmp_path: Path) -> None:
    path = tmp_path / "customers.csv"
    path.write_text('customer_id,name\nc1,"Smith, J."\nc2,"Lee ""Jr"""\n')
    assert csv_problems(path) == []


def test_only_the_first_five_bad_lines_are_shown(tmp_path: Path) -> None:
    path = tmp_path / "payments.csv"
    rows = "".join(f"c{i},2026-01-05,1,234.50\n" for i in range(8))
    path.write_text("customer_id,paid_at,amount\n" + rows)
    [problem] = csv_problems(path)
    assert problem.count == 8
    # lines 2..6: the header is line 1
    assert [e.split(":")[0] for e in problem.examples] == [f"line {n}" for n in range(2, 7)]


def test_an_unreadable_file_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # tests run as root here, who reads every file: the permission check is what is tested
    path = tmp_path / "payments.csv"
    path.write_text("customer_id,paid_at,amount\n")
    monkeypatch.setattr(csv_check.os, "access", lambda *_: False)
    assert [p.render() for p in csv_problems(path)] == [
        f"{path}: cannot be read: permission denied"
    ]
