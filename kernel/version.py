"""The installed tierkit's version, in a module that imports nothing of tierkit."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    VERSION = version("tierkit")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    VERSION = "0.0.0"
