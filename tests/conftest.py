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


@pytest.fixture
def builtin_plugins_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Load only tierkit's own plugins, so a third-party plugin installed next to tierkit (the
    docs' example, tierkit-visits, declares visits.count) cannot collide with a test's."""
    from importlib.metadata import entry_points

    from tierkit.registry import ENTRY_POINT_GROUP, ONLY_ENV

    own = [
        ep.name
        for ep in entry_points(group=ENTRY_POINT_GROUP)
        if ep.dist is not None and ep.dist.name == "tierkit"
    ]
    monkeypatch.setenv(ONLY_ENV, ",".join(sorted(set(own))))
