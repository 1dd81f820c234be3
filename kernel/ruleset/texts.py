"""Texts a ruleset gives every customer (``then``) are bounded, as ``because`` is.

The results repeat a decision's value for every customer: a value of 100,000 characters
across 200,000 customers is 20 GB. A ``then`` text longer than :data:`MAX_BECAUSE` characters
is a :class:`~tierkit.errors.LimitError` at its place in the file.
"""

from __future__ import annotations

from typing import Any

from tierkit.errors import LimitError, RulesetProblem
from tierkit.ruleset.model import MAX_BECAUSE
from tierkit.ruleset.source import Document, KeyPath

MAX_THEN = MAX_BECAUSE
"""A decision's value given as text is at most this many characters."""


def long_texts(doc: Document) -> list[RulesetProblem]:
    """A problem for each ``then`` text longer than :data:`MAX_THEN`."""
    decisions = doc.data.get("decisions") if isinstance(doc.data, dict) else None
    if not isinstance(decisions, dict):
        return []
    problems = []
    for name, decision in decisions.items():
        if not isinstance(decision, dict):
            continue
        places: list[tuple[KeyPath, Any]] = []
        rules = decision.get("rules")
        if isinstance(rules, list):
            for index, rule in enumerate(rules):
                if isinstance(rule, dict):
                    places.append((("decisions", name, "rules", index, "then"), rule.get("then")))
        default = decision.get("default")
        if isinstance(default, dict):
            places.append((("decisions", name, "default", "then"), default.get("then")))
        for path, value in places:
            if isinstance(value, str) and len(value) > MAX_THEN:
                where = "'" + str(path[0])
                where += "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path[1:])
                where += "'"
                problems.append(
                    doc.problem(
                        LimitError,
                        f"{where} is {len(value):,} characters long; at most {MAX_THEN:,} "
                        "are allowed",
                        path,
                        hint="the results repeat it for every customer; name the outcome in a "
                        "word or two and say why in 'because'",
                    )
                )
    return problems
