"""The example plugin package (docs/examples/tierkit-visits) installs, is found through its entry
point, and works in ``tierkit evaluate`` with a table tierkit does not know.

The package is built into a wheel with pip (as a user would install it), unpacked into a
temporary folder, and put on ``PYTHONPATH`` of ``python -m tierkit`` subprocesses: its
``.dist-info`` makes the entry point visible without touching the test environment. Building
takes a few seconds, so those tests are marked ``slow`` (``.ci/run`` runs them).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "docs" / "examples" / "tierkit-visits"
WALKTHROUGH = ROOT / "docs" / "writing-a-criterion-plugin.md"

CUSTOMERS = """\
customer_id,name
K1,Alder
K2,Birch
K3,Cedar
K4,Dogwood
"""

# As of 2026-07-01, two quarters: period 0 = 2026-Q1, period 1 = 2026-Q2.
VISITS = """\
customer_id,visited_at
K1,2026-01-15
K1,2026-02-15
K1,2026-05-01
K1,
K2,2026-04-10
K2,2026-06-30
K2,2026-07-01
K3,2025-12-31
K3,2026-03-31
K9,2026-02-01
"""

RULESET = """\
tierkit: 1
name: visits-test
strategy: customer-intimacy
window: {period: quarter, periods: 2}
criteria:
  visits: {use: visits.count, per: period}
  total: {use: value}
derive:
  steady: all(visits >= 1)
decisions:
  category:
    rules:
      - {when: steady, then: A, because: "Visited every quarter"}
      - {when: "total >= 2", then: B}
      - {when: "total >= 1", then: C}
    default: {then: D}
"""


# --------------------------------------------------------------------------------------------
# installing the example


def _copy_example(target: Path) -> Path:
    """A clean copy, so that building leaves nothing behind in docs/examples."""
    ignore = shutil.ignore_patterns("build", "dist", "*.egg-info", "__pycache__", ".*cache")
    shutil.copytree(EXAMPLE, target, ignore=ignore)
    return target


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = _copy_example(tmp_path_factory.mktemp("example") / "tierkit-visits")
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(source)],
        check=True,
        capture_output=True,
    )
    [built] = out.glob("tierkit_visits-*.whl")
    return built


@pytest.fixture(scope="module")
def site(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding the installed package, as pip would lay it out in site-packages."""
    folder = tmp_path_factory.mktemp("site")
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(folder)
    return folder


def _env(site: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TIERKIT_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(site), env.get("PYTHONPATH")]))
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["COLUMNS"] = "120"
    return env


def tierkit(site: Path, *args: str, cwd: Path, code: int = 0) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "tierkit", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=_env(site),
    )
    assert done.returncode == code, done.stdout + done.stderr
    return done


# --------------------------------------------------------------------------------------------
# the installed plugin


@pytest.mark.slow
def test_wheel_holds_the_package_and_its_entry_point(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        [entry_points] = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
        declared = archive.read(entry_points).decode()
    assert "tierkit_visits/plugin.py" in names
    assert {n.split("/")[0] for n in names} == {"tierkit_visits", "tierkit_visits-0.1.0.dist-info"}
    assert "[tierkit]\nvisits = tierkit_visits.plugin" in declared


@pytest.mark.slow
def test_tierkit_plugins_finds_it_through_its_entry_point(site: Path, tmp_path: Path) -> None:
    listing = json.loads(tierkit(site, "plugins", "--json", cwd=tmp_path).stdout)
    plugins = {p["name"]: p for p in listing["plugins"]}
    assert plugins["visits"]["package"] == "tierkit-visits"
    assert plugins["visits"]["version"] == "0.1.0"
    assert plugins["visits"]["hooks"] == ["tierkit_criteria", "tierkit_strategies"]
    criteria = {c["name"]: c for c in listing["criteria"]}
    assert criteria["visits.count"]["plugin"] == "visits"
    assert criteria["visits.count"]["needs"] == {"visits": ["customer_id", "visited_at", "channel"]}
    strategies = {s["name"]: s for s in listing["strategies"]}
    assert strategies["customer-intimacy"]["value"] == "visits.count"
    assert "payments.received" in criteria  # the built-ins are still there


def _results(path: Path) -> dict[str, dict[str, Any]]:
    rows = json.loads(path.read_text(encoding="utf-8"))
    return {row["customer_id"]: row for row in rows}


@pytest.mark.slow
def test_evaluate_with_the_plugins_criterion_strategy_and_table(site: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "customers.csv").write_text(CUSTOMERS, encoding="utf-8")
    (data / "visits.csv").write_text(VISITS, encoding="utf-8")
    (tmp_path / "visits.yaml").write_text(RULESET, encoding="utf-8")
    args = ["visits.yaml", "--data", "data", "--as-of", "2026-07-01"]
    done = tierkit(site, "evaluate", *args, "--json", "--out", "results.json", cwd=tmp_path)
    manifest = json.loads(done.stdout)

    # By hand: K1 visits 2 + 1 in Q1 + Q2, K2 0 + 2 (its 2026-07-01 visit is on the as-of date),
    # K3 1 + 0 (its 2025-12-31 visit is before the window), K4 none: the neutral value, 0.
    results = _results(tmp_path / "results.json")
    assert {k: (r["category"], r["total"], r["value"]) for k, r in results.items()} == {
        "K1": ("A", 3.0, 3.0),
        "K2": ("B", 2.0, 2.0),
        "K3": ("C", 1.0, 1.0),
        "K4": ("D", 0.0, 0.0),
    }
    assert results["K1"]["category.because"] == "Visited every quarter"
    assert manifest["strategy"] == "customer-intimacy"
    assert {"name": "visits", "package": "tierkit-visits", "version": "0.1.0"} in (
        manifest["plugins"]
    )
    # The plugin's own table gets the bad-data rules; its main date is visited_at.
    assert manifest["data"]["visits"] == {
        "origin": "data/visits.csv",
        "rows": 10,
        "used": 7,
        "skipped": {"unknown customer": 1, "no visited_at": 1, "on or after the as-of date": 1},
        "first_date": "2025-12-31",
        "last_date": "2026-06-30",
        "negative": {},
        "warnings": [],
    }
    categories = {c["category"]: (c["customers"], c["value"]) for c in manifest["categories"]}
    assert categories == {"A": (1, 3.0), "B": (1, 2.0), "C": (1, 1.0), "D": (1, 0.0)}


@pytest.mark.slow
def test_a_missing_plugin_table_is_reported(site: Path, tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "customers.csv").write_text(CUSTOMERS, encoding="utf-8")
    (tmp_path / "visits.yaml").write_text(RULESET, encoding="utf-8")
    args = ["visits.yaml", "--data", "data", "--as-of", "2026-07-01"]
    done = tierkit(site, "evaluate", *args, cwd=tmp_path, code=2)
    assert "no table 'visits' (needed by visits.count)" in done.stderr


@pytest.mark.slow
def test_the_readmes_sample_runs(site: Path, tmp_path: Path) -> None:
    readme = (EXAMPLE / "README.md").read_text(encoding="utf-8")
    command = "tierkit evaluate sample/intimacy.yaml --data sample/data --as-of 2026-04-01"
    assert command in readme
    copy = _copy_example(tmp_path / "tierkit-visits")
    done = tierkit(site, *command.split()[1:], "--json", cwd=copy)
    categories = json.loads(done.stdout)["categories"]
    assert [(c["category"], c["customers"], c["value"]) for c in categories] == [
        ("A", 1, 4.0),
        ("B", 1, 2.0),
        ("C", 2, 1.0),
    ]


@pytest.mark.slow
def test_the_examples_own_tests_pass_against_the_installed_package(
    site: Path, tmp_path: Path
) -> None:
    copy = _copy_example(tmp_path / "tierkit-visits")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs"],
        capture_output=True,
        text=True,
        cwd=copy,
        env=_env(site),
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "skipped" not in done.stdout, done.stdout  # installed: the entry point is checked


# --------------------------------------------------------------------------------------------
# the walk-through shows the example as it is


def excerpts() -> list[tuple[str, str]]:
    """``(path, code)`` for each block marked ``<!-- from: path -->`` in the walk-through."""
    text = WALKTHROUGH.read_text(encoding="utf-8")
    pattern = r"^<!-- from: ([\w./-]+) -->[^\n]*\n```\w*\n(.*?)^```$"
    return re.findall(pattern, text, flags=re.M | re.S)


def test_walkthrough_shows_every_file_of_the_example() -> None:
    shown = {path for path, _ in excerpts()}
    assert shown >= {
        "pyproject.toml",
        "src/tierkit_visits/plugin.py",
        "sample/intimacy.yaml",
        "tests/test_visits.py",
    }


@pytest.mark.parametrize("path,code", excerpts(), ids=[p for p, _ in excerpts()])
def test_walkthrough_excerpt_is_in_the_example(path: str, code: str) -> None:
    source = (EXAMPLE / path).read_text(encoding="utf-8")
    assert code in source, f"docs/writing-a-criterion-plugin.md shows {path} differently"
