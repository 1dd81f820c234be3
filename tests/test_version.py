"""tierkit.version.VERSION is written by hand: it must say what pyproject.toml and the
installed package say."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from importlib.metadata import version
from pathlib import Path

import tierkit
from tierkit.version import VERSION

ROOT = Path(__file__).resolve().parents[1]


def test_version_is_pyproject_version() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["version"] == VERSION


def test_version_is_installed_version() -> None:
    assert version("tierkit") == VERSION
    assert tierkit.__version__ == VERSION


def test_version_command_prints_it() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tierkit", "--version"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0
    assert VERSION in done.stdout


def test_version_reads_no_package_metadata() -> None:
    """Reading the metadata imports the e-mail parser (35 ms on every command)."""
    code = "import sys, tierkit.version; print('importlib.metadata' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
