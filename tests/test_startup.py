"""Start-up imports only what a command needs.

``tierkit --version`` and ``--help`` build the whole command line, and ``tierkit evaluate``
needs polars and the ruleset machinery, but none of them needs numpy, pyarrow, DuckDB, pandas,
the demo generators, the report, explanations, examples or the durable engine: importing those
cost half a second and 100 MB on every command. Each check runs in a fresh interpreter, since
this one has imported everything already.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

ROOT = Path(__file__).resolve().parent.parent

FORBIDDEN = (
    "numpy",
    "pyarrow",
    "duckdb",
    "pandas",
    "tierkit.demo.generate",
    "tierkit.demo.spec",
    "tierkit.report",
    "tierkit.evaluation.explain",
    "tierkit.evaluation.examples",
    "tierkit.engines.durable",
)
"""Modules that neither start-up nor ``tierkit evaluate ... --no-store`` may import."""

NOT_AT_START = (
    "polars",
    "narwhals",
    "pydantic",
    "rich",
    "tierkit.evaluation",
    "tierkit.history",
)
"""Needed by commands that read rulesets or data, but not to build the command line."""

LOADED = """
import json, sys
print(json.dumps(sorted(m for m in sys.modules if m in {modules!r})))
"""


def _run(code: str, cwd: Path) -> tuple[str, list[str]]:
    """Run ``code`` in a new interpreter: its output, and which of the watched modules it
    imported (printed last, as JSON)."""
    watched = set(FORBIDDEN) | set(NOT_AT_START)
    done = subprocess.run(
        [sys.executable, "-c", code + LOADED.format(modules=watched)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    *output, last = done.stdout.splitlines()
    return "\n".join(output), json.loads(last)


def test_the_command_line_and_the_package_start_without_heavy_imports(tmp_path: Path) -> None:
    code = f"""
import json, sys

import typer.main

import tierkit.cli

command = typer.main.get_command(tierkit.cli.app)
assert "evaluate" in command.commands and "demo" in command.commands
print(json.dumps(sorted(m for m in sys.modules if m in {set(NOT_AT_START)!r})))

import tierkit

assert callable(tierkit.evaluate) and tierkit.Run.__name__ == "Run"
assert tierkit.HistoryStore.__name__ == "HistoryStore"
"""
    output, loaded = _run(code, tmp_path)
    at_start = json.loads(output.splitlines()[-1])
    assert at_start == [], f"building the command line imported {at_start}"
    assert "polars" in loaded  # tierkit.evaluate did import the evaluation, polars with it
    assert [m for m in loaded if m in FORBIDDEN] == []


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, list[str]]:
    """``tierkit evaluate RULESET --data FOLDER --no-store --out results.parquet`` on five
    customers, in a new interpreter: the folder, the output and the watched modules imported."""
    folder = tmp_path_factory.mktemp("startup")
    data = folder / "data"
    data.mkdir()
    (data / "customers.csv").write_text(
        "customer_id,name\na,Alpha\nb,Beta\nc,Gamma\nd,Delta\ne,Epsilon\n"
    )
    (data / "payments.csv").write_text(
        "customer_id,paid_at,amount\n"
        "a,2026-01-10,400.00\na,2026-03-31,200.00\nb,2026-02-01,250\n"
        "c,2026-01-01,60.5\nd,2026-03-01,50\n"
    )
    shutil.copy(ROOT / "bench" / "abc-6m.yaml", folder / "abc-6m.yaml")
    arguments = [
        "evaluate",
        "abc-6m.yaml",
        "--data",
        "data",
        "--as-of",
        "2026-04-01",
        "--no-store",
        "--out",
        "results.parquet",
    ]
    code = f"""
from tierkit.cli import app

try:
    app({arguments!r}, prog_name="tierkit")
except SystemExit as exit:
    assert not exit.code, exit.code
"""
    output, loaded = _run(code, folder)
    return folder, output, loaded


def test_evaluate_writes_the_results(evaluated: tuple[Path, str, list[str]]) -> None:
    folder, output, _ = evaluated
    assert "results: results.parquet" in output
    results = pl.read_parquet(folder / "results.parquet").sort("customer_id")
    # received 600, 250, 60.5, 50, 0: the first 80% are a and b, the next 15% c and d
    assert results["category"].to_list() == ["A", "A", "B", "B", "C"]


def test_evaluate_imports_nothing_it_does_not_need(evaluated: tuple[Path, str, list[str]]) -> None:
    _, _, loaded = evaluated
    assert "polars" in loaded
    # numpy and pyarrow stay out: polars only asks whether they are installed
    # (importlib.util.find_spec, in polars._dependencies), and DataFrame.write_parquet writes
    # without them. duckdb is imported only to open a DuckDB file or the history store.
    assert [m for m in loaded if m in FORBIDDEN] == []


def test_the_console_entry_point_keeps_exit_codes_and_output(tmp_path: Path) -> None:
    # main() freezes the objects alive at exit (a faster exit); the command's exit code and
    # output are unchanged, for success and for bad input
    ok = subprocess.run(
        [sys.executable, "-m", "tierkit", "--version"], capture_output=True, text=True
    )
    assert ok.returncode == 0 and ok.stdout.startswith("tierkit ")
    broken = tmp_path / "broken.yaml"
    broken.write_text("tierkit: 1\nname: [\n")
    bad = subprocess.run(
        [sys.executable, "-m", "tierkit", "validate", str(broken)], capture_output=True, text=True
    )
    assert bad.returncode == 2
    assert f"{broken}:" in bad.stdout + bad.stderr


def test_validate_imports_no_polars_nor_narwhals_nor_rich(tmp_path: Path) -> None:
    # loading a ruleset loads every plugin; the built-in plugins import polars and narwhals
    # only when they compute, so `tierkit validate` needs neither; it prints no table, so it
    # needs no rich either (the commands that print tables import it when they do)
    ruleset = ROOT / "rulesets" / "abc-pareto.yaml"
    code = f"""
from tierkit.cli import app

try:
    app(["validate", {str(ruleset)!r}], prog_name="tierkit")
except SystemExit as exit:
    assert not exit.code, exit.code
"""
    output, loaded = _run(code, tmp_path)
    assert "is valid" in output
    assert "polars" not in loaded and "narwhals" not in loaded, loaded
    assert "rich" not in loaded, loaded
    assert [m for m in loaded if m in FORBIDDEN] == []
