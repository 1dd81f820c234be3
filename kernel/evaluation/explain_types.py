"""What an explanation holds (per decision, every rule's condition checked, an override, the
near miss) and how it reads in a terminal."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tierkit.numbers import value_text
from tierkit.visible import visible


@dataclass(frozen=True)
class RuleCheck:
    index: int
    when: str
    then: Any
    because: str | None
    holds: bool
    missing: tuple[str, ...]
    """Values the condition reads that the customer does not have."""
    decided: bool


@dataclass(frozen=True)
class OverrideNote:
    """An override that replaced the rules' value of one decision for one customer."""

    value: Any
    """The final value, the override's."""
    decided: Any
    """The value the rules decided."""
    note: str
    """The override as the results describe it (``NAME.override``)."""
    id: int | None = None
    reason: str | None = None
    approved_by: str | None = None
    valid_until: Any = None
    recorded_by: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "value": self.value,
            "decided": self.decided,
            "reason": self.reason,
            "approved_by": self.approved_by,
            "valid_until": None if self.valid_until is None else str(self.valid_until),
            "recorded_by": self.recorded_by,
            "note": self.note,
        }


@dataclass(frozen=True)
class DecisionExplanation:
    name: str
    value: Any
    rule: int | None
    because: str | None
    rules: tuple[RuleCheck, ...]
    default: Any
    override: OverrideNote | None = None
    """Set when an override replaced ``value``, the rules' value."""


@dataclass(frozen=True)
class Explanation:
    customer_id: str
    name: str
    values: dict[str, Any]
    decisions: tuple[DecisionExplanation, ...]
    near_miss: tuple[str, ...] = field(default_factory=tuple)
    meanings: dict[str, str] = field(default_factory=dict)
    """What a ranked value means, for the values that are rankings (``ahead``: "share of
    the positive total of cash held by the customers ranked ahead")."""
    distance: dict[str, Any] = field(default_factory=dict)
    """The main decision's near-miss columns for this customer (``to_better``, ``to_worse``,
    ``limited_by``), as the results have them."""

    def describe(self) -> str:
        """The explanation as text, as ``tierkit explain`` prints it."""
        return describe(self)

    def as_dict(self) -> dict[str, Any]:
        return {
            "customer_id": self.customer_id,
            "name": self.name,
            "values": self.values,
            "decisions": [
                {
                    "decision": d.name,
                    "value": d.value if d.override is None else d.override.value,
                    "decided": d.value,
                    "override": None if d.override is None else d.override.as_dict(),
                    "rule": d.rule,
                    "because": d.because,
                    "default": d.default,
                    "rules": [
                        {
                            "rule": r.index,
                            "when": r.when,
                            "then": r.then,
                            "holds": r.holds,
                            "missing": list(r.missing),
                            "decided": r.decided,
                        }
                        for r in d.rules
                    ],
                }
                for d in self.decisions
            ],
            "near_miss": list(self.near_miss),
            "meanings": dict(self.meanings),
            "distance": self.distance,
        }


def describe(explanation: Explanation) -> str:
    """The explanation as text for a terminal."""
    lines = [f"{explanation.customer_id} {explanation.name}"]
    lines.append("  values:")
    for name, value in explanation.values.items():
        meaning = explanation.meanings.get(name)
        lines.append(
            f"    {name} = {'missing' if value is None else value_text(value)}"
            + (f"  ({meaning})" if meaning else "")
        )
    for decision in explanation.decisions:
        decided = f"rule {decision.rule}" if decision.rule else "the default"
        why = f"by {decided}" + (f": {decision.because}" if decision.because else "")
        if decision.override is not None:
            lines.extend(_override_lines(decision.name, decision.override, why))
        else:
            lines.append(f"  {decision.name} = {value_text(decision.value)}  ({why})")
        for rule in decision.rules:
            mark = "→" if rule.decided else " "
            state = "true" if rule.holds else "false"
            if not rule.holds and rule.missing:
                state = f"false (missing: {', '.join(rule.missing)})"
            then = value_text(rule.then)
            lines.append(f"   {mark} rule {rule.index}: {rule.when}  ⇒ {then}   [{state}]")
        if decision.default is not None:
            mark = "→" if decision.rule == 0 else " "
            lines.append(f"   {mark} default ⇒ {value_text(decision.default)}")
    for miss in explanation.near_miss:
        lines.append(f"  near miss: {miss}")
    return "\n".join(visible(line) for line in lines)


def _override_lines(name: str, override: OverrideNote, why: str) -> list[str]:
    if override.id is None:
        return [
            f"  {name} = {value_text(override.value)}  ({override.note})",
            f"    the rules decided {value_text(override.decided)} ({why})",
        ]
    recorded = f"; recorded by {override.recorded_by}" if override.recorded_by else ""
    return [
        f"  {name} = {value_text(override.value)}  (by override #{override.id}: {override.reason})",
        f"    approved by {override.approved_by}, in force until {override.valid_until}{recorded}",
        f"    the rules decided {value_text(override.decided)} ({why})",
    ]
