"""Company-shaped data for tests: shaped like real exports, not like tierkit's demo.

- :func:`cd_retailer`: a CD retailer's customers (the CDNOW shape): a cohort of 23,570
  customers who first bought in one quarter, about half never buying again, repeat buyers with
  heavy-tailed rates over eighteen months, amounts built from a handful of list prices (so many
  customers tie), a few zero amounts and refunds, two calendar months with no sale at all, and
  ids ``"1"`` to ``"23570"``, written in text order ("1", "10", "100", ...) as a text-sorted
  export would be.
- :func:`superstore`: a superstore's order lines with profit (the Superstore shape): 793
  customers, four years of invoices with amount and cost, discounts that make whole customers
  lose money, months whose net profit is negative (:data:`LOSS_MONTHS`), credit notes, and
  customers ``"9"`` and ``"10"`` with the same net profit in every window.

Every generator is seeded and gives rows as plain Python values (dates as ``date``, amounts as
two-decimal :class:`~decimal.Decimal`); :func:`write_csv` writes a folder tierkit reads, and
:func:`read_csv` reads it back with the standard library only, for computations that must not
share code with tierkit.
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

CENT = Decimal("0.01")
PRICES = [Decimal(p) for p in ("9.99", "11.77", "12.49", "13.97", "14.96", "15.99", "23.98")]
"""CD list prices: an order is a few of them, so totals repeat and customers tie."""
CD_START, CD_END = date(1997, 1, 1), date(1998, 7, 1)
CD_EMPTY_MONTHS = ((1997, 10), (1998, 4))
"""Months in which the CD retailer recorded no sale (a closed shop, a lost export)."""

STORE_START, STORE_END = date(2014, 1, 1), date(2018, 1, 1)
LOSS_MONTHS = ((2017, 3), (2017, 8))
"""Months of 2017 whose net profit over all customers is negative (a clearance sale)."""


@dataclass(frozen=True)
class Dataset:
    """Tables as rows of plain values, by table name, with the date the data ends at."""

    tables: dict[str, list[dict[str, object]]]
    end: date


def _days(start: date, end: date) -> int:
    return (end - start).days


def _month_of(day: date) -> tuple[int, int]:
    return day.year, day.month


def _order_amount(rng: random.Random) -> Decimal:
    items = 1
    while rng.random() < 0.45 and items < 12:
        items += 1
    return sum((rng.choice(PRICES) for _ in range(items)), Decimal(0))


def cd_retailer(customers: int = 23570, seed: int = 1997) -> Dataset:
    """The CD retailer (see the module): customers, payments and shipments, ending 1998-07-01."""
    rng = random.Random(seed)
    payments: list[dict[str, object]] = []
    shipments: list[dict[str, object]] = []
    for number in range(1, customers + 1):
        cid = str(number)
        first = CD_START + timedelta(days=rng.randrange(90))
        days = [first]
        if rng.random() < 0.48:  # a repeat buyer; the rest buy once
            rate = rng.lognormvariate(-0.3, 1.1)  # repeat orders per year, heavy-tailed
            span = _days(first, CD_END)
            for _ in range(min(60, int(rng.expovariate(1 / (rate * span / 365)) + 1))):
                # repeat buying fades: later days are less likely
                offset = int(span * rng.random() ** 1.6)
                days.append(first + timedelta(days=max(1, min(span - 1, offset))))
        for day in days:
            if _month_of(day) in CD_EMPTY_MONTHS:
                continue
            amount = Decimal(0) if rng.random() < 0.004 else _order_amount(rng)
            payments.append({"customer_id": cid, "paid_at": day, "amount": amount})
            if amount > 0:
                late = rng.random() < 0.08
                shipments.append(
                    {
                        "customer_id": cid,
                        "shipped_at": day,
                        "units": int(amount // Decimal("9.99")) or 1,
                        "promised_at": day + timedelta(days=5),
                        "delivered_at": day + timedelta(days=rng.randint(6, 12) if late else 3),
                    }
                )
            if amount > 0 and rng.random() < 0.01:  # a returned CD, refunded some days later
                back = day + timedelta(days=rng.randint(3, 40))
                if back < CD_END and _month_of(back) not in CD_EMPTY_MONTHS:
                    refund = -rng.choice([p for p in PRICES if p <= amount] or [amount])
                    payments.append({"customer_id": cid, "paid_at": back, "amount": refund})
    ids = sorted(str(n) for n in range(1, customers + 1))  # text order, as exported
    table = [{"customer_id": cid, "name": f"Listener {cid}"} for cid in ids]
    rng.shuffle(payments)
    return Dataset({"customers": table, "payments": payments, "shipments": shipments}, CD_END)


def superstore(customers: int = 793, seed: int = 2017) -> Dataset:
    """The superstore (see the module): customers with segment and region, and invoices with
    amount and cost (net profit = amount - cost), ending 2018-01-01."""
    rng = random.Random(seed)
    regions = ["Central", "East", "South", "West"]
    segments = ["Consumer", "Corporate", "Home Office"]
    table: list[dict[str, object]] = []
    invoices: list[dict[str, object]] = []
    number = 0

    def invoice(cid: str, day: date, amount: Decimal, cost: Decimal) -> None:
        nonlocal number
        number += 1
        invoices.append(
            {
                "customer_id": cid,
                "invoice_id": f"INV-{number:06d}",
                "issued_at": day,
                "amount": amount,
                "cost": cost,
            }
        )

    span = _days(STORE_START, STORE_END)
    for n in range(1, customers + 1):
        cid = str(n)
        table.append(
            {
                "customer_id": cid,
                "name": f"Customer {cid}",
                "segment": rng.choice(segments),
                "region": rng.choice(regions),
            }
        )
        if n in (9, 10):
            continue  # the twins below
        habit = rng.random()  # a discount hunter loses the store money on most orders
        for _ in range(rng.randint(1, 13)):
            day = STORE_START + timedelta(days=rng.randrange(span))
            amount = (Decimal(rng.lognormvariate(4.5, 1.2)) + 1).quantize(CENT)
            if _month_of(day) in LOSS_MONTHS:
                margin = Decimal(rng.choice([-80, -60, -45, -30]))  # clearance at a loss
            elif habit < 0.15:
                margin = Decimal(rng.choice([-40, -25, -10, 5]))
            else:
                margin = Decimal(rng.choice([-5, 10, 15, 20, 25, 30, 40]))
            cost = (amount * (100 - margin) / 100).quantize(CENT)
            invoice(cid, day, amount, cost)
            if rng.random() < 0.04:  # goods returned: a credit note, the cost taken back
                back = day + timedelta(days=rng.randint(2, 30))
                if back < STORE_END:
                    invoice(cid, back, -amount, -cost)
            elif rng.random() < 0.03:  # a price reduction after a complaint: no cost back
                back = day + timedelta(days=rng.randint(2, 30))
                if back < STORE_END:
                    invoice(cid, back, -(amount / 10).quantize(CENT), Decimal(0))
        if n % 97 == 0:  # orders of equal profit in the same months: exact ties
            for month in (2, 6, 11):
                invoice(cid, date(2017, month, 14), Decimal("500.00"), Decimal("380.00"))
    for cid in ("9", "10"):  # the same invoices: "9" must rank before "10"
        for month in range(1, 13):
            invoice(cid, date(2017, month, 3), Decimal("1250.00"), Decimal("1000.00"))
        invoice(cid, date(2016, 5, 3), Decimal("1250.00"), Decimal("1000.00"))
    rng.shuffle(invoices)
    return Dataset({"customers": table, "invoices": invoices}, STORE_END)


def write_csv(dataset: Dataset, folder: Path) -> Path:
    """One CSV file per table in ``folder`` (created); dates ISO, amounts as written."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in dataset.tables.items():
        with (folder / f"{name}.csv").open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            for row in rows:
                writer.writerow({k: _text(v) for k, v in row.items()})
    return folder


def _text(value: object) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)


def read_csv(path: Path) -> list[dict[str, str]]:
    """The rows of one CSV file as text, with the standard library only."""
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))
