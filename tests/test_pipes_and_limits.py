"""Commands piped into ``head`` end quietly; runs that grow with the population are bounded."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tierkit.evaluation import evaluate, limits
from tierkit.evaluation.limits import MAX_PERIOD_ROWS, PopulationLimit

TIERKIT = f"{shlex.quote(sys.executable)} -m tierkit"
TIERKIT_ARGS = (sys.executable, "-m", "tierkit")
AS_OF = ("--as-of", "2026-07-01")

PER_PERIOD = """
tierkit: 1
name: per-period
window: {period: month, periods: PERIODS}
criteria:
  paid: {use: payments.received, per: period}
derive:
  total: sum(paid)
decisions:
  category:
    rules:
      - {when: total > 0, then: A}
    default: {then: C}
"""


def _data(folder: Path, customers: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    rows = "".join(f"c{i},Customer {i}\n" for i in range(customers))
    (folder / "customers.csv").write_text("customer_id,name\n" + rows)
    (folder / "payments.csv").write_text("customer_id,paid_at,amount\nc1,2026-06-15,5\n")
    return folder


def _shell(command: str) -> subprocess.CompletedProcess[str]:
    """``command`` in bash, with the exit status of each part of its pipeline."""
    return subprocess.run(
        ["bash", "-c", command + '; echo "status ${PIPESTATUS[*]}" >&2'],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "COLUMNS": "80"},
    )


@pytest.mark.parametrize(
    "command",
    [
        "evaluate abc-pareto --data {data} --as-of 2026-07-01 --no-store | head -n 1",
        "evaluate abc-pareto --data {data} --as-of 2026-07-01 --no-store --json | head -n 1",
        "validate --json abc-pareto | head -c 10",
        "rulesets | head -n 1",
        "--help | head -n 1",
    ],
)
def test_a_pipe_closed_early_ends_quietly(command: str, tmp_path: Path) -> None:
    data = _data(tmp_path / "data", 3)
    done = _shell(f"{TIERKIT} " + command.format(data=shlex.quote(str(data))))
    assert "status 0 0" in done.stderr, done.stderr
    assert "internal error" not in done.stderr and "Traceback" not in done.stderr
    assert done.stdout.strip()


def test_a_reader_gone_before_the_first_line(tmp_path: Path) -> None:
    """The reader closes the pipe before tierkit writes anything: every write fails."""
    data = _data(tmp_path / "data", 30)
    reader, writer = os.pipe()
    os.close(reader)  # nobody will ever read
    command = [sys.executable, "-m", "tierkit", "evaluate", "abc-pareto", "--data", str(data)]
    done = subprocess.run(
        [*command, "--as-of", "2026-07-01", "--no-store"],
        stdout=writer,
        stderr=subprocess.PIPE,
        text=True,
        timeout=300,
    )
    os.close(writer)
    assert done.returncode == 0, done.stderr
    assert "internal error" not in done.stderr and "Traceback" not in done.stderr


def test_a_full_disk_on_standard_output_is_exit_2() -> None:
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full here")
    done = _shell(f"{TIERKIT} rulesets > /dev/full")
    assert "status 2" in done.stderr, done.stderr
    assert "the disk is full" in done.stderr and "internal error" not in done.stderr


# --------------------------------------------------------------------------------------------
# customers × periods


def test_fifty_years_of_months_for_35000_customers_is_refused_early(tmp_path: Path) -> None:
    """35,000 × 600 = 21,000,000 customer periods, over the limit: refused in about a second,
    before any criterion is computed."""
    ruleset = tmp_path / "fifty-years.yaml"
    ruleset.write_text(PER_PERIOD.replace("PERIODS", "600"))
    data = _data(tmp_path / "data", 35_000)
    done = subprocess.run(
        [*TIERKIT_ARGS, "evaluate", str(ruleset), "--data", str(data), *AS_OF, "--no-store"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    said = " ".join(done.stderr.split())
    assert f"{ruleset}: 35,000 customers × 600 monthly periods" in said
    assert "21,000,000 customer periods; a run holds at most 20,000,000" in said
    assert "use at most 571 periods" in said  # 20,000,000 // 35,000


def test_the_limit_counts_the_longest_per_period_criterion(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = PER_PERIOD.replace("PERIODS", "3").replace(
        "paid: {use: payments.received, per: period}",
        "paid: {use: payments.received, per: period, periods: 10}",
    )
    ruleset = tmp_path / "r.yaml"
    ruleset.write_text(text)
    data = _data(tmp_path / "data", 4)
    monkeypatch.setattr(limits, "MAX_PERIOD_ROWS", 39)  # 4 customers × 10 periods = 40
    with pytest.raises(PopulationLimit, match="4 customers × 10 monthly periods"):
        evaluate(ruleset, data, as_of="2026-07-01")
    monkeypatch.setattr(limits, "MAX_PERIOD_ROWS", 40)
    run = evaluate(ruleset, data, as_of="2026-07-01")
    assert dict(run.results.select("customer_id", "category").iter_rows()) == {
        "c0": "C",
        "c1": "A",
        "c2": "C",
        "c3": "C",
    }


def test_rulesets_without_per_period_criteria_have_no_such_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ruleset = tmp_path / "r.yaml"
    ruleset.write_text(
        PER_PERIOD.replace("PERIODS", "600")
        .replace(", per: period", "")
        .replace("sum(paid)", "paid")
    )
    monkeypatch.setattr(limits, "MAX_PERIOD_ROWS", 1)
    run = evaluate(ruleset, _data(tmp_path / "data", 3), as_of="2026-07-01")
    assert run.results["category"].to_list() == ["C", "A", "C"]
    assert MAX_PERIOD_ROWS == 20_000_000  # the documented limit
