"""The kernel is fully typed (mypy strict) and the code is ruff-clean."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


@pytest.mark.slow
def test_kernel_passes_mypy_strict(tmp_path: Path) -> None:
    # The kernel lives in kernel/ but is the package `tierkit`: type-check it under that name.
    (tmp_path / "tierkit").symlink_to(ROOT / "kernel")
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
