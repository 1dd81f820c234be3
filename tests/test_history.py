"""The history store, overrides and comparing runs, against hand-computed expectations."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pytest
import typer
from typer.testing import CliRunner

from tierkit.cli.history_cmd import register
from tierkit.history import (
    HistoryStore,
    NotAStore,
    OverrideError,
    StoredDecision,
    StoreError,
    StoreLocked,
    StoreTooNew,
    UnknownCustomer,
    UnknownRun,
    apply_overrides,
    change_counts,
    compare_previous,
    current_user,
    movers,
    override_summary,
    transition_matrix,
)
from tierkit.history.overrides import OVERRIDE_SCHEMA

CATEGORY = StoredDecision("category", ("A", "B", "C"))
KEY = StoredDecision("key_partner", (True, False))
COLLECT = StoredDecision("flags", ("late", "new"), hit="collect")
DECISIONS = {"category": CATEGORY, "key_partner": KEY}


def ticking_clock() -> Callable[[], datetime]:
    """A clock that moves one minute at each reading, so saves have distinct times."""
    ticks = itertools.count()
    return lambda: datetime(2026, 4, 1, 9, 0) + timedelta(minutes=next(ticks))


@pytest.fixture
def store(tmp_path: Path) -> HistoryStore:
    return HistoryStore(tmp_path / "history.duckdb", clock=ticking_clock(), timeout=0.2)


def manifest(
    run_id: str, as_of: str, ruleset: str = "abc", strategy: str = "working-capital"
) -> dict[str, Any]:
    return {
        "run_id": run_id,
        "as_of": as_of,
        "ruleset": {"name": ruleset, "path": f"{ruleset}.yaml", "sha256": "0" * 64},
        "strategy": strategy,
        "engine": "vector",
        "backend": "polars",
        "categories": [{"category": "A", "customers": 1}],
    }


def results(categories: dict[str, str], values: dict[str, float] | None = None) -> pl.DataFrame:
    """A results frame: customer_id, name, category with rule and reason, value."""
    ids = list(categories)
    rules = {"A": 1, "B": 2, "C": 0}
    return pl.DataFrame(
        {
            "customer_id": ids,
            "name": [f"{c.upper()} Co" for c in ids],
            "category": [categories[c] for c in ids],
            "category.rule": [rules[categories[c]] for c in ids],
            "category.because": [f"rule for {categories[c]}" for c in ids],
            "value": [float((values or {}).get(c, 0.0)) for c in ids],
        }
    )


def overrides(*rows: dict[str, Any]) -> pl.DataFrame:
    """An overrides frame as the store returns it; unspecified fields get defaults."""
    base = {
        "ruleset": None,
        "reason": "why",
        "approved_by": "boss",
        "created_at": datetime(2026, 3, 1),
        "created_by": "me",
        "expired_at": None,
        "expired_by": None,
        "expired_reason": None,
    }
    return pl.DataFrame([{**base, **r} for r in rows], schema=OVERRIDE_SCHEMA)


# --------------------------------------------------------------------------------------------
# runs and results


def test_round_trip_keeps_columns_types_and_row_order(store: HistoryStore) -> None:
    frame = pl.DataFrame(
        {
            "customer_id": ["z", "a", "m"],  # not sorted: the order must survive
            "name": ["Z Co", None, "M Co"],
            "category": pl.Series(["A", "C", "B"], dtype=pl.Enum(["A", "B", "C"])),
            "category.rule": [1, 0, 2],
            "key_partner": [True, None, False],
            "Vip": [1.5, float("nan"), -0.0],  # differs from "vip" only by case
            "vip": [0.1 + 0.2, 1e300, None],
            "flags": [["late"], [], None],
            "since": [date(2020, 1, 31), None, date(1999, 12, 1)],
            "money": pl.Series([Decimal("1.25"), None, Decimal("-3.10")], dtype=pl.Decimal(20, 2)),
            "count": pl.Series([1, 2, 3], dtype=pl.UInt32),
            "wide": pl.Series([2**100, -1, 0], dtype=pl.Int128),
            "age": pl.Series([timedelta(days=3), None, timedelta(0)]).cast(pl.Duration("ms")),
            "nothing": [None, None, None],
            "segment": pl.Series(["x", "y", "x"], dtype=pl.Categorical),
        }
    )
    store.save_run(manifest("r1", "2026-04-01"), frame)
    back = store.results("r1")
    assert back.columns == frame.columns
    assert back.schema == frame.schema
    assert back.equals(frame)


def test_a_run_keeps_its_manifest_and_decisions(store: HistoryStore) -> None:
    store.save_run(manifest("r1", "2026-04-01"), results({"a": "A"}), DECISIONS)
    assert store.run("r1") == manifest("r1", "2026-04-01")
    [info] = store.runs()
    assert (info.run_id, info.as_of, info.ruleset, info.customers) == (
        "r1",
        date(2026, 4, 1),
        "abc",
        1,
    )
    assert info.created_at == datetime(2026, 4, 1, 9, 0)
    assert info.decisions == {
        "category": StoredDecision("category", ("A", "B", "C")),
        "key_partner": StoredDecision("key_partner", (True, False)),
    }


def test_decisions_are_found_in_the_columns_when_not_given(store: HistoryStore) -> None:
    store.save_run(
        {**manifest("r1", "2026-04-01"), "categories": [{"category": "A"}, {"category": "C"}]},
        results({"a": "A", "b": "C"}),
    )
    assert store.run_info("r1").decisions == {"category": StoredDecision("category", ("A", "C"))}


def saved(store: HistoryStore, *runs: tuple[str, str, str]) -> None:
    for run_id, as_of, ruleset in runs:
        store.save_run(manifest(run_id, as_of, ruleset), results({"a": "A"}), DECISIONS)


def test_runs_are_listed_newest_first(store: HistoryStore) -> None:
    saved(
        store,
        ("aaaa1111", "2026-02-01", "abc"),
        ("bbbb2222", "2026-03-01", "other"),
        ("aaaa3333", "2026-01-01", "abc"),
    )
    assert [r.run_id for r in store.runs()] == ["aaaa3333", "bbbb2222", "aaaa1111"]
    assert [r.run_id for r in store.runs("abc")] == ["aaaa3333", "aaaa1111"]
    assert store.runs("nope") == []


def test_run_references(store: HistoryStore) -> None:
    with pytest.raises(UnknownRun, match="no runs are stored yet"):
        store.resolve("latest")
    saved(
        store,
        ("aaaa1111", "2026-02-01", "abc"),
        ("cccc2222", "2026-03-01", "other"),
        ("aaaa3333", "2026-03-01", "abc"),
    )
    assert store.resolve("latest") == "aaaa3333"
    assert store.resolve("previous") == "aaaa1111"  # the same ruleset's run before the latest
    assert store.resolve("latest", ruleset="other") == "cccc2222"
    assert store.resolve("cc") == "cccc2222"
    assert store.resolve("aaaa1111") == "aaaa1111"
    with pytest.raises(UnknownRun, match="'aaaa' matches 2 runs"):
        store.resolve("aaaa")
    with pytest.raises(UnknownRun, match="no run 'zz'"):
        store.resolve("zz")
    with pytest.raises(UnknownRun, match="has no previous run"):
        store.resolve("previous", ruleset="other")
    assert store.results("latest").equals(results({"a": "A"}))


def test_previous_is_the_latest_earlier_month_not_the_run_saved_before(
    store: HistoryStore,
) -> None:
    # January and March were run, then February late: February's previous is January,
    # exactly the run `evaluate` compared February with, not March (saved just before it)
    saved(
        store,
        ("jan", "2026-01-01", "abc"),
        ("mar", "2026-03-01", "abc"),
        ("feb", "2026-02-01", "abc"),
    )
    assert store.resolve("latest") == "feb"
    assert store.resolve("previous") == "jan"
    assert store.previous_run_id("abc", date(2026, 2, 1)) == "jan"
    # an experiment with another strategy is nobody's previous
    store.save_run(manifest("x", "2026-04-01", "abc", "net-profit"), results({"a": "A"}))
    with pytest.raises(UnknownRun, match="strategy net-profit, as of 2026-04-01"):
        store.resolve("previous")


def test_a_rerun_of_the_same_month_replaces_the_earlier_run(store: HistoryStore) -> None:
    saved(store, ("feb", "2026-02-01", "abc"), ("mar1", "2026-03-01", "abc"))
    assert store.same_runs("abc", date(2026, 3, 1), "working-capital") == ["mar1"]
    assert store.same_runs("abc", date(2026, 3, 1), "net-profit") == []
    fixed = results({"a": "B", "b": "A"})  # the data was corrected, the month run again
    store.save_run(manifest("mar2", "2026-03-01"), fixed, DECISIONS)
    assert [r.run_id for r in store.runs()] == ["mar2", "feb"]
    assert store.run("mar2")["replaces"] == ["mar1"]
    with pytest.raises(UnknownRun, match="no run 'mar1'"):
        store.results("mar1")
    assert store.results("latest").equals(fixed)
    assert store.resolve("previous") == "feb"
    # the same month with another strategy is another run, kept beside it
    store.save_run(manifest("mar3", "2026-03-01", "abc", "net-profit"), fixed, DECISIONS)
    assert [r.run_id for r in store.runs()] == ["mar3", "mar2", "feb"]
    assert "replaces" not in store.run("mar3")


def test_previous_results_is_the_latest_as_of_before(store: HistoryStore) -> None:
    frames = {
        "feb": results({"a": "C"}),
        "mar": results({"a": "B"}),
        "mar-rerun": results({"a": "A"}),
        "apr-other": results({"a": "C"}),
        "apr": results({"a": "C"}),
    }
    for run_id, as_of, ruleset in [
        ("feb", "2026-02-01", "abc"),
        ("mar", "2026-03-01", "abc"),
        ("mar-rerun", "2026-03-01", "abc"),
        ("apr-other", "2026-04-01", "other"),
        ("apr", "2026-04-01", "abc"),
    ]:
        store.save_run(manifest(run_id, as_of, ruleset), frames[run_id])
    found = store.previous_results("abc", date(2026, 4, 1))
    assert found is not None and found.equals(frames["mar-rerun"])  # newest of the latest date
    found = store.previous_results("abc", date(2026, 3, 1))
    assert found is not None and found.equals(frames["feb"])
    assert store.previous_results("abc", date(2026, 2, 1)) is None
    assert store.previous_run_id("abc", date(2026, 4, 1)) == "mar-rerun"
    assert store.previous_run_id("abc", date(2026, 5, 1), strategy="working-capital") == "apr"
    assert store.previous_results("abc", date(2026, 5, 1), strategy="net-profit") is None
    assert store.previous_results("missing", date(2026, 5, 1)) is None


def test_reading_a_store_that_does_not_exist_finds_nothing(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "none.duckdb")
    assert store.runs() == []
    assert store.previous_results("abc", date(2026, 4, 1)) is None
    assert store.active_overrides(date(2026, 4, 1)).is_empty()
    assert not (tmp_path / "none.duckdb").exists()


def test_customer_history_has_one_row_per_run(store: HistoryStore) -> None:
    store.save_run(manifest("r1", "2026-03-01"), results({"a": "A", "b": "C"}, {"b": 5}))
    store.save_run(manifest("r2", "2026-04-01"), results({"a": "A", "b": "B"}, {"b": 7}))
    store.save_run(manifest("r3", "2026-05-01"), results({"a": "A"}))  # b left
    history = store.customer_history("b")
    assert history.columns == [
        "run_id", "created_at", "as_of", "ruleset", "strategy", "name",
        "category", "category.rule", "category.because", "value",
    ]  # fmt: skip
    assert history["run_id"].to_list() == ["r2", "r1"]
    assert history["category"].to_list() == ["B", "C"]
    assert history["category.rule"].to_list() == [2, 0]
    assert history["value"].to_list() == [7.0, 5.0]
    assert history["as_of"].to_list() == [date(2026, 4, 1), date(2026, 3, 1)]
    with pytest.raises(UnknownCustomer, match="customer 'x' is in no stored run"):
        store.customer_history("x")


def test_a_failed_save_leaves_nothing(store: HistoryStore, monkeypatch: pytest.MonkeyPatch) -> None:
    store.save_run(manifest("r1", "2026-03-01"), results({"a": "A"}))

    def broken(*args: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr("tierkit.history.store.save_results", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        store.save_run(manifest("r2", "2026-04-01"), results({"a": "B"}))
    monkeypatch.undo()
    assert [r.run_id for r in store.runs()] == ["r1"]
    con = duckdb.connect(str(store.path), read_only=True)
    tables = {r[0] for r in con.execute("select table_name from duckdb_tables()").fetchall()}
    con.close()
    assert {t for t in tables if t.startswith("run_blob_")} == {"run_blob_1"}  # r1's only
    store.save_run(manifest("r2", "2026-04-01"), results({"a": "B"}))
    assert store.results("r2")["category"].to_list() == ["B"]


def test_what_cannot_be_saved_is_refused(store: HistoryStore) -> None:
    store.save_run(manifest("r1", "2026-03-01"), results({"a": "A"}))
    with pytest.raises(StoreError, match="run r1 is already stored"):
        store.save_run(manifest("r1", "2026-03-01"), results({"a": "B"}))
    with pytest.raises(StoreError, match="Python objects"):
        frame = results({"a": "A"}).with_columns(pl.Series("o", [object()], dtype=pl.Object))
        store.save_run(manifest("r2", "2026-03-01"), frame)
    with pytest.raises(StoreError, match="no 'customer_id' column"):
        store.save_run(manifest("r3", "2026-03-01"), pl.DataFrame({"x": [1]}))
    with pytest.raises(StoreError, match="not a date"):
        store.save_run(manifest("r4", "April"), results({"a": "A"}))
    assert store.results("r1")["category"].to_list() == ["A"]


# --------------------------------------------------------------------------------------------
# files that are not stores, and locks


def test_a_file_that_is_not_a_store_is_named(tmp_path: Path) -> None:
    junk = tmp_path / "junk.duckdb"
    junk.write_bytes(b"this is not a database" * 100)
    with pytest.raises(NotAStore, match=r"junk\.duckdb: is not a tierkit history store"):
        HistoryStore(junk)
    data = tmp_path / "data.duckdb"
    con = duckdb.connect(str(data))
    con.execute("create table customers (customer_id varchar)")
    con.close()
    with pytest.raises(NotAStore, match="holds the tables customers"):
        HistoryStore(data).runs()


def test_a_store_from_a_newer_tierkit_is_refused(store: HistoryStore) -> None:
    store.save_run(manifest("r1", "2026-03-01"), results({"a": "A"}))
    con = duckdb.connect(str(store.path))
    con.execute("update tierkit_meta set value = '99' where key = 'schema_version'")
    con.close()
    with pytest.raises(StoreTooNew, match="store version 99"):
        HistoryStore(store.path)


@pytest.fixture
def held(store: HistoryStore) -> Iterator[None]:
    """Another process holds the store open for writing."""
    store.save_run(manifest("r1", "2026-03-01"), results({"a": "A"}))
    script = (
        "import duckdb, sys, time\n"
        f"con = duckdb.connect({str(store.path)!r})\n"
        "print('ready', flush=True)\n"
        "sys.stdin.read()\n"
    )
    other = subprocess.Popen(
        [sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert other.stdout is not None and other.stdout.readline().strip() == "ready"
        yield
    finally:
        assert other.stdin is not None
        other.stdin.close()
        other.wait(timeout=30)


@pytest.mark.usefixtures("held")
def test_a_store_in_use_by_another_process_says_so(store: HistoryStore) -> None:
    with pytest.raises(StoreLocked, match="in use by another process"):
        store.save_run(manifest("r2", "2026-04-01"), results({"a": "A"}))


# --------------------------------------------------------------------------------------------
# overrides in the store


def test_overrides_are_in_force_until_their_date(store: HistoryStore) -> None:
    first = store.add_override(
        "a",
        "category",
        "A",
        reason="merger",
        approved_by="J. Doe",
        valid_until=date(2026, 3, 31),
        by="ops",
    )
    assert first == 1
    assert store.active_overrides(date(2026, 3, 31))["id"].to_list() == [1]
    assert store.active_overrides(date(2026, 4, 1)).is_empty()
    [row] = store.list_overrides().iter_rows(named=True)
    assert row["created_by"] == "ops" and row["approved_by"] == "J. Doe"
    assert row["valid_until"] == date(2026, 3, 31) and row["expired_at"] is None


def test_expiring_marks_and_audits(store: HistoryStore) -> None:
    store.add_override(
        "a", "category", "A", reason="r", approved_by="x", valid_until=date(2026, 3, 31), by="ops"
    )
    store.add_override(
        "b", "category", "B", reason="r", approved_by="x", valid_until=date(2026, 4, 30), by="ops"
    )
    assert store.expire_overrides(date(2026, 3, 31), by="cron") == []  # still valid that day
    assert store.expire_overrides(date(2026, 4, 1), by="cron") == [1]
    assert store.expire_overrides(date(2026, 4, 1), by="cron") == []  # only once
    assert store.active_overrides(date(2026, 3, 1))["id"].to_list() == [2]  # expired is ignored
    assert store.list_overrides(active_on=date(2026, 3, 1))["id"].to_list() == [2]
    assert store.list_overrides()["id"].to_list() == [1, 2]
    store.withdraw_override(2, by="boss", reason="deal off")
    with pytest.raises(OverrideError, match="#2 already expired"):
        store.withdraw_override(2)
    with pytest.raises(OverrideError, match="no override #7"):
        store.withdraw_override(7)
    audit = store.audit()
    assert audit.select("override_id", "action", "recorded_by").rows() == [
        (1, "add", "ops"),
        (2, "add", "ops"),
        (1, "expire", "cron"),
        (2, "expire", "boss"),
    ]
    assert json.loads(audit["details"][3]) == {"reason": "deal off"}
    assert json.loads(audit["details"][0])["value"] == "A"
    assert store.audit(2)["action"].to_list() == ["add", "expire"]
    expired = store.list_overrides().row(0, named=True)
    assert expired["expired_by"] == "cron"
    assert expired["expired_reason"] == "valid until 2026-03-31, expired 2026-04-01"


def test_a_new_override_replaces_the_one_in_force(store: HistoryStore) -> None:
    store.add_override(
        "a", "category", "B", reason="r", approved_by="x", valid_until=date(2026, 12, 31)
    )
    store.add_override(
        "a", "category", "A", reason="r2", approved_by="x", valid_until=date(2026, 12, 31)
    )
    store.add_override(
        "a",
        "category",
        "C",
        reason="r3",
        approved_by="x",
        valid_until=date(2026, 12, 31),
        ruleset="other",
    )  # another scope
    assert store.active_overrides(date(2026, 4, 1), ruleset="abc")["id"].to_list() == [2]
    assert store.active_overrides(date(2026, 4, 1), ruleset="other")["id"].to_list() == [2, 3]
    assert store.list_overrides()["expired_reason"].to_list() == ["superseded by #2", None, None]
    assert store.audit()["action"].to_list() == ["add", "add", "expire", "add"]
    assert store.list_overrides()["created_by"][0] == current_user()


def test_an_override_needs_every_field(store: HistoryStore) -> None:
    with pytest.raises(OverrideError, match="non-empty reason"):
        store.add_override(
            "a", "category", "A", reason=" ", approved_by="x", valid_until=date(2026, 12, 31)
        )
    assert store.list_overrides().is_empty()


# --------------------------------------------------------------------------------------------
# applying overrides


AS_OF = date(2026, 4, 1)


def test_overrides_in_force_set_the_final_value() -> None:
    decided = results({"a": "A", "b": "B", "c": "C"})
    given = overrides(
        {
            "id": 1,
            "customer_id": "c",
            "decision": "category",
            "value": "A",
            "valid_until": date(2026, 4, 1),
            "reason": "merger",
            "approved_by": "J. Doe",
        },
        {
            "id": 2,
            "customer_id": "b",
            "decision": "category",
            "value": "A",
            "valid_until": date(2026, 3, 31),
        },  # ran out the day before
        {
            "id": 3,
            "customer_id": "a",
            "decision": "category",
            "value": "C",
            "valid_until": date(2027, 1, 1),
            "expired_at": datetime(2026, 3, 2),
        },  # expired
        {
            "id": 4,
            "customer_id": "zz",
            "decision": "category",
            "value": "B",
            "valid_until": date(2027, 1, 1),
        },  # unknown customer
        {
            "id": 5,
            "customer_id": "a",
            "decision": "tier",
            "value": "x",
            "valid_until": date(2027, 1, 1),
        },  # a decision this ruleset lacks
    )
    final = apply_overrides(decided, given, {"category": CATEGORY}, AS_OF)
    assert final.columns == [
        "customer_id",
        "name",
        "category",
        "category.rule",
        "category.because",
        "category.decided",
        "category.override",
        "value",
    ]
    assert final["category"].to_list() == ["A", "B", "A"]
    assert final["category.decided"].to_list() == ["A", "B", "C"]
    assert final["category.override"].to_list() == [
        None,
        None,
        "override #1: merger (approved by J. Doe, until 2026-04-01)",
    ]
    assert final["category.rule"].to_list() == [1, 2, 0]  # why the rules decided C
    assert override_summary(final, given, {"category": CATEGORY}, AS_OF) == {
        "in_force": 3,
        "applied": [1],
        "superseded": [],
        "unknown_customer": [{"id": 4, "customer_id": "zz", "decision": "category"}],
        "unknown_decision": [{"id": 5, "customer_id": "a", "decision": "tier"}],
    }


def test_without_overrides_in_force_results_are_unchanged() -> None:
    decided = results({"a": "A"})
    given = overrides(
        {
            "id": 1,
            "customer_id": "a",
            "decision": "category",
            "value": "C",
            "valid_until": date(2026, 1, 1),
        }
    )
    assert apply_overrides(decided, given, DECISIONS, AS_OF).equals(decided)
    assert apply_overrides(decided, overrides(), DECISIONS, AS_OF).equals(decided)


def test_the_newest_override_wins_and_booleans_are_overridden() -> None:
    decided = results({"a": "C"}).with_columns(pl.lit(False).alias("key_partner"))
    given = overrides(
        {
            "id": 1,
            "customer_id": "a",
            "decision": "category",
            "value": "B",
            "valid_until": date(2027, 1, 1),
        },
        {
            "id": 2,
            "customer_id": "a",
            "decision": "category",
            "value": "A",
            "valid_until": date(2027, 1, 1),
        },
        {
            "id": 3,
            "customer_id": "a",
            "decision": "key_partner",
            "value": "TRUE",
            "valid_until": date(2027, 1, 1),
        },
    )
    final = apply_overrides(decided, given, DECISIONS, AS_OF)
    row = final.row(0, named=True)
    assert (row["category"], row["category.decided"]) == ("A", "C")  # #2, not #1
    assert row["category.override"].startswith("override #2:")
    assert (row["key_partner"], row["key_partner.decided"]) == (True, False)
    assert final.schema["key_partner"] == pl.Boolean
    assert override_summary(final, given, DECISIONS, AS_OF)["superseded"] == [1]


def test_an_override_with_a_value_the_decision_cannot_give_is_an_error() -> None:
    given = overrides(
        {
            "id": 7,
            "customer_id": "a",
            "decision": "category",
            "value": "a",
            "valid_until": date(2027, 1, 1),
        }
    )
    with pytest.raises(OverrideError, match=r"override #7 .* not one of its values \(A, B, C\)"):
        apply_overrides(results({"a": "B"}), given, DECISIONS, AS_OF)
    given = overrides(
        {
            "id": 8,
            "customer_id": "a",
            "decision": "flags",
            "value": "late",
            "valid_until": date(2027, 1, 1),
        }
    )
    with pytest.raises(OverrideError, match="override #8: decision 'flags' collects values"):
        apply_overrides(results({"a": "B"}), given, {"flags": COLLECT}, AS_OF)


# --------------------------------------------------------------------------------------------
# comparing runs


def test_compare_previous_ranks_by_outcome_order() -> None:
    now = results({"a": "A", "b": "B", "c": "C", "d": "B", "e": "A"})
    before = results({"a": "B", "b": "B", "c": "A", "e": "A"}).with_columns(
        pl.when(pl.col("customer_id") == "e")
        .then(pl.lit("D"))
        .otherwise(pl.col("category"))
        .alias("category")
    )  # e had a value the ruleset no longer has
    compared = compare_previous(now, before, CATEGORY)
    assert compared.columns[:7] == [
        "customer_id",
        "name",
        "category",
        "category.rule",
        "category.because",
        "category.previous",
        "category.change",
    ]
    assert compared["category.previous"].to_list() == ["B", "B", "A", None, "D"]
    assert compared["category.change"].to_list() == ["up", "same", "down", "new", None]
    first = compare_previous(now, None, CATEGORY)
    assert first["category.change"].to_list() == ["new"] * 5
    assert first["category.previous"].dtype == pl.String


def test_compare_previous_on_booleans() -> None:
    now = pl.DataFrame({"customer_id": ["a", "b"], "key_partner": [True, False]})
    before = pl.DataFrame({"customer_id": ["a", "b"], "key_partner": [False, True]})
    compared = compare_previous(now, before, KEY)
    assert compared["key_partner.change"].to_list() == ["up", "down"]


POINTS = StoredDecision("points", (10, 2.5, 0))


def test_number_outcomes_written_as_whole_numbers_rank_like_the_ruleset_lists_them() -> None:
    """`then: 10`, `then: 2.5`, `then: 0` make a float column (10.0, 2.5, 0.0): `tierkit diff`
    showed the columns 10, 2.5, 0, 0.0, 10.0 with every 10.0 and 0.0 outside the outcomes, and
    a move from 0 to 10 was neither up nor down."""
    before = pl.DataFrame({"customer_id": ["a", "b", "c"], "points": [0.0, 10.0, 2.5]})
    now = pl.DataFrame({"customer_id": ["a", "b", "c"], "points": [10.0, 2.5, 2.5]})
    matrix = transition_matrix(before, now, POINTS)
    assert matrix.columns == ["from", "10", "2.5", "0"]
    assert matrix.rows() == [("10", 0, 1, 0), ("2.5", 0, 1, 0), ("0", 1, 0, 0)]
    assert change_counts(before, now, POINTS) == {
        "up": 1, "down": 1, "same": 1, "new": 0, "gone": 0,
    }  # fmt: skip
    compared = compare_previous(now, before, POINTS)
    assert compared["points.change"].to_list() == ["up", "down", "same"]


RUN_A = results({"a": "A", "b": "B", "c": "C", "x": "C"}, {"b": 10, "c": 30})
RUN_B = results({"a": "A", "b": "A", "c": "B", "y": "C"}, {"b": 20, "c": 40})


def test_transition_matrix_counts_customers() -> None:
    matrix = transition_matrix(RUN_A, RUN_B, CATEGORY)
    assert matrix.columns == ["from", "A", "B", "C", "(gone)"]
    assert matrix.rows() == [
        ("A", 1, 0, 0, 0),
        ("B", 1, 0, 0, 0),
        ("C", 0, 1, 0, 1),
        ("(new)", 0, 0, 1, 0),
    ]
    assert change_counts(RUN_A, RUN_B, CATEGORY) == {
        "up": 2,
        "down": 0,
        "same": 1,
        "new": 1,
        "gone": 1,
    }
    same = transition_matrix(RUN_A, RUN_A, CATEGORY)
    assert same.columns == ["from", "A", "B", "C"]
    assert same["from"].to_list() == ["A", "B", "C"]


def test_movers_name_the_rule_of_the_new_value() -> None:
    found = movers(RUN_A, RUN_B, CATEGORY, limit=10)
    assert found.select(
        "customer_id", "from", "to", "change", "steps", "rule", "because"
    ).rows() == [
        ("c", "C", "B", "up", 1, 2, "rule for B"),  # same step as b, larger value first
        ("b", "B", "A", "up", 1, 1, "rule for A"),
    ]
    assert movers(RUN_A, RUN_B, CATEGORY, limit=1)["customer_id"].to_list() == ["c"]


# --------------------------------------------------------------------------------------------
# command line


@pytest.fixture
def cli() -> Callable[..., Any]:
    app = typer.Typer()
    register(app)
    runner = CliRunner()

    def run(*args: str) -> Any:
        return runner.invoke(app, [str(a) for a in args])

    return run


@pytest.fixture
def two_runs(store: HistoryStore) -> HistoryStore:
    store.save_run(manifest("11aa", "2026-03-01"), RUN_A, DECISIONS)
    store.save_run(manifest("22bb", "2026-04-01"), RUN_B, DECISIONS)
    return store


def test_cli_runs(cli: Callable[..., Any], two_runs: HistoryStore) -> None:
    done = cli("runs", "--store", two_runs.path, "--json")
    assert done.exit_code == 0, done.output
    assert [r["run_id"] for r in json.loads(done.stdout)["runs"]] == ["22bb", "11aa"]
    done = cli("runs", "--store", two_runs.path)
    assert done.exit_code == 0 and "22bb" in done.stdout and "2026-03-01" in done.stdout


def test_cli_history(cli: Callable[..., Any], two_runs: HistoryStore) -> None:
    done = cli("history", "c", "--store", two_runs.path, "--json")
    assert done.exit_code == 0, done.output
    rows = json.loads(done.stdout)["runs"]
    assert [(r["run_id"], r["category"]) for r in rows] == [("22bb", "B"), ("11aa", "C")]
    done = cli("history", "c", "--store", two_runs.path)
    assert done.exit_code == 0 and "rule 2: rule for B" in done.stdout
    done = cli("history", "nobody", "--store", two_runs.path)
    assert done.exit_code == 2 and "customer 'nobody' is in no stored run" in done.output


def test_cli_diff(cli: Callable[..., Any], two_runs: HistoryStore) -> None:
    done = cli("diff", "previous", "latest", "--store", two_runs.path, "--json")
    assert done.exit_code == 0, done.output
    report = json.loads(done.stdout)
    assert report["decision"] == "category"
    assert report["changes"] == {"up": 2, "down": 0, "same": 1, "new": 1, "gone": 1}
    assert report["matrix"][2] == {"from": "C", "A": 0, "B": 1, "C": 0, "(gone)": 1}
    assert [m["customer_id"] for m in report["movers"]] == ["c", "b"]
    done = cli("diff", "11", "22", "--store", two_runs.path, "--decision", "category")
    assert done.exit_code == 0, done.output
    assert "from \\ to" in done.stdout and "Top movers" in done.stdout
    done = cli("diff", "11", "nope", "--store", two_runs.path)
    assert done.exit_code == 2 and "no run 'nope'" in done.output
    done = cli("diff", "11", "22", "--store", two_runs.path, "--decision", "categroy")
    assert done.exit_code == 2 and "did you mean 'category'" in done.output


def test_cli_overrides(cli: Callable[..., Any], two_runs: HistoryStore) -> None:
    path = two_runs.path
    add = (
        "overrides",
        "add",
        "c",
        "--decision",
        "category",
        "--reason",
        "merger",
        "--approved-by",
        "J. Doe",
        "--store",
        path,
    )
    done = cli(*add, "--value", "A", "--until", "2099-12-31", "--json")
    assert done.exit_code == 0, done.output
    added = json.loads(done.stdout)
    assert added["override"]["id"] == 1 and added["override"]["created_by"] == current_user()
    assert added["warnings"] == []
    done = cli(*add, "--value", "Z", "--until", "2099-12-31")
    assert done.exit_code == 2 and "not one of its values (A, B, C)" in done.output
    done = cli(*add, "--value", "A", "--until", "31.12.2099")
    assert done.exit_code == 2 and "--until: '31.12.2099' is not a date" in done.output
    done = cli(*add, "--value", "A", "--until", "2000-01-01")
    assert done.exit_code == 2 and "is in the past" in done.output
    done = cli(
        "overrides",
        "add",
        "nobody",
        "--decision",
        "category",
        "--value",
        "B",
        "--reason",
        "r",
        "--approved-by",
        "x",
        "--until",
        "2099-12-31",
        "--by",
        "ann",
        "--store",
        path,
    )
    assert done.exit_code == 0, done.output
    assert "override #2" in done.stdout
    assert "customer 'nobody' is not in the latest run" in done.output
    done = cli("overrides", "list", "--store", path, "--json")
    listed = json.loads(done.stdout)["overrides"]
    assert [(o["id"], o["status"], o["created_by"]) for o in listed] == [
        (1, "in force", current_user()),
        (2, "in force", "ann"),
    ]
    done = cli("overrides", "expire", "2", "--reason", "left", "--store", path)
    assert done.exit_code == 0 and "expired 1 override(s): #2" in done.stdout
    done = cli("overrides", "expire", "2", "--store", path)
    assert done.exit_code == 2 and "already expired" in done.output
    done = cli("overrides", "expire", "--today", "2100-01-01", "--store", path, "--json")
    assert done.exit_code == 2 and "is in the future" in done.output  # would expire #1 for good
    done = cli("overrides", "list", "--store", path, "--json")
    assert [o["id"] for o in json.loads(done.stdout)["overrides"]] == [1]  # still in force
    done = cli("overrides", "expire", "1", "--reason", "merger done", "--store", path, "--json")
    assert json.loads(done.stdout) == {"expired": [1]}
    done = cli("overrides", "list", "--all", "--store", path)
    assert done.exit_code == 0 and "expired" in done.stdout and "merger" in done.stdout
    done = cli("overrides", "audit", "--store", path, "--json")
    assert [(a["override_id"], a["action"]) for a in json.loads(done.stdout)["audit"]] == [
        (1, "add"),
        (2, "add"),
        (2, "expire"),
        (1, "expire"),
    ]


def test_cli_overrides_refuse_names_that_would_never_apply(
    cli: Callable[..., Any], two_runs: HistoryStore
) -> None:
    add = ("overrides", "add", "c", "--value", "A", "--reason", "r", "--approved-by", "x")
    rest = ("--until", "2099-12-31", "--store", two_runs.path)
    # the stored runs are of ruleset 'abc' with decisions category and key_partner
    done = cli(*add, "--decision", "categroy", *rest)
    assert done.exit_code == 2, done.output
    assert "did you mean 'category'" in done.output
    done = cli(*add, "--decision", "category", "--ruleset", "acb", *rest)
    assert done.exit_code == 2, done.output
    assert "did you mean 'abc'" in done.output
    done = cli(*add, "--decision", "category", "--ruleset", "vip-montly", *rest)
    assert done.exit_code == 2 and "did you mean 'vip-monthly'" in done.output
    # a shipped ruleset that has not run yet: its decisions are read from its file
    done = cli(*add, "--decision", "key_partner", "--ruleset", "vip-monthly", *rest)
    assert done.exit_code == 0, done.output
    done = cli(*add, "--decision", "key_partnr", "--ruleset", "vip-monthly", *rest)
    assert done.exit_code == 2 and "did you mean 'key_partner'" in done.output
    assert [r["id"] for r in two_runs.list_overrides().iter_rows(named=True)] == [1]


def test_cli_audit_reads_as_sentences(cli: Callable[..., Any], two_runs: HistoryStore) -> None:
    add = ("overrides", "add", "c", "--decision", "category", "--value", "A")
    done = cli(*add, "--reason", "merger", "--approved-by", "J. Doe", "--until", "2099-12-31",
               "--store", two_runs.path)
    assert done.exit_code == 0, done.output
    assert cli("overrides", "expire", "1", "--reason", "deal off", "--store", two_runs.path)
    done = cli("overrides", "audit", "--store", two_runs.path)
    assert done.exit_code == 0, done.output
    text = " ".join(done.stdout.replace("│", " ").split())
    assert "customer c: category = A (any ruleset) until 2099-12-31; reason: merger;" in text
    assert "deal off" in text
    assert "{" not in done.stdout  # the stored JSON is not shown as such


def test_expiring_as_of_a_day_to_come_is_refused(store: HistoryStore) -> None:
    store.add_override(
        "a", "category", "A", reason="r", approved_by="x", valid_until=date(2026, 4, 30)
    )
    # the store's clock reads 2026-04-01: one day ahead is allowed for time zones, two are not
    assert store.expire_overrides(date(2026, 4, 2)) == []
    with pytest.raises(OverrideError, match="2026-05-01, a day still to come"):
        store.expire_overrides(date(2026, 5, 1))
    assert store.active_overrides(date(2026, 4, 30))["id"].to_list() == [1]


def test_cli_names_a_corrupted_store(cli: Callable[..., Any], tmp_path: Path) -> None:
    junk = tmp_path / "junk.duckdb"
    junk.write_text("not a database at all\n" * 50)
    for args in (("runs",), ("history", "a"), ("diff", "a", "b"), ("overrides", "list")):
        done = cli(*args, "--store", junk)
        assert done.exit_code == 2, (args, done.output)
        assert f"{junk}: is not a tierkit history store" in done.output


def test_cli_on_an_empty_store(cli: Callable[..., Any], tmp_path: Path) -> None:
    done = cli("runs", "--store", tmp_path / "none.duckdb")
    assert done.exit_code == 0 and "no runs stored" in done.stdout
    done = cli("diff", "previous", "latest", "--store", tmp_path / "none.duckdb")
    assert done.exit_code == 2 and "no runs are stored yet" in done.output


def test_the_previous_run_in_the_same_order_compares_like_one_in_any_order() -> None:
    """Same customers in the same order take a shortcut (no join); it must give what the join
    gives: here by hand, and against the same previous run shuffled."""
    now = pl.DataFrame({"customer_id": ["1", "2", "9", "10"], "category": ["A", "B", "C", "A"]})
    before = pl.DataFrame(
        {"customer_id": ["1", "2", "9", "10"], "category": ["B", "B", "A", None]}
    )
    same_order = compare_previous(now, before, CATEGORY)
    shuffled = compare_previous(now, before.reverse(), CATEGORY)
    assert same_order.equals(shuffled)
    assert same_order["category.previous"].to_list() == ["B", "B", "A", None]
    assert same_order["category.change"].to_list() == ["up", "same", "down", "new"]


def test_the_last_manifest_is_stored_and_told_the_runs_replaced(store: HistoryStore) -> None:
    store.save_run(manifest("r1", "2026-04-01"), results({"a": "A"}), DECISIONS)
    told: list[list[str]] = []

    def last(replaced: list[str]) -> dict[str, Any]:
        told.append(replaced)
        return {**manifest("r2", "2026-04-01"), "replaces": replaced, "note": "timed"}

    store.save_run(manifest("r2", "2026-04-01"), results({"a": "B"}), DECISIONS, last=last)
    assert told == [["r1"]]  # called once, at the end, with the rerun's predecessor
    assert [r.run_id for r in store.runs()] == ["r2"]
    assert store.run("r2")["note"] == "timed"


def test_a_failing_last_step_stores_nothing(store: HistoryStore) -> None:
    # the evaluation waits for its results file's flush in `last`: a full disk there must
    # leave the store as it was, the earlier run included
    store.save_run(manifest("r1", "2026-04-01"), results({"a": "A"}), DECISIONS)

    def last(replaced: list[str]) -> dict[str, Any]:
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError):
        store.save_run(manifest("r2", "2026-04-01"), results({"a": "B"}), DECISIONS, last=last)
    assert [r.run_id for r in store.runs()] == ["r1"]
    assert store.results("r1")["category"].to_list() == ["A"]


def test_a_last_manifest_of_another_run_is_refused(store: HistoryStore) -> None:
    with pytest.raises(StoreError, match="its last manifest is another's"):
        store.save_run(
            manifest("r1", "2026-04-01"),
            results({"a": "A"}),
            last=lambda _: manifest("r9", "2026-04-01"),
        )
    assert store.runs() == []


def test_an_override_id_given_twice_to_expire_is_withdrawn_once(
    tmp_path: Path, cli: Callable[..., Any]
) -> None:
    """`tierkit overrides expire 1 1` withdrew #1, then said it was already expired and ended
    with 2, although an error is documented to withdraw nothing."""
    path = tmp_path / "history.duckdb"
    store = HistoryStore(path)
    for customer in ("a", "b"):
        store.add_override(customer, "category", "A", reason="r", approved_by="x",
                           valid_until=date(2099, 1, 1))
    done = cli("overrides", "expire", "1", "1", "--store", path, "--json")
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout) == {"expired": [1]}
    assert store.audit(1)["action"].to_list() == ["add", "expire"]
    assert store.list_overrides(date(2026, 1, 1))["id"].to_list() == [2]


def test_runs_of_a_ruleset_with_no_runs_does_not_say_the_store_is_empty(
    tmp_path: Path, cli: Callable[..., Any]
) -> None:
    """`tierkit runs --ruleset vip-montly` said `no runs stored in tierkit.duckdb` of a store
    holding runs of vip-monthly."""
    path = tmp_path / "history.duckdb"
    store = HistoryStore(path)
    store.save_run(manifest("r1", "2026-03-01", ruleset="vip-monthly"), results({"a": "A"}))
    store.save_run(manifest("r2", "2026-03-01", ruleset="pyramid"), results({"a": "A"}))
    done = cli("runs", "--ruleset", "vip-montly", "--store", path)
    assert done.exit_code == 0, done.output
    assert done.stdout.strip() == (
        f"no runs of ruleset 'vip-montly' stored in {path} (did you mean 'vip-monthly'?); "
        "runs are stored of pyramid, vip-monthly"
    )


def test_a_run_id_typed_in_capitals_names_the_run(tmp_path: Path) -> None:
    """`tierkit diff E1BB latest` said `no run 'E1BB'`; run ids are hexadecimal, shown in lower
    case, and E1BB is the same number as e1bb."""
    store = HistoryStore(tmp_path / "history.duckdb")
    store.save_run(manifest("e1bba542", "2026-03-01"), results({"a": "A"}))
    store.save_run(manifest("e7191ec4", "2026-04-01"), results({"a": "A"}))
    assert store.resolve("E1BB") == "e1bba542"
    with pytest.raises(UnknownRun, match="'E' matches 2 runs"):
        store.resolve("E")
