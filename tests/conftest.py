"""Shared fixtures."""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

from tierkit.registry import Registry, get_registry

# Property tests: a quick profile on a developer's machine (the README's test command stays
# within minutes on two cores), a thorough one in CI. HYPOTHESIS_PROFILE chooses either.
settings.register_profile("quick", deadline=None)
settings.register_profile("thorough", deadline=None)
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE", "thorough" if os.environ.get("CI") else "quick")
)


SPARK_TESTS = bool(os.environ.get("CI") or os.environ.get("TIERKIT_SPARK_TESTS"))
"""The Spark tests (about five minutes of one core: a Java VM, then Spark's own planning for
every run) run in CI and when TIERKIT_SPARK_TESTS is set; the README's test command on a
developer's machine stays within eight minutes on two cores without them."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """With the suite spread over processes (pytest-xdist, ``--dist loadgroup``), the Spark tests
    all run in one of them: each process that runs one starts a Java VM of its own (20-30 s)."""
    for item in items:
        if item.get_closest_marker("spark") is not None:
            item.add_marker(pytest.mark.xdist_group("spark"))
            if not SPARK_TESTS:
                item.add_marker(
                    pytest.mark.skip(
                        reason="the Spark tests run in CI (CI=true) or with TIERKIT_SPARK_TESTS=1"
                    )
                )


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
