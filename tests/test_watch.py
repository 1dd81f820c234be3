"""``tierkit watch``: events re-decide the customers they touch between batch runs."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from tests.helpers import property_examples
from tierkit import evaluate
from tierkit.cli import app
from tierkit.watch import BadEvent, read_changes, watch_events

TIERS = """\
tierkit: 1
name: watch-tiers
strategy: working-capital
window: {period: month, periods: 3}
criteria:
  paid: {use: payments.received}
  payments: {use: payments.count}
decisions:
  category:
    rules:
      - {when: "paid >= 1000", then: A, because: "1000 or more in three months"}
      - {when: "paid >= 100 or payments >= 3", then: B, because: "100 or more, or 3 payments"}
    default: {then: C, because: "everyone else"}
"""

TOP = """\
tierkit: 1
name: watch-top
strategy: working-capital
window: {period: month, periods: 3}
criteria:
  paid: {use: payments.received}
derive:
  top: top_share(paid) <= 0.2
decisions:
  category:
    rules:
      - {when: top, then: A, because: "top 20% by cash"}
      - {when: "paid >= 500", then: B, because: "500 or more"}
    default: {then: C, because: "everyone else"}
"""

BASE = date(2026, 4, 1)
NEXT = date(2026, 5, 1)


def write_data(folder: Path, customers: list[str], payments: list[tuple[str, str, Any]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["customer_id,name", *(f"{c},Customer {c}" for c in customers)]
    (folder / "customers.csv").write_text("\n".join(lines) + "\n")
    rows = ["customer_id,paid_at,amount", *(f"{c},{d},{a}" for c, d, a in payments)]
    (folder / "payments.csv").write_text("\n".join(rows) + "\n")
    return folder


def payment(customer: str, day: str, amount: Any) -> str:
    row = {"customer_id": customer, "paid_at": day, "amount": amount}
    return json.dumps({"table": "payments", "row": row})


def final_state(store: Path, ruleset: str, changes: list[Any]) -> dict[str, str]:
    """The stored run's categories, moved on by the changes in order."""
    from tierkit.history import HistoryStore

    history = HistoryStore(store)
    run = history.previous_run_id(ruleset, date.max)
    assert run is not None
    state = dict(history.results(run).select("customer_id", "category").iter_rows())
    for change in changes:
        if change.decision == "category":
            state[change.customer] = change.new
    return state


# -- a hand-built month -----------------------------------------------------------------------

HAND_BEFORE = [
    ("C1", "2026-01-10", 1200),  # A on 04-01; January leaves the window when April starts
    ("C2", "2026-03-05", 50),  # C; pays 2000 in April: A
    ("C3", "2026-02-14", 500),  # B, nothing in April: stays B
    ("C5", "2026-03-20", 900),  # B; +200 makes A, a refund of 150 makes B again
]
HAND_APRIL = [
    ("C2", "2026-04-02", 2000),
    ("C4", "2026-04-03", 10),
    ("C4", "2026-04-03", 10),
    ("C5", "2026-04-03", 200),
    ("C4", "2026-04-03", 10),  # the third payment: B by count
    ("C5", "2026-04-20", -150),
]


def hand_data(tmp_path: Path) -> Path:
    customers = ["C1", "C2", "C3", "C4", "C5"]
    return write_data(tmp_path / "data", customers, HAND_BEFORE + HAND_APRIL)


def test_a_month_of_payments_as_events_ends_as_the_next_months_batch_run(tmp_path: Path) -> None:
    ruleset = tmp_path / "tiers.yaml"
    ruleset.write_text(TIERS)
    data = hand_data(tmp_path)
    store = tmp_path / "store.duckdb"
    first = evaluate(ruleset, data, as_of=BASE, store=store)
    assert dict(first.results.select("customer_id", "category").iter_rows()) == {
        "C1": "A", "C2": "C", "C3": "B", "C4": "C", "C5": "B",
    }  # fmt: skip
    events = [payment(c, d, a) for c, d, a in HAND_APRIL]
    summary = watch_events(ruleset, data, store, events)
    seen = [(c.customer, c.old, c.new, c.cause, c.line) for c in summary.changes]
    assert seen == [
        ("C1", "A", "C", "window", 1),  # January left the window when the clock reached April 3
        ("C2", "C", "A", "row", 1),
        ("C5", "B", "A", "row", 4),
        ("C4", "C", "B", "row", 5),
        ("C5", "A", "B", "row", 6),
    ]
    assert summary.changes[1].values == {"paid": 2050.0, "payments": 2}
    assert summary.changes[1].because == "1000 or more in three months"
    batch = evaluate(ruleset, data, as_of=NEXT, store=store, save=False)
    expected = dict(batch.results.select("customer_id", "category").iter_rows())
    assert final_state(store, "watch-tiers", summary.changes) == expected
    assert expected == {"C1": "C", "C2": "A", "C3": "B", "C4": "B", "C5": "B"}


def test_a_time_event_decides_everyone_at_its_time_and_changes_nothing_more(
    tmp_path: Path,
) -> None:
    ruleset = tmp_path / "tiers.yaml"
    ruleset.write_text(TIERS)
    data = hand_data(tmp_path)
    store = tmp_path / "store.duckdb"
    evaluate(ruleset, data, as_of=BASE, store=store)
    events = [payment(c, d, a) for c, d, a in HAND_APRIL] + ['{"time": "2026-05-01"}']
    summary = watch_events(ruleset, data, store, events)
    assert len(summary.changes) == 5
    assert summary.decided >= 5 + 5  # the time event decided all five customers again


def test_only_the_time_event_moves_a_window_without_rows(tmp_path: Path) -> None:
    ruleset = tmp_path / "tiers.yaml"
    ruleset.write_text(TIERS)
    data = hand_data(tmp_path)
    store = tmp_path / "store.duckdb"
    evaluate(ruleset, data, as_of=BASE, store=store)
    summary = watch_events(ruleset, data, store, ['{"time": "2026-04-02"}'])
    assert [(c.customer, c.new, c.cause, c.as_of) for c in summary.changes] == [
        ("C1", "C", "time", date(2026, 4, 2))
    ]


# -- the same, randomised ---------------------------------------------------------------------

DAYS = st.integers(min_value=0, max_value=119)  # 2026-01-01 + n: January to April
AMOUNTS = st.sampled_from([-300, -20, 5, 40, 99.5, 100, 350, 600, 999.99, 1000, 2500])


@settings(
    max_examples=property_examples(40),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    rows=st.lists(
        st.tuples(st.integers(min_value=1, max_value=8), DAYS, AMOUNTS), min_size=1, max_size=40
    )
)
def test_events_end_as_the_next_batch_run_for_any_payments(
    tmp_path_factory: pytest.TempPathFactory, rows: list[tuple[int, int, Any]]
) -> None:
    tmp_path = tmp_path_factory.mktemp("watch")
    ruleset = tmp_path / "tiers.yaml"
    ruleset.write_text(TIERS)
    customers = [f"C{i}" for i in range(1, 9)]
    start = date(2026, 1, 1)
    payments = [(f"C{c}", (start + timedelta(days=d)).isoformat(), a) for c, d, a in rows]
    data = write_data(tmp_path / "data", customers, payments)
    store = tmp_path / "store.duckdb"
    evaluate(ruleset, data, as_of=BASE, store=store)
    april = sorted((p for p in payments if p[1] >= BASE.isoformat()), key=lambda p: p[1])
    # the first April payment moves the window; the customers whose rows leave it are found in
    # the index. Without any, only a time event could move it (and would decide everyone).
    events = [payment(*p) for p in april] or ['{"time": "2026-04-02"}']
    summary = watch_events(ruleset, data, store, events)
    batch = evaluate(ruleset, data, as_of=NEXT, store=store, save=False)
    expected = dict(batch.results.select("customer_id", "category").iter_rows())
    assert final_state(store, "watch-tiers", summary.changes) == expected


# -- the last run's cut-off ---------------------------------------------------------------------


def top_data(tmp_path: Path) -> Path:
    customers = [f"C{i:02d}" for i in range(1, 11)]
    paid = [(c, "2026-03-10", 1100 - 100 * i) for i, c in enumerate(customers, 1)]  # 1000..100
    return write_data(tmp_path / "data", customers, paid)


def test_a_payment_past_the_last_runs_a_cut_off_makes_a_customer_a_at_once(
    tmp_path: Path,
) -> None:
    ruleset = tmp_path / "top.yaml"
    ruleset.write_text(TOP)
    data = top_data(tmp_path)
    store = tmp_path / "store.duckdb"
    run = evaluate(ruleset, data, as_of=BASE, store=store)
    assert run.results.filter(run.results["category"] == "A")["customer_id"].to_list() == [
        "C01",
        "C02",
    ]
    events = [
        payment("C06", "2026-04-01", 250),  # 500 + 250 = 750: below the cut-off (900), B
        payment("C05", "2026-04-01", 450),  # 600 + 450 = 1050: ahead of C01, A at once
    ]
    summary = watch_events(ruleset, data, store, events)
    assert [(c.customer, c.old, c.new, c.line) for c in summary.changes] == [("C05", "B", "A", 2)]
    assert summary.changes[0].values == {"paid": 1050.0, "top": True}
    # the population stays the last run's: C02 is not pushed out by C05's payment
    assert final_state(store, "watch-top", summary.changes)["C02"] == "A"
    cutoffs = summary.started.as_dict()["cutoffs"]
    assert cutoffs == [
        {
            "where": "top",
            "condition": "top_share(paid) <= 0.2",
            "function": "top_share",
            "lowest_inside": 900.0,
            "highest_outside": 800.0,
            "ranked": 10,
        }
    ]


def test_equal_to_the_cut_off_value_ranks_by_id_as_in_a_batch_run(tmp_path: Path) -> None:
    ruleset = tmp_path / "top.yaml"
    ruleset.write_text(TOP)
    data = top_data(tmp_path)
    store = tmp_path / "store.duckdb"
    evaluate(ruleset, data, as_of=BASE, store=store)
    # C03 (800) reaches 900, C02's value: behind C02 by id, at position 3 of 10: not A;
    # C01 pays a refund to 900: ahead of C02 by id, still A
    events = [payment("C03", "2026-04-01", 100), payment("C01", "2026-04-01", -100)]
    summary = watch_events(ruleset, data, store, events)
    assert summary.changes == []


def test_per_period_rankings_are_refused_with_the_line(tmp_path: Path) -> None:
    ruleset = tmp_path / "monthly.yaml"
    ruleset.write_text(
        TOP.replace("paid: {use: payments.received}", "paid: {use: payments.received, per: period}")
        .replace("top: top_share(paid) <= 0.2", "top: any(top_share(paid) <= 0.2)")
        .replace('"paid >= 500"', '"sum(paid) >= 500"')
    )
    data = top_data(tmp_path)
    store = tmp_path / "store.duckdb"
    evaluate(ruleset, data, as_of=BASE, store=store)
    result = CliRunner().invoke(
        app, ["watch", str(ruleset), "--data", str(data), "--store", str(store)], input=""
    )
    assert result.exit_code == 2, result.output
    assert f"{ruleset}:8: 'top' ranks each period" in result.output


# -- malformed events -----------------------------------------------------------------------

BAD_LINES = [
    payment("C2", "2026-04-02", 2000),
    "{not json",
    json.dumps({"table": "paiments", "row": {}}),
    json.dumps({"table": "payments", "row": {"customer_id": "C4", "paid_at": "2026-04-03"}}),
    payment("C9", "2026-04-03", 10),
    payment("C4", "April 3rd", 10),
    "",
    payment("C4", "2026-04-03", "1,234.50"),
    json.dumps({"time": "2026-03-01"}),
    payment("C5", "2026-04-03", 200),
]


def test_malformed_events_are_reported_at_their_line_and_skipped(tmp_path: Path) -> None:
    ruleset = tmp_path / "tiers.yaml"
    ruleset.write_text(TIERS)
    data = hand_data(tmp_path)
    store = tmp_path / "store.duckdb"
    evaluate(ruleset, data, as_of=BASE, store=store)
    summary = watch_events(ruleset, data, store, BAD_LINES)
    assert [(b.line, b.message) for b in summary.bad] == [
        (2, "not JSON (Expecting property name enclosed in double quotes at column 2)"),
        (3, "unknown table 'paiments'; expected one of customers, payments, invoices, "
            "shipments, contracts, assessments"),
        (4, "payments.amount is missing (it is required)"),
        (5, "unknown customer 'C9' (not in the customers table)"),
        (6, "payments.paid_at: 'April 3rd' is not a date (YYYY-MM-DD)"),
        (8, "payments.amount: '1,234.50' is not an amount (like 1234.50)"),
        (9, "time 2026-03-01 is before the clock (2026-04-03); time moves on"),
    ]  # fmt: skip
    assert [(c.customer, c.line) for c in summary.changes] == [
        ("C1", 1), ("C2", 1), ("C5", 10),
    ]  # fmt: skip


def test_a_malformed_event_stops_the_stream_when_asked(tmp_path: Path) -> None:
    ruleset = tmp_path / "tiers.yaml"
    ruleset.write_text(TIERS)
    data = hand_data(tmp_path)
    store = tmp_path / "store.duckdb"
    evaluate(ruleset, data, as_of=BASE, store=store)
    with pytest.raises(BadEvent) as caught:
        watch_events(ruleset, data, store, BAD_LINES, on_bad_event="stop")
    assert caught.value.line == 2
    # what came before the bad line is decided and recorded
    assert read_changes(store)["customer_id"].to_list() == ["C1", "C2"]
    events = tmp_path / "events.jsonl"
    events.write_text("\n".join(BAD_LINES) + "\n")
    args = ["watch", str(ruleset), "--data", str(data), "--store", str(store)]
    result = CliRunner().invoke(app, [*args, "--events", str(events), "--on-bad-event", "stop"])
    assert result.exit_code == 2, result.output
    assert f"{events}:2: not JSON" in result.output
    skipped = CliRunner().invoke(app, [*args, "--events", str(events)])
    assert skipped.exit_code == 0, skipped.output
    assert f"{events}:5: unknown customer 'C9'" in skipped.output


# -- the store and the command ----------------------------------------------------------------


def test_the_command_prints_the_start_and_each_change_as_json_lines(tmp_path: Path) -> None:
    ruleset = tmp_path / "tiers.yaml"
    ruleset.write_text(TIERS)
    data = hand_data(tmp_path)
    store = tmp_path / "store.duckdb"
    run = evaluate(ruleset, data, as_of=BASE, store=store)
    events = "\n".join(payment(c, d, a) for c, d, a in HAND_APRIL) + "\n"
    args = ["watch", str(ruleset), "--data", str(data), "--store", str(store)]
    result = CliRunner().invoke(app, args, input=events)
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert lines[0]["watch"] == "started"
    assert lines[0]["run"] == run.manifest["run_id"]
    assert lines[0]["as_of"] == "2026-04-01"
    assert [(x["customer"], x["old"], x["new"], x["line"]) for x in lines[1:]] == [
        ("C1", "A", "C", 1), ("C2", "C", "A", 1), ("C5", "B", "A", 4), ("C4", "C", "B", 5),
        ("C5", "A", "B", 6),
    ]  # fmt: skip
    assert lines[2]["event"] == json.loads(payment("C2", "2026-04-02", 2000))
    assert lines[2]["rule"] == 1 and lines[2]["decision"] == "category"
    recorded = read_changes(store)
    assert recorded["customer_id"].to_list() == ["C1", "C2", "C5", "C4", "C5"]
    assert recorded["new"].to_list() == ['"C"', '"A"', '"A"', '"B"', '"B"']
    # the next batch run supersedes them
    evaluate(ruleset, data, as_of=NEXT, store=store)
    assert read_changes(store).is_empty()
    assert read_changes(store, superseded=True).height == 5


def test_a_change_is_in_the_store_before_it_is_printed(tmp_path: Path) -> None:
    ruleset = tmp_path / "tiers.yaml"
    ruleset.write_text(TIERS)
    data = hand_data(tmp_path)
    store = tmp_path / "store.duckdb"
    evaluate(ruleset, data, as_of=BASE, store=store)
    command = [sys.executable, "-m", "tierkit", "watch", str(ruleset), "--data", str(data)]
    process = subprocess.Popen(
        [*command, "--store", str(store)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdin is not None and process.stdout is not None
    try:
        assert json.loads(process.stdout.readline())["watch"] == "started"
        process.stdin.write(payment("C3", "2026-03-30", 600) + "\n")  # 1100 in the window: A
        process.stdin.flush()
        printed = json.loads(process.stdout.readline())  # the stream stays open
        assert (printed["customer"], printed["new"]) == ("C3", "A")
        with duckdb.connect(str(store), read_only=True) as con:
            kept = con.execute("select customer_id, new from event_changes").fetchall()
        assert kept == [("C3", '"A"')]
    finally:
        process.kill()
        process.wait()
    assert read_changes(store)["customer_id"].to_list() == ["C3"]


def test_the_durable_engine_makes_the_same_changes(tmp_path: Path) -> None:
    pytest.importorskip("durable")
    ruleset = tmp_path / "top.yaml"
    ruleset.write_text(TOP)
    data = top_data(tmp_path)
    store = tmp_path / "store.duckdb"
    evaluate(ruleset, data, as_of=BASE, store=store)
    events = [payment("C05", "2026-04-01", 450), payment("C09", "2026-04-02", 400)]
    vector = watch_events(ruleset, data, store, events)
    durable = watch_events(ruleset, data, store, events, engine="durable")
    assert durable.started.engine == "durable"
    seen = [(c.customer, c.old, c.new, c.rule, c.because, c.line) for c in durable.changes]
    assert seen == [(c.customer, c.old, c.new, c.rule, c.because, c.line) for c in vector.changes]
    assert seen == [
        ("C05", "B", "A", 1, "top 20% by cash", 1),
        ("C09", "C", "B", 2, "500 or more", 2),
    ]


def test_the_python_api_is_exported_and_a_store_without_a_run_is_refused(tmp_path: Path) -> None:
    import tierkit
    from tierkit.errors import UsageError

    assert tierkit.watch_events is watch_events
    ruleset = tmp_path / "tiers.yaml"
    ruleset.write_text(TIERS)
    with pytest.raises(UsageError, match="no stored run of ruleset 'watch-tiers'"):
        watch_events(ruleset, hand_data(tmp_path), tmp_path / "empty.duckdb", [])


# -- ranking against the frozen population is the batch run's ranking ---------------------------

RANKS = """\
tierkit: 1
name: watch-ranks
strategy: working-capital
window: {period: month, periods: 3}
criteria:
  paid: {use: payments.received}
  region: customer.region
derive:
  ts: top_share(paid, among=paid > 0)
  cs: cum_share(paid)
  pr: pct_rank(paid, by=region)
  sh: share(paid)
  mm: minmax(paid)
  z: zscore(paid)
decisions:
  category:
    rules:
      - {when: "ts <= 0.3 and cs < 0.8", then: A, because: top}
      - {when: "pr >= 0.5 or sh > 0.1 or mm > 0.5 or z > 0.5", then: B, because: good}
    default: {then: C, because: rest}
"""
RANKED = ["ts", "cs", "pr", "sh", "mm", "z", "category"]


@settings(
    max_examples=property_examples(40),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    paid=st.lists(st.sampled_from([-200, 0, 10, 100, 250, 900, 1000]), min_size=2, max_size=9),
    who=st.integers(min_value=0, max_value=8),
    extra=st.sampled_from([-1500, -100, 1, 150, 900, 5000]),
)
def test_a_customer_alone_is_ranked_as_a_batch_run_would_rank_it(
    tmp_path_factory: pytest.TempPathFactory, paid: list[int], who: int, extra: int
) -> None:
    """Only one customer's data changes: a batch run then gives everyone else their values of
    the last run, so its ranks for that customer are the frozen population's."""
    import polars as pl

    from tierkit.registry import get_registry
    from tierkit.watch import open_session
    from tierkit.watch.decide import decide_customers

    tmp_path = tmp_path_factory.mktemp("ranks")
    ruleset = tmp_path / "ranks.yaml"
    ruleset.write_text(RANKS)
    ids = [f"C{i}" for i in range(len(paid))]
    customer = ids[who % len(ids)]
    folder = tmp_path / "data"
    rows = [(c, "2026-03-15", a) for c, a in zip(ids, paid, strict=True) if a]
    write_data(folder, ids, rows)
    regions = ["customer_id,name,region", *(f"{c},N {c},{'north' if i % 3 else 'south'}"
                                           for i, c in enumerate(ids))]  # fmt: skip
    (folder / "customers.csv").write_text("\n".join(regions) + "\n")
    store = tmp_path / "store.duckdb"
    evaluate(ruleset, folder, as_of=BASE, store=store)
    session, _, _ = open_session(ruleset, folder, store)
    changed = write_data(tmp_path / "changed", ids, [*rows, (customer, "2026-03-20", extra)])
    (changed / "customers.csv").write_text("\n".join(regions) + "\n")
    batch = evaluate(ruleset, changed, as_of=BASE, save=False).values
    tables = {
        name: frame.filter(pl.col("customer_id") == customer).lazy()
        for name, frame in session.tables.items()
    }
    added = pl.DataFrame(
        {"customer_id": [customer], "paid_at": [date(2026, 3, 20)], "amount": [extra * 10_000]}
    )
    tables["payments"] = pl.concat(
        [tables["payments"].collect(), added], how="diagonal_relaxed"
    ).lazy()
    alone = decide_customers(
        session.ruleset, get_registry(), tables, BASE, session.previous, session.frozen
    )
    expected = batch.filter(pl.col("customer_id") == customer).select(RANKED).row(0)
    assert alone.select(RANKED).row(0) == expected


@pytest.mark.parametrize(
    ("given", "units"),
    [
        ("16.448000000000004", 164480),
        ("-0.00005", -1),
        ("0.00004999", 0),
        (16.448000000000004, 164480),
    ],
)
def test_an_event_amount_is_rounded_to_four_decimals_as_in_files(given: object, units: int) -> None:
    from tierkit.watch.events import _money

    assert _money(1, "payments.amount", given, "") == units


@pytest.mark.parametrize("given", [" C1", "C1 ", "\tC1\u00a0"])
def test_an_event_id_is_trimmed_as_in_files(given: str) -> None:
    """A batch run reads ' C1' in payments.csv as the customer C1; an event said "unknown
    customer 'C1 '" and its payment was skipped until the next batch run counted it."""
    from tierkit.contract import Column, ColumnType
    from tierkit.watch.events import RowEvent, parse_event

    schema = {"payments": {"customer_id": Column("customer_id", ColumnType.ID)}}
    text = json.dumps({"table": "payments", "row": {"customer_id": given}})
    event = parse_event(1, text, schema, {"payments": None})
    assert isinstance(event, RowEvent)
    assert (event.customer, event.row["customer_id"]) == ("C1", "C1")


@pytest.mark.parametrize(
    ("given", "day"),
    [
        (" 2026-01-05", date(2026, 1, 5)),  # spaces around it, as in files
        ("2026-01-05T23:30:00+05:00", date(2026, 1, 5)),  # the date as written
        ("2026-01-05 10:00", date(2026, 1, 5)),
        ("20260105", None),  # refused in files; Python's fromisoformat read it
        ("2026-W01-1", None),  # an ISO week date: 2025-12-29 for Python, no date in files
    ],
)
def test_an_event_date_is_read_as_in_files(given: str, day: date | None) -> None:
    from tierkit.watch.events import _date

    if day is None:
        with pytest.raises(BadEvent):
            _date(1, "payments.paid_at", given, "")
    else:
        assert _date(1, "payments.paid_at", given, "") == day


def test_an_event_row_with_a_week_date_is_refused() -> None:
    from tierkit.contract import Column, ColumnType
    from tierkit.watch.events import parse_event

    schema = {"payments": {"paid_at": Column("paid_at", ColumnType.DATE)}}
    text = json.dumps({"table": "payments", "row": {"paid_at": "2026-W01-1"}})
    with pytest.raises(BadEvent, match="'2026-W01-1' is not a date"):
        parse_event(1, text, schema, {"payments": "paid_at"})


@pytest.mark.parametrize("given", ["1e3", "1_000", "\u0661\u0662", "1,234.50", "+-5"])
def test_an_event_amount_text_that_files_refuse_is_refused(given: str) -> None:
    """Python's Decimal reads 1e3, 1_000 and Arabic-Indic digits; a CSV file's amount is
    refused for each, so the live run counted a payment the next batch run stopped on."""
    from tierkit.watch.events import _money

    with pytest.raises(BadEvent, match="is not an amount"):
        _money(1, "payments.amount", given, "")


@pytest.mark.parametrize("given", ["1_000", "\u0661\u0662"])
def test_an_event_number_text_that_files_refuse_is_refused(given: str) -> None:
    from tierkit.contract import ColumnType
    from tierkit.watch.events import _value

    with pytest.raises(BadEvent, match="is not a number"):
        _value(1, "shipments.units", ColumnType.NUMBER, given, "")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[1]", "expected a JSON object, found an array"),
        ('"x"', "expected a JSON object, found a text"),
        ("null", "expected a JSON object, found null"),
        ("true", "expected a JSON object, found true"),
        ("7", "expected a JSON object, found the number 7"),
        ('{"table": "payments", "row": null}', "'row' must be a JSON object, found null"),
        ('{"table": "payments", "row": []}', "'row' must be a JSON object, found an array"),
    ],
)
def test_an_event_that_is_no_object_is_named_in_json_words(text: str, message: str) -> None:
    """`watch` said `found NoneType`, `found list`, `found str`: Python's names, not JSON's."""
    from tierkit.watch.events import parse_event

    with pytest.raises(BadEvent) as caught:
        parse_event(4, text, {}, {})
    assert (caught.value.line, caught.value.message) == (4, message)


def test_spaces_around_an_id_or_a_text_of_an_event_are_dropped_as_in_a_batch_run() -> None:
    """A batch run reads ` C3 ` in a file as the customer `C3`; the same id in an event was
    `unknown customer ' C3 '` and the event was skipped."""
    from tierkit.contract import Column, ColumnType
    from tierkit.watch.events import RowEvent, parse_event

    schema = {"payments": {
        "customer_id": Column("customer_id", ColumnType.ID),
        "method": Column("method", ColumnType.TEXT),
    }}  # fmt: skip
    text = '{"table": "payments", "row": {"customer_id": " C3 ", "method": " card\\t"}}'
    event = parse_event(1, text, schema, {})
    assert isinstance(event, RowEvent)
    assert (event.customer, dict(event.row)) == ("C3", {"customer_id": "C3", "method": "card"})
    number = parse_event(2, '{"table": "payments", "row": {"customer_id": 7, "method": "x"}}',
                         schema, {})
    assert isinstance(number, RowEvent) and number.customer == "7"


def test_events_from_a_named_pipe_are_read_and_a_folder_is_named(tmp_path: Path) -> None:
    """`tierkit watch --events events.fifo` (a named pipe a producer writes into) and
    `--events /dev/stdin` ended with `no such file`, as did a folder."""
    import os
    import threading

    ruleset = tmp_path / "tiers.yaml"
    ruleset.write_text(TIERS)
    data = hand_data(tmp_path)
    store = tmp_path / "store.duckdb"
    evaluate(ruleset, data, as_of=BASE, store=store)
    pipe = tmp_path / "events.fifo"
    os.mkfifo(pipe)

    def produce() -> None:
        with open(pipe, "w") as writer:
            writer.write(payment("C2", "2026-04-02", 2000) + "\n")

    producer = threading.Thread(target=produce)
    producer.start()
    args = ["watch", str(ruleset), "--data", str(data), "--store", str(store)]
    result = CliRunner().invoke(app, [*args, "--events", str(pipe)])
    producer.join(timeout=30)
    assert result.exit_code == 0, result.output
    changed = [json.loads(line) for line in result.stdout.splitlines()][1:]
    # as in the hand-computed April above: C2's 2000 takes C1's place at the top
    assert [(x["customer"], x["old"], x["new"]) for x in changed] == [
        ("C1", "A", "C"), ("C2", "C", "A"),
    ]  # fmt: skip
    result = CliRunner().invoke(app, [*args, "--events", str(tmp_path)])
    assert result.exit_code == 2
    assert f"--events: {tmp_path}: is a folder" in result.output
    result = CliRunner().invoke(app, [*args, "--events", str(tmp_path / "nosuch.jsonl")])
    assert result.exit_code == 2 and "nosuch.jsonl: no such file" in result.output
