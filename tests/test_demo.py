"""The demo data generator: reproducible, true to the data contract, and realistic enough."""

from __future__ import annotations

import os
import re
from datetime import date
from pathlib import Path

import polars as pl
import pytest
import typer
from typer.testing import CliRunner

from tierkit.cli.demo_cmd import register
from tierkit.demo import TABLES, TOPICS, DemoFormat, DemoSpec, demo_frames, generate_demo
from tierkit.demo import generate as generate_module

AS_OF = date(2026, 1, 1)
WINDOW_START = date(2024, 1, 1)
SPEC = DemoSpec(customers=1500, months=24, seed=7, as_of=AS_OF)

EVENT_DATES = {
    "customers": ["since"],
    "payments": ["paid_at"],
    "invoices": ["issued_at"],
    "shipments": ["shipped_at", "delivered_at"],
    "contracts": ["started_at", "ended_at", "terminated_at"],
    "assessments": ["assessed_at"],
}
"""Columns that date something that happened: all before the as-of date. (Due and promised
dates are promises and may lie after it.)"""

SORT_KEYS = {
    "customers": ["customer_id"],
    "payments": ["customer_id", "paid_at", "invoice_id"],
    "invoices": ["customer_id", "issued_at", "invoice_id"],
    "shipments": ["customer_id", "shipped_at"],
    "contracts": ["customer_id", "started_at", "contract_id"],
    "assessments": ["customer_id", "assessed_at", "topic"],
}

PARQUET_TYPES = {
    "text": pl.String,
    "date": pl.Date,
    "money": pl.Decimal(18, 2),
    "integer": pl.Int64,
    "score": pl.Float64,
}
CSV_TYPES = {**PARQUET_TYPES, "money": pl.Float64}

MONEY_TEXT = re.compile(r"^[0-9]+\.[0-9]{2}$")


@pytest.fixture(scope="module")
def frames() -> dict[str, pl.DataFrame]:
    return demo_frames(SPEC)


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[DemoFormat, Path]:
    result = {}
    for fmt in DemoFormat:
        folder = tmp_path_factory.mktemp(f"demo-{fmt.value}")
        generate_demo(SPEC, folder, fmt)
        result[fmt] = folder
    return result


def _read(folder: Path, table: str, fmt: DemoFormat) -> pl.DataFrame:
    path = folder / f"{table}.{fmt.value}"
    if fmt is DemoFormat.PARQUET:
        return pl.read_parquet(path)
    return pl.read_csv(path, try_parse_dates=True)


def _customer_totals(frames: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """Payments per customer (0 for none), largest first."""
    paid = frames["payments"].group_by("customer_id").agg(pl.col("amount").sum().alias("paid"))
    return (
        frames["customers"]
        .select("customer_id")
        .join(paid, on="customer_id", how="left")
        .with_columns(pl.col("paid").fill_null(0))
        .sort(["paid", "customer_id"], descending=[True, False])
    )


# --------------------------------------------------------------------------------------------
# reproducible


@pytest.mark.parametrize("fmt", list(DemoFormat))
def test_same_seed_gives_byte_identical_files(
    fmt: DemoFormat, folders: dict[DemoFormat, Path], tmp_path: Path
) -> None:
    generate_demo(SPEC, tmp_path, fmt)
    for table in TABLES:
        name = f"{table}.{fmt.value}"
        assert (tmp_path / name).read_bytes() == (folders[fmt] / name).read_bytes(), name


def test_different_seed_gives_different_files(
    folders: dict[DemoFormat, Path], tmp_path: Path
) -> None:
    other = DemoSpec(customers=SPEC.customers, months=SPEC.months, seed=8, as_of=AS_OF)
    generate_demo(other, tmp_path, DemoFormat.CSV)
    for table in TABLES:
        name = f"{table}.csv"
        assert (tmp_path / name).read_bytes() != (folders[DemoFormat.CSV] / name).read_bytes()


def test_written_files_hold_the_generated_frames(
    frames: dict[str, pl.DataFrame], folders: dict[DemoFormat, Path]
) -> None:
    for table, frame in frames.items():
        assert _read(folders[DemoFormat.PARQUET], table, DemoFormat.PARQUET).equals(frame)
        csv = _read(folders[DemoFormat.CSV], table, DemoFormat.CSV)
        assert csv.height == frame.height, table


def test_chunks_join_seamlessly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(generate_module, "CHUNK_SIZE", 300)
    spec = DemoSpec(customers=1000, months=6, seed=3, as_of=AS_OF)
    assert generate_module.chunk_count(spec) == 4
    tables = demo_frames(spec)
    ids = tables["customers"]["customer_id"]
    assert ids.to_list() == [f"C{n:07d}" for n in range(1, 1001)]
    for table, keys in SORT_KEYS.items():
        frame = tables[table]
        assert frame.equals(frame.sort(keys, maintain_order=True)), table


# --------------------------------------------------------------------------------------------
# the data contract


@pytest.mark.parametrize("fmt", list(DemoFormat))
def test_tables_have_the_contract_columns_and_types(
    fmt: DemoFormat, folders: dict[DemoFormat, Path]
) -> None:
    types = PARQUET_TYPES if fmt is DemoFormat.PARQUET else CSV_TYPES
    for table, columns in TABLES.items():
        frame = _read(folders[fmt], table, fmt)
        assert frame.columns == [name for name, _ in columns], table
        assert frame.height > 0, table
        for name, kind in columns:
            assert frame.schema[name] == types[kind.value], (table, name, frame.schema[name])


def test_money_is_written_with_two_decimals_and_positive(folders: dict[DemoFormat, Path]) -> None:
    for table, columns in (("payments", ["amount"]), ("invoices", ["amount", "cost"])):
        text = pl.read_csv(folders[DemoFormat.CSV] / f"{table}.csv", infer_schema=False)
        for column in columns:
            values = text[column]
            assert values.str.contains(MONEY_TEXT.pattern).all(), (table, column)
            assert (values.cast(pl.Float64) > 0).all(), (table, column)
    first = (folders[DemoFormat.CSV] / "payments.csv").read_text().splitlines()[1]
    assert re.search(r",[0-9]+\.[0-9]{2},INV-", first), first


def test_dates_are_iso_and_events_lie_before_as_of(
    frames: dict[str, pl.DataFrame], folders: dict[DemoFormat, Path]
) -> None:
    for table, columns in EVENT_DATES.items():
        for column in columns:
            values = frames[table][column].drop_nulls()
            assert values.max() < AS_OF, (table, column)  # type: ignore[operator]
    text = pl.read_csv(folders[DemoFormat.CSV] / "contracts.csv", infer_schema=False)
    assert text["started_at"].str.contains(r"^\d{4}-\d{2}-\d{2}$").all()


def test_a_mid_month_as_of_and_a_single_month_work() -> None:
    as_of = date(2026, 3, 17)
    tables = demo_frames(DemoSpec(customers=300, months=1, seed=1, as_of=as_of))
    issued = tables["invoices"]["issued_at"]
    assert issued.min() >= date(2026, 2, 17)  # type: ignore[operator]
    assert issued.max() < as_of  # type: ignore[operator]
    for table, columns in EVENT_DATES.items():
        for column in columns:
            assert (tables[table][column].drop_nulls() < as_of).all(), (table, column)


def test_every_customer_id_exists_in_customers(frames: dict[str, pl.DataFrame]) -> None:
    customers = frames["customers"]["customer_id"]
    assert customers.n_unique() == SPEC.customers
    assert customers.str.contains(r"^C[0-9]{7}$").all()
    for table, frame in frames.items():
        missing = frame.join(frames["customers"], on="customer_id", how="anti")
        assert missing.height == 0, table


def test_payments_belong_to_invoices_and_never_exceed_them(
    frames: dict[str, pl.DataFrame],
) -> None:
    invoices = frames["invoices"]
    assert invoices["invoice_id"].n_unique() == invoices.height
    paid = frames["payments"].join(
        invoices.select("invoice_id", "customer_id", "issued_at", "due_at", "amount"),
        on="invoice_id",
        how="left",
        suffix="_invoice",
    )
    assert paid["amount_invoice"].null_count() == 0
    assert (paid["customer_id"] == paid["customer_id_invoice"]).all()
    assert (paid["due_at"] == paid["due_at_invoice"]).all()
    assert (paid["paid_at"] >= paid["issued_at"]).all()
    totals = paid.group_by("invoice_id").agg(
        pl.col("amount").sum(), pl.col("amount_invoice").first()
    )
    assert (totals["amount"] <= totals["amount_invoice"]).all()
    assert (frames["payments"]["currency"] == "EUR").all()


def test_shipments_never_ship_more_than_ordered(frames: dict[str, pl.DataFrame]) -> None:
    shipments = frames["shipments"]
    assert (shipments["units"] >= 0).all()
    assert (shipments["units"] <= shipments["ordered_units"]).all()
    assert (shipments["promised_at"] > shipments["shipped_at"]).all()
    delivered = shipments.drop_nulls("delivered_at")
    assert (delivered["delivered_at"] > delivered["shipped_at"]).all()


def test_rows_are_sorted_by_customer_date_and_document(frames: dict[str, pl.DataFrame]) -> None:
    for table, keys in SORT_KEYS.items():
        frame = frames[table]
        assert frame.equals(frame.sort(keys, maintain_order=True)), table


def test_contracts_are_consistent(frames: dict[str, pl.DataFrame]) -> None:
    contracts = frames["contracts"]
    assert contracts["contract_id"].n_unique() == contracts.height
    ended = contracts.drop_nulls("ended_at")
    assert (ended["ended_at"] > ended["started_at"]).all()
    terminated = contracts.drop_nulls("terminated_at")
    assert (terminated["terminated_at"] == terminated["ended_at"]).all()
    open_per_customer = contracts.group_by("customer_id").agg(pl.col("ended_at").null_count())
    assert (open_per_customer["ended_at"] <= 1).all()


def test_assessments_score_known_topics_from_0_to_10(frames: dict[str, pl.DataFrame]) -> None:
    assessments = frames["assessments"]
    assert set(assessments["topic"].unique()) == set(TOPICS)
    scores = assessments["score"]
    assert scores.min() >= 0.0  # type: ignore[operator]
    assert scores.max() <= 10.0  # type: ignore[operator]
    assert ((scores * 10).round(6) == (scores * 10).round(0)).all()


def test_spec_refuses_nonsense() -> None:
    with pytest.raises(ValueError, match="customers"):
        DemoSpec(customers=0)
    with pytest.raises(ValueError, match="months"):
        DemoSpec(months=0)
    with pytest.raises(ValueError, match="seed"):
        DemoSpec(seed=-1)
    with pytest.raises(ValueError, match=r"months must be at most 1200 \(100 years\), not 1201"):
        DemoSpec(months=1201)


# --------------------------------------------------------------------------------------------
# realistic


def test_top_fifth_of_customers_holds_60_to_80_percent_of_payments(
    frames: dict[str, pl.DataFrame],
) -> None:
    totals = _customer_totals(frames)["paid"]
    top = float(totals.head(SPEC.customers // 5).sum()) / float(totals.sum())
    assert 0.6 <= top <= 0.8, top


def test_orders_peak_in_the_fourth_quarter(frames: dict[str, pl.DataFrame]) -> None:
    by_month = (
        frames["invoices"]
        .group_by(pl.col("issued_at").dt.month().alias("month"))
        .agg(pl.col("amount").sum().cast(pl.Float64))
    )
    amount = dict(zip(by_month["month"], by_month["amount"], strict=True))
    assert amount[11] + amount[12] > 1.2 * (amount[7] + amount[8])


def test_customers_arrive_and_leave(frames: dict[str, pl.DataFrame]) -> None:
    since = frames["customers"]["since"]
    arrived = (since >= WINDOW_START).sum()
    assert 0.2 * SPEC.customers < arrived < 0.6 * SPEC.customers
    contracts = frames["contracts"]
    last = contracts.group_by("customer_id").agg(pl.all().last())
    gone = last.drop_nulls("ended_at").select("customer_id", "ended_at")
    assert gone.height > 0.05 * SPEC.customers
    last_invoice = frames["invoices"].group_by("customer_id").agg(pl.col("issued_at").max())
    after = gone.join(last_invoice, on="customer_id").filter(
        pl.col("issued_at") >= pl.col("ended_at")
    )
    assert after.height == 0, "a customer who left kept ordering"


def test_some_pay_late_some_in_parts_some_not_at_all(frames: dict[str, pl.DataFrame]) -> None:
    payments, invoices = frames["payments"], frames["invoices"]
    late = (payments["paid_at"] > payments["due_at"]).mean()
    assert 0.1 < late < 0.7  # type: ignore[operator]
    parts = payments.group_by("invoice_id").len()
    assert (parts["len"] > 1).sum() > 0
    paid = payments.group_by("invoice_id").agg(pl.col("amount").sum().alias("paid"))
    short = invoices.join(paid, on="invoice_id").filter(pl.col("paid") < pl.col("amount"))
    assert short.height > 0
    assert invoices.join(paid, on="invoice_id", how="anti").height > 0


def test_some_contracts_are_terminated(frames: dict[str, pl.DataFrame]) -> None:
    contracts = frames["contracts"]
    terminated = contracts["terminated_at"].is_not_null().sum()
    ran_out = (contracts["ended_at"].is_not_null() & contracts["terminated_at"].is_null()).sum()
    assert terminated > 0
    assert ran_out > 0
    assert contracts["ended_at"].null_count() > 0


def test_some_deliveries_are_late_incomplete_or_pending(frames: dict[str, pl.DataFrame]) -> None:
    shipments = frames["shipments"]
    incomplete = (shipments["units"] < shipments["ordered_units"]).mean()
    late = (shipments["delivered_at"] > shipments["promised_at"]).mean()
    assert 0.01 < incomplete < 0.2  # type: ignore[operator]
    assert 0.02 < late < 0.3  # type: ignore[operator]
    assert shipments["delivered_at"].null_count() > 0


def test_some_customers_lose_money(frames: dict[str, pl.DataFrame]) -> None:
    invoices = frames["invoices"]
    assert (invoices["cost"] < invoices["amount"]).mean() > 0.8  # type: ignore[operator]
    margin = invoices.group_by("customer_id").agg((pl.col("amount") - pl.col("cost")).sum())
    assert (margin["amount"] < 0).sum() > 0


def test_bigger_customers_are_assessed_more(frames: dict[str, pl.DataFrame]) -> None:
    totals = _customer_totals(frames)
    assessed = set(frames["assessments"]["customer_id"])
    top = totals.head(SPEC.customers // 5)["customer_id"]
    bottom = totals.tail(SPEC.customers // 2)["customer_id"]
    top_share = sum(c in assessed for c in top) / len(top)
    bottom_share = sum(c in assessed for c in bottom) / len(bottom)
    assert top_share > bottom_share + 0.3


def test_relationship_scores_follow_payment_behaviour(frames: dict[str, pl.DataFrame]) -> None:
    payments = frames["payments"].with_columns((pl.col("paid_at") > pl.col("due_at")).alias("late"))
    lateness = payments.group_by("customer_id").agg(pl.col("late").mean())
    relationship = (
        frames["assessments"]
        .filter(pl.col("topic") == "relationship")
        .group_by("customer_id")
        .agg(pl.col("score").mean())
        .join(lateness, on="customer_id")
    )
    corr = relationship.select(pl.corr("score", "late"))
    assert corr.item() < -0.2


# --------------------------------------------------------------------------------------------
# the command


def _app() -> typer.Typer:
    app = typer.Typer()
    register(app)

    @app.callback()
    def _root() -> None:
        """Keep ``demo`` a subcommand."""

    return app


@pytest.mark.parametrize("fmt", list(DemoFormat))
def test_demo_command_writes_six_files(fmt: DemoFormat, tmp_path: Path) -> None:
    out = tmp_path / "demo"
    args = [
        "demo",
        "--customers",
        "200",
        "--months",
        "12",
        "--seed",
        "3",
        "--as-of",
        "2026-01-01",
        "--out",
        str(out),
        "--format",
        fmt.value,
    ]
    result = CliRunner().invoke(_app(), args)
    assert result.exit_code == 0, result.output
    written = sorted(f"{t}.{fmt.value}" for t in TABLES)
    assert sorted(p.name for p in out.iterdir()) == sorted([*written, "report.html", "results.csv"])
    # the run is saved in the store every command reads ($TIERKIT_STORE here, see conftest)
    assert Path(os.environ["TIERKIT_STORE"]).is_file()
    for table in TABLES:
        assert re.search(
            rf"^{table}\s+[0-9,]+ rows\s+.*{table}\.{fmt.value}$", result.output, re.MULTILINE
        ), result.output
    assert "customers             200 rows" in result.output


def test_demo_command_refuses_a_bad_date(tmp_path: Path) -> None:
    result = CliRunner().invoke(_app(), ["demo", "--as-of", "2026-13-01", "--out", str(tmp_path)])
    assert result.exit_code == 2, result.output
    assert "YYYY-MM-DD" in result.output
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize(
    ("option", "said"),
    [
        (["--as-of", "0001-02-01"], "as-of date 0001-02-01 is too early (1980 or later)"),
        (["--months", "100000"], "months must be at most 1200 (100 years), not 100000"),
    ],
)
def test_demo_command_refuses_an_out_of_range_date_or_history(
    tmp_path: Path, option: list[str], said: str
) -> None:
    # both were internal errors (a ValueError from DemoSpec, or from the year -6307)
    args = ["demo", *option, "--no-evaluate", "--out", str(tmp_path)]
    result = CliRunner().invoke(_app(), args)
    assert result.exit_code == 2, result.output
    assert said in result.output
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("name", ["report.html", "results.csv"])
def test_demo_command_refuses_a_store_on_a_file_it_writes(tmp_path: Path, name: str) -> None:
    # the data was generated and the run saved, then the report replaced the store (or exit 2)
    store = tmp_path / "demo" / name
    args = ["demo", "--customers", "5", "--out", str(tmp_path / "demo"), "--store", str(store)]
    result = CliRunner().invoke(_app(), args)
    assert result.exit_code == 2, result.output
    assert f"the demo writes {store} there" in " ".join(result.output.split())
    assert not (tmp_path / "demo").exists()  # not even the folder: it was left behind, empty


def test_demo_command_refuses_a_damaged_store_before_making_its_folder(tmp_path: Path) -> None:
    store = tmp_path / "history.duckdb"
    store.write_bytes(b"DUCK" * 10)
    args = ["demo", "--customers", "5", "--out", str(tmp_path / "demo"), "--store", str(store)]
    result = CliRunner().invoke(_app(), args)
    assert result.exit_code == 2, result.output
    assert str(store) in " ".join(result.output.split())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["history.duckdb"]


def test_demo_command_refuses_an_unknown_or_broken_ruleset_before_writing_data(
    tmp_path: Path,
) -> None:
    """`tierkit demo --ruleset vip-montly` wrote every table (2,000 customers by default), then
    said there is no such ruleset; a broken ruleset file failed after the data too."""
    broken = tmp_path / "broken.yaml"
    broken.write_text("tierkit: 1\nname: b\ndecisions: {}\n")
    for ruleset, said in [("vip-montly", "did you mean 'vip-monthly'?"), (str(broken), "broken")]:
        out = tmp_path / "demo"
        args = ["demo", "--customers", "5", "--out", str(out), "--ruleset", ruleset,
                "--store", str(tmp_path / "h.duckdb")]
        result = CliRunner().invoke(_app(), args)
        assert result.exit_code == 2, result.output
        assert said in result.output
        assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.yaml"]


def test_a_petabyte_of_demo_customers_is_refused() -> None:
    # 10^12 customers were written (2.3 GB of CSV per million) until the disk was full
    with pytest.raises(ValueError, match="at most 100,000,000, not 1,000,000,000,000"):
        DemoSpec(customers=10**12)
    assert DemoSpec(customers=100_000_000).customers == 100_000_000


@pytest.mark.parametrize("out", ["/dev/null", "file.txt/demo"])
def test_demo_command_refuses_an_out_that_is_no_folder(tmp_path: Path, out: str) -> None:
    (tmp_path / "file.txt").write_text("x")
    target = out if out.startswith("/") else str(tmp_path / out)
    not_folder = "/dev/null" if out.startswith("/") else str(tmp_path / "file.txt")
    result = CliRunner().invoke(
        _app(), ["demo", "--customers", "5", "--no-evaluate", "--out", target]
    )
    assert result.exit_code == 2, result.output  # were internal errors: FileExistsError, ...
    assert f"--out {target}: {not_folder} is not a folder" in " ".join(result.output.split())
    assert [p.name for p in tmp_path.iterdir()] == ["file.txt"]


def test_a_century_of_history_keeps_order_rates_bounded() -> None:
    # a yearly trend compounded over 50 years either side of the middle made Poisson rates of
    # e^40: 'lam value too large', or arrays of terabytes. The growth is capped at a factor of
    # 20 (e^3) each way, so no customer orders more than 20 x 12 (the highest base rate) x 1.x
    # (the season) a month: under 400 a month, 480,000 over 1200 months.
    spec = DemoSpec(customers=50, months=1200, seed=7, as_of=date(1980, 1, 1))
    counts = demo_frames(spec)["invoices"].group_by("customer_id").len()["len"]
    assert 0 < counts.max() < 480_000  # type: ignore[operator]


def test_demo_command_evaluates_the_data(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    args = ["demo", "--customers", "300", "--as-of", "2026-01-01", "--out", str(out)]
    result = CliRunner().invoke(_app(), args)
    assert result.exit_code == 0, result.output
    assert "vip-monthly · strategy working-capital · as of 2026-01-01 · 300 customers" in (
        result.output
    )
    results = pl.read_csv(out / "results.csv")
    assert results.height == 300
    assert set(results["category"]) <= {"A", "B", "C"}
    skipped = CliRunner().invoke(
        _app(), [*args[:-2], "--out", str(tmp_path / "d2"), "--no-evaluate"]
    )
    assert skipped.exit_code == 0, skipped.output
    assert not (tmp_path / "d2" / "results.csv").exists()
