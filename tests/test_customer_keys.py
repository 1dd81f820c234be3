"""The customer key: added on polars when distinct, turned off when two customers share one,
and a criterion may name its customers by it instead of by ``customer_id``."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from types import MappingProxyType
from typing import Any

import narwhals.stable.v2 as nw
import polars as pl
import pytest
from test_evaluate_api import AS_OF, RULESET, make_data

from tierkit.contract import CUSTOMER_KEY
from tierkit.data import keys
from tierkit.errors import PluginError
from tierkit.evaluation import evaluate
from tierkit.registry import Registry

EXPECTED = {"a": "A", "b": "A", "c": "B", "d": "C", "e": "C"}
"""test_evaluate_api's data: a 600, b 250, c 100, d 50, e nothing (of 1,000); the share ahead of
a is 0, of b 0.6, of c 0.85, of d 0.95: A below 0.8, B below 0.95."""


def _tables() -> dict[str, pl.LazyFrame]:
    return {
        "customers": pl.LazyFrame({"customer_id": ["a", "b", "c"], "name": ["A", "B", "C"]}),
        "payments": pl.LazyFrame({"customer_id": ["b", "a", "b"], "amount": [1, 2, 3]}),
        "rates": pl.LazyFrame({"currency": ["EUR"], "rate": [1.0]}),
    }


def test_every_table_with_customer_ids_gets_their_keys() -> None:
    keyed = keys.with_customer_keys(_tables())
    customers = keyed["customers"].collect()
    payments = keyed["payments"].collect()
    by_id = dict(zip(customers["customer_id"], customers[CUSTOMER_KEY], strict=True))
    assert len(set(by_id.values())) == 3
    assert payments[CUSTOMER_KEY].to_list() == [by_id["b"], by_id["a"], by_id["b"]]
    assert keyed["rates"].collect_schema().names() == ["currency", "rate"]


def _colliding(ids: pl.Expr) -> pl.Expr:
    """A key that every id of one length shares."""
    return ids.str.len_bytes().cast(pl.UInt64)


def test_two_customers_with_one_key_turn_the_key_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(keys, "key_of", _colliding)
    keyed = keys.with_customer_keys(_tables())
    assert all(CUSTOMER_KEY not in f.collect_schema().names() for f in keyed.values())


def _categories(path: Path, data: Path, **kwargs: Any) -> dict[str, str]:
    run = evaluate(path, data, as_of=AS_OF, store=None, **kwargs)
    assert CUSTOMER_KEY not in run.results.columns and "__key" not in run.values.columns
    return dict(run.results.select("customer_id", "category").iter_rows())


@pytest.fixture
def abc(tmp_path: Path) -> Path:
    path = tmp_path / "abc.yaml"
    path.write_text(RULESET)
    return path


def test_a_run_without_keys_decides_the_same(
    abc: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = make_data(tmp_path / "data")
    assert _categories(abc, data) == EXPECTED
    monkeypatch.setattr(keys, "key_of", _colliding)  # every id is one letter: no keys
    assert _categories(abc, data) == EXPECTED


def _with_compute(registry: Registry, name: str, compute: Any) -> Registry:
    original = registry.criteria[name]
    criteria = {**registry.criteria, name: dataclasses.replace(original, compute=compute)}
    return dataclasses.replace(registry, criteria=MappingProxyType(criteria))


def test_a_criterion_may_return_the_key_or_the_id(
    abc: Path, tmp_path: Path, registry: Registry
) -> None:
    data = make_data(tmp_path / "data")
    seen: list[list[str]] = []

    def by(column: str) -> Any:
        def compute(tables: Any, window: Any, params: Any) -> Any:
            payments = tables["payments"]
            seen.append(payments.collect_schema().names())
            rows = payments.filter(
                (nw.col("paid_at") >= window.start) & (nw.col("paid_at") < window.as_of)
            )
            totals = rows.group_by(column).agg(nw.col("amount").sum())
            return totals.select(
                column, nw.lit(-1).alias("period"), (nw.col("amount") / 10_000).alias("value")
            )

        return compute

    for column in ("customer_id", CUSTOMER_KEY):
        changed = _with_compute(registry, "payments.received", by(column))
        assert _categories(abc, data, registry=changed) == EXPECTED
    assert all(CUSTOMER_KEY in names for names in seen)


def test_a_result_without_customers_names_both_columns(
    abc: Path, tmp_path: Path, registry: Registry
) -> None:
    def compute(tables: Any, window: Any, params: Any) -> Any:
        return tables["payments"].select(nw.col("amount").alias("value"))

    changed = _with_compute(registry, "payments.received", compute)
    with pytest.raises(PluginError, match=r"expected customer_id \(or customer_key\), period"):
        evaluate(abc, make_data(tmp_path / "data"), as_of=AS_OF, store=None, registry=changed)
