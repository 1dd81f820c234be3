"""The built-in functions of the expression language, with their documentation.

docs/ruleset-reference.md is checked against this table by a test, so every function listed
here is documented with an example. Extra functions come from plugins (``tierkit_functions``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

FunctionKind = Literal["ranking", "aggregate", "value"]


@dataclass(frozen=True)
class Builtin:
    name: str
    kind: FunctionKind
    signature: str
    summary: str
    example: str


BUILTINS: tuple[Builtin, ...] = (
    # ranking: population functions, derive only; among= limits the population, by= ranks
    # each group of a per-customer value (a customer attribute such as region) on its own
    Builtin(
        "top_share",
        "ranking",
        "top_share(x, among=condition, by=group)",
        "Position in the population ordered by x (larger first, ties by customer_id), "
        "divided by N: 1/N for the first customer, 1 for the last.",
        "top_20: top_share(paid) <= 0.20",
    ),
    Builtin(
        "cum_share",
        "ranking",
        "cum_share(x, among=condition, by=group)",
        "Share of the positive total of x (the sum of max(x, 0)) held by the customers ranked "
        "strictly ahead: 0 for the first, 1 for a customer with x <= 0.",
        "a_class: cum_share(value) < 0.80",
    ),
    Builtin(
        "pct_rank",
        "ranking",
        "pct_rank(x, among=condition, by=group)",
        "Percentile rank in [0, 1], 1 for the best: (N - position) / (N - 1); 1 when N = 1.",
        "high_value: pct_rank(value) >= 0.5",
    ),
    Builtin(
        "share",
        "ranking",
        "share(x, among=condition, by=group)",
        "The customer's own x divided by the positive total of x (the sum of max(x, 0)); "
        "negative for a loss.",
        "big: share(value) >= 0.01",
    ),
    Builtin(
        "minmax",
        "ranking",
        "minmax(x, among=condition, by=group)",
        "x scaled to [0, 1] between the population's smallest and largest value "
        "(0 when all are equal).",
        "score: 0.6 * minmax(value) + 0.4 * minmax(tenure)",
    ),
    Builtin(
        "zscore",
        "ranking",
        "zscore(x, among=condition, by=group)",
        "(x - mean) / standard deviation over the population (0 when all are equal).",
        "outlier: zscore(value) > 3",
    ),
    # aggregates: collapse per-period values to one
    Builtin(
        "any",
        "aggregate",
        "any(b)",
        "True when b holds in at least one period.",
        "vip: any(vip_month)",
    ),
    Builtin(
        "all", "aggregate", "all(b)", "True when b holds in every period.", "steady: all(paid > 0)"
    ),
    Builtin(
        "count",
        "aggregate",
        "count(b)",
        "The number of periods in which b holds.",
        "active_months: count(paid > 0)",
    ),
    Builtin(
        "sum",
        "aggregate",
        "sum(x)",
        "The sum over the periods (missing periods count 0).",
        "total: sum(paid)",
    ),
    Builtin(
        "mean",
        "aggregate",
        "mean(x)",
        "The mean over the periods that have a value.",
        "average: mean(paid)",
    ),
    Builtin(
        "min", "aggregate", "min(x)", "The smallest value over the periods.", "worst: min(on_time)"
    ),
    Builtin(
        "max", "aggregate", "max(x)", "The largest value over the periods.", "best_month: max(paid)"
    ),
    Builtin(
        "last", "aggregate", "last(x)", "The value of the most recent period.", "latest: last(paid)"
    ),
    Builtin(
        "trend",
        "aggregate",
        "trend(x)",
        "Least-squares slope of x against the period number (change per period); missing "
        "with fewer than two periods that have a value.",
        "growing: trend(paid) > 0",
    ),
    # value functions: per customer (and per period)
    Builtin(
        "bands",
        "value",
        "bands(x, [edges], [points])",
        "Points for x on a scale: points[i] where edges[i-1] <= x < edges[i]; one more point "
        "than edges; missing x gives missing.",
        "size_points: bands(value, [1000, 10000, 100000], [0, 1, 2, 3])",
    ),
    Builtin(
        "missing",
        "value",
        "missing(x)",
        "True when x has no value.",
        "never_assessed: missing(relationship)",
    ),
    Builtin(
        "coalesce",
        "value",
        "coalesce(x, y, ...)",
        "The first of its arguments that has a value.",
        "rel: coalesce(relationship, 5)",
    ),
    Builtin(
        "date",
        "value",
        "date('YYYY-MM-DD')",
        "A date constant.",
        "recent: since >= date('2024-01-01')",
    ),
)

BUILTIN_NAMES = {b.name: b for b in BUILTINS}
RANKING = frozenset(b.name for b in BUILTINS if b.kind == "ranking")
AGGREGATES = frozenset(b.name for b in BUILTINS if b.kind == "aggregate")
