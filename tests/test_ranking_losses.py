"""Ranking with losses and within groups, against hand-computed tables, on polars and DuckDB.

``cum_share`` and ``share`` are shares of the positive total (the sum of max(x, 0)): losses
never push a share above 1, a negative net total does not make everyone A, and a net total
of 0 still ranks. ``by=`` ranks each group of a customer attribute on its own.
"""

from __future__ import annotations

import functools
from typing import Any

import narwhals.stable.v2 as nw
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_evaluate_vector import AS_OF, Facts
from test_ranking_backends import Regions, on_backend
from test_ranking_backends import facts_registry as facts_registry

from tierkit.engines.vector.expressions import Compiler
from tierkit.engines.vector.frames import Frames
from tierkit.evaluation import evaluate_tables
from tierkit.registry import Registry, build_registry, make_plugin_manager
from tierkit.ruleset import load_ruleset_text

BACKENDS = ["polars", "duckdb"]

HEAD = """
tierkit: 1
name: losses
window: {period: month, periods: 3}
criteria:
  v: {use: fact.value}
  paid: {use: fact.value, per: period}
  region: {use: fact.region}
"""

SHARES = """
derive:
  cum: cum_share(v)
  own: share(v)
  top: top_share(v)
decisions:
  abc:
    rules:
      - {when: cum < 0.8, then: A}
      - {when: cum < 0.95, then: B}
    default: {then: C}
"""


def evaluate(
    registry: Registry,
    body: str,
    values: dict[str, float],
    backend: str,
    *,
    regions: dict[str, str | None] | None = None,
    months: dict[tuple[str, int], float] | None = None,
) -> dict[str, dict[str, Any]]:
    """The run's values by customer: ``values`` are per customer (period -1), ``months`` per
    customer and period (0, 1, 2)."""
    ids = list(values) if values else sorted({c for c, _ in months or {}})
    customers = pl.DataFrame(
        {
            "customer_id": ids,
            "name": ids,
            "region": [(regions or {}).get(c) for c in ids],
        },
        schema={"customer_id": pl.String, "name": pl.String, "region": pl.String},
    )
    rows = [(c, -1, v) for c, v in values.items()]
    rows += [(c, p, v) for (c, p), v in (months or {}).items()]
    facts = pl.DataFrame(
        rows,
        schema={"customer_id": pl.String, "period": pl.Int64, "value": pl.Float64},
        orient="row",
    ).with_columns(rate=pl.lit(None, pl.Float64), flag=pl.lit(None, pl.Boolean))
    ruleset = load_ruleset_text(HEAD + body, registry=registry)
    tables = on_backend({"customers": customers, "facts": facts}, backend)
    result = evaluate_tables(ruleset, registry, tables, AS_OF).values
    return {r["customer_id"]: r for r in result.iter_rows(named=True)}


def column(found: dict[str, dict[str, Any]], name: str) -> dict[str, Any]:
    return {c: row[name] for c, row in found.items()}


def r12(x: float) -> float:
    """Ranking results are rounded to 12 decimals."""
    return round(x, 12)


@pytest.mark.parametrize("backend", BACKENDS)
def test_losses_rank_last_and_shares_stay_within_the_positive_total(
    facts_registry: Registry,
    backend: str,
) -> None:
    # order: a 500, c 300, e 100, d 0, b -200; positive total 900 (net 700)
    found = evaluate(
        facts_registry,
        SHARES,
        {"a": 500.0, "b": -200.0, "c": 300.0, "d": 0.0, "e": 100.0},
        backend,
    )
    # held ahead: a 0, c 500, e 800, d 900, b 900 (a loss-maker has everything positive ahead)
    assert column(found, "cum") == {
        "a": 0.0,
        "b": 1.0,
        "c": r12(500 / 900),
        "d": 1.0,
        "e": r12(800 / 900),
    }
    # own share of the positive total; a loss is a negative share: -200 / 900
    assert column(found, "own") == {
        "a": r12(500 / 900),
        "b": r12(-200 / 900),
        "c": r12(300 / 900),
        "d": 0.0,
        "e": r12(100 / 900),
    }
    # a, c (0.56) under 0.8: A; e 0.89: B; d and b 1.0: C
    assert column(found, "abc") == {"a": "A", "b": "C", "c": "A", "d": "C", "e": "B"}


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_negative_net_total_does_not_make_everyone_a(
    facts_registry: Registry,
    backend: str,
) -> None:
    # a 100, c 50, b -300: net -150, positive 150; ahead: a 0, c 100, b 150
    found = evaluate(facts_registry, SHARES, {"a": 100.0, "b": -300.0, "c": 50.0}, backend)
    assert column(found, "cum") == {"a": 0.0, "b": 1.0, "c": r12(100 / 150)}
    assert column(found, "own") == {"a": r12(100 / 150), "b": -2.0, "c": r12(50 / 150)}
    assert column(found, "abc") == {"a": "A", "b": "C", "c": "A"}


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_net_total_of_zero_still_ranks(
    facts_registry: Registry,
    backend: str,
) -> None:
    # net 100 - 100 = 0, positive total 100
    found = evaluate(facts_registry, SHARES, {"a": 100.0, "b": -100.0}, backend)
    assert column(found, "cum") == {"a": 0.0, "b": 1.0}
    assert column(found, "own") == {"a": 1.0, "b": -1.0}
    assert column(found, "abc") == {"a": "A", "b": "C"}


@pytest.mark.parametrize("backend", BACKENDS)
def test_only_losses_leave_shares_missing(
    facts_registry: Registry,
    backend: str,
) -> None:
    # no positive value: no share of a positive total exists; positions still do
    found = evaluate(facts_registry, SHARES, {"a": -10.0, "b": -20.0, "c": 0.0}, backend)
    assert column(found, "cum") == {"a": None, "b": None, "c": None}
    assert column(found, "own") == {"a": None, "b": None, "c": None}
    assert column(found, "top") == {"c": r12(1 / 3), "a": r12(2 / 3), "b": 1.0}
    assert column(found, "abc") == {"a": "C", "b": "C", "c": "C"}


@pytest.mark.parametrize("backend", BACKENDS)
def test_ties_and_losses_keep_the_id_order(
    facts_registry: Registry,
    backend: str,
) -> None:
    # a and b tie at 100 (a first), c and d tie at -50; positive total 200
    found = evaluate(
        facts_registry, SHARES, {"d": -50.0, "c": -50.0, "b": 100.0, "a": 100.0}, backend
    )
    assert column(found, "cum") == {"a": 0.0, "b": 0.5, "c": 1.0, "d": 1.0}
    assert column(found, "top") == {"a": 0.25, "b": 0.5, "c": 0.75, "d": 1.0}
    assert column(found, "own") == {"a": 0.5, "b": 0.5, "c": -0.25, "d": -0.25}


MONTHS = """
derive:
  month_cum: cum_share(paid)
  month_own: share(paid)
  a_month: month_cum < 0.8
  ever_a: any(a_month)
decisions:
  abc: {rules: [{when: ever_a, then: A}], default: {then: C}}
"""


@pytest.mark.parametrize("backend", BACKENDS)
def test_each_month_ranks_against_its_own_positive_total(
    facts_registry: Registry,
    backend: str,
) -> None:
    months = {
        ("a", 0): 100.0,
        ("b", 0): 50.0,
        ("c", 0): 0.0,
        ("a", 1): -300.0,  # month 1: net 100 - 50 - 300 = -250, positive 100
        ("b", 1): 100.0,
        ("c", 1): -50.0,
        ("a", 2): 0.0,  # month 2: nothing positive
        ("b", 2): 0.0,
        ("c", 2): 0.0,
    }
    ruleset = load_ruleset_text(HEAD + MONTHS, registry=facts_registry)
    assert ruleset.derived["month_cum"].expr.type.per_period
    found = evaluate(facts_registry, MONTHS, {}, backend, months=months)
    # ever_a: a (month 0 at 0), b (month 0 at 100/150, month 1 at 0); c never below 1
    assert column(found, "ever_a") == {"a": True, "b": True, "c": False}
    assert column(found, "abc") == {"a": "A", "b": "A", "c": "C"}


def derive_frames(
    registry: Registry,
    body: str,
    customers: pl.DataFrame,
    periods: pl.DataFrame,
    backend: str,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The derived facts of ``body`` computed on given frames (per customer, per period)."""
    ruleset = load_ruleset_text(HEAD + body, registry=registry)
    frames = Frames.of_values(customers, periods)
    if backend == "duckdb":  # the frames' own spelling of names, on DuckDB
        native = {"c": frames.customers, "p": frames.periods}
        tables = on_backend({k: nw.to_native(f).collect() for k, f in native.items()}, backend)
        frames.customers, frames.periods = tables["c"], tables["p"]
    compiler = Compiler(frames, registry.functions)
    for step in ruleset.order:
        if step.kind == "derive":
            compiler.column(ruleset.derived[step.name].expr, step.name)
    found = frames.collect_periods()
    assert found is not None
    return frames.collect_customers(), found


@pytest.mark.parametrize("backend", BACKENDS)
def test_each_month_per_period_values(
    facts_registry: Registry,
    backend: str,
) -> None:
    body = """
derive:
  month_cum: cum_share(paid)
  month_own: share(paid)
decisions:
  abc: {rules: [{when: v > 0, then: A}], default: {then: C}}
"""
    customers = pl.DataFrame({"customer_id": ["a", "b"], "v": [0.0, 0.0]})
    # month 0: a 100, b 50 (positive 150); month 1: b 100, a -300 (positive 100, net -200);
    # month 2: both 0: nothing positive, so missing
    periods = pl.DataFrame(
        {
            "customer_id": ["a", "b", "a", "b", "a", "b"],
            "period": [0, 0, 1, 1, 2, 2],
            "paid": [100.0, 50.0, -300.0, 100.0, 0.0, 0.0],
        }
    )
    _, found = derive_frames(facts_registry, body, customers, periods, backend)
    got = {
        (r["customer_id"], r["period"]): (r["month_cum"], r["month_own"])
        for r in found.iter_rows(named=True)
    }
    assert got == {
        ("a", 0): (0.0, r12(100 / 150)),
        ("b", 0): (r12(100 / 150), r12(50 / 150)),
        ("a", 1): (1.0, -3.0),
        ("b", 1): (0.0, 1.0),
        ("a", 2): (None, None),
        ("b", 2): (None, None),
    }


# by= -----------------------------------------------------------------------------------------

REGIONAL = """
derive:
  top: top_share(v, by=region)
  cum: cum_share(v, by=region)
  pct: pct_rank(v, by=region)
  own: share(v, by=region)
  mm: minmax(v, by=region)
  payers: cum_share(v, among=v > 0, by=region)
  top_10: top_share(v, by=region) <= 0.5
decisions:
  abc: {rules: [{when: cum < 0.8, then: A}], default: {then: C}}
"""

FIVE = {"c1": 5000.0, "c2": -1000.0, "c3": 3000.0, "c4": 1000.0, "c5": 2000.0}
REGIONS: dict[str, str | None] = {
    "c1": "north",
    "c2": "north",
    "c3": "south",
    "c4": "south",
    "c5": "north",
}


@pytest.mark.parametrize("backend", BACKENDS)
def test_by_ranks_each_region_on_its_own(
    facts_registry: Registry,
    backend: str,
) -> None:
    found = evaluate(facts_registry, REGIONAL, FIVE, backend, regions=REGIONS)
    # north: c1 5000, c5 2000, c2 -1000 (N 3, positive total 7000, min -1000, max 5000)
    # south: c3 3000, c4 1000 (N 2, positive total 4000, min 1000, max 3000)
    assert column(found, "top") == {
        "c1": r12(1 / 3),
        "c5": r12(2 / 3),
        "c2": 1.0,
        "c3": 0.5,
        "c4": 1.0,
    }
    assert column(found, "cum") == {
        "c1": 0.0,
        "c5": r12(5000 / 7000),
        "c2": 1.0,
        "c3": 0.0,
        "c4": 0.75,
    }
    assert column(found, "pct") == {"c1": 1.0, "c5": 0.5, "c2": 0.0, "c3": 1.0, "c4": 0.0}
    assert column(found, "own") == {
        "c1": r12(5000 / 7000),
        "c5": r12(2000 / 7000),
        "c2": r12(-1000 / 7000),
        "c3": 0.75,
        "c4": 0.25,
    }
    # (x - min) / (max - min): c5 (2000 + 1000) / 6000; c4 is south's smallest
    assert column(found, "mm") == {"c1": 1.0, "c5": 0.5, "c2": 0.0, "c3": 1.0, "c4": 0.0}
    # among= and by= together: c2 is not a payer; north's payers c1, c5 (positive 7000)
    assert column(found, "payers") == {
        "c1": 0.0,
        "c5": r12(5000 / 7000),
        "c2": None,
        "c3": 0.0,
        "c4": 0.75,
    }
    assert column(found, "top_10") == {
        "c1": True,
        "c5": False,
        "c2": False,
        "c3": True,
        "c4": False,
    }
    # cum < 0.8: c1, c5 (0.71) of north and c3, c4 (0.75) of south
    assert column(found, "abc") == {"c1": "A", "c5": "A", "c2": "C", "c3": "A", "c4": "A"}


@pytest.mark.parametrize("backend", BACKENDS)
def test_customers_without_a_group_value_are_a_group_of_their_own(
    facts_registry: Registry,
    backend: str,
) -> None:
    values = {**FIVE, "c6": 10.0, "c7": 30.0}
    regions = {**REGIONS, "c6": None, "c7": None}
    found = evaluate(facts_registry, REGIONAL, values, backend, regions=regions)
    # c7 30 and c6 10 form the group "missing": positive total 40
    assert column(found, "top")["c7"] == 0.5 and column(found, "top")["c6"] == 1.0
    assert column(found, "cum")["c7"] == 0.0 and column(found, "cum")["c6"] == 0.75
    assert column(found, "own")["c6"] == 0.25
    # the regions are ranked as before
    assert column(found, "cum")["c5"] == r12(5000 / 7000)


@pytest.mark.parametrize("backend", BACKENDS)
def test_by_ranks_each_region_in_each_month(
    facts_registry: Registry,
    backend: str,
) -> None:
    body = """
derive:
  month_cum: cum_share(paid, by=region)
  month_top: top_share(paid, among=paid > 0, by=region)
decisions:
  abc: {rules: [{when: v > 0, then: A}], default: {then: C}}
"""
    customers = pl.DataFrame(
        {"customer_id": ["n1", "n2", "s1", "s2"], "v": [0.0] * 4, "region": ["n", "n", "s", "s"]}
    )
    periods = pl.DataFrame(
        {
            "customer_id": ["n1", "n2", "s1", "s2"] * 2,
            "period": [0] * 4 + [1] * 4,
            "paid": [100.0, 200.0, 10.0, 0.0, 300.0, 50.0, -10.0, 5.0],
        }
    )
    _, found = derive_frames(facts_registry, body, customers, periods, backend)
    got = {
        (r["customer_id"], r["period"]): (r["month_cum"], r["month_top"])
        for r in found.iter_rows(named=True)
    }
    # month 0: n: n2 200, n1 100 (positive 300); s: s1 10, s2 0 (positive 10; s2 no payer)
    # month 1: n: n1 300, n2 50 (positive 350); s: s2 5, s1 -10 (positive 5; s1 no payer)
    assert got == {
        ("n1", 0): (r12(200 / 300), 1.0),
        ("n2", 0): (0.0, 0.5),
        ("s1", 0): (0.0, 1.0),
        ("s2", 0): (1.0, None),
        ("n1", 1): (0.0, 0.5),
        ("n2", 1): (r12(300 / 350), 1.0),
        ("s1", 1): (1.0, None),
        ("s2", 1): (0.0, 1.0),
    }


def test_frames_with_a_text_group_rank_like_a_run(
    facts_registry: Registry,
) -> None:
    # the five customers of test_by_ranks_each_region_on_its_own, given as frames
    customers = pl.DataFrame(
        {"customer_id": list(FIVE), "v": list(FIVE.values()), "region": list(REGIONS.values())}
    )
    periods = pl.DataFrame({"customer_id": list(FIVE), "period": [0] * 5, "paid": [0.0] * 5})
    found, _ = derive_frames(facts_registry, REGIONAL, customers, periods, "polars")
    run = evaluate(facts_registry, REGIONAL, FIVE, "duckdb", regions=REGIONS)
    for name in ("top", "cum", "pct", "own", "mm", "payers"):
        assert dict(zip(found["customer_id"], found[name], strict=True)) == column(run, name)


# the meaning, against a model written out in Python ------------------------------------------

cents = st.integers(-50_000, 50_000).map(lambda c: c / 100)  # whole cents: exact in units


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values=st.lists(st.one_of(cents, st.sampled_from([0.0, 5.0, -5.0])), min_size=1, max_size=9))
def test_shares_follow_their_definition(values: list[float]) -> None:
    registry = _registry()
    ids = [f"c{i}" for i in range(len(values))]
    found = evaluate(registry, SHARES, dict(zip(ids, values, strict=True)), "polars")
    order = sorted(ids, key=lambda c: (-found[c]["v"], c))  # larger first, ties by id
    units = {c: round(found[c]["v"] * 100) for c in ids}  # exact cents
    positive = sum(max(u, 0) for u in units.values())
    for place, c in enumerate(order):
        ahead = sum(max(units[o], 0) for o in order[:place])
        if positive == 0:
            assert found[c]["cum"] is None and found[c]["own"] is None
            continue
        assert found[c]["cum"] == pytest.approx(ahead / positive, abs=1e-12)
        assert found[c]["own"] == pytest.approx(units[c] / positive, abs=1e-12)
        assert 0.0 <= found[c]["cum"] <= 1.0
        if units[c] <= 0:
            assert found[c]["cum"] == 1.0  # everything positive is ahead of a loss
        assert found[c]["top"] == pytest.approx((place + 1) / len(ids), abs=1e-12)


@functools.cache
def _registry() -> Registry:
    """The registry of ``facts_registry``, outside a fixture (for Hypothesis)."""
    return build_registry(make_plugin_manager([("facts", Facts()), ("regions", Regions())]))
