"""Orders and what follows from them: shipments, invoices and the payments of those invoices.

Each order is shipped on the day it is placed and invoiced on shipment (an order with nothing
shipped is not invoiced). Orders come at a per-customer rate shaped by the season and the
customer's growth trend, only while the customer is a customer.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tierkit.demo.columns import sequence_within
from tierkit.demo.profiles import BAD, LATE, PARTIAL, PUNCTUAL, Profiles
from tierkit.demo.spec import ActivityMonths, BoolArray, FloatArray, IntArray

SEASON = np.array(
    [0.86, 0.88, 0.97, 0.98, 1.00, 0.96, 0.85, 0.82, 1.02, 1.08, 1.22, 1.36], dtype=np.float64
)
"""Order-rate factor by calendar month (mean 1): a summer dip and a fourth-quarter peak."""


@dataclass(frozen=True)
class Orders:
    """Every order of a chunk, sorted by customer (index within the chunk) and day."""

    customer: IntArray
    day: IntArray
    ordered_units: IntArray
    units: IntArray


@dataclass(frozen=True)
class Deliveries:
    """Promised and actual delivery of each order; ``delivered_ok`` is false when not (yet)
    delivered."""

    promised: IntArray
    delivered: IntArray
    delivered_ok: BoolArray


@dataclass(frozen=True)
class Invoices:
    """Invoices of a chunk (the orders with something shipped), in order order."""

    customer: IntArray
    seq: IntArray
    issued: IntArray
    due: IntArray
    amount_cents: IntArray
    cost_cents: IntArray


@dataclass(frozen=True)
class Payments:
    """Payments of a chunk, sorted by customer, day and invoice."""

    customer: IntArray
    invoice_seq: IntArray
    paid: IntArray
    due: IntArray
    amount_cents: IntArray


GROWTH = 3.0
"""The largest log change of a customer's order rate from the middle of the window (a factor of
20): a trend of +20% a year compounded over a history of a century made rates beyond what
Poisson draws (and memory) take; over the default 24 months no rate comes near it."""


def draw_orders(rng: np.random.Generator, prof: Profiles, window: ActivityMonths) -> Orders:
    """Orders per customer and month: Poisson at the customer's seasonal, trending rate."""
    count, months = len(prof), window.months
    lo = np.maximum(window.bounds[None, :-1], prof.since[:, None])
    hi = np.minimum(window.bounds[None, 1:], prof.leaves[:, None])
    covered = np.clip(hi - lo, 0, None)
    month_days = np.diff(window.bounds).astype(np.float64)
    middle = (window.bounds[:-1] + window.bounds[1:]) / 2.0
    years = (middle - middle.mean()) / 365.25
    rate = (
        prof.order_rate[:, None]
        * SEASON[window.month_of_year - 1][None, :]
        * np.exp(np.clip(prof.trend[:, None] * years[None, :], -GROWTH, GROWTH))
        * (covered / month_days[None, :])
    )
    per_cell = rng.poisson(rate).ravel()
    cell = np.repeat(np.arange(count * months, dtype=np.int64), per_cell)
    customer = cell // months
    day = lo.ravel()[cell] + (rng.random(len(cell)) * covered.ravel()[cell]).astype(np.int64)
    order = np.lexsort((day, customer))
    customer, day = customer[order], day[order]
    value_cents = prof.ticket[customer] * 100.0 * np.exp(rng.normal(0.0, 0.4, len(day)))
    ordered = np.maximum(1, np.round(value_cents / prof.unit_price_cents[customer]))
    ordered = ordered.astype(np.int64)
    short = rng.random(len(day)) < prof.incomplete[customer]
    shipped_share = rng.uniform(0.0, 0.95, len(day))
    units = np.where(short, np.floor(ordered * shipped_share).astype(np.int64), ordered)
    return Orders(customer=customer, day=day, ordered_units=ordered, units=units)


def draw_deliveries(
    rng: np.random.Generator, prof: Profiles, orders: Orders, window: ActivityMonths
) -> Deliveries:
    """Delivery against the promised date: mostly on time, some days late, a few weeks late.
    Deliveries on or after the as-of date (and empty shipments) are not delivered yet."""
    n = len(orders.day)
    lead = prof.lead_days[orders.customer]
    promised = orders.day + lead
    on_time = orders.day + 1 + (rng.random(n) * lead).astype(np.int64)
    very_late = rng.random(n) < 0.1
    delay = rng.geometric(0.25, n) + np.where(very_late, rng.geometric(0.05, n), 0)
    late = rng.random(n) < prof.late_delivery[orders.customer]
    delivered = np.where(late, promised + delay, on_time).astype(np.int64)
    ok = (delivered < window.as_of) & (orders.units > 0)
    return Deliveries(promised=promised, delivered=delivered, delivered_ok=ok)


def draw_invoices(rng: np.random.Generator, prof: Profiles, orders: Orders) -> Invoices:
    """One invoice per order with units shipped, priced at the customer's unit price give or
    take a little; cost follows the customer's margin, which is negative for a few."""
    keep = orders.units > 0
    customer, day, units = orders.customer[keep], orders.day[keep], orders.units[keep]
    n = len(day)
    price = prof.unit_price_cents[customer] * np.exp(rng.normal(0.0, 0.04, n))
    amount = np.maximum(np.round(units * price), 100).astype(np.int64)
    cost_share = (1.0 - prof.margin[customer]) * np.exp(rng.normal(0.0, 0.06, n))
    cost = np.maximum(np.round(amount * cost_share), 1).astype(np.int64)
    return Invoices(
        customer=customer,
        seq=sequence_within(customer),
        issued=day,
        due=day + prof.payment_terms[customer],
        amount_cents=amount,
        cost_cents=cost,
    )


def _by_payer(payer: IntArray, values: dict[int, FloatArray]) -> FloatArray:
    """Pick, per invoice, the value for its customer's payer kind."""
    kinds = [PUNCTUAL, LATE, PARTIAL, BAD]
    result: FloatArray = np.select([payer == k for k in kinds], [values[k] for k in kinds])
    return result


def _delays(rng: np.random.Generator, payer: IntArray) -> IntArray:
    """Days after the due date an invoice (or its first part) is paid; negative is early."""
    n = len(payer)
    punctual = np.where(
        rng.random(n) < 0.08, rng.integers(1, 11, n), -rng.integers(0, 11, n)
    ).astype(np.float64)
    delay = _by_payer(
        payer,
        {
            PUNCTUAL: punctual,
            LATE: np.exp(rng.normal(np.log(12.0), 0.8, n)),
            PARTIAL: np.exp(rng.normal(np.log(6.0), 0.8, n)) - 3.0,
            BAD: np.exp(rng.normal(np.log(40.0), 0.7, n)),
        },
    )
    return np.round(delay).astype(np.int64)


def draw_payments(
    rng: np.random.Generator, prof: Profiles, inv: Invoices, window: ActivityMonths
) -> Payments:
    """Payments of the invoices: on time, late, in two parts, or never; payments that would
    fall on or after the as-of date have not happened yet."""
    n = len(inv.issued)
    payer = prof.payer[inv.customer]

    def chance(p: dict[int, float]) -> BoolArray:
        return rng.random(n) < _by_payer(payer, {k: np.full(n, v) for k, v in p.items()})

    split = chance({PUNCTUAL: 0.01, LATE: 0.05, PARTIAL: 0.6, BAD: 0.35})
    never = chance({PUNCTUAL: 0.0, LATE: 0.01, PARTIAL: 0.02, BAD: 0.12})
    rest_never = chance({PUNCTUAL: 0.2, LATE: 0.2, PARTIAL: 0.25, BAD: 0.5})
    first_paid = np.maximum(inv.issued, inv.due + _delays(rng, payer))
    rest_paid = first_paid + rng.integers(10, 91, n)
    share = rng.uniform(0.3, 0.8, n)
    first_cents = np.clip(np.round(inv.amount_cents * share), 1, inv.amount_cents - 1)
    first_cents = np.where(split, first_cents, inv.amount_cents).astype(np.int64)
    first = ~never & (first_paid < window.as_of)
    rest = split & ~never & ~rest_never & (rest_paid < window.as_of)
    customer = np.concatenate([inv.customer[first], inv.customer[rest]])
    seq = np.concatenate([inv.seq[first], inv.seq[rest]])
    paid = np.concatenate([first_paid[first], rest_paid[rest]])
    due = np.concatenate([inv.due[first], inv.due[rest]])
    cents = np.concatenate([first_cents[first], (inv.amount_cents - first_cents)[rest]])
    order = np.lexsort((seq, paid, customer))
    return Payments(
        customer=customer[order],
        invoice_seq=seq[order],
        paid=paid[order],
        due=due[order],
        amount_cents=cents[order],
    )
