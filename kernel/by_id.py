"""Per-customer frames put side by side by ``customer_id``.

Every stage that adds columns to the results (a previous run's values, the near miss, the
strategy's value) holds one row per customer, almost always the same customers in the same
order. Then the columns are set beside each other; a join of a million ids would cost 0.1 to
0.3 s (docs/performance.md).
"""

from __future__ import annotations

import polars as pl

from tierkit.columns import ID


def beside(frame: pl.DataFrame, other: pl.DataFrame, on: str = ID) -> pl.DataFrame:
    """``frame`` with the other columns of ``other`` (one row per ``on`` value) matched by
    ``on``, in ``frame``'s order; missing where ``other`` has no such row."""
    if frame[on].equals(other[on]):
        return frame.hstack(other.drop(on))
    return frame.join(other, on=on, how="left", validate="1:1", maintain_order="left")
