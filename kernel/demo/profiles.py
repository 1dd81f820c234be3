"""Who the demo customers are: size, arrival, leaving, contract terms and habits.

Every later table is drawn from these per-customer traits, so behaviour is consistent: a big
customer orders more and is assessed more often, a late payer is late on most invoices, a
customer who leaves stops ordering and its last contract ends or is terminated.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tierkit.demo import names
from tierkit.demo.spec import ActivityMonths, BoolArray, FloatArray, IntArray

SIZE_SIGMA = 1.15
"""Spread of log customer size; with arrivals, leavers and order noise the top 20% of
customers hold about 70% of the money."""

YEARS_BEFORE_WINDOW = 8
"""Long-standing customers arrived up to this many years before the window."""

SHARE_BEFORE_WINDOW = 0.6
"""Share of customers who were already customers when the window starts."""

MEAN_LIFETIME_DAYS = 7 * 365
"""Mean time a customer stays, for a customer of median size (bigger ones stay longer)."""

SHARE_WITH_CONTRACT = 0.9
TERMINATE_SHARE = 0.45
"""Of the customers who leave under contract, this share terminates early; the others let
the contract run out."""

CONTRACT_TERMS_DAYS = np.array([365, 730, 1095], dtype=np.int64)
PAYMENT_TERMS_DAYS = np.array([30, 45, 60], dtype=np.int64)

PUNCTUAL, LATE, PARTIAL, BAD = 0, 1, 2, 3
PAYER_WEIGHTS = np.array([0.6, 0.25, 0.1, 0.05])


@dataclass(frozen=True)
class Profiles:
    """Traits of one chunk of customers, one array element per customer."""

    number: IntArray
    """Global customer number, 1-based: customer C0000042 is number 42."""
    size: FloatArray
    """Log size, normal with spread :data:`SIZE_SIGMA`."""
    since: IntArray
    leaves: IntArray
    """The day the customer stops ordering; on or after the as-of date for those who stay."""
    terminated: BoolArray
    """Leaves by terminating the running contract early."""
    has_contract: BoolArray
    contract_term: IntArray
    order_rate: FloatArray
    """Expected orders per month in an average month."""
    ticket: FloatArray
    """Typical order value in EUR."""
    unit_price_cents: IntArray
    margin: FloatArray
    trend: FloatArray
    """Yearly log growth of the order rate."""
    payment_terms: IntArray
    payer: IntArray
    """:data:`PUNCTUAL`, :data:`LATE`, :data:`PARTIAL` or :data:`BAD`."""
    lead_days: IntArray
    late_delivery: FloatArray
    incomplete: FloatArray
    segment: IntArray
    region: IntArray
    manager: IntArray
    name_parts: tuple[IntArray, IntArray, IntArray]

    def __len__(self) -> int:
        return len(self.number)

    @property
    def size_rank(self) -> FloatArray:
        """Size as a share in (0, 1), about the customer's percentile in the population."""
        result: FloatArray = 1.0 / (1.0 + np.exp(-1.702 * self.size / SIZE_SIGMA))
        return result


def draw_profiles(
    rng: np.random.Generator, first: int, count: int, window: ActivityMonths, managers: int
) -> Profiles:
    """Traits of customers ``first`` … ``first + count - 1``."""
    size = rng.normal(0.0, SIZE_SIGMA, count)
    since = _arrivals(rng, count, window)
    has_contract = rng.random(count) < SHARE_WITH_CONTRACT
    term = rng.choice(CONTRACT_TERMS_DAYS, count, p=[0.45, 0.35, 0.2])
    leaves, terminated = _leaving(rng, size, since, has_contract, term, window)
    return Profiles(
        number=np.arange(first, first + count, dtype=np.int64),
        size=size,
        since=since,
        leaves=leaves,
        terminated=terminated,
        has_contract=has_contract,
        contract_term=term,
        order_rate=np.minimum(0.55 * np.exp(0.35 * size + rng.normal(0, 0.25, count)), 12.0),
        ticket=900.0 * np.exp(0.65 * size + rng.normal(0, 0.3, count)),
        unit_price_cents=np.round(3000 * np.exp(rng.normal(0, 0.5, count))).astype(np.int64),
        margin=rng.normal(0.2, 0.1, count),
        trend=rng.normal(0.03, 0.2, count),
        payment_terms=rng.choice(PAYMENT_TERMS_DAYS, count, p=[0.5, 0.3, 0.2]),
        payer=rng.choice(4, count, p=PAYER_WEIGHTS).astype(np.int64),
        lead_days=rng.integers(2, 8, count, dtype=np.int64),
        late_delivery=rng.beta(1.2, 10.0, count),
        incomplete=rng.beta(1.0, 16.0, count),
        segment=_pick(rng, count, names.SEGMENT_WEIGHTS),
        region=_pick(rng, count, names.REGION_WEIGHTS),
        manager=rng.integers(0, managers, count, dtype=np.int64),
        name_parts=(
            rng.integers(0, len(names.SURNAMES), count, dtype=np.int64),
            rng.integers(0, len(names.TRADES), count, dtype=np.int64),
            _pick(rng, count, names.LEGAL_WEIGHTS),
        ),
    )


def _pick(rng: np.random.Generator, count: int, weights: tuple[float, ...]) -> IntArray:
    """``count`` indexes into ``weights``, each drawn with its weight."""
    p = np.array(weights) / sum(weights)
    return rng.choice(len(weights), count, p=p).astype(np.int64)


def _arrivals(rng: np.random.Generator, count: int, window: ActivityMonths) -> IntArray:
    """Customer-since days: most before the window, the rest spread over it."""
    before = rng.random(count) < SHARE_BEFORE_WINDOW
    span = window.as_of - window.start
    early = window.start - rng.integers(1, YEARS_BEFORE_WINDOW * 365, count, dtype=np.int64)
    during = window.start + rng.integers(0, span, count, dtype=np.int64)
    return np.where(before, early, during)


def _leaving(
    rng: np.random.Generator,
    size: FloatArray,
    since: IntArray,
    has_contract: BoolArray,
    term: IntArray,
    window: ActivityMonths,
) -> tuple[IntArray, BoolArray]:
    """The day each customer leaves and whether it terminates its contract to do so.

    A leaving customer under contract either terminates it on the day it decides to go, or
    lets it run to its scheduled end and does not renew.
    """
    count = len(size)
    mean_life = MEAN_LIFETIME_DAYS * np.exp(0.3 * size)
    decided = np.maximum(since, window.start) + 1 + rng.exponential(mean_life).astype(np.int64)
    terminates = has_contract & (rng.random(count) < TERMINATE_SHARE)
    runs_out = since + ((decided - since) // term + 1) * term
    leaves = np.where(has_contract & ~terminates, runs_out, decided)
    terminated = terminates & (leaves < window.as_of)
    return leaves.astype(np.int64), terminated
