"""CDNOW-like data (tests/realistic_data.py's CD retailer: 23,570 customers with whole-number
ids, refunds, zero payments and two empty months) in a real PostgreSQL server gives the same
results, customer by customer, as the same rows read from CSV files — for abc-pareto and for
vip-monthly with a previous run in the history store."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from pg_server import PASSWORD, PgServer
from pg_server import pg_server as pg_server  # the session fixture
from realistic_data import cd_retailer, write_csv
from typer.testing import CliRunner

from tierkit.cli import app

TABLES = """
create table customers (customer_id {id} primary key, name text not null);
create table payments (customer_id {id}, paid_at date, amount numeric(12, 2));
create table shipments (customer_id {id}, shipped_at date, units integer, promised_at date,
                        delivered_at date);
"""
NAMES = ("customers", "payments", "shipments")


def cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output + (str(result.exception) if result.exception else "")


@pytest.fixture(scope="module")
def cd(tmp_path_factory: pytest.TempPathFactory, pg_server: PgServer) -> tuple[Path, str, str]:
    """The CSV folder, and URLs of two schemas holding the same rows: ids as text, and ids as
    whole numbers (bigint), as CDNOW's own export has them."""
    folder = write_csv(cd_retailer(), tmp_path_factory.mktemp("cdnow"))
    script = []
    for schema, kind in (("cd_text", "text"), ("cd_number", "bigint")):
        copies = "\n".join(
            f"\\copy {schema}.{t} from '{folder / t}.csv' with (format csv, header)" for t in NAMES
        )
        script.append(
            f"create schema {schema}; set search_path = {schema};\n"
            f"{TABLES.format(id=kind)}\n{copies}"
        )
    pg_server.psql("\n".join(script))
    return (
        folder,
        pg_server.url(query="?schema=cd_text"),
        pg_server.url(query="?schema=cd_number"),
    )


def results(data: str, ruleset: str, out: Path, store: Path | None, as_of: str) -> pl.DataFrame:
    where = ["--store", str(store)] if store else ["--no-store"]
    code, output = cli(
        "evaluate", ruleset, "--data", data, "--as-of", as_of, *where, "--out", str(out)
    )
    assert code == 0, output
    assert PASSWORD not in output
    return pl.read_csv(out, infer_schema=False)


def differences(found: pl.DataFrame, expected: pl.DataFrame) -> list[str]:
    """Customers whose rows differ (the first 10), column by column."""
    rows = {r["customer_id"]: r for r in found.iter_rows(named=True)}
    wrong = []
    for row in expected.iter_rows(named=True):
        other = rows.get(row["customer_id"])
        if other != row:
            changed = {
                k: (v, (other or {}).get(k)) for k, v in row.items() if (other or {}).get(k) != v
            }
            wrong.append(f"{row['customer_id']}: {changed}")
    return wrong[:10]


@pytest.mark.parametrize("ids", ["text", "whole numbers"])
def test_abc_of_the_cd_retailer_from_postgresql_equals_the_csv_result(
    cd: tuple[Path, str, str], ids: str, tmp_path: Path
) -> None:
    folder, text_url, number_url = cd
    url = text_url if ids == "text" else number_url
    from_files = results(str(folder), "abc-pareto", tmp_path / "f.csv", None, "1998-07-01")
    from_database = results(url, "abc-pareto", tmp_path / "d.csv", None, "1998-07-01")
    assert from_files.height == from_database.height == 23570
    assert differences(from_database, from_files) == []
    assert (tmp_path / "d.csv").read_bytes() == (tmp_path / "f.csv").read_bytes()
    counts = from_files["category"].value_counts()
    assert counts.height == 3  # A, B and C all met: not a trivial comparison


@pytest.mark.parametrize("ids", ["text", "whole numbers"])
def test_vip_monthly_with_a_previous_run_from_postgresql_equals_the_csv_result(
    cd: tuple[Path, str, str], ids: str, tmp_path: Path
) -> None:
    folder, text_url, number_url = cd
    url = text_url if ids == "text" else number_url
    found = {}
    for source, data in (("files", str(folder)), ("database", url)):
        store = tmp_path / f"{source}.duckdb"
        results(data, "vip-monthly", tmp_path / f"{source}-june.csv", store, "1998-06-01")
        found[source] = results(
            data, "vip-monthly", tmp_path / f"{source}.csv", store, "1998-07-01"
        )
    assert found["files"].height == 23570
    assert differences(found["database"], found["files"]) == []
    assert (tmp_path / "database.csv").read_bytes() == (tmp_path / "files.csv").read_bytes()
    categories = set(found["files"]["category"].to_list())
    assert categories == {"A", "B", "C"}
