"""tierkit.by_id.beside: columns set beside the results by customer id."""

from __future__ import annotations

import polars as pl
import pytest

from tierkit.by_id import beside

RESULTS = pl.DataFrame({"customer_id": ["9", "10", "11"], "category": ["A", "B", "C"]})


def test_the_same_ids_in_the_same_order_are_set_beside() -> None:
    other = pl.DataFrame({"customer_id": ["9", "10", "11"], "value": [3.0, 2.0, 1.0]})
    assert beside(RESULTS, other).to_dict(as_series=False) == {
        "customer_id": ["9", "10", "11"],
        "category": ["A", "B", "C"],
        "value": [3.0, 2.0, 1.0],
    }


def test_other_orders_and_missing_ids_are_joined_in_the_results_order() -> None:
    other = pl.DataFrame({"customer_id": ["11", "9", "12"], "value": [1.0, 3.0, 7.0]})
    assert beside(RESULTS, other).to_dict(as_series=False) == {
        "customer_id": ["9", "10", "11"],
        "category": ["A", "B", "C"],
        "value": [3.0, None, 1.0],
    }


def test_an_id_twice_is_refused_rather_than_doubling_a_customer() -> None:
    other = pl.DataFrame({"customer_id": ["9", "9"], "value": [1.0, 2.0]})
    with pytest.raises(pl.exceptions.ComputeError):
        beside(RESULTS, other)
