"""Hit policies of decision tables, as DMN 1.5 defines them, and their spellings.

A policy is written as a word (``first``, ``unique``, ``rule order``, ``collect sum``) or as
DMN's letter (``F``, ``U``, ``R``, ``C+``); case, ``_`` and ``-`` do not matter. Every spelling
comes down to one canonical policy and, for ``collect``, an optional aggregation.
"""

from __future__ import annotations

from typing import Literal

Policy = Literal["first", "unique", "any", "priority", "rule order", "output order", "collect"]
Aggregate = Literal["sum", "min", "max", "count"]

SINGLE: frozenset[str] = frozenset({"first", "unique", "any", "priority"})
"""Policies that give one value per customer."""
LISTS: frozenset[str] = frozenset({"rule order", "output order", "collect"})
"""Policies that give a list of values (``collect`` unless it aggregates)."""
ORDERED: frozenset[str] = frozenset({"priority", "output order"})
"""Policies that order matches by the decision's ``outcomes``."""

LETTERS: dict[str, str] = {
    "U": "unique",
    "A": "any",
    "P": "priority",
    "F": "first",
    "R": "rule order",
    "O": "output order",
    "C": "collect",
    "C+": "collect sum",
    "C<": "collect min",
    "C>": "collect max",
    "C#": "collect count",
}
"""DMN's letters (the hit-policy cell of a table) and the policies they stand for."""

AGGREGATE_LETTER: dict[str, str] = {"sum": "+", "min": "<", "max": ">", "count": "#"}
AGGREGATE_DMN: dict[str, str] = {"sum": "SUM", "min": "MIN", "max": "MAX", "count": "COUNT"}

SPELLINGS: tuple[str, ...] = (
    "first",
    "unique",
    "any",
    "priority",
    "rule order",
    "output order",
    "collect",
    "collect sum",
    "collect min",
    "collect max",
    "collect count",
)
"""Every canonical spelling of ``hit:``."""


def normalize_hit(text: str) -> str:
    """The canonical spelling of a hit policy, or ValueError listing the allowed ones."""
    stripped = text.strip()
    if stripped.upper() in LETTERS:
        return LETTERS[stripped.upper()]
    words = " ".join(stripped.lower().replace("_", " ").replace("-", " ").split())
    if words in SPELLINGS:
        return words
    allowed = ", ".join(SPELLINGS)
    raise ValueError(
        f"not a hit policy; expected one of {allowed} (or DMN's U, A, P, F, R, O, C, C+, C<, "
        "C>, C#)"
    )


def split_hit(hit: str, aggregate: str | None) -> tuple[Policy, Aggregate | None]:
    """A canonical ``hit`` (and the separate ``aggregate:`` key) as policy and aggregation."""
    if hit.startswith("collect "):
        return "collect", hit.removeprefix("collect ")  # type: ignore[return-value]
    return hit, aggregate  # type: ignore[return-value]


def dmn_letter(policy: str, aggregate: str | None) -> str:
    """The DMN letter of a policy (``C+`` for collect sum)."""
    letter = {v: k for k, v in LETTERS.items() if len(k) == 1}[policy]
    return letter + (AGGREGATE_LETTER[aggregate] if aggregate else "")
