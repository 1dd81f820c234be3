"""The typed model of a ruleset file, and the JSON Schema generated from it.

Pydantic checks the document's shape (keys, types, allowed values) against it;
:mod:`tierkit.ruleset.shape` turns its errors into located problems. The
meaning (names, expressions, types) is checked later by :mod:`tierkit.ruleset.compile`.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    field_validator,
)
from pydantic.json_schema import GenerateJsonSchema

from tierkit.ruleset.hit import LETTERS, SPELLINGS, normalize_hit

IDENTIFIER = r"^[A-Za-z_][A-Za-z0-9_]*$"
RULESET_NAME = r"^[a-z0-9][a-z0-9_.-]*$"

Scalar = str | bool | int | float
Name = Annotated[str, Field(pattern=IDENTIFIER)]


MAX_BECAUSE = 1_000
"""A reason (``because``) is at most this many characters: results repeat it for every customer."""


def _empty_dict() -> dict[Any, Any]:
    """An empty mapping for a default. A Python function, not ``dict``: pydantic reads the
    signature of a default factory, and a built-in's costs compiling the tokenizer's patterns
    (about 40 ms at every start of the command)."""
    return {}


def _empty_list() -> list[Any]:
    """An empty list for a default (see :func:`_empty_dict`)."""
    return []


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class WindowSpec(_Strict):
    """How the time before the as-of date is split into periods."""

    period: Literal["month", "quarter", "year"] = Field(
        "month", description="Length of one period."
    )
    periods: int = Field(12, ge=1, le=600, description="How many periods the window holds.")


class CriterionUse(_Strict):
    """A criterion used by the ruleset, under a name of the ruleset's choosing."""

    use: str = Field(
        description="The criterion (as listed by `tierkit plugins`), `value` for the "
        "strategy's value, or `customer.COLUMN` for a column of the customers table.",
        examples=["payments.received", "value", "tenure.months", "customer.region"],
    )
    per: Literal["window", "period"] = Field(
        "window",
        description="`window`: one value for the whole window; `period`: one value per period.",
    )
    periods: int | None = Field(
        None, ge=1, le=600, description="This criterion's own number of periods."
    )
    params: dict[str, Scalar] = Field(
        default_factory=_empty_dict, description="The criterion's parameters."
    )
    title: str | None = None
    type: Literal["text", "number", "date", "boolean"] | None = Field(
        None,
        description="For `use: customer.COLUMN` only: the column's type (text unless given; "
        "date for `since`).",
    )


def _criterion_tag(value: Any) -> str:
    return "name" if isinstance(value, str) else "mapping"


CriterionEntry = Annotated[
    Annotated[str, Tag("name")] | Annotated[CriterionUse, Tag("mapping")],
    Discriminator(_criterion_tag),
]


class Rule(_Strict):
    """One row of a decision table."""

    when: str | bool = Field(description="A condition: an expression that is true or false.")
    then: Scalar = Field(description="The decision's value when the condition holds.")
    because: str | None = Field(
        None, max_length=MAX_BECAUSE, description="Why, in words, shown with the result."
    )
    name: str | None = Field(None, description="A short name for the rule; defaults to its number.")


class Default(_Strict):
    """The value of a decision for customers no rule decides."""

    then: Scalar
    because: str | None = Field(None, max_length=MAX_BECAUSE)


class DecisionTable(_Strict):
    """A decision table: rules tried in order."""

    model_config = ConfigDict(title="Decision")

    rules: list[Rule] = Field(default_factory=_empty_list)
    default: Default | None = None
    hit: str = Field(
        "first",
        description="The hit policy (DMN 1.5): `first` (the first matching rule decides), "
        "`unique`, `any`, `priority`, `rule order`, `output order`, `collect`, or `collect "
        "sum|min|max|count`; DMN's letters U, A, P, F, R, O, C, C+, C<, C>, C# too.",
        examples=["first", "unique", "priority", "collect sum", "C+"],
    )
    aggregate: Literal["sum", "min", "max", "count"] | None = Field(
        None, description="With `hit: collect`: sum, min, max or count the matching values."
    )
    outcomes: list[Scalar] | None = Field(
        None,
        description="The decision's values, best first: what up and down mean for it, and "
        "how `priority` and `output order` order matches (DMN's outputValues). "
        "Default: the order of the rules, then the default.",
        examples=[["A", "B", "C"]],
    )
    title: str | None = None
    description: str | None = None

    @field_validator("hit", mode="after")
    @classmethod
    def _known_hit(cls, value: str) -> str:
        return normalize_hit(value)


class Example(_Strict):
    """An analyst's example: given values, the expected decisions."""

    name: str
    given: dict[str, Any] = Field(default_factory=_empty_dict)
    expect: dict[str, Any]
    population: list[dict[str, Any]] | None = Field(
        None, description="Several customers, for examples that test ranking."
    )
    customer: str | int | None = Field(
        None, description="With `population`: the customer whose results are expected."
    )
    transactions: dict[str, list[dict[str, Any]]] | None = Field(
        None,
        description="Tiny tables (payments, shipments, ...: a list of rows each) from which "
        "the criteria not given are computed, as in a real run; needs `as_of`.",
    )
    as_of: dt.date | None = Field(None, description="The as-of date for `transactions`.")

    @field_validator("as_of", mode="before")
    @classmethod
    def _iso_text(cls, value: Any) -> Any:
        """A quoted "2026-04-01" too: editors checking the JSON Schema read a date as text."""
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                return value  # reported as not a date
        return value


class RulesetModel(_Strict):
    """A tierkit ruleset."""

    tierkit: Literal[1] = Field(description="The ruleset format version.")

    @field_validator("tierkit", mode="before")
    @classmethod
    def _exactly_one(cls, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError("not the whole number 1")
        return value

    name: str = Field(pattern=RULESET_NAME)
    title: str | None = None
    description: str | None = None
    strategy: str | None = Field(
        None, description="What `value` means; `working-capital` when not given."
    )
    window: WindowSpec = Field(default_factory=lambda: WindowSpec())
    criteria: dict[Name, CriterionEntry] = Field(default_factory=_empty_dict)
    derive: dict[Name, str | bool | int | float] = Field(default_factory=_empty_dict)
    decisions: dict[Name, DecisionTable] = Field(min_length=1)
    main: Name | None = Field(
        None,
        description="The main decision, which summaries, diffs and reports show first and "
        "policies are keyed by. Default: the decision named `category`, else the first.",
    )
    policies: dict[str, dict[str, Scalar | None]] = Field(default_factory=_empty_dict)
    tests: list[Example] = Field(default_factory=_empty_list)


class _SchemaNames(GenerateJsonSchema):
    """Definition names as the published schema spells them (``DecisionTable`` is ``Decision``)."""

    def normalize_name(self, name: str) -> str:
        return super().normalize_name(name).replace("DecisionTable", "Decision")


def json_schema() -> dict[str, Any]:
    """The JSON Schema of a ruleset file (draft 2020-12)."""
    schema = RulesetModel.model_json_schema(schema_generator=_SchemaNames)
    for section in ("criteria", "derive", "decisions"):  # names are checked by editors too
        schema["properties"][section]["propertyNames"] = {"pattern": IDENTIFIER}
    hit = schema["$defs"]["Decision"]["properties"]["hit"]
    hit["enum"] = [*SPELLINGS, *(s.upper() for s in SPELLINGS), *LETTERS]
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "tierkit ruleset"
    return schema
