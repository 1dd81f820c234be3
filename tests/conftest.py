"""Shared fixtures."""

from __future__ import annotations

import pytest

from tierkit.registry import Registry, get_registry


@pytest.fixture(scope="session")
def registry() -> Registry:
    return get_registry()


@pytest.fixture(autouse=True)
def _history_store_in_tmp(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Commands that save runs save them in a temporary store, never in the working tree."""
    store = tmp_path_factory.mktemp("store") / "tierkit.duckdb"
    monkeypatch.setenv("TIERKIT_STORE", str(store))
