"""Contracts and manager assessments: the relationship around the orders.

Contracts run back to back from the customer-since date, each for the customer's term. A
customer who leaves either terminates the running contract (ended and terminated that day) or
lets it run out. Managers assess bigger customers more often, about once a quarter, and their
scores follow what the customer does: size and margin, payment habits, delivery trouble,
growth, and a customer about to leave scores lower.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tierkit.demo.profiles import BAD, LATE, PARTIAL, PUNCTUAL, SIZE_SIGMA, Profiles
from tierkit.demo.spec import TOPICS, ActivityMonths, BoolArray, FloatArray, IntArray

TOPIC_ORDER = tuple(sorted(TOPICS))
"""Topics as their rows are sorted within an assessment (alphabetically)."""

TOPIC_PRESENT = {
    "attractiveness": 1.0,
    "relationship": 1.0,
    "information_sharing": 0.85,
    "potential": 0.9,
}
"""Chance that an assessment scores the topic."""


@dataclass(frozen=True)
class Contracts:
    """Contracts of a chunk, sorted by customer and start."""

    customer: IntArray
    seq: IntArray
    started: IntArray
    ended: IntArray
    ended_ok: BoolArray
    terminated_ok: BoolArray


@dataclass(frozen=True)
class Assessments:
    """Assessment rows of a chunk (one per topic scored), sorted by customer, day, topic."""

    customer: IntArray
    day: IntArray
    topic: IntArray
    """Index into :data:`TOPIC_ORDER`."""
    score: FloatArray


def build_contracts(prof: Profiles, window: ActivityMonths) -> Contracts:
    """Back-to-back contracts from the since date until the customer leaves or the as-of date.

    The last contract of a leaver ends the day it leaves (and is terminated if it terminated);
    the running contract of a customer who stays is open (no end date).
    """
    until = np.minimum(prof.leaves, window.as_of)
    span = np.maximum(until - prof.since, 1)
    count = np.where(prof.has_contract, -(-span // prof.contract_term), 0)
    customer = np.repeat(np.arange(len(prof), dtype=np.int64), count)
    first_row = np.repeat(np.cumsum(count) - count, count)
    seq = np.arange(len(customer), dtype=np.int64) - first_row
    term = prof.contract_term[customer]
    started = prof.since[customer] + seq * term
    last = seq == count[customer] - 1
    left = prof.leaves[customer] < window.as_of
    ended = np.where(last, prof.leaves[customer], started + term)
    return Contracts(
        customer=customer,
        seq=seq + 1,
        started=started,
        ended=ended,
        ended_ok=~last | left,
        terminated_ok=last & left & prof.terminated[customer],
    )


def _quarters(window: ActivityMonths) -> tuple[IntArray, IntArray]:
    """Start and end days of the window's quarters (the last may be short)."""
    starts = window.bounds[:-1][::3]
    ends = np.append(starts[1:], window.as_of)
    return starts, ends


def draw_assessments(
    rng: np.random.Generator, prof: Profiles, window: ActivityMonths
) -> Assessments:
    """About quarterly assessments of a size-weighted subset of customers."""
    n = len(prof)
    rank = prof.size_rank
    assessed = rng.random(n) < 0.08 + 0.8 * rank**2
    q_start, q_end = _quarters(window)
    lo = np.maximum(q_start[None, :], prof.since[:, None])
    hi = np.minimum(q_end[None, :], prof.leaves[:, None])
    takes_place = (
        assessed[:, None] & (hi > lo) & (rng.random(lo.shape) < (0.55 + 0.4 * rank)[:, None])
    )
    cust, quarter = np.nonzero(takes_place)
    span = hi[cust, quarter] - lo[cust, quarter]
    day = lo[cust, quarter] + (rng.random(len(cust)) * span).astype(np.int64)
    levels = _score_levels(rng, prof, window)
    rows_customer, rows_day, rows_topic = [], [], []
    for t, topic in enumerate(TOPIC_ORDER):
        present = rng.random(len(cust)) < TOPIC_PRESENT[topic]
        rows_customer.append(cust[present])
        rows_day.append(day[present])
        rows_topic.append(np.full(int(present.sum()), t, dtype=np.int64))
    customer = np.concatenate(rows_customer)
    day_all = np.concatenate(rows_day)
    topic_all = np.concatenate(rows_topic)
    order = np.lexsort((topic_all, day_all, customer))
    customer, day_all, topic_all = customer[order], day_all[order], topic_all[order]
    raw = levels[customer, topic_all] + rng.normal(0.0, 0.6, len(customer))
    score = np.round(np.clip(raw, 0.0, 10.0) * 10.0) / 10.0
    return Assessments(customer=customer, day=day_all, topic=topic_all, score=score)


def _score_levels(rng: np.random.Generator, prof: Profiles, window: ActivityMonths) -> FloatArray:
    """Each customer's typical score per topic (columns in :data:`TOPIC_ORDER`)."""
    n = len(prof)
    size = prof.size / SIZE_SIGMA
    payer_effect = np.select(
        [prof.payer == PUNCTUAL, prof.payer == LATE, prof.payer == PARTIAL, prof.payer == BAD],
        [0.8, -0.4, -1.2, -2.5],
    )
    leaving = prof.leaves < window.as_of
    relationship = (
        6.5 + payer_effect - 6.0 * prof.late_delivery - 1.5 * leaving + rng.normal(0, 0.8, n)
    )
    level = {
        "attractiveness": 5.0 + 1.8 * size + 6.0 * (prof.margin - 0.2) + rng.normal(0, 0.8, n),
        "relationship": relationship,
        "information_sharing": 5.5
        + 0.5 * (relationship - 6.5)
        + 15.0 * (0.1 - prof.late_delivery)
        + rng.normal(0, 1.0, n),
        "potential": 5.0 + 6.0 * prof.trend + 0.5 * size + rng.normal(0, 0.8, n),
    }
    return np.stack([level[t] for t in TOPIC_ORDER], axis=1)
