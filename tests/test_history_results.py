"""Where the store keeps a run's results: a Parquet blob in a table per run (version 3), and
stores of versions 2 (one table of blobs) and 1 (a table of columns per run)."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pytest

from tierkit.history import HistoryStore, StoredDecision
from tierkit.history.frames import encode_results
from tierkit.history.results import BLOB_TABLE, IN_BLOB

CATEGORY = StoredDecision("category", ("A", "B", "C"))


def manifest(run_id: str, as_of: str) -> dict[str, Any]:
    return {
        "run_id": run_id,
        "as_of": as_of,
        "ruleset": {"name": "abc", "path": "abc.yaml", "sha256": "0" * 64},
        "strategy": "working-capital",
        "engine": "vector",
        "backend": "polars",
    }


def results(categories: dict[str, str]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "customer_id": list(categories),
            "category": list(categories.values()),
            "category.rule": [{"A": 1, "B": 2, "C": 0}[c] for c in categories.values()],
        }
    )


def version_1_store(path: Path, frame: pl.DataFrame) -> None:
    """A store as version 1 wrote it: run r1's results in their own table ``results_1``."""
    store = HistoryStore(path)
    store.save_run(manifest("seed", "2025-01-01"), frame, {"category": CATEGORY})
    con = duckdb.connect(str(path))
    encoded = encode_results(frame)
    con.register("incoming", encoded.frame.to_arrow())
    con.execute("create table results_1 as select * from incoming")
    con.execute("delete from runs")
    for (table,) in con.execute("select results_table from runs").fetchall():
        con.execute(f'drop table "{table}"')
    con.execute("update tierkit_meta set value = '1' where key = 'schema_version'")
    decisions = json.dumps({"category": {"hit": "first", "outcomes": ["A", "B", "C"]}})
    con.execute(
        "insert into runs values (1, 'r1', ?, ?, 'abc', ?, 'working-capital', 'vector', "
        "'polars', ?, ?, 'results_1', ?, ?, ?)",
        [
            datetime(2026, 3, 2),
            date(2026, 3, 1),
            "0" * 64,
            frame.height,
            decisions,
            encoded.schema,
            encoded.as_text,
            json.dumps(manifest("r1", "2026-03-01")),
        ],
    )
    con.close()


def test_a_run_is_one_parquet_blob_and_reads_back_the_same(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "h.duckdb")
    frame = results({"a": "A", "b": "C"})
    store.save_run(manifest("r1", "2026-03-01"), frame, {"category": CATEGORY})
    con = duckdb.connect(str(store.path), read_only=True)
    tables = con.execute("select results_table from runs").fetchall()
    blob = con.execute(f'select data from "{BLOB_TABLE}1"').fetchall()
    version = con.execute("select value from tierkit_meta").fetchall()
    con.close()
    assert tables == [(f"{BLOB_TABLE}1",)]
    assert len(blob) == 1
    assert bytes(blob[0][0])[:4] == b"PAR1"  # a Parquet file
    assert version == [("3",)]
    assert store.results("r1").equals(frame)
    assert store.has_customer("r1", "b") and not store.has_customer("r1", "z")
    assert store.customer_history("b")["category"].to_list() == ["C"]


def _blob_tables(path: Path) -> list[str]:
    con = duckdb.connect(str(path), read_only=True)
    names = [r[0] for r in con.execute("select table_name from duckdb_tables()").fetchall()]
    con.close()
    return sorted(n for n in names if n.startswith(BLOB_TABLE))


def test_a_rerun_deletes_the_replaced_runs_results(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "h.duckdb")
    store.save_run(manifest("r1", "2026-03-01"), results({"a": "A"}), {"category": CATEGORY})
    store.save_run(manifest("r2", "2026-03-01"), results({"a": "B"}), {"category": CATEGORY})
    assert _blob_tables(store.path) == [f"{BLOB_TABLE}2"]
    assert store.results("latest")["category"].to_list() == ["B"]


def version_2_store(path: Path) -> None:
    """A store as version 2 wrote it: runs r1 and r2, their blobs in the table ``run_results``."""
    store = HistoryStore(path)
    store.save_run(manifest("r1", "2026-01-01"), results({"a": "A", "b": "B"}))
    store.save_run(manifest("r2", "2026-02-01"), results({"a": "B", "b": "C"}))
    con = duckdb.connect(str(path))
    con.execute("create table run_results (run_id varchar primary key, data blob)")
    for run_id, table in con.execute("select run_id, results_table from runs").fetchall():
        con.execute(f'insert into run_results select ?, data from "{table}"', [run_id])
        con.execute(f'drop table "{table}"')
    con.execute("update runs set results_table = ?", [IN_BLOB])
    con.execute("update tierkit_meta set value = '2' where key = 'schema_version'")
    con.close()


def test_a_version_2_store_is_read_and_extended(tmp_path: Path) -> None:
    path = tmp_path / "v2.duckdb"
    version_2_store(path)
    store = HistoryStore(path)
    assert store.results("r1")["category"].to_list() == ["A", "B"]
    assert store.results("r2", ["customer_id", "category"])["category"].to_list() == ["B", "C"]
    assert store.customer_history("b")["category"].to_list() == ["C", "B"]
    # a new run goes into a table of its own; a rerun of r2's month removes r2's blob
    store.save_run(manifest("r3", "2026-02-01"), results({"a": "A", "b": "A"}))
    assert [r.run_id for r in store.runs()] == ["r3", "r1"]
    assert store.results("r3")["category"].to_list() == ["A", "A"]
    con = duckdb.connect(str(path), read_only=True)
    left = [r[0] for r in con.execute("select run_id from run_results").fetchall()]
    version = con.execute("select value from tierkit_meta").fetchall()
    con.close()
    assert left == ["r1"] and version == [("3",)]
    assert _blob_tables(path) == [f"{BLOB_TABLE}3"]


def test_a_version_1_store_is_read_and_upgraded_by_the_next_save(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    old = results({"a": "A", "b": "B"})
    version_1_store(path, old)
    store = HistoryStore(path)
    assert store.results("r1").equals(old)
    assert store.has_customer("r1", "a") and not store.has_customer("r1", "c")
    store.save_run(manifest("r2", "2026-04-01"), results({"a": "C"}), {"category": CATEGORY})
    history = store.customer_history("a")
    assert history["run_id"].to_list() == ["r2", "r1"]
    assert history["category"].to_list() == ["C", "A"]
    con = duckdb.connect(str(path), read_only=True)
    version = con.execute("select value from tierkit_meta").fetchall()
    con.close()
    assert version == [("3",)]
    # a rerun of March replaces the old run and drops its table
    store.save_run(manifest("r3", "2026-03-01"), results({"a": "B"}), {"category": CATEGORY})
    con = duckdb.connect(str(path), read_only=True)
    tables = {
        r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()
    }
    con.close()
    assert "results_1" not in tables
    assert [r.run_id for r in store.runs()] == ["r3", "r2"]


@pytest.mark.parametrize("customer", ["a", "b"])
def test_one_customer_is_read_from_the_blob(tmp_path: Path, customer: str) -> None:
    store = HistoryStore(tmp_path / "h.duckdb")
    store.save_run(
        manifest("r1", "2026-03-01"), results({"a": "A", "b": "C"}), {"category": CATEGORY}
    )
    row = store.customer_history(customer)
    assert row["category"].to_list() == [{"a": "A", "b": "C"}[customer]]


def test_only_the_columns_asked_for_are_read_back(tmp_path: Path) -> None:
    """What a run reads of its previous run: the named columns it has, in its own order, typed
    as saved; names DuckDB would refuse (a case twin, an empty name) and wide numbers too."""
    frame = pl.DataFrame(
        {
            "customer_id": ["9", "10", "c"],
            "Category": ["A", "B", "C"],
            "category": ["x", "y", "z"],
            "": [1, 2, 3],
            "big": pl.Series([2**100, -1, 0], dtype=pl.Int128),
            "rest": [1.5, None, 2.5],
        }
    )
    for path, make in ((tmp_path / "v2.duckdb", None), (tmp_path / "v1.duckdb", version_1_store)):
        if make is None:
            HistoryStore(path).save_run(manifest("r1", "2026-03-01"), frame)
        else:
            make(path, frame)
        store = HistoryStore(path)
        wanted = ["big", "customer_id", "category", "", "missing"]
        got = store.results("r1", wanted)
        assert got.columns == ["customer_id", "category", "", "big"]
        assert got.equals(frame.select("customer_id", "category", "", "big"))
        assert store.results("r1").equals(frame)
