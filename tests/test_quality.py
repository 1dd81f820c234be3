"""The kernel and the built-in plugins are fully typed (mypy strict); the code is ruff-clean."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


@pytest.mark.slow
def test_kernel_and_plugins_pass_mypy_strict(tmp_path: Path) -> None:
    # The kernel lives in kernel/ and the built-in plugins in plugins/, but they are the packages
    # `tierkit` and `tierkit.plugins`: type-check them under those names, as installed.
    package = tmp_path / "tierkit"
    package.mkdir()
    for entry in (ROOT / "kernel").iterdir():
        (package / entry.name).symlink_to(entry)
    (package / "plugins").symlink_to(ROOT / "plugins")
    done = subprocess.run(
        [
            str(BIN / "mypy"),
            "--strict",
            "--config-file",
            str(ROOT / "pyproject.toml"),
            "--cache-dir",
            str(tmp_path / "cache"),
            "-p",
            "tierkit",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "MYPYPATH": str(tmp_path)},
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_code_is_ruff_clean() -> None:
    folders = [f for f in ("kernel", "plugins", "tests", "bench", "docs") if (ROOT / f).is_dir()]
    done = subprocess.run(
        [str(BIN / "ruff"), "check", "--output-format", "concise", *folders],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stdout + done.stderr
