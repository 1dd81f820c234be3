"""The built-in criteria compute hand-checked values, identically on polars and DuckDB.

Every expected value below was worked out by hand from the small tables in this file (the
comments show the arithmetic); none is recomputed with the criterion's own formula.

The main window is three months ending (exclusive) at 2026-03-16: periods 0 = 2026-01,
1 = 2026-02, 2 = 2026-03-01..2026-03-15 (partial). Rows dated 2026-01-01 (window start) are in,
rows dated 2026-03-16 (as-of) and 2025-12-31 are out.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import duckdb
import narwhals.stable.v2 as nw
import polars as pl
import pytest
from criteria_helpers import BACKENDS, Row, criteria, d, money, run, table
from helpers import property_examples
from hypothesis import given, settings
from hypothesis import strategies as st

from tierkit.contract import CUSTOMER_KEY, MONEY_SCALE, Window

CRITERIA = criteria()
WINDOW = Window(as_of=date(2026, 3, 16), period="month", periods=3)
NONE = None  # a missing value, spelled out in expectations

Tables = dict[str, nw.LazyFrame[Any]]

# --------------------------------------------------------------------------------------------
# the data


def payments(backend: str) -> Tables:
    rows = [
        # customer, paid_at, amount, due_at
        ("a", "2025-12-31", "100.00", None),          # before the window
        ("a", "2026-01-01", "10.50", "2025-12-25"),   # window start: in; 7 days late
        ("a", "2026-02-10", "20.25", "2026-02-10"),   # paid on the due date
        ("a", "2026-03-15", "5.00", "2026-03-20"),    # last day in the window; early
        ("a", "2026-03-16", "1000.00", "2026-03-01"),  # on as-of: out
        ("b", "2026-02-01", "0.01", None),            # no due date
        ("b", "2026-02-28", "33.33", "2026-02-25"),   # 3 days late
        ("c", "2026-04-01", "50.00", "2026-04-01"),   # after as-of: c has nothing
        ("d", "2026-01-05", "0.00", "2026-01-01"),    # a zero payment, 4 days late
    ]
    return {"payments": table(backend, {
        "customer_id": [r[0] for r in rows],
        "paid_at": [d(r[1]) for r in rows],
        "amount": [money(r[2]) for r in rows],
        "due_at": [d(r[3]) if r[3] else None for r in rows],
    }, {"customer_id": pl.String, "paid_at": pl.Date, "amount": pl.Int64, "due_at": pl.Date})}


def shipments(backend: str) -> Tables:
    rows = [
        # customer, shipped_at, units, promised_at, delivered_at, ordered_units
        ("a", "2025-12-31", 100.0, "2026-01-02", "2026-01-02", 100.0),  # before the window
        ("a", "2026-01-01", 10.0, "2026-01-05", "2026-01-05", 10.0),  # on the promised day
        ("a", "2026-01-20", 2.5, "2026-01-22", "2026-01-24", 5.0),  # 2 days late
        ("a", "2026-02-14", 0.1, "2026-02-20", None, 0.1),  # never delivered, overdue
        ("a", "2026-02-15", 0.2, "2026-03-20", None, 1.0),  # not delivered, not yet due
        ("a", "2026-03-12", 3.0, "2026-03-14", "2026-03-17", 3.0),  # delivered after as-of
        ("a", "2026-03-16", 100.0, "2026-03-17", "2026-03-17", 100.0),  # on as-of: out
        ("b", "2026-02-02", 7.0, None, None, 5.0),  # no promise; over-shipped
        ("b", "2026-03-01", 1.0, "2026-03-03", "2026-03-01", None),  # early; no order size
    ]
    return {"shipments": table(backend, {
        "customer_id": [r[0] for r in rows],
        "shipped_at": [d(r[1]) for r in rows],
        "units": [r[2] for r in rows],
        "promised_at": [d(r[3]) if r[3] else None for r in rows],
        "delivered_at": [d(r[4]) if r[4] else None for r in rows],
        "ordered_units": [r[5] for r in rows],
    }, {"customer_id": pl.String, "shipped_at": pl.Date, "units": pl.Float64,
        "promised_at": pl.Date, "delivered_at": pl.Date, "ordered_units": pl.Float64})}


def invoices(backend: str) -> Tables:
    rows = [
        # customer, issued_at, amount, cost
        ("a", "2026-01-10", "100.00", "60.00"),
        ("a", "2026-02-01", "10.00", None),  # no cost: left out
        ("a", "2026-03-15", "50.00", "55.50"),  # a loss
        ("a", "2026-03-16", "999.00", "0.00"),  # on as-of: out
        ("b", "2026-02-05", "0.00", "0.00"),  # nothing invoiced
        ("c", "2025-06-01", "10.00", "1.00"),  # before the window
    ]
    return {"invoices": table(backend, {
        "customer_id": [r[0] for r in rows],
        "invoice_id": [f"i{i}" for i in range(len(rows))],
        "issued_at": [d(r[1]) for r in rows],
        "amount": [money(r[2]) for r in rows],
        "cost": [money(r[3]) if r[3] else None for r in rows],
    }, {"customer_id": pl.String, "invoice_id": pl.String, "issued_at": pl.Date,
        "amount": pl.Int64, "cost": pl.Int64})}


def customers(backend: str, with_since: bool = True) -> Tables:
    data: dict[str, list[Any]] = {
        "customer_id": ["a", "b", "c", "d"],
        "name": ["A", "B", "C", "D"],
        "since": [d("2024-01-15"), None, d("2026-05-01"), d("2024-01-31")],
    }
    schema: dict[str, Any] = {"customer_id": pl.String, "name": pl.String, "since": pl.Date}
    if not with_since:
        del data["since"], schema["since"]
    return {"customers": table(backend, data, schema)}


def contracts(backend: str, optional_columns: bool = True) -> Tables:
    rows = [
        # customer, contract, started_at, ended_at, terminated_at
        ("a", "k1", "2025-01-01", None, None),  # running
        ("b", "k2", "2025-01-01", "2026-03-16", None),  # ends on as-of: still active
        ("c", "k3", "2025-01-01", "2026-03-15", None),  # ended the day before as-of
        ("c", "k4", "2026-03-16", None, None),  # starts on as-of: not yet
        ("d", "k5", "2025-01-01", None, "2026-02-10"),  # terminated in period 1
        ("e", "k6", "2024-01-01", None, "2026-01-01"),  # terminated on window start
        ("e", "k7", "2026-01-02", None, "2026-03-16"),  # terminated on as-of: active, not in
        ("f", "k8", "2025-01-01", None, "2025-12-31"),  # terminated before the window
    ]
    data: dict[str, list[Any]] = {
        "customer_id": [r[0] for r in rows],
        "contract_id": [r[1] for r in rows],
        "started_at": [d(r[2]) for r in rows],
        "ended_at": [d(r[3]) if r[3] else None for r in rows],
        "terminated_at": [d(r[4]) if r[4] else None for r in rows],
    }
    schema: dict[str, Any] = {"customer_id": pl.String, "contract_id": pl.String,
                              "started_at": pl.Date, "ended_at": pl.Date,
                              "terminated_at": pl.Date}
    if not optional_columns:
        for name in ("ended_at", "terminated_at"):
            del data[name], schema[name]
    return {"contracts": table(backend, data, schema)}


def assessments(backend: str) -> Tables:
    rows = [
        # customer, assessed_at, topic, score
        ("a", "2026-01-05", "relationship", 6.0),
        ("a", "2026-03-10", "relationship", 7.0),
        ("a", "2026-03-10", "relationship", 8.5),  # same day: the higher wins
        ("a", "2026-03-16", "relationship", 1.0),  # on as-of: out
        ("a", "2026-03-15", "attractiveness", 2.0),  # another topic
        ("b", "2026-01-01", "relationship", 7.1),  # window start: in
        ("b", "2026-01-31", "relationship", 7.2),
        ("b", "2026-02-01", "relationship", None),  # no score: ignored
        ("b", "2026-02-20", "information_sharing", 4.0),
        ("c", "2025-12-31", "relationship", 9.0),  # before the window
    ]
    return {"assessments": table(backend, {
        "customer_id": [r[0] for r in rows],
        "assessed_at": [d(r[1]) for r in rows],
        "topic": [r[2] for r in rows],
        "score": [r[3] for r in rows],
    }, {"customer_id": pl.String, "assessed_at": pl.Date, "topic": pl.String,
        "score": pl.Float64})}


def everything(backend: str) -> Tables:
    return {**payments(backend), **shipments(backend), **invoices(backend)}


# --------------------------------------------------------------------------------------------
# the cases


@dataclass(frozen=True)
class Case:
    id: str
    criterion: str
    data: Callable[[str], Tables]
    expected: list[Row]
    params: dict[str, Any] = field(default_factory=dict)
    per_period: bool = False
    window: Window = WINDOW


W = -1  # the period of a whole-window value

CASES = [
    # payments.received: a = 10.50 + 20.25 + 5.00; b = 0.01 + 33.33; d = 0
    Case("received", "payments.received", payments,
         [("a", W, 35.75), ("b", W, 33.34), ("d", W, 0.0)]),
    Case("received-per-period", "payments.received", payments,
         [("a", 0, 10.5), ("a", 1, 20.25), ("a", 2, 5.0), ("b", 1, 33.34), ("d", 0, 0.0)],
         per_period=True),
    # quarters: 2025-Q4 (period 0) holds a's 100.00 of 2025-12-31; 2026-Q1 is partial
    Case("received-quarters", "payments.received", payments,
         [("a", 0, 100.0), ("a", 1, 35.75), ("b", 1, 33.34), ("d", 1, 0.0)],
         per_period=True, window=Window(date(2026, 3, 16), "quarter", 2)),
    Case("received-years", "payments.received", payments,
         [("a", 0, 100.0), ("a", 1, 35.75), ("b", 1, 33.34), ("d", 1, 0.0)],
         per_period=True, window=Window(date(2026, 3, 16), "year", 2)),
    # a window ending on the first of a month has no partial period: February and March,
    # with a's 1000.00 of 2026-03-16 now in and c's 50.00 of 2026-04-01 (as-of) out
    Case("received-whole-months", "payments.received", payments,
         [("a", 0, 20.25), ("a", 1, 1005.0), ("b", 0, 33.34)],
         per_period=True, window=Window(date(2026, 4, 1), "month", 2)),
    # d's zero payment is not a purchase: d has no count (the neutral 0), as for recency
    Case("count", "payments.count", payments, [("a", W, 3.0), ("b", W, 2.0)]),
    Case("count-per-period", "payments.count", payments,
         [("a", 0, 1.0), ("a", 1, 1.0), ("a", 2, 1.0), ("b", 1, 2.0)],
         per_period=True),
    # days late, weighted by amount: a = (10.50*7 + 20.25*0 + 5.00*0) / 35.75; b = 3 (only
    # the 33.33 payment has a due date); d paid 0.00 in all: missing
    Case("days-late", "payments.days_late", payments,
         [("a", W, 73.5 / 35.75), ("b", W, 3.0), ("d", W, NONE)]),
    Case("days-late-per-period", "payments.days_late", payments,
         [("a", 0, 7.0), ("a", 1, 0.0), ("a", 2, 0.0), ("b", 1, 3.0), ("d", 0, NONE)],
         per_period=True),
    # on time: a = (20.25 + 5.00) / 35.75; b = 0 / 33.33
    Case("on-time", "payments.on_time_share", payments,
         [("a", W, 25.25 / 35.75), ("b", W, 0.0), ("d", W, NONE)]),
    # three grace days forgive b's 3 days, not a's 7
    Case("on-time-grace-3", "payments.on_time_share", payments,
         [("a", W, 25.25 / 35.75), ("b", W, 1.0), ("d", W, NONE)], params={"grace_days": 3}),
    Case("on-time-grace-7", "payments.on_time_share", payments,
         [("a", W, 1.0), ("b", W, 1.0), ("d", W, NONE)], params={"grace_days": 7}),
    Case("on-time-per-period", "payments.on_time_share", payments,
         [("a", 0, 0.0), ("a", 1, 1.0), ("a", 2, 1.0), ("b", 1, 0.0), ("d", 0, NONE)],
         per_period=True),
    # recency, as-of 2026-03-16: a's last payment in the window is 03-15 (1 day; the 03-16 one
    # is on as-of: out); b's 02-28 (1 + 15 = 16 days); c paid after as-of, d only 0.00: left out
    Case("recency", "payments.recency_days", payments, [("a", W, 1.0), ("b", W, 16.0)]),
    # shipments: a's last in the window 03-12 (4 days); b's 03-01 (15 days)
    Case("shipment-recency", "shipments.recency_days", shipments,
         [("a", W, 4.0), ("b", W, 15.0)]),
    # units: a = 10 + 2.5 + 0.1 + 0.2 + 3 (exact: 0.1 + 0.2 is 0.3, not 0.30000000000000004)
    Case("units", "shipments.units", shipments, [("a", W, 15.8), ("b", W, 8.0)]),
    Case("units-per-period", "shipments.units", shipments,
         [("a", 0, 12.5), ("a", 1, 0.3), ("a", 2, 3.0), ("b", 1, 7.0), ("b", 2, 1.0)],
         per_period=True),
    # on time, tolerance 0. a: on the day (on time), 2 days late, undelivered and overdue
    # (late), not yet due (left out), delivered after as-of and overdue (late) -> 1 of 4.
    # b: no promise (left out), early (on time) -> 1 of 1
    Case("on-time-rate", "delivery.on_time_rate", shipments, [("a", W, 0.25), ("b", W, 1.0)]),
    Case("on-time-rate-per-period", "delivery.on_time_rate", shipments,
         [("a", 0, 0.5), ("a", 1, 0.0), ("a", 2, 0.0), ("b", 2, 1.0)], per_period=True),
    # tolerance 2: the 2-days-late one is on time; the 03-14 promise is due 03-16 = as-of,
    # not yet overdue (left out) -> a: 2 of 3
    Case("on-time-rate-tolerance-2", "delivery.on_time_rate", shipments,
         [("a", W, 2 / 3), ("b", W, 1.0)], params={"tolerance_days": 2}),
    # tolerance 30: nothing undelivered is overdue yet -> a: 2 of 2
    Case("on-time-rate-tolerance-30", "delivery.on_time_rate", shipments,
         [("a", W, 1.0), ("b", W, 1.0)], params={"tolerance_days": 30}),
    # completeness: a = 15.8 / (10 + 5 + 0.1 + 1 + 3) = 158/191; b = min(1, 7/5)
    Case("completeness", "delivery.completeness", shipments,
         [("a", W, 158 / 191), ("b", W, 1.0)]),
    # per period a: 12.5/15, 0.3/1.1, 3/3; b: 7/5 capped (its March row has no order size)
    Case("completeness-per-period", "delivery.completeness", shipments,
         [("a", 0, 5 / 6), ("a", 1, 3 / 11), ("a", 2, 1.0), ("b", 1, 1.0)], per_period=True),
    # net: a = (100 - 60) + (50 - 55.50); b = 0
    Case("net", "profit.net", invoices, [("a", W, 34.5), ("b", W, 0.0)]),
    Case("net-per-period", "profit.net", invoices,
         [("a", 0, 40.0), ("a", 2, -5.5), ("b", 1, 0.0)], per_period=True),
    # margin: a = 34.5 / 150; b invoiced 0: missing
    Case("margin", "profit.margin", invoices, [("a", W, 0.23), ("b", W, NONE)]),
    Case("margin-per-period", "profit.margin", invoices,
         [("a", 0, 0.4), ("a", 2, -0.11), ("b", 1, NONE)], per_period=True),
    # tenure: since 2024-01-15 -> 24 months on 2026-01-15; b unknown (left out); c starts
    # after as-of: 0; d since 2024-01-31: 2026-01-15 has not reached day 31 -> 23
    Case("tenure", "tenure.months", customers,
         [("a", W, 24.0), ("c", W, 0.0), ("d", W, 23.0)],
         window=Window(date(2026, 1, 15), "month", 3)),
    Case("tenure-day-before", "tenure.months", customers,
         [("a", W, 23.0), ("c", W, 0.0), ("d", W, 23.0)],
         window=Window(date(2026, 1, 14), "month", 3)),
    # since 2024-01-31: 2024-02-29 is not yet a whole month, 2024-03-01 is
    Case("tenure-month-end", "tenure.months", customers,
         [("a", W, 1.0), ("c", W, 0.0), ("d", W, 0.0)],
         window=Window(date(2024, 2, 29), "month", 1)),
    Case("tenure-month-end-next", "tenure.months", customers,
         [("a", W, 1.0), ("c", W, 0.0), ("d", W, 1.0)],
         window=Window(date(2024, 3, 1), "month", 1)),
    # a tenure is a state: asked per period, still one value
    Case("tenure-asked-per-period", "tenure.months", customers,
         [("a", W, 24.0), ("c", W, 0.0), ("d", W, 23.0)], per_period=True,
         window=Window(date(2026, 1, 15), "month", 3)),
    Case("tenure-no-since-column", "tenure.months", lambda b: customers(b, with_since=False),
         []),
    Case("active", "contracts.active", contracts,
         [("a", W, True), ("b", W, True), ("c", W, False), ("d", W, False), ("e", W, True),
          ("f", W, False)]),
    # without ended_at and terminated_at every contract started before as-of is running
    Case("active-no-end-columns", "contracts.active",
         lambda b: contracts(b, optional_columns=False),
         [("a", W, True), ("b", W, True), ("c", W, True), ("d", W, True), ("e", W, True),
          ("f", W, True)]),
    Case("terminated", "contracts.terminated", contracts, [("d", W, True), ("e", W, True)]),
    Case("terminated-per-period", "contracts.terminated", contracts,
         [("d", 1, True), ("e", 0, True)], per_period=True),
    Case("terminated-no-column", "contracts.terminated",
         lambda b: contracts(b, optional_columns=False), []),
    # latest: a's latest day (03-10) has 7 and 8.5 -> 8.5; b: 7.2 (its null score ignored)
    Case("relationship-latest", "assessments.relationship", assessments,
         [("a", W, 8.5), ("b", W, 7.2)]),
    Case("relationship-latest-per-period", "assessments.relationship", assessments,
         [("a", 0, 6.0), ("a", 2, 8.5), ("b", 0, 7.2)], per_period=True),
    # mean: a = (6 + 7 + 8.5) / 3; b = (7.1 + 7.2) / 2
    Case("relationship-mean", "assessments.relationship", assessments,
         [("a", W, 21.5 / 3), ("b", W, 7.15)], params={"how": "mean"}),
    Case("relationship-mean-per-period", "assessments.relationship", assessments,
         [("a", 0, 6.0), ("a", 2, 7.75), ("b", 0, 7.15)], params={"how": "mean"},
         per_period=True),
    Case("attractiveness", "assessments.attractiveness", assessments, [("a", W, 2.0)]),
    Case("information-sharing", "assessments.information_sharing", assessments,
         [("b", W, 4.0)], params={"how": "mean"}),
    Case("potential-no-rows", "assessments.potential", assessments, []),
    # trend over x = 0, 1, 2 (x̄ = 1, Σ(x-x̄)² = 2): a's cash 10.50, 20.25, 5.00 ->
    # (-1*10.50 + 1*5.00) / 2; b 0, 33.34, 0 -> 0; d 0, 0, 0 -> 0
    Case("trend", "growth.trend", everything, [("a", W, -2.75), ("b", W, 0.0), ("d", W, 0.0)]),
    # four months (x̄ = 1.5, Σ(x-x̄)² = 5): a 100, 10.50, 20.25, 5.00 ->
    # (-1.5*100 - 0.5*10.50 + 0.5*20.25 + 1.5*5) / 5 = -137.625 / 5; b 0, 0, 33.34, 0 -> 0.5*33.34/5
    Case("trend-4", "growth.trend", everything,
         [("a", W, -27.525), ("b", W, 3.334), ("d", W, 0.0)],
         window=Window(date(2026, 3, 16), "month", 4)),
    # units a 12.5, 0.3, 3 -> (3 - 12.5) / 2; b 0, 7, 1 -> 1 / 2
    Case("trend-units", "growth.trend", everything, [("a", W, -4.75), ("b", W, 0.5)],
         params={"measure": "shipments.units"}),
    # net a 40, 0, -5.5 -> -45.5 / 2; b 0 -> 0
    Case("trend-profit", "growth.trend", everything, [("a", W, -22.75), ("b", W, 0.0)],
         params={"measure": "profit.net"}),
    Case("trend-one-period", "growth.trend", everything, [],
         window=Window(date(2026, 3, 16), "month", 1)),
]


def _ids(cases: list[Case]) -> list[str]:
    return [c.id for c in cases]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case", CASES, ids=_ids(CASES))
def test_hand_computed(case: Case, backend: str) -> None:
    got = run(CRITERIA[case.criterion], case.data(backend), case.window, case.params,
              case.per_period)
    assert got == case.expected


@pytest.mark.parametrize("case", CASES, ids=_ids(CASES))
def test_backends_agree(case: Case) -> None:
    results = [run(CRITERIA[case.criterion], case.data(b), case.window, case.params,
                   case.per_period) for b in BACKENDS]
    assert all(r == results[0] for r in results[1:])


def test_every_criterion_is_tested() -> None:
    assert {c.criterion for c in CASES} == set(CRITERIA)


def test_no_rows_in_the_window_gives_no_rows() -> None:
    empty_window = Window(date(2020, 1, 1), "month", 3)
    for backend in BACKENDS:
        for name, criterion in CRITERIA.items():
            tables = {**everything(backend), **customers(backend), **contracts(backend),
                      **assessments(backend)}
            if name in ("tenure.months", "contracts.active"):
                continue  # states at the as-of date, not window sums
            for per_period in (False, True):
                assert run(criterion, tables, empty_window, per_period=per_period) == [], name


def test_without_per_period_key_the_value_is_for_the_window() -> None:
    frame = CRITERIA["payments.received"].compute(payments("polars"), WINDOW, {})
    assert sorted(frame.collect().rows()) == [("a", W, 35.75), ("b", W, 33.34), ("d", W, 0.0)]


@pytest.mark.parametrize("name", ["payments.received", "shipments.units", "profit.net",
                                  "growth.trend", "assessments.attractiveness"])
def test_with_the_kernel_key_criteria_group_by_it(name: str) -> None:
    # grouping by customer_key is twice as fast as by the id text (docs/performance.md)
    tables = {**everything("polars-keyed"), **assessments("polars-keyed")}
    frame = CRITERIA[name].compute(tables, WINDOW, {"_per_period": False})
    assert frame.collect_schema().names() == [CUSTOMER_KEY, "period", "value"]


def test_trend_of_a_measure_without_its_table_names_the_table() -> None:
    with pytest.raises(ValueError, match="'shipments' table"):
        run(CRITERIA["growth.trend"], payments("polars"), WINDOW,
            {"measure": "shipments.units"})


# --------------------------------------------------------------------------------------------
# exact money, whatever the row order

START = WINDOW.start
SPAN = (WINDOW.as_of - START).days


@pytest.mark.parametrize("backend", BACKENDS)
def test_amounts_convert_to_the_nearest_float(backend: str) -> None:
    # polars divides by a scalar through its reciprocal: 2.01 would come out 2.0100000000000002
    cents = list(range(1, 300_000, 100))  # 0.01, 1.01, 2.01, ...
    frame = table(backend, {
        "customer_id": [f"c{i:06d}" for i in range(len(cents))],
        "paid_at": [START] * len(cents),
        "amount": [c * (MONEY_SCALE // 100) for c in cents],
    }, {"customer_id": pl.String, "paid_at": pl.Date, "amount": pl.Int64})
    got = run(CRITERIA["payments.received"], {"payments": frame}, WINDOW)
    assert [v for _, _, v in got] == [float(Decimal(c) / 100) for c in cents]
    assert got[2] == ("c000002", W, 2.01)

payment_rows = st.lists(
    st.tuples(
        st.sampled_from(["a", "b", "c"]),
        st.integers(min_value=-40, max_value=SPAN + 40),  # days after the window start
        st.integers(min_value=0, max_value=10**11),  # cents: up to a billion
    ),
    max_size=40,
)


def _payments_frame(backend: str, rows: list[tuple[str, int, int]],
                    con: duckdb.DuckDBPyConnection) -> Tables:
    return {"payments": table(backend, {
        "customer_id": [r[0] for r in rows],
        "paid_at": [START + timedelta(days=r[1]) for r in rows],
        "amount": [r[2] * (MONEY_SCALE // 100) for r in rows],
    }, {"customer_id": pl.String, "paid_at": pl.Date, "amount": pl.Int64}, con)}


@settings(max_examples=property_examples(60), deadline=None)
@given(rows=payment_rows, seed=st.integers(min_value=0, max_value=2**32))
def test_received_is_the_exact_decimal_sum_in_any_row_order(
    rows: list[tuple[str, int, int]], seed: int
) -> None:
    totals: dict[str, Decimal] = {}
    for customer, day, cents in rows:
        if 0 <= day < SPAN:
            totals[customer] = totals.get(customer, Decimal(0)) + Decimal(cents) / 100
    expected = sorted((c, W, float(total)) for c, total in totals.items())
    shuffled = list(rows)
    random.Random(seed).shuffle(shuffled)
    con = duckdb.connect()
    for backend in BACKENDS:
        for order in (rows, shuffled):
            got = run(CRITERIA["payments.received"], _payments_frame(backend, order, con),
                      WINDOW)
            assert got == expected
