"""The benchmark command runs at a tiny size and every implementation agrees, customer by
customer (bench/run.py fails otherwise). No timing is asserted: this only guards the command."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_bench_runs_and_all_implementations_agree(tmp_path: Path) -> None:
    pytest.importorskip("pandas")
    doc = tmp_path / "performance.md"
    doc.write_text(
        "# Performance\n\nWritten by hand.\n\n"
        "<!-- bench:start -->\nstale table\n<!-- bench:end -->\n"
    )
    command = [sys.executable, str(ROOT / "bench" / "run.py"), "--sizes", "2k", "--repeat", "1"]
    command += ["--data-root", str(tmp_path / "data"), "--doc", str(doc), "--source", "synthetic"]
    command += ["--json", str(tmp_path / "bench.json")]
    done = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "results agree, customer by customer" in done.stdout
    text = doc.read_text()
    assert text.startswith("# Performance\n\nWritten by hand.")  # only the marked part changes
    assert "stale table" not in text
    assert "### 2,000 customers / 40,000 payments" in text
    for label in (
        "tierkit, history on, CSV out",
        "tierkit, history on, Parquet out",
        "tierkit --no-store, Parquet out",
        "tierkit --backend duckdb, history on, Parquet out",
        "hand-written polars",
        "hand-written DuckDB SQL",
        "hand-written pandas",
    ):
        assert f"| {label} |" in text
    assert "tierkit, history on, CSV out, stages of the whole process" in text
    assert "tierkit (durable engine)" in text  # measured, or why not


def test_data_is_deterministic_and_exactly_sized(tmp_path: Path) -> None:
    sys.path.insert(0, str(ROOT))
    try:
        from bench.data import ensure_data
    finally:
        sys.path.remove(str(ROOT))
    first = ensure_data(300, seed=3, root=tmp_path / "a")
    again = ensure_data(300, seed=3, root=tmp_path / "b")
    customers = pl.read_parquet(first / "customers.parquet")
    payments = pl.read_parquet(first / "payments.parquet")
    assert customers.height == 300
    assert payments.height == 20 * 300
    assert payments.equals(pl.read_parquet(again / "payments.parquet"))
    assert payments["customer_id"].is_in(customers["customer_id"].implode()).all()
