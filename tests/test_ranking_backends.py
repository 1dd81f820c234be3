"""Ranking on polars (sort and running sums) agrees with the window functions of DuckDB.

The vector engine ranks by sorting on polars and with ordered window functions elsewhere
(tierkit.engines.vector.expressions). Hypothesis generates populations with ties, zeros, missing
values, customers without rows, losses (negative values, a negative or zero net total) and
per-period values; every ranking function, with and without ``among`` and ``by``, must give the
same numbers on both, to the last bit.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import duckdb
import narwhals.stable.v2 as nw
import polars as pl
import pytest
from helpers import property_examples
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_evaluate_vector import AS_OF, Facts

from tierkit.contract import Column, ColumnType, Criterion, TableNeed, ValueType
from tierkit.evaluation import evaluate_tables
from tierkit.hookspecs import hookimpl
from tierkit.registry import Registry, build_registry, make_plugin_manager
from tierkit.ruleset import load_ruleset_text

RULESET = """
tierkit: 1
name: ranks
window: {period: month, periods: 3}
criteria:
  v: {use: fact.value}
  paid: {use: fact.value, per: period}
  region: {use: fact.region}
derive:
  top: top_share(v)
  cum: cum_share(v)
  pct: pct_rank(v)
  own: share(v)
  mm: minmax(v)
  z: zscore(v)
  top_payers: top_share(v, among=v > 0)
  cum_payers: cum_share(v, among=v > 0)
  month_top: top_share(paid, among=paid > 0)
  month_cum: cum_share(paid)
  month_z: zscore(paid)
  total_rank: pct_rank(sum(paid), among=top_payers <= 0.5)
  region_top: top_share(v, by=region)
  region_cum: cum_share(v, by=region)
  region_pct: pct_rank(v, by=region)
  region_own: share(v, by=region)
  region_mm: minmax(v, by=region)
  region_z: zscore(v, by=region)
  region_payers: cum_share(v, among=v > 0, by=region)
  month_region_cum: cum_share(paid, by=region)
  month_region_top: top_share(paid, among=paid > 0, by=region)
  month_region_own: share(paid, by=region)
decisions:
  c:
    rules:
      - {when: cum < 0.8, then: A}
      - {when: total_rank >= 0.5, then: B}
    default: {then: C}
"""

IDS = [f"c{i:02d}" for i in range(12)]


REGIONS = [None, "north", "south", "9", "10"]


class Regions:
    """A text criterion from the customers table, as a customer attribute would be."""

    @hookimpl
    def tierkit_criteria(self) -> Iterable[Criterion]:
        need = (TableNeed("customers", (Column("region", ColumnType.TEXT),)),)

        def compute(tables: Any, window: Any, params: Any) -> Any:
            return tables["customers"].select("customer_id", nw.col("region").alias("value"))

        return [
            Criterion(
                "fact.region",
                "Region",
                "text",
                "neither",
                "The customer's region.",
                need,
                compute,
                type=ValueType.TEXT,
                neutral=None,
                per_period=False,
            )
        ]


@pytest.fixture(scope="module")
def facts_registry() -> Registry:
    """Criteria that serve values straight from a ``facts`` table."""
    return build_registry(make_plugin_manager([("facts", Facts()), ("regions", Regions())]))


# losses and refunds are normal: negative values, a population whose net total is negative or 0
amounts = st.one_of(
    st.none(),
    st.sampled_from([0.0, 0.01, 5.0, 5.0, 100.0, -5.0, -100.0, -0.01]),
    st.floats(-1e9, 1e9),
)
rows = st.lists(
    st.tuples(st.sampled_from(IDS), st.sampled_from([-1, 0, 1, 2]), amounts),
    max_size=40,
    unique_by=lambda r: (r[0], r[1]),
)


def _values(
    registry: Registry, facts: pl.DataFrame, backend: str, customers: pl.DataFrame
) -> pl.DataFrame:
    ruleset = load_ruleset_text(RULESET, registry=registry)
    tables = on_backend({"customers": customers, "facts": facts}, backend)
    return evaluate_tables(ruleset, registry, tables, AS_OF).values


def on_backend(frames: dict[str, pl.DataFrame], backend: str) -> dict[str, nw.LazyFrame[Any]]:
    """The frames as lazy tables of ``backend`` (``polars`` or ``duckdb``, one connection)."""
    if backend == "polars":
        return {name: nw.from_native(frame.lazy()) for name, frame in frames.items()}
    con = duckdb.connect()
    tables = {}
    for name, frame in frames.items():
        con.register(f"t_{name}", frame)
        tables[name] = nw.from_native(con.sql(f"select * from t_{name}"))
    return tables


@settings(
    max_examples=property_examples(60),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    facts=rows,
    listed=st.permutations(IDS),
    numbered=st.booleans(),
    regions=st.lists(st.sampled_from(REGIONS), min_size=len(IDS), max_size=len(IDS)),
)
def test_polars_ranks_like_the_window_functions(
    facts_registry: Registry,
    facts: list[tuple[str, int, float | None]],
    listed: list[str],
    numbered: bool,
    regions: list[str | None],
) -> None:
    # customers in any order; prepared tables number them in id order (ties are broken by
    # that number on polars, by the id on DuckDB)
    customers = pl.DataFrame(
        {"customer_id": listed, "name": listed, "region": regions},
        schema={"customer_id": pl.String, "name": pl.String, "region": pl.String},
    )
    if numbered:
        customers = customers.with_columns(
            pl.col("customer_id").rank("ordinal").cast(pl.Int64).sub(1).alias("__order")
        )
    frame = pl.DataFrame(
        facts,
        schema={"customer_id": pl.String, "period": pl.Int64, "value": pl.Float64},
        orient="row",
    ).with_columns(rate=pl.lit(None, pl.Float64), flag=pl.lit(None, pl.Boolean))
    on_polars = _values(facts_registry, frame, "polars", customers)
    on_duckdb = _values(facts_registry, frame, "duckdb", customers)
    assert on_polars.columns == on_duckdb.columns
    for column in on_polars.columns:
        assert on_polars[column].to_list() == on_duckdb[column].to_list(), column
