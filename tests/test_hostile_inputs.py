"""Hostile input that would exhaust memory or the stack ends in a located error, in bounded memory.

The broken-input catalogue (test_broken_catalogue.py) checks the location of each error; this
file checks what the catalogue cannot: that the process stays within a memory limit, and that
a ruleset inside the limits runs on every engine (validate and evaluate agree).
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from test_broken_catalogue import _alias_bomb


def _limited(script: str, memory: int = 2 * 1024**3) -> subprocess.CompletedProcess[str]:
    """Run ``script`` in a fresh Python whose address space is limited to ``memory`` bytes."""
    prelude = textwrap.dedent(
        f"""
        import resource
        resource.setrlimit(resource.RLIMIT_AS, ({memory}, {memory}))
        """
    )
    return subprocess.run(
        [sys.executable, "-c", prelude + textwrap.dedent(script)],
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.skipif(sys.platform == "win32", reason="resource limits are POSIX")
def test_alias_bomb_is_refused_within_two_gigabytes(tmp_path: Path) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_bytes(_alias_bomb())
    # 9 levels of 9 aliases: 9^9 = 387,420,489 strings once expanded (gigabytes)
    assert len(path.read_bytes()) < 1000
    done = _limited(
        f"""
        import sys
        from tierkit.cli import main
        sys.argv = ["tierkit", "validate", {str(path)!r}]
        main()
        """
    )
    assert done.returncode == 2, done.stderr
    assert f"{path}:8:8: aliases expand the file to more than 100,000 values" in done.stderr
    assert "MemoryError" not in done.stderr and "internal error" not in done.stderr


SHALLOW = """\
tierkit: 1
name: near-the-limits
criteria:
  tenure: {{use: tenure.months}}
derive:
  minus: "{minus}tenure > 5"
decisions:
  category:
    rules:
      - when: "{chain}"
        then: A
      - when: minus
        then: B
    default: {{then: C}}
"""


def _near_the_limits() -> str:
    """20 comparisons joined by 'or' with a 50-edge bands() last (height 97), and 95 '-'."""
    edges = ", ".join(str(months) for months in range(1, 51))
    points = ", ".join("1" if edge > 30 else "0" for edge in range(51))
    band = f"bands(tenure, [{edges}], [{points}]) > 0"  # 1 point from 31 months of tenure
    chain = " or ".join(["tenure > 100"] * 19 + [band])
    return SHALLOW.format(chain=chain, minus="-" * 95)


@pytest.mark.parametrize("engine", ["vector", "durable"])
def test_a_ruleset_just_inside_the_limits_runs(engine: str, tmp_path: Path) -> None:
    from tierkit.evaluation import evaluate

    if engine == "durable":
        pytest.importorskip("durable")
    ruleset = tmp_path / "near.yaml"
    ruleset.write_text(_near_the_limits(), encoding="utf-8")
    data = tmp_path / "data"
    data.mkdir()
    # tenure counts months since the first contract start before the as-of date 2026-01-01
    (data / "customers.csv").write_text(
        "customer_id,name,since\n9,Nine,2020-01-01\n10,Ten,2025-06-01\n11,Eleven,2025-12-01\n",
        encoding="utf-8",
    )
    # the strategy's value (working capital: cash received) is read but decides nothing here
    (data / "payments.csv").write_text(
        "customer_id,paid_at,amount\n9,2025-03-01,100.00\n10,2025-04-01,20.00\n",
        encoding="utf-8",
    )
    run = evaluate(ruleset, data, as_of="2026-01-01", engine=engine)
    got = dict(zip(run.results["customer_id"], run.results["category"], strict=True))
    # 9: 72 months -> all 50 edges passed -> points[50] = 1 -> A;
    # 10: 7 months -> 0 points; -(-...-7) with 95 minus signs is -7, not > 5 -> C;
    # 11: 1 month -> 0 points -> C.
    assert got == {"9": "A", "10": "C", "11": "C"}


def test_a_panic_in_polars_is_an_internal_error_without_a_traceback(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """pyo3's PanicException is a BaseException: it passed the CLI's error boundary and ended
    in a Python traceback with exit status 1 (a 'finding') instead of 3."""
    import polars as pl
    import typer

    from tierkit.cli.common import guarded

    @guarded
    def panics() -> None:
        raise pl.exceptions.PanicException("assertion failed: range.end as u64 <= self.size")

    with pytest.raises(typer.Exit) as info:
        panics()
    assert info.value.exit_code == 3
    said = capsys.readouterr().err
    assert said.startswith("internal error: PanicException: assertion failed"), said
    assert "Traceback" not in said
