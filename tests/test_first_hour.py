"""A new user's first commands: the demo's run is visible to the next commands, the demo does
not overwrite a folder it did not write, and a missing optional engine says how to add it."""

from __future__ import annotations

import json
import sys
from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from tierkit.cli import app

DEMO = ["demo", "--customers", "200", "--months", "12", "--seed", "3", "--as-of", "2026-01-01"]


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def test_the_demo_run_is_listed_by_runs_and_found_by_report(tmp_path: Path) -> None:
    code, output = run(*DEMO, "--out", str(tmp_path / "demo"))
    assert code == 0, output
    assert "saved in" in output
    code, output = run("runs", "--json")
    assert code == 0, output
    assert '"as_of": "2026-01-01"' in output
    assert '"ruleset": "vip-monthly"' in output
    code, output = run("report", "latest", "--out", str(tmp_path / "r.html"))
    assert code == 0, output
    assert (tmp_path / "r.html").is_file()


def test_the_demo_refuses_a_folder_it_did_not_write(tmp_path: Path) -> None:
    out = tmp_path / "work"
    out.mkdir()
    (out / "budget.xlsx").write_bytes(b"mine")
    code, output = run(*DEMO, "--out", str(out))
    assert code == 2, output
    assert "budget.xlsx" in output and "--force" in output
    assert sorted(p.name for p in out.iterdir()) == ["budget.xlsx"]  # nothing written
    code, output = run(*DEMO, "--no-evaluate", "--out", str(out), "--force")
    assert code == 0, output
    assert (out / "budget.xlsx").read_bytes() == b"mine"
    assert (out / "customers.csv").is_file()


def test_the_demo_writes_again_over_its_own_output(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    assert run(*DEMO, "--no-evaluate", "--out", str(out))[0] == 0
    code, output = run(*DEMO, "--out", str(out))
    assert code == 0, output
    assert (out / "results.csv").is_file()


def test_the_durable_engine_says_how_to_install_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "demo"
    assert run(*DEMO, "--no-evaluate", "--out", str(out))[0] == 0
    monkeypatch.setitem(sys.modules, "durable", None)
    monkeypatch.setitem(sys.modules, "durable.lang", None)
    evaluate = ["evaluate", "vip-monthly", "--as-of", "2026-01-01", "--engine", "durable"]
    code, output = run(*evaluate, "--data", str(out))
    assert code == 2, output
    assert "pip install 'tierkit[durable]'" in " ".join(output.split())
    assert "Traceback" not in output


def test_explain_shows_the_override_in_force(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    assert run(*DEMO, "--out", str(out))[0] == 0
    results = pl.read_csv(out / "results.csv")
    customer = results.filter(pl.col("category") == "C")["customer_id"][0]
    until = (date.today() + timedelta(days=400)).isoformat()
    add = ["overrides", "add", customer, "--decision", "category", "--value", "A"]
    code, output = run(*add, "--reason", "Merger", "--approved-by", "J. Doe", "--until", until)
    assert code == 0, output
    explain = ["explain", "vip-monthly", customer, "--data", str(out), "--as-of", "2026-01-01"]
    code, output = run(*explain)
    assert code == 0, output
    assert "category = A  (by override #1: Merger)" in output
    assert f"approved by J. Doe, in force until {until}" in output
    assert "the rules decided C (by the default" in output
    code, output = run(*explain, "--json")
    assert code == 0, output
    [category] = [d for d in json.loads(output)[0]["decisions"] if d["decision"] == "category"]
    assert (category["value"], category["decided"]) == ("A", "C")
    assert category["override"]["reason"] == "Merger"
    assert category["override"]["approved_by"] == "J. Doe"
    assert category["override"]["valid_until"] == until
