"""Built-in criteria over manager assessments: attractiveness, relationship, information
sharing and potential, each a 0–10 score.

STUB: the declarations are final; the compute functions arrive with the data layer.
"""

from __future__ import annotations

from tierkit.contract import Criterion, Param
from tierkit.hookspecs import hookimpl
from tierkit.plugins._columns import DATE, ID, NUMBER, need, not_implemented

ASSESSMENTS = need("assessments", ("customer_id", ID), ("assessed_at", DATE), ("topic", ID),
                   ("score", NUMBER))
TOPICS = {
    "attractiveness": "Attractiveness",
    "relationship": "Relationship quality",
    "information_sharing": "Information sharing",
    "potential": "Potential",
}


@hookimpl
def tierkit_criteria() -> list[Criterion]:
    return [
        Criterion(
            name=f"assessments.{topic}",
            title=title,
            unit="score",
            better="higher",
            description=f"{title} as assessed by managers (0–10): the latest score in the "
            "window, or the mean of the window's scores.",
            needs=(ASSESSMENTS,),
            compute=not_implemented(f"assessments.{topic}"),
            params=(Param("how", "choice", "latest", "latest or mean.",
                          choices=("latest", "mean")),),
            neutral=None,
        )
        for topic, title in TOPICS.items()
    ]
