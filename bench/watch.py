"""Measure ``tierkit watch``: events per second between two batch runs (docs/watch.md).

Writes a seeded data set (CUSTOMERS customers, twelve months of payments before the as-of
date), saves a batch run of a ruleset in a fresh history store, then feeds a month of payments
(EVENTS events, in date order, as JSON lines) to the watch through the Python API, recording
every change in the store as the command does. Prints the start-up time, the events per second
(reading, parsing, deciding, recording), the changes, and the cost of one time event (every
customer decided again)::

    python bench/watch.py [--customers 10000] [--events 100000] [--ruleset both] [--engine vector]

The CPU time is printed beside the wall time: on a shared machine the wall time also counts
the time other processes held the cores.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

TIERS = """\
tierkit: 1
name: bench-tiers
strategy: working-capital
window: {period: month, periods: 6}
criteria:
  paid: {use: payments.received}
  payments: {use: payments.count}
decisions:
  category:
    rules:
      - {when: "paid >= 20000", then: A, because: "20,000 or more in six months"}
      - {when: "paid >= 5000 or payments >= 12", then: B, because: "5,000, or 12 payments"}
    default: {then: C, because: "everyone else"}
"""

AS_OF = date(2026, 4, 1)


def write_data(folder: Path, customers: int, events: int, seed: int) -> list[str]:
    """The data before AS_OF as CSV files; returns a month of payments after it as events."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    ids = [f"C{i:07d}" for i in range(1, customers + 1)]
    weight = [rng.paretovariate(1.2) for _ in ids]
    with (folder / "customers.csv").open("w") as out:
        out.write("customer_id,name\n")
        out.writelines(f"{c},Customer {c}\n" for c in ids)
    start = AS_OF - timedelta(days=365)
    with (folder / "payments.csv").open("w") as out:
        out.write("customer_id,paid_at,amount\n")
        for customer in rng.choices(ids, weight, k=customers * 12):
            day = start + timedelta(days=rng.randrange(365))
            out.write(f"{customer},{day},{rng.randrange(1000, 500000) / 100}\n")
    lines = []
    for customer in rng.choices(ids, weight, k=events):
        day = AS_OF + timedelta(days=rng.randrange(30))
        amount = rng.randrange(-20000, 500000) / 100
        row = {"customer_id": customer, "paid_at": day.isoformat(), "amount": amount}
        lines.append((day, json.dumps({"table": "payments", "row": row})))
    lines.sort(key=lambda pair: pair[0])  # stable: same-day payments keep their order
    return [line for _, line in lines]


def measure(
    ruleset: str, data: Path, store: Path, events: list[str], engine: str = "vector"
) -> dict[str, float]:
    from tierkit import evaluate
    from tierkit.watch import open_session

    evaluate(ruleset, data, as_of=AS_OF, store=store)
    began = time.perf_counter()
    session, started, log = open_session(ruleset, data, store, engine=engine)
    ready, cpu = time.perf_counter(), time.process_time()
    changes = sum(1 for _ in session.run(iter(events), log.record, log.release))
    done, cpu_done = time.perf_counter(), time.process_time()
    tick = sum(1 for _ in session.run(iter(['{"time": "2026-05-01"}']), log.record, log.release))
    ticked = time.perf_counter()
    # a live stream: each event alone, the input idle after it (decided, recorded, released)
    alone = [item for line in events[-200:] for item in (line.replace("2026-04", "2026-05"), None)]
    sum(1 for _ in session.run(iter(alone), log.record, log.release))
    lived = time.perf_counter()
    return {
        "start_s": ready - began,
        "events": len(events),
        "seconds": done - ready,
        "events_per_s": len(events) / (done - ready),
        "cpu_s": cpu_done - cpu,
        "changes": changes,
        "decided": session.decided,
        "time_event_s": ticked - done,
        "alone_ms": (lived - ticked) / 200 * 1000,
        "time_event_changes": tick,
        "customers": started.customers,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--ruleset", choices=("tiers", "abc-pareto", "both"), default="both")
    parser.add_argument("--engine", choices=("vector", "durable"), default="vector")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        events = write_data(root / "data", args.customers, args.events, args.seed)
        (root / "tiers.yaml").write_text(TIERS)
        chosen = {
            "tiers": [str(root / "tiers.yaml")],
            "abc-pareto": ["abc-pareto"],
            "both": [str(root / "tiers.yaml"), "abc-pareto"],
        }[args.ruleset]
        for number, ruleset in enumerate(chosen):
            store = root / f"store{number}.duckdb"
            found = measure(ruleset, root / "data", store, events, args.engine)
            name = f"{Path(ruleset).stem} ({args.engine})"
            print(
                f"{name}: {found['customers']:,} customers, {found['events']:,} events in "
                f"{found['seconds']:.2f} s = {found['events_per_s']:,.0f} events/s "
                f"(CPU {found['cpu_s']:.2f} s: {found['events'] / found['cpu_s']:,.0f} events/s); "
                f"{found['changes']:,} changes recorded; start-up {found['start_s']:.2f} s; "
                f"a time event (everyone again) {found['time_event_s']:.2f} s; "
                f"an event alone {found['alone_ms']:.0f} ms"
            )


if __name__ == "__main__":
    main()
