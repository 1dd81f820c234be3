"""The built wheel installs into a fresh virtual environment and works there.

Slow (it builds a wheel and installs its dependencies), so it is marked ``slow``; ``.ci/run``
runs it.
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)],
        check=True,
    )
    [built] = out.glob("tierkit-*.whl")
    return built


def test_wheel_installs_only_the_tierkit_package(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    tops = {name.split("/")[0] for name in names}
    assert tops == {"tierkit", next(t for t in tops if t.endswith(".dist-info"))}
    assert "tierkit/rulesets/vip-monthly.yaml" in names
    assert "tierkit/schema/ruleset-1.json" in names
    assert "tierkit/plugins/payments.py" in names
    assert not any(n.startswith(("kernel/", "plugins/", "tests/")) for n in names)


def test_wheel_runs_in_a_fresh_environment(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "-q", str(wheel)], check=True)
    tierkit = venv / "bin" / "tierkit"

    def run(*args: str) -> str:
        done = subprocess.run([str(tierkit), *args], capture_output=True, text=True, cwd=tmp_path)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    assert run("--version").startswith("tierkit ")
    listing = run("plugins")
    assert "payments.received" in listing and "tierkit-strategies" in listing
    assert "is valid" in run("validate", "vip-monthly")
    # the first hour on the default install: Excel out of the box, the demo's run in the store
    run("demo", "--customers", "200", "--months", "12", "--as-of", "2026-01-01")
    assert "vip-monthly" in run("runs")
    evaluate = ("evaluate", "vip-monthly", "--data", "tierkit-demo", "--as-of", "2026-01-01")
    assert "results: r.xlsx" in run(*evaluate, "--strategy", "net-profit", "--out", "r.xlsx")
    # durable-rules is an extra (it needs a C compiler): --engine durable says how to add it
    durable = subprocess.run(
        [str(tierkit), *evaluate, "--engine", "durable"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert durable.returncode == 2, durable.stdout + durable.stderr
    assert "pip install 'tierkit[durable]'" in " ".join(durable.stderr.split())
    modules = subprocess.run(
        [
            str(python),
            "-c",
            "import importlib.util as u; "
            "print([m for m in ('kernel', 'plugins', 'rulesets') if u.find_spec(m)])",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=True,
    )
    assert modules.stdout.strip() == "[]"


def test_every_kernel_package_is_in_the_wheel() -> None:
    """A package left out of pyproject's list works from the source tree and fails installed."""
    import tomllib

    root = Path(__file__).parent.parent
    listed = set(
        tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    )
    found = {
        "tierkit" + ".".join(("", *init.parent.relative_to(root / "kernel").parts))
        for init in (root / "kernel").rglob("__init__.py")
    }
    assert found - listed == set()
