"""Customer ids that are whole numbers order by number: the tie order of every ranking."""

from __future__ import annotations

import textwrap
from pathlib import Path

import polars as pl
import pytest

import tierkit

RULESET = """
tierkit: 1
name: ties
strategy: working-capital
window: {period: month, periods: 3}
criteria:
  paid: {use: payments.received}
derive:
  share: top_share(paid)
decisions:
  category:
    rules:
      - {when: share <= 0.5, then: A}
    default: {then: B}
"""


def _folder(tmp_path: Path, ids: list[str], *, parquet_ints: bool = False) -> Path:
    (tmp_path / "ties.yaml").write_text(textwrap.dedent(RULESET).lstrip())
    data = tmp_path / "data"
    data.mkdir()
    if parquet_ints:
        numbers = [int(i) for i in ids]
        pl.DataFrame({"customer_id": numbers, "name": ids}).write_parquet(
            data / "customers.parquet"
        )
        pl.DataFrame({"customer_id": numbers, "paid_at": ["2026-02-01"] * len(ids),
                      "amount": ["100"] * len(ids)}).write_csv(data / "payments.csv")
        return tmp_path
    lines = "".join(f"{i},Customer {i}\n" for i in ids)
    (data / "customers.csv").write_text("customer_id,name\n" + lines)
    # every customer paid 100: all tied
    pays = "".join(f"{i},2026-02-01,100\n" for i in ids)
    (data / "payments.csv").write_text("customer_id,paid_at,amount\n" + pays)
    return tmp_path


def _decided(folder: Path, backend: str) -> list[tuple[str, float, str]]:
    run = tierkit.evaluate(folder / "ties.yaml", folder / "data", as_of="2026-03-01",
                           backend=backend, save=False)
    return [(str(r["customer_id"]), r["share"], r["category"])
            for r in run.results.iter_rows(named=True)]


@pytest.mark.parametrize("backend", ["polars", "duckdb"])
def test_digit_ids_order_by_number(tmp_path: Path, backend: str) -> None:
    # four customers tied at 100, ids given out of order: by number 1, 2, 9, 10; each adds a
    # quarter of the total: 0.25, 0.5, 0.75, 1.0; the first two are A
    decided = _decided(_folder(tmp_path, ["10", "9", "2", "1"]), backend)
    assert decided == [("1", 0.25, "A"), ("2", 0.5, "A"), ("9", 0.75, "B"), ("10", 1.0, "B")]


@pytest.mark.parametrize("backend", ["polars", "duckdb"])
def test_other_ids_order_as_text(tmp_path: Path, backend: str) -> None:
    # one id is not digits only: text order C1, C10, C2, C9
    decided = _decided(_folder(tmp_path, ["C9", "C2", "C10", "C1"]), backend)
    assert [d[0] for d in decided] == ["C1", "C10", "C2", "C9"]
    assert [d[2] for d in decided] == ["A", "A", "B", "B"]


def test_leading_zeros_order_by_number_then_text(tmp_path: Path) -> None:
    # 010 is ten: after 7 and 007 (both seven; "007" < "7" as text); 0 first
    decided = _decided(_folder(tmp_path, ["010", "7", "007", "0"]), "polars")
    assert [d[0] for d in decided] == ["0", "007", "7", "010"]


def test_an_integer_id_column_orders_by_number(tmp_path: Path) -> None:
    decided = _decided(_folder(tmp_path, ["10", "9", "2", "1"], parquet_ints=True), "polars")
    assert [(d[0], d[2]) for d in decided] == [("1", "A"), ("2", "A"), ("9", "B"), ("10", "B")]


PER_PERIOD = """
tierkit: 1
name: month-ties
strategy: working-capital
window: {period: month, periods: 2}
criteria:
  paid: {use: payments.received, per: period}
derive:
  months_on_top: count(top_share(paid) <= 0.5)
decisions:
  category:
    rules:
      - {when: months_on_top >= 1, then: A}
    default: {then: B}
"""


@pytest.mark.parametrize("backend", ["polars", "duckdb"])
def test_per_period_rankings_break_ties_by_number(tmp_path: Path, backend: str) -> None:
    folder = _folder(tmp_path, ["10", "9", "2", "1"])
    (folder / "ties.yaml").write_text(textwrap.dedent(PER_PERIOD).lstrip())
    pays = "".join(f"{i},2026-{m},100\n" for i in ("10", "9", "2", "1") for m in ("01-10", "02-01"))
    (folder / "data" / "payments.csv").write_text("customer_id,paid_at,amount\n" + pays)
    run = tierkit.evaluate(folder / "ties.yaml", folder / "data", as_of="2026-03-01",
                           backend=backend, save=False)
    # each month all are tied at 100; by number 1 (0.25), 2 (0.5), 9 (0.75), 10 (1.0): 1 and 2
    # are in the top half in both months
    decided = [(r["customer_id"], r["months_on_top"], r["category"])
               for r in run.results.iter_rows(named=True)]
    assert decided == [("1", 2.0, "A"), ("2", 2.0, "A"), ("9", 0.0, "B"), ("10", 0.0, "B")]
