"""Parquet tables kept as lazy scans are checked and cleaned exactly like tables read into memory.

Two implementations of the bad-data rules of docs/data-formats.md must agree: the one that
reads a table into memory (every source) and the one that keeps a Parquet file as a scan and
checks it with aggregations (tierkit.data.scan). Hypothesis writes small Parquet files full of
what real exports hold — unknown customers, blank and padded ids, missing dates, rows after the
as-of date, negative amounts — in row groups of a few rows, so that the statistics that let the
scan skip row groups are exercised too.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from helpers import property_examples
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tierkit.data import open_source, prepare_tables
from tierkit.errors import DataInvalid
from tierkit.registry import Registry

AS_OF = date(2026, 1, 1)
CRITERIA = ("payments.received", "payments.count")
CUSTOMERS = ["C1", "C2", "C3", "C10"]

ids = st.one_of(
    st.sampled_from(CUSTOMERS),  # known
    st.sampled_from([" C1", "C2 ", "\tC3"]),  # a customer's id with spaces around it
    st.sampled_from(["X1", "c1", "C4"]),  # unknown customers
    st.sampled_from(["", "  "]),  # blank
    st.none(),
)
EPOCH = date(1970, 1, 1)
YEAR_0 = -719_528  # 0000-01-01 as days since 1970: polars holds it, Python's dates do not
YEAR_10000 = 2_932_897  # 10000-01-01
days = st.one_of(
    st.integers(-400, 40).map(lambda d: AS_OF + timedelta(days=d)),  # some on or after as-of
    st.none(),
    st.sampled_from([YEAR_0, YEAR_10000]),  # no date a ruleset can use: "no paid_at"
)
amounts = st.one_of(
    st.decimals(min_value=0, max_value=10_000, places=2),
    st.decimals(min_value=-50, max_value=Decimal("-0.01"), places=2),
    st.none(),
)
rows = st.lists(st.tuples(ids, days, amounts), max_size=40)


def _write(
    folder: Path, payments: list[tuple[str | None, date | int | None, Decimal | None]]
) -> Path:
    """Customers C1, C2, C3, C10 and ``payments`` (a date may be given in days since 1970)."""
    folder.mkdir(parents=True, exist_ok=True)
    pl.DataFrame({"customer_id": CUSTOMERS, "name": [f"{c} Ltd" for c in CUSTOMERS]}).write_parquet(
        folder / "customers.parquet"
    )
    numbered = [(i, (d - EPOCH).days if isinstance(d, date) else d, a) for i, d, a in payments]
    pl.DataFrame(
        numbered,
        schema={
            "customer_id": pl.String,
            "paid_at": pl.Int32,
            "amount": pl.Decimal(18, 2),
        },
        orient="row",
    ).with_columns(pl.col("paid_at").cast(pl.Date)).write_parquet(
        folder / "payments.parquet", row_group_size=4
    )
    return folder


def _prepared(registry: Registry, folder: Path, *, lazy: bool) -> tuple[str, object]:
    """('problems', messages) or ('tables', (report, sorted payments))."""
    criteria = [registry.criteria[c] for c in CRITERIA]
    opened = open_source(str(folder), registry)
    try:
        prepared = prepare_tables(opened, criteria, AS_OF, str(folder), lazy_scans=lazy)
    except DataInvalid as exc:
        return "problems", [p.render() for p in exc.problems]
    payments = prepared.tables["payments"]
    assert ("Parquet SCAN" in payments.explain()) == lazy  # which implementation ran
    table = payments.select("customer_id", "paid_at", "amount").collect().sort(pl.all())
    return "tables", (prepared.report.as_dict(), table.rows())


@settings(
    max_examples=property_examples(150),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(payments=rows)
def test_a_parquet_scan_is_cleaned_like_a_table_in_memory(
    registry: Registry, tmp_path_factory: pytest.TempPathFactory, payments: list
) -> None:  # type: ignore[type-arg]
    folder = _write(tmp_path_factory.mktemp("scan"), payments)
    assert _prepared(registry, folder, lazy=True) == _prepared(registry, folder, lazy=False)


def test_the_report_of_a_dirty_scan_by_hand(registry: Registry, tmp_path: Path) -> None:
    payments = [
        ("C1", date(2025, 12, 1), Decimal("10.00")),
        (" C1", date(2025, 3, 1), Decimal("1.00")),  # C1 with a space: kept, and the first date
        ("X1", date(2024, 1, 1), Decimal("5.00")),  # unknown: skipped, its date not reported
        ("", date(2025, 6, 1), Decimal("5.00")),  # blank id
        (None, date(2025, 6, 1), Decimal("5.00")),  # no id
        ("C2", None, Decimal("2.00")),  # no date
        ("C2", date(2026, 1, 1), Decimal("2.00")),  # on the as-of date
        ("C3", date(2025, 12, 31), Decimal("3.50")),  # the last date
    ]
    folder = _write(tmp_path, payments)
    kind, (report, table) = _prepared(registry, folder, lazy=True)  # type: ignore[misc]
    assert kind == "tables"
    assert report["payments"] == {
        "origin": str(folder / "payments.parquet"),
        "rows": 8,
        "used": 3,
        "skipped": {
            "no customer_id": 2,
            "unknown customer": 1,
            "no paid_at": 1,
            "on or after the as-of date": 1,
        },
        "first_date": "2025-03-01",
        "last_date": "2025-12-31",
        "negative": {},
        "warnings": [],
    }
    assert table == [
        ("C1", date(2025, 3, 1), 10_000),
        ("C1", date(2025, 12, 1), 100_000),
        ("C3", date(2025, 12, 31), 35_000),
    ]


def test_refunds_in_a_scan_are_netted_and_counted(registry: Registry, tmp_path: Path) -> None:
    payments = [("C1", date(2025, 1, day), Decimal(f"{day}.00")) for day in range(1, 20)]
    payments[13] = ("C2", date(2025, 1, 14), Decimal("-3.50"))  # row 14 of the file: a refund
    payments[14] = ("C2", date(2025, 1, 15), Decimal("-0.25"))
    folder = _write(tmp_path, payments)
    kind, (report, table) = _prepared(registry, folder, lazy=True)  # type: ignore[misc]
    assert kind == "tables"
    # two refunds among the rows used: -3.50 + -0.25 = -3.75
    assert report["payments"]["negative"] == {"amount": {"rows": 2, "total": "-3.75"}}
    assert ("C2", date(2025, 1, 14), -35_000) in table


def test_dates_outside_years_1_to_9999_are_no_dates(registry: Registry, tmp_path: Path) -> None:
    payments = [
        ("C1", date(2025, 12, 1), Decimal("10.00")),
        ("C2", YEAR_0, Decimal("4.00")),
        ("C3", YEAR_10000, Decimal("3.00")),
    ]
    folder = _write(tmp_path, payments)
    kind, (report, table) = _prepared(registry, folder, lazy=True)  # type: ignore[misc]
    assert kind == "tables"
    assert report["payments"]["skipped"] == {"no paid_at": 2}
    assert table == [("C1", date(2025, 12, 1), 100_000)]


def test_dates_all_in_years_1_to_9999_reach_the_reader_as_stored(
    registry: Registry, tmp_path: Path
) -> None:
    """Then a criterion's window is a filter the Parquet reader applies as it reads."""
    folder = _write(
        tmp_path,
        [
            ("C1", date(1, 1, 1), Decimal("1.00")),
            ("C2", date(9999, 12, 31), Decimal("2.00")),
            ("C3", date(2025, 6, 1), Decimal("3.00")),
        ],
    )
    criteria = [registry.criteria[c] for c in CRITERIA]
    opened = open_source(str(folder), registry)
    prepared = prepare_tables(opened, criteria, AS_OF, str(folder))
    window = prepared.tables["payments"].filter(pl.col("paid_at") >= date(2025, 1, 1))
    plan = window.explain()
    assert "2025-01-01" in plan.split("Parquet SCAN")[1]  # the window, inside the scan
    assert window.select("customer_id").collect()["customer_id"].to_list() == ["C3"]
    assert prepared.report.tables["payments"].skipped == {"on or after the as-of date": 1}
