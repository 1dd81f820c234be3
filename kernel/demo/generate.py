"""Generate the six demo tables chunk by chunk and write them to a folder.

Customers are generated in chunks of :data:`~tierkit.demo.spec.CHUNK_SIZE`. Chunk ``k`` draws
from its own random stream, seeded by ``(seed, k)``, and covers customers with consecutive
numbers, so the chunks append in customer order and memory stays bounded by one chunk. The
same spec gives byte-identical files.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from tierkit.demo import activity, names, relations
from tierkit.demo.columns import (
    dates,
    document_ids,
    integers,
    money,
    numbered,
)
from tierkit.demo.profiles import Profiles, draw_profiles
from tierkit.demo.spec import CHUNK_SIZE, TABLES, ActivityMonths, DemoFormat, DemoSpec, IntArray
from tierkit.demo.write import TableWriter

ProgressFn = Callable[[str, int, int], None]
"""Called after each chunk of each table: (table, customers done, rows written so far)."""

_CHUNK_STREAM = 1
_MANAGER_STREAM = 2

CURRENCY = "EUR"


@dataclass(frozen=True)
class WrittenTable:
    """One table the demo wrote: its name, file and number of rows."""

    table: str
    path: Path
    rows: int


def manager_names(spec: DemoSpec) -> list[str]:
    """The account managers of the demo company: about one per 300 customers, at least 3."""
    wanted = -(-spec.customers // names.CUSTOMERS_PER_MANAGER)
    count = min(max(3, wanted), names.MANAGERS_MAX)
    rng = np.random.default_rng([spec.seed, _MANAGER_STREAM])
    picks = rng.permutation(names.MANAGERS_MAX)[:count]
    last = len(names.SURNAMES)
    return [f"{names.FIRST_NAMES[p // last]} {names.SURNAMES[p % last]}" for p in picks]


def chunk_frames(spec: DemoSpec, chunk: int, managers: list[str]) -> dict[str, pl.DataFrame]:
    """Every table's rows for the customers of chunk ``chunk`` (0-based)."""
    first = chunk * CHUNK_SIZE + 1
    count = min(CHUNK_SIZE, spec.customers - first + 1)
    rng = np.random.default_rng([spec.seed, _CHUNK_STREAM, chunk])
    window = ActivityMonths.of(spec)
    prof = draw_profiles(rng, first, count, window, len(managers))
    digits = numbered(prof.number, spec.id_width)
    ids = ("C" + digits).alias("customer_id")
    orders = activity.draw_orders(rng, prof, window)
    deliveries = activity.draw_deliveries(rng, prof, orders, window)
    invoices = activity.draw_invoices(rng, prof, orders)
    payments = activity.draw_payments(rng, prof, invoices, window)
    contracts = relations.build_contracts(prof, window)
    assessments = relations.draw_assessments(rng, prof, window)
    return {
        "customers": _customers(prof, ids, managers),
        "payments": _payments(payments, ids, digits),
        "invoices": _invoices(invoices, ids, digits),
        "shipments": _shipments(orders, deliveries, ids),
        "contracts": _contracts(contracts, ids, digits),
        "assessments": _assessments(assessments, ids),
    }


def _customers(prof: Profiles, ids: pl.Series, managers: list[str]) -> pl.DataFrame:
    """The customers table: id, company name, since, segment, region, account manager."""
    surname, trade, legal = prof.name_parts
    return pl.DataFrame(
        {
            "customer_id": ids,
            "s": pl.Series(names.SURNAMES).gather(surname),
            "t": pl.Series(names.TRADES).gather(trade),
            "l": pl.Series(names.LEGAL_FORMS).gather(legal),
            "since": dates("since", prof.since),
            "segment": pl.Series(names.SEGMENTS).gather(prof.segment),
            "region": pl.Series(names.REGIONS).gather(prof.region),
            "manager": pl.Series(managers).gather(prof.manager),
        }
    ).select(
        "customer_id",
        pl.concat_str("s", "t", "l", separator=" ").alias("name"),
        "since",
        "segment",
        "region",
        "manager",
    )


def _invoice_ids(name: str, digits: pl.Series, customer: IntArray, seq: IntArray) -> pl.Series:
    """Invoice numbers such as ``INV-0000042-0007``."""
    return document_ids(name, "INV-", digits.gather(customer), seq, 4)


def _payments(pay: activity.Payments, ids: pl.Series, digits: pl.Series) -> pl.DataFrame:
    """The payments table of a chunk."""
    n = len(pay.paid)
    return pl.DataFrame(
        [
            ids.gather(pay.customer),
            dates("paid_at", pay.paid),
            money("amount", pay.amount_cents),
            _invoice_ids("invoice_id", digits, pay.customer, pay.invoice_seq),
            dates("due_at", pay.due),
            pl.repeat(CURRENCY, n, eager=True, dtype=pl.String).alias("currency"),
        ]
    )


def _invoices(inv: activity.Invoices, ids: pl.Series, digits: pl.Series) -> pl.DataFrame:
    """The invoices table of a chunk."""
    return pl.DataFrame(
        [
            ids.gather(inv.customer),
            _invoice_ids("invoice_id", digits, inv.customer, inv.seq),
            dates("issued_at", inv.issued),
            money("amount", inv.amount_cents),
            dates("due_at", inv.due),
            money("cost", inv.cost_cents),
        ]
    )


def _shipments(
    orders: activity.Orders, deliveries: activity.Deliveries, ids: pl.Series
) -> pl.DataFrame:
    """The shipments table of a chunk: one row per order."""
    return pl.DataFrame(
        [
            ids.gather(orders.customer),
            dates("shipped_at", orders.day),
            integers("units", orders.units),
            dates("promised_at", deliveries.promised),
            dates("delivered_at", deliveries.delivered, deliveries.delivered_ok),
            integers("ordered_units", orders.ordered_units),
        ]
    )


def _contracts(con: relations.Contracts, ids: pl.Series, digits: pl.Series) -> pl.DataFrame:
    """The contracts table of a chunk; terminated contracts end the day they are terminated."""
    return pl.DataFrame(
        [
            ids.gather(con.customer),
            document_ids("contract_id", "CT-", digits.gather(con.customer), con.seq, 2),
            dates("started_at", con.started),
            dates("ended_at", con.ended, con.ended_ok),
            dates("terminated_at", con.ended, con.terminated_ok),
        ]
    )


def _assessments(ass: relations.Assessments, ids: pl.Series) -> pl.DataFrame:
    """The assessments table of a chunk."""
    return pl.DataFrame(
        [
            ids.gather(ass.customer),
            dates("assessed_at", ass.day),
            pl.Series("topic", relations.TOPIC_ORDER).gather(ass.topic),
            pl.Series("score", ass.score, dtype=pl.Float64),
        ]
    )


def chunk_count(spec: DemoSpec) -> int:
    """How many chunks the spec's customers make."""
    return -(-spec.customers // CHUNK_SIZE)


def iter_chunks(spec: DemoSpec) -> Iterator[tuple[int, dict[str, pl.DataFrame]]]:
    """``(customers done, tables of the chunk)`` for every chunk, in customer order."""
    managers = manager_names(spec)
    for chunk in range(chunk_count(spec)):
        done = min((chunk + 1) * CHUNK_SIZE, spec.customers)
        yield done, chunk_frames(spec, chunk, managers)


def demo_frames(spec: DemoSpec) -> dict[str, pl.DataFrame]:
    """All six tables in memory, for small specs (tests, notebooks)."""
    parts: dict[str, list[pl.DataFrame]] = {table: [] for table in TABLES}
    for _, frames in iter_chunks(spec):
        for table, frame in frames.items():
            parts[table].append(frame)
    return {table: pl.concat(frames) for table, frames in parts.items()}


def generate_demo(
    spec: DemoSpec,
    folder: Path,
    fmt: DemoFormat = DemoFormat.CSV,
    progress: ProgressFn | None = None,
) -> list[WrittenTable]:
    """Write the six demo tables of ``spec`` into ``folder`` (created if missing), one file
    per table, replacing files of the same name. Returns what was written, in table order."""
    folder.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        writers = {t: stack.enter_context(TableWriter(t, folder, fmt)) for t in TABLES}
        for done, frames in iter_chunks(spec):
            for table, frame in frames.items():
                writers[table].write(frame)
                if progress is not None:
                    progress(table, done, writers[table].rows)
    return [WrittenTable(t, w.path, w.rows) for t, w in writers.items()]
