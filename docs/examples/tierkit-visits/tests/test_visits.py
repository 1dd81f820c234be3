"""Tests of the tierkit-visits plugin, on its own and inside tierkit.

Run them from this folder with ``pytest`` (``pip install -e '.[test]'`` first, or rely on the
``pythonpath`` setting in pyproject.toml, which finds the package in ``src/``).
"""

from __future__ import annotations

import tomllib
from datetime import date
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path
from typing import Any

import duckdb
import narwhals.stable.v2 as nw
import polars as pl
import pytest
from tierkit.contract import Window
from tierkit.errors import PluginError
from tierkit.evaluation import evaluate
from tierkit.registry import Registry, build_registry, make_plugin_manager

from tierkit_visits import plugin

HERE = Path(__file__).resolve().parent.parent
SAMPLE = HERE / "sample"

# Three monthly periods before 2026-04-01: 0 = January, 1 = February, 2 = March 2026.
WINDOW = Window(date(2026, 4, 1), "month", 3)

VISITS = {
    "customer_id": ["C-1", "C-1", "C-1", "C-2", "C-2", "C-3"],
    "visited_at": [
        date(2026, 1, 12),
        date(2026, 2, 3),
        date(2026, 2, 24),
        date(2026, 3, 30),
        date(2026, 4, 1),  # on the as-of date: outside the window
        date(2025, 12, 31),  # before the window
    ],
    "channel": ["onsite", "call", "Onsite", "onsite", "onsite", "onsite"],
}


def visits(frame: Any = None) -> dict[str, nw.LazyFrame[Any]]:
    """The tables argument of ``compute``: just the visits table, as a narwhals lazy frame."""
    native = pl.LazyFrame(VISITS) if frame is None else frame
    return {"visits": nw.from_native(native)}


def rows(result: nw.LazyFrame[Any]) -> list[tuple[Any, ...]]:
    frame = result.collect(backend="polars").to_native()
    return sorted(frame.select("customer_id", "period", "value").rows())


def installed() -> bool:
    try:
        distribution("tierkit-visits")
    except PackageNotFoundError:
        return False
    return True


def only_this_plugin() -> Registry:
    return build_registry(make_plugin_manager(extra=[("visits", plugin)], load_entry_points=False))


def tierkit_with_this_plugin() -> Registry:
    """tierkit's installed plugins (its data sources, above all) and this one, installed or not."""
    extra = [] if installed() else [("visits", plugin)]
    return build_registry(make_plugin_manager(extra=extra))


# --------------------------------------------------------------------------------------------
# the compute function, on plain frames


def test_counts_visits_per_period() -> None:
    result = plugin.count_visits(visits(), WINDOW, {"channel": "", "_per_period": True})
    assert rows(result) == [("C-1", 0, 1), ("C-1", 1, 2), ("C-2", 2, 1)]


def test_counts_visits_in_the_whole_window() -> None:
    result = plugin.count_visits(visits(), WINDOW, {"channel": "", "_per_period": False})
    assert rows(result) == [("C-1", -1, 3), ("C-2", -1, 1)]


def test_quarters_and_a_partial_last_period() -> None:
    # Quarters before 2026-03-15: 2025-Q3, 2025-Q4 and the partial 2026-Q1 (to 2026-03-14).
    window = Window(date(2026, 3, 15), "quarter", 3)
    frame = pl.LazyFrame(
        {
            "customer_id": ["C-1"] * 4,
            "visited_at": [
                date(2025, 6, 30),  # before the window
                date(2025, 7, 1),
                date(2026, 3, 14),
                date(2026, 3, 15),  # the as-of date
            ],
        }
    )
    result = plugin.count_visits(visits(frame), window, {"_per_period": True})
    assert rows(result) == [("C-1", 0, 1), ("C-1", 2, 1)]


def test_counts_only_one_channel_when_asked() -> None:
    result = plugin.count_visits(visits(), WINDOW, {"channel": "onsite", "_per_period": False})
    assert rows(result) == [("C-1", -1, 2), ("C-2", -1, 1)]  # "Onsite" counts too


def test_a_channel_without_the_column_is_a_clear_error() -> None:
    frame = pl.LazyFrame(VISITS).drop("channel")
    with pytest.raises(ValueError, match="needs a 'channel' column"):
        plugin.count_visits(visits(frame), WINDOW, {"channel": "onsite"})


def test_runs_unchanged_on_duckdb() -> None:
    con = duckdb.connect()
    con.register("visits_table", pl.DataFrame(VISITS).to_arrow())
    relation = con.sql("select * from visits_table")
    result = plugin.count_visits(visits(relation), WINDOW, {"channel": "", "_per_period": True})
    assert [(c, p, int(v)) for c, p, v in rows(result)] == [
        ("C-1", 0, 1),
        ("C-1", 1, 2),
        ("C-2", 2, 1),
    ]


# --------------------------------------------------------------------------------------------
# the plugin, as tierkit sees it


def test_declares_the_criterion_and_the_strategy() -> None:
    registry = only_this_plugin()
    criterion = registry.criteria["visits.count"]
    assert criterion.plugin == "visits"
    assert criterion.neutral == 0 and criterion.per_period
    assert [(n.table, [c.name for c in n.columns]) for n in criterion.needs] == [
        ("visits", ["customer_id", "visited_at", "channel"])
    ]
    assert registry.strategies["customer-intimacy"].value == "visits.count"


def test_the_entry_point_names_the_plugin_module() -> None:
    project = tomllib.loads((HERE / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["entry-points"]["tierkit"] == {"visits": "tierkit_visits.plugin"}
    if not installed():
        pytest.skip("tierkit-visits is not installed; the entry point is checked when it is")
    entry_points = distribution("tierkit-visits").entry_points
    [entry_point] = [ep for ep in entry_points if ep.group == "tierkit"]
    assert entry_point.load() is plugin


def test_a_ruleset_over_sample_data() -> None:
    run = evaluate(
        SAMPLE / "intimacy.yaml",
        SAMPLE / "data",
        as_of=date(2026, 4, 1),
        registry=tierkit_with_this_plugin(),
    )
    results = run.results.sort("customer_id")
    assert results.select("customer_id", "category", "value").rows() == [
        ("C-1001", "A", 4.0),  # visited in January, February (twice) and March
        ("C-1002", "B", 2.0),  # two visits in March, one on site
        ("C-1003", "C", 1.0),  # one call in February
        ("C-1004", "C", 0.0),  # no dated visit: the neutral value, 0
    ]
    assert run.manifest["strategy"] == "customer-intimacy"
    assert run.manifest["data"]["visits"]["skipped"] == {
        "unknown customer": 1,
        "no visited_at": 1,
        "on or after the as-of date": 1,
    }


def test_a_failing_compute_names_the_plugin(tmp_path: Path) -> None:
    (tmp_path / "customers.csv").write_text("customer_id,name\nC-1,One\n", encoding="utf-8")
    (tmp_path / "visits.csv").write_text(
        "customer_id,visited_at\nC-1,2026-01-05\n", encoding="utf-8"
    )
    # intimacy.yaml asks for channel=onsite, and this visits table has no channel column.
    with pytest.raises(PluginError, match=r"plugin 'visits'.*needs a 'channel' column"):
        evaluate(
            SAMPLE / "intimacy.yaml",
            tmp_path,
            as_of=date(2026, 4, 1),
            registry=tierkit_with_this_plugin(),
        )
