"""The PostgreSQL source against a real, throwaway server (tests/pg_server.py).

The demo's CSV files are loaded into PostgreSQL with their natural types (numeric(18, 2) for
amounts, date for dates, text for ids) and every ruleset result must equal the result from the
files, byte for byte. Errors (server down, login refused, a table or column missing) exit with
status 2 and never print the password.
"""

from __future__ import annotations

import csv
import sys
from datetime import date
from decimal import Decimal
from importlib.util import find_spec
from pathlib import Path

import narwhals.stable.v2 as nw
import polars as pl
import pytest
from pg_server import PASSWORD, PgServer, free_port
from pg_server import pg_server as pg_server  # the session fixture
from typer.testing import CliRunner

from tierkit.cli import app
from tierkit.data import open_source
from tierkit.errors import DataInvalid
from tierkit.evaluation import evaluate
from tierkit.plugins.postgres import mask, open_postgres, parse_url
from tierkit.registry import get_registry

AS_OF = "2026-01-01"
needs_driver = pytest.mark.skipif(
    find_spec("psycopg") is None, reason="psycopg is not installed: pip install -e '.[postgres]'"
)

# The demo's tables with the types a company's database would give them.
DEMO_TABLES = """
create table customers (customer_id text primary key, name text not null, since date,
                        segment text, region text, manager text);
create table payments (customer_id text, paid_at date, amount numeric(18, 2),
                       invoice_id text, due_at date, currency text);
create table invoices (customer_id text, invoice_id text, issued_at date,
                       amount numeric(18, 2), due_at date, cost numeric(18, 2));
create table shipments (customer_id text, shipped_at date, units numeric(12, 4),
                        promised_at date, delivered_at date, ordered_units numeric(12, 4));
create table contracts (customer_id text, contract_id text, started_at date, ended_at date,
                        terminated_at date);
create table assessments (customer_id text, assessed_at date, topic text, score real);
"""
DEMO_NAMES = ("customers", "payments", "invoices", "shipments", "contracts", "assessments")


def cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output + (str(result.exception) if result.exception else "")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, pg_server: PgServer) -> tuple[Path, str]:
    """The demo's CSV folder, and a URL of a database (schema ``sales``) holding the same rows."""
    folder = tmp_path_factory.mktemp("demo")
    code, output = cli(
        "demo",
        "--customers",
        "300",
        "--seed",
        "7",
        "--as-of",
        AS_OF,
        "--out",
        str(folder),
        "--no-evaluate",
    )
    assert code == 0, output
    copies = "\n".join(
        f"\\copy sales.{t} from '{folder / t}.csv' with (format csv, header)" for t in DEMO_NAMES
    )
    pg_server.psql(f"create schema sales; set search_path = sales;\n{DEMO_TABLES}\n{copies}")
    return folder, pg_server.url(query="?schema=sales")


@pytest.mark.parametrize("ruleset", ["abc-pareto", "vip-monthly"])
def test_results_are_the_same_as_from_the_csv_files(
    demo: tuple[Path, str], ruleset: str, tmp_path: Path
) -> None:
    folder, url = demo
    from_files, from_database = tmp_path / "files.csv", tmp_path / "database.csv"
    for data, out in ((str(folder), from_files), (url, from_database)):
        code, output = cli(
            "evaluate", ruleset, "--data", data, "--as-of", AS_OF, "--no-store", "--out", str(out)
        )
        assert code == 0, output
        assert PASSWORD not in output
    assert from_database.read_bytes() == from_files.read_bytes()
    # the demo's 300 customers, each decided once
    assert pl.read_csv(from_database).height == 300


def test_columns_keep_their_database_types(demo: tuple[Path, str]) -> None:
    folder, url = demo
    opened = open_postgres(url)
    assert set(opened.tables) == set(DEMO_NAMES)
    payments = nw.to_native(opened.tables["payments"])
    assert payments.collect_schema()["amount"] == pl.Decimal(18, 2)
    assert payments.collect_schema()["paid_at"] == pl.Date
    # the file's first payment, as written, e.g. C0000001,2025-01-05,1100.37,INV-0000001-0001,...
    with (folder / "payments.csv").open() as handle:
        row = next(csv.DictReader(handle))
    first = payments.filter(pl.col("invoice_id") == row["invoice_id"]).collect()
    assert first["amount"].to_list() == [Decimal(row["amount"])]
    assert first["paid_at"].to_list() == [date.fromisoformat(row["paid_at"])]
    assert opened.origins["payments"].endswith("/tierkit_test:sales.payments")
    assert PASSWORD not in opened.origins["payments"]


@pytest.fixture(scope="module")
def company(pg_server: PgServer) -> str:
    """A small company's data in schema ``company`` (as :data:`COMPANY_CSV`): ids "9" and "10"."""
    pg_server.psql(
        """
        create schema company; set search_path = company;
        create table customers (customer_id text, name text);
        insert into customers values ('10', 'Lumen Tools'), ('9', 'Harbor Foods'),
                                     ('11', 'Quiet One');
        create table payments (customer_id text, paid_at date, amount numeric(20, 2),
                               note text);
        insert into payments values
          ('9', '2025-12-01', 99999999999999.99, ''),   -- 10^14 - 0.01
          ('9', '2025-12-15', 0.01, null),
          ('10', '2025-12-02', 0.10, 'x'),
          ('10', '2025-12-03', 0.20, 'y'),
          ('10', '2026-01-05', 500.00, 'after the as-of date'),
          ('12', '2025-12-04', 7.00, 'unknown customer');
        create view payments_view as select * from payments;
        """
    )
    return pg_server.url(query="?schema=company")


CASH = """\
tierkit: 1
name: cash
strategy: working-capital
window: {period: month, periods: 1}
criteria:
  paid: {use: payments.received}
decisions:
  category:
    rules:
      - {when: paid > 1, then: A}
    default: {then: C}
"""


COMPANY_CSV = {
    "customers.csv": "customer_id,name\n10,Lumen Tools\n9,Harbor Foods\n11,Quiet One\n",
    "payments.csv": "customer_id,paid_at,amount,note\n"
    "9,2025-12-01,99999999999999.99,\n9,2025-12-15,0.01,\n10,2025-12-02,0.10,x\n"
    "10,2025-12-03,0.20,y\n10,2026-01-05,500.00,after the as-of date\n"
    "12,2025-12-04,7.00,unknown customer\n",
}


def test_money_is_exact_and_results_match_the_files(company: str, tmp_path: Path) -> None:
    ruleset = tmp_path / "cash.yaml"
    ruleset.write_text(CASH)
    run = evaluate(ruleset, company, as_of="2026-01-01", store=None)
    results = {
        r["customer_id"]: (r["paid"], r["category"]) for r in run.results.iter_rows(named=True)
    }
    # 9: 99999999999999.99 + 0.01 = 10^14 exactly (as floats: 99999999999999.98);
    # 10: 0.10 + 0.20 = 0.30 (the 500.00 of 2026-01-05 is on the as-of date, not in December);
    # 11: no payment, 0
    assert {k: (Decimal(str(v)), c) for k, (v, c) in results.items()} == {
        "9": (Decimal("100000000000000"), "A"),
        "10": (Decimal("0.3"), "C"),
        "11": (Decimal("0"), "C"),
    }
    skipped = run.manifest["data"]["payments"]["skipped"]
    assert skipped == {"unknown customer": 1, "on or after the as-of date": 1}
    assert PASSWORD not in str(run.manifest)
    # the same rows from CSV files give the same results, in the same order
    for name, text in COMPANY_CSV.items():
        (tmp_path / name).write_text(text)
    from_files = evaluate(ruleset, tmp_path, as_of="2026-01-01", store=None)
    assert from_files.results.equals(run.results)
    assert from_files.values.equals(run.values)


def test_empty_text_and_null_stay_apart(company: str) -> None:
    payments = nw.to_native(open_postgres(company).tables["payments"])
    notes = payments.filter(pl.col("customer_id") == "9").sort("paid_at").collect()["note"]
    assert notes.to_list() == ["", None]


def test_a_view_is_a_table(company: str) -> None:
    opened = open_postgres(company)
    view = nw.to_native(opened.tables["payments_view"])
    # six rows were inserted above
    assert view.select(pl.len()).collect().item() == 6


def test_a_missing_table_is_named(company: str, tmp_path: Path) -> None:
    ruleset = tmp_path / "units.yaml"
    ruleset.write_text(CASH.replace("payments.received", "shipments.units"))
    code, output = cli("evaluate", str(ruleset), "--data", company, "--as-of", AS_OF, "--no-store")
    assert code == 2
    assert "no table 'shipments' (needed by shipments.units)" in output
    assert PASSWORD not in output
    assert "tierkit_admin@127.0.0.1" in output


def test_a_missing_column_is_named(pg_server: PgServer, tmp_path: Path) -> None:
    pg_server.psql(
        """
        create schema thin; set search_path = thin;
        create table customers (customer_id text, name text);
        create table payments (customer_id text, paid_at date);
        """
    )
    ruleset = tmp_path / "cash.yaml"
    ruleset.write_text(CASH)
    url = pg_server.url(query="?schema=thin")
    code, output = cli("evaluate", str(ruleset), "--data", url, "--as-of", AS_OF, "--no-store")
    assert code == 2
    assert ":thin.payments: column 'amount' is missing (needed by payments.received)" in output
    assert PASSWORD not in output


def test_an_unknown_schema_is_named(pg_server: PgServer) -> None:
    with pytest.raises(DataInvalid) as info:
        open_postgres(pg_server.url(query="?schema=nowhere"))
    assert "no schema 'nowhere'" in info.value.render()


@needs_driver
def test_a_closed_port_exits_2_naming_host_and_port(tmp_path: Path) -> None:
    port = free_port()  # nothing listens there
    url = f"postgresql://reader:{PASSWORD}@127.0.0.1:{port}/sales"
    code, output = cli("evaluate", "abc-pareto", "--data", url, "--as-of", AS_OF, "--no-store")
    assert code == 2
    assert f"the server at 127.0.0.1:{port} cannot be reached: Connection refused" in output
    assert PASSWORD not in output
    assert "Traceback" not in output


@pytest.mark.parametrize(
    ("user", "password", "said"),
    [
        ("nobody", PASSWORD, 'authentication failed for user "nobody"'),
        ("tierkit_admin", "wrong-" + PASSWORD, 'authentication failed for user "tierkit_admin"'),
    ],
)
def test_a_refused_login_exits_2(pg_server: PgServer, user: str, password: str, said: str) -> None:
    url = pg_server.url(user=user, password=password)
    code, output = cli("evaluate", "abc-pareto", "--data", url, "--as-of", AS_OF, "--no-store")
    assert code == 2
    assert said in output
    assert password not in output
    assert f"postgresql://{user}@127.0.0.1:{pg_server.port}/tierkit_test" in output


def test_without_the_driver_it_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)  # import psycopg now fails
    with pytest.raises(DataInvalid) as info:
        open_postgres(f"postgresql://reader:{PASSWORD}@127.0.0.1:5432/sales")
    assert "pip install 'tierkit[postgres]'" in info.value.render()
    assert PASSWORD not in info.value.render()


def test_the_url_is_masked_and_split() -> None:
    target = parse_url(
        "postgresql://reader:p%40ss@db.example.com:5433/erp?schema=sales&sslmode=require"
    )
    assert target.schema == "sales"
    assert target.conninfo == (
        "postgresql://reader:p%40ss@db.example.com:5433/erp?sslmode=require&connect_timeout=10"
    )
    # a timeout of the URL's own is kept
    assert parse_url("postgresql:///erp?connect_timeout=3").conninfo == (
        "postgresql:///erp?connect_timeout=3"
    )
    assert target.shown == "postgresql://reader@db.example.com:5433/erp"
    assert mask("postgres://db.example.com/erp") == "postgres://db.example.com/erp"
    assert mask("postgresql:///erp?sslmode=require") == "postgresql:///erp"


# CASH with the share paid on time, which reads due_at
KINDS_RULESET = CASH.replace(
    "  paid: {use: payments.received}\n",
    "  paid: {use: payments.received}\n  on_time: {use: payments.on_time_share}\n",
)


def test_numbers_timestamps_and_libpq_options(pg_server: PgServer, tmp_path: Path) -> None:
    """Whole-number ids, timestamps, money and a time zone given to libpq read like CSV text."""
    pg_server.psql(
        """
        create schema kinds; set search_path = kinds;
        create table customers (customer_id bigint, name varchar(40));
        insert into customers values (10, 'Lumen Tools'), (9, 'Harbor Foods');
        create table payments (customer_id integer, paid_at timestamp, amount money,
                               due_at timestamptz);
        insert into payments values
          (9, '2025-12-01 10:00:00', 100.00, '2025-12-01 23:30:00+00'),
          (9, '2025-12-20 08:15:30.5', 300.00, '2025-12-10 00:30:00+00'),
          (10, '2025-12-05 00:00:00', 50.50, null);
        """
    )
    (tmp_path / "customers.csv").write_text("customer_id,name\n10,Lumen Tools\n9,Harbor Foods\n")
    (tmp_path / "payments.csv").write_text(
        "customer_id,paid_at,amount,due_at\n"
        "9,2025-12-01 10:00:00,100.00,2025-12-01 23:30:00+00\n"
        "9,2025-12-20 08:15:30.5,300.00,2025-12-10 00:30:00+00\n"
        "10,2025-12-05 00:00:00,50.50,\n"
    )
    ruleset = tmp_path / "kinds.yaml"
    ruleset.write_text(KINDS_RULESET)
    # the session's time zone, through libpq's options: due dates print as written above
    url = pg_server.url(query="?schema=kinds&options=-c%20TimeZone%3DUTC")
    run = evaluate(ruleset, url, as_of="2026-01-01", store=None)
    rows = {r["customer_id"]: r for r in run.values.iter_rows(named=True)}
    # 9: 100.00 + 300.00 = 400.00, of which 100.00 on time (paid 12-01, due 12-01): 0.25;
    # 10: 50.50, no due date, so no on-time share
    assert Decimal(str(rows["9"]["paid"])) == Decimal("400")
    assert rows["9"]["on_time"] == pytest.approx(0.25)
    assert Decimal(str(rows["10"]["paid"])) == Decimal("50.5")
    assert rows["10"]["on_time"] is None
    from_files = evaluate(ruleset, tmp_path, as_of="2026-01-01", store=None)
    assert from_files.results.equals(run.results)
    assert from_files.values.equals(run.values)


def test_a_read_only_role_as_the_docs_set_it_up(
    demo: tuple[Path, str], pg_server: PgServer, tmp_path: Path
) -> None:
    """docs/data-formats.md's role reads what it was granted; the rest is missing to it."""
    folder, _ = demo
    pg_server.psql(
        """
        CREATE ROLE tierkit_reader LOGIN PASSWORD 'reader-Pw';
        ALTER ROLE tierkit_reader SET default_transaction_read_only = on;
        GRANT CONNECT ON DATABASE tierkit_test TO tierkit_reader;
        GRANT USAGE ON SCHEMA sales TO tierkit_reader;
        GRANT SELECT ON sales.customers, sales.payments TO tierkit_reader;
        """
    )
    url = pg_server.url(user="tierkit_reader", password="reader-Pw", query="?schema=sales")
    from_files, from_database = tmp_path / "files.csv", tmp_path / "database.csv"
    for data, out in ((str(folder), from_files), (url, from_database)):
        code, output = cli(
            "evaluate",
            "abc-pareto",
            "--data",
            data,
            "--as-of",
            AS_OF,
            "--no-store",
            "--out",
            str(out),
        )
        assert code == 0, output
    assert from_database.read_bytes() == from_files.read_bytes()
    # shipments were not granted: the role does not see the table
    code, output = cli(
        "evaluate",
        "abc-pareto",
        "--strategy",
        "market-expansion",
        "--data",
        url,
        "--as-of",
        AS_OF,
        "--no-store",
    )
    assert code == 2
    assert "no table 'shipments'" in output
    assert "reader-Pw" not in output


def test_bad_rows_are_reported_as_for_files(pg_server: PgServer, tmp_path: Path) -> None:
    pg_server.psql(
        """
        create schema bad; set search_path = bad;
        create table customers (customer_id text, name text);
        insert into customers values ('C-1', 'Harbor Foods'), ('C-2', 'Lumen Tools'),
                                     ('C-2', 'Lumen Tools GmbH');
        create table payments (customer_id text, paid_at text, amount numeric(12, 2));
        insert into payments values ('C-1', '2025-12-01', 10.00), ('C-1', '01/12/2025', 5.00),
                                    ('C-2', '2025-12-02', -45.00);
        """
    )
    ruleset = tmp_path / "cash.yaml"
    ruleset.write_text(CASH)
    url = pg_server.url(query="?schema=bad")
    code, output = cli("evaluate", str(ruleset), "--data", url, "--as-of", AS_OF, "--no-store")
    assert code == 2
    origin = f"postgresql://tierkit_admin@127.0.0.1:{pg_server.port}/tierkit_test:bad"
    # C-2 twice; one paid_at not a date; the negative amount is a refund, which is allowed
    assert f"{origin}.customers: 1 customer_id value appears more than once" in output
    assert f"{origin}.payments: column 'paid_at': 1 value cannot be read as a date" in output
    assert "paid_at = '01/12/2025'" in output
    assert "amount" not in output
    assert "2 data problems found" in output
    assert PASSWORD not in output


def test_an_empty_table_and_wide_numbers_keep_their_types(pg_server: PgServer) -> None:
    pg_server.psql(
        """
        create schema empty; set search_path = empty;
        create table payments (customer_id text, paid_at date, amount numeric(18, 2),
                               huge numeric(40, 2), plain numeric);
        """
    )
    payments = nw.to_native(open_postgres(pg_server.url(query="?schema=empty")).tables["payments"])
    frame = payments.collect()
    assert frame.height == 0
    # numeric(40, 2) has more digits than Arrow's decimal128 holds, so it comes as text, like
    # numeric without precision
    assert frame.schema == pl.Schema(
        {
            "customer_id": pl.String,
            "paid_at": pl.Date,
            "amount": pl.Decimal(18, 2),
            "huge": pl.String,
            "plain": pl.String,
        }
    )


def test_without_the_postgres_plugin_the_url_is_refused_without_its_password(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TIERKIT_PLUGINS", "tierkit-sources")
    url = f"postgresql://reader:{PASSWORD}@db.example.com:5432/erp"
    with pytest.raises(DataInvalid) as info:
        open_source(url, get_registry())
    text = info.value.render()
    assert (
        "postgresql://reader@db.example.com:5432/erp: no installed source kind can open it" in text
    )
    assert PASSWORD not in text


def test_text_across_lines_and_endless_dates(pg_server: PgServer) -> None:
    pg_server.psql(
        """
        create schema odd; set search_path = odd;
        create table contracts (customer_id text, contract_id text, started_at date,
                                ended_at date, note text);
        insert into contracts values
          ('C-1', 'K-1', '2024-01-01', 'infinity', E'renewed, "twice"\\nthen paused'),
          ('C-2', 'K-2', '-infinity', '2025-06-30', ',');
        create table ancient (customer_id text, paid_at date);
        insert into ancient values ('C-1', '0044-03-15 BC');
        """
    )
    opened = open_postgres(pg_server.url(query="?schema=odd"))
    contracts = nw.to_native(opened.tables["contracts"]).sort("customer_id").collect()
    assert contracts["note"].to_list() == ['renewed, "twice"\nthen paused', ","]
    # an endless contract has no end date, as an empty cell in a file
    assert contracts["ended_at"].to_list() == [None, date(2025, 6, 30)]
    assert contracts["started_at"].to_list() == [date(2024, 1, 1), None]
    with pytest.raises(DataInvalid) as info:
        nw.to_native(opened.tables["ancient"]).collect()
    assert "cannot read odd.ancient" in info.value.render()


def test_without_schema_the_search_path_decides(company: str, pg_server: PgServer) -> None:
    opened = open_postgres(pg_server.url(query="?options=-csearch_path%3Dcompany"))
    assert opened.origins["payments"].endswith("/tierkit_test:company.payments")
    # without either, the database's default: public, empty in the test database
    assert open_postgres(pg_server.url()).origins == {}
