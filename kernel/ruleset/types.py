"""Types of ruleset expressions: a base type, per customer or per period, possibly missing."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

BaseType = Literal["number", "boolean", "text", "date", "list"]


@dataclass(frozen=True)
class Type:
    """The type of a value: its base, whether it has one value per period, whether it can be
    missing, and (for lists) the type of its items."""

    base: BaseType
    per_period: bool = False
    nullable: bool = True
    item: BaseType | None = None

    def describe(self) -> str:
        if self.base == "list":
            text = f"a list of {self.item or 'values'}s"
        else:
            text = {
                "number": "a number",
                "boolean": "true/false",
                "text": "a text",
                "date": "a date",
            }[self.base]
        return f"{text} per period" if self.per_period else text

    def scalar(self) -> Type:
        return replace(self, per_period=False)

    def with_period(self, per_period: bool) -> Type:
        return replace(self, per_period=per_period)


NUMBER = Type("number")
BOOLEAN = Type("boolean", nullable=False)
TEXT = Type("text")
DATE = Type("date")
