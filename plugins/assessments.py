"""Built-in criteria over manager assessments: attractiveness, relationship, information
sharing and potential, each a 0-10 score.

Assessments count in the window (or period) that holds their ``assessed_at`` date; rows without
a score are ignored.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from tierkit.contract import ComputeFn, Criterion, Param, Tables, Window
from tierkit.hookspecs import hookimpl
from tierkit.plugins._columns import DATE, ID, NUMBER, need
from tierkit.plugins._window import FIXED_SCALE, Frame, fixed, keyed, keys, ratio, result

if TYPE_CHECKING:
    import narwhals.stable.v2 as nw
else:  # imported on first use: loading a plugin computes nothing
    from tierkit.plugins._lazy import nw

ASSESSMENTS = need(
    "assessments", ("customer_id", ID), ("assessed_at", DATE), ("topic", ID), ("score", NUMBER)
)
TOPICS = {
    "attractiveness": "Attractiveness",
    "relationship": "Relationship quality",
    "information_sharing": "Information sharing",
    "potential": "Potential",
}


def score(topic: str) -> ComputeFn:
    """The compute function of ``assessments.<topic>``."""

    def compute(tables: Tables, window: Window, params: Mapping[str, Any]) -> Frame:
        """``how=latest``: the score of the latest assessment (highest score among those on the
        latest date); ``how=mean``: the mean score, from an exact sum."""
        rows = keyed(tables["assessments"], "assessed_at", window, params).filter(
            (nw.col("topic") == topic) & ~nw.col("score").is_null()
        )
        if params.get("how", "latest") == "mean":
            rows = rows.with_columns(score=fixed(nw.col("score")))
            totals = rows.group_by(*keys(rows, params)).agg(
                nw.col("score").sum(), nw.len().alias("n")
            )
            return result(totals, ratio(nw.col("score"), nw.col("n") * FIXED_SCALE))
        last = nw.col("assessed_at").max().over(*keys(rows, params))
        latest = rows.filter(nw.col("assessed_at") == last)
        per_key = latest.group_by(*keys(latest, params)).agg(nw.col("score").max())
        return result(per_key, nw.col("score"))

    return compute


@hookimpl
def tierkit_criteria() -> list[Criterion]:
    return [
        Criterion(
            name=f"assessments.{topic}",
            title=title,
            unit="score",
            better="higher",
            description=f"{title} as assessed by managers (0-10), over assessments dated in the "
            "window (or in each period): the latest score (of several on the latest date, the "
            "highest), or the mean of the scores (how=mean). Missing without assessments.",
            needs=(ASSESSMENTS,),
            compute=score(topic),
            params=(
                Param("how", "choice", "latest", "latest or mean.", choices=("latest", "mean")),
            ),
            neutral=None,
            minimum=0,
            maximum=10,
        )
        for topic, title in TOPICS.items()
    ]
