"""The typed run manifest: stages timed in order, the JSON form, overrides only with a store."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from test_evaluate_api import AS_OF, RULESET, make_data

from tierkit.evaluation import evaluate
from tierkit.evaluation.manifest import STAGES, RunManifest, Stopwatch, process_age
from tierkit.history import HistoryStore


@pytest.fixture
def ruleset(tmp_path: Path) -> Path:
    path = tmp_path / "abc.yaml"
    path.write_text(RULESET)
    return path


def test_a_stopwatch_adds_each_lap_to_its_stage(monkeypatch: pytest.MonkeyPatch) -> None:
    ticks = iter([1.5, 2.0, 4.25])
    monkeypatch.setattr("tierkit.evaluation.manifest.time.perf_counter", lambda: next(ticks))
    watch = Stopwatch(started=0.0)
    watch.lap("load")  # 0 → 1.5
    watch.lap("save")  # 1.5 → 2.0
    watch.lap("save")  # 2.0 → 4.25, added to the same stage
    assert watch.laps == {"load": 1.5, "save": 2.75}
    assert watch.total() == 4.25


def test_the_process_age_is_known_on_linux() -> None:
    if not Path("/proc/self/stat").exists():
        pytest.skip("no /proc here")
    age = process_age()
    assert age is not None and age > 0


def test_every_stage_is_timed_in_order_with_a_store_and_an_output(
    ruleset: Path, tmp_path: Path
) -> None:
    store = tmp_path / "h.duckdb"
    out = tmp_path / "out" / "results.csv"
    run = evaluate(ruleset, make_data(tmp_path / "data"), as_of=AS_OF, store=store, out=out)
    timings = run.manifest["timings"]
    assert list(timings) == list(STAGES)  # every stage ran, in the documented order
    assert all(seconds >= 0 for seconds in timings.values())
    assert run.manifest["out"] == str(out)
    assert pl.read_csv(out)["category"].to_list() == run.results["category"].to_list()
    assert isinstance(run.record, RunManifest)
    assert run.record.as_dict() == run.manifest
    saved = HistoryStore(store).run("latest")
    assert list(saved["timings"]) == list(STAGES)  # the saving is timed in the saved manifest
    assert saved["overrides"] == {
        "in_force": 0,
        "applied": [],
        "superseded": [],
        "unknown_customer": [],
        "unknown_decision": [],
    }
    assert "replaces" not in saved


def test_without_a_store_there_is_no_history_stage_work_and_no_overrides(
    ruleset: Path, tmp_path: Path
) -> None:
    run = evaluate(ruleset, make_data(tmp_path / "data"), as_of=AS_OF)
    assert "overrides" not in run.manifest
    assert "write" not in run.manifest["timings"] and "save" not in run.manifest["timings"]
    assert run.manifest["as_of"] == "2026-04-01"
    assert run.manifest["ruleset"]["name"] == "abc"
    assert run.manifest["customers"] == 5


def test_a_rerun_lists_the_run_it_replaces(ruleset: Path, tmp_path: Path) -> None:
    data = make_data(tmp_path / "data")
    store = tmp_path / "h.duckdb"
    first = evaluate(ruleset, data, as_of=AS_OF, store=store)
    again = evaluate(ruleset, data, as_of=AS_OF, store=store)
    assert again.manifest["replaces"] == [first.manifest["run_id"]]
    assert HistoryStore(store).run("latest")["replaces"] == [first.manifest["run_id"]]


def test_an_override_is_applied_and_summarised(ruleset: Path, tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "h.duckdb")
    new_id = store.add_override(
        "e",
        "category",
        "A",
        reason="key account",
        approved_by="boss",
        valid_until=date(2026, 12, 31),
    )
    run = evaluate(ruleset, make_data(tmp_path / "data"), as_of=AS_OF, store=store)
    rows = {r["customer_id"]: r for r in run.results.iter_rows(named=True)}
    assert rows["e"]["category"] == "A" and rows["e"]["category.decided"] == "C"
    assert run.manifest["overrides"]["applied"] == [new_id]
    assert run.manifest["overrides"]["in_force"] == 1


def test_the_command_times_the_whole_process(ruleset: Path, tmp_path: Path) -> None:
    data = make_data(tmp_path / "data")
    command = [sys.executable, "-m", "tierkit", "evaluate", str(ruleset), "--data", str(data)]
    command += ["--as-of", "2026-04-01", "--store", str(tmp_path / "h.duckdb"), "--json"]
    command += ["--out", str(tmp_path / "r.parquet")]
    done = subprocess.run(command, capture_output=True, text=True, check=False, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    timings = json.loads(done.stdout)["timings"]
    assert list(timings) == list(STAGES)
    assert timings["start"] > 0  # the interpreter and the imports, before evaluate() began
