"""Limits for what grows with the population: values per customer and period.

A ruleset with per-period criteria (``per: period``) holds one row per customer and period of
its window, with every per-period value and derived fact in it. 600 monthly periods at 200,000
customers would be 120 million rows, tens of gigabytes; such a run is refused before the data
is computed, with the numbers and what to change. See "Limits" in docs/ruleset-reference.md.
"""

from __future__ import annotations

from tierkit.errors import TierkitError
from tierkit.ruleset.compiled import CompiledRuleset

MAX_PERIOD_ROWS = 20_000_000
"""Customers × periods a run with per-period criteria may hold (a few GB of memory)."""


class PopulationLimit(TierkitError):
    """A run would hold more values than tierkit evaluates at once."""


def period_span(ruleset: CompiledRuleset) -> int:
    """Periods per customer the run holds: 0 without per-period criteria, else the longest of
    the window and the per-period criteria's own ``periods``."""
    periods = [b.periods for b in ruleset.criteria.values() if b.per_period]
    return max(ruleset.periods, *periods) if periods else 0


def check_population(ruleset: CompiledRuleset, customers: int) -> None:
    """Refuse a run of ``customers`` with more than :data:`MAX_PERIOD_ROWS` customer periods."""
    span = period_span(ruleset)
    rows = customers * span
    if rows <= MAX_PERIOD_ROWS:
        return
    most = max(1, MAX_PERIOD_ROWS // max(customers, 1))
    raise PopulationLimit(
        f"{ruleset.path}: {customers:,} customers × {span:,} {ruleset.period}ly periods "
        f"(the window and the per-period criteria) are {rows:,} customer periods; a run holds "
        f"at most {MAX_PERIOD_ROWS:,}. For {customers:,} customers use at most {most:,} periods "
        "(window: periods), a longer period (quarter or year), or fewer customers per run "
        "(see 'Limits' in docs/ruleset-reference.md)"
    )
