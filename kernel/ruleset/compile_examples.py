"""Checking the examples written in a ruleset (``tests:``) against what it defines."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from tierkit.errors import (
    ExampleError,
    did_you_mean,
)
from tierkit.numbers import literal
from tierkit.ruleset.attributes import (
    criterion_for,
)
from tierkit.ruleset.compile_decisions import then_base
from tierkit.ruleset.compile_step import CompileStep
from tierkit.ruleset.compiled import (
    CompiledDecision,
    CriterionBinding,
    DerivedFact,
)
from tierkit.ruleset.source import KeyPath
from tierkit.ruleset.types import Type


class ExampleStep(CompileStep):
    """Check every example's names and values."""

    def examples(
        self,
        criteria: Mapping[str, CriterionBinding],
        derived: Mapping[str, DerivedFact],
        decisions: Mapping[str, CompiledDecision],
    ) -> None:
        givable: dict[str, Type] = {n: b.type for n, b in criteria.items()}
        givable.update({n: d.expr.type for n, d in derived.items()})
        givable.update({f"previous.{n}": d.type for n, d in decisions.items()})
        givable.update({n: d.type for n, d in decisions.items()})  # to test a later decision
        expectable: dict[str, Type] = {n: d.type for n, d in decisions.items()}
        expectable.update({n: d.expr.type for n, d in derived.items()})
        for name in self.removed.names:  # reported already; their values cannot be checked
            givable.setdefault(name, Type("list"))
            expectable.setdefault(name, Type("list"))
            givable.setdefault(f"previous.{name}", Type("list"))
        for i, example in enumerate(self.model.tests):
            base: KeyPath = ("tests", i)
            self.example_values(example.given, givable, (*base, "given"), "given")
            self.example_values(example.expect, expectable, (*base, "expect"), "expected")
            self.example_outcomes(example.expect, decisions, (*base, "expect"))
            self.example_transactions(example, criteria, base)
            if example.population is not None:
                for j, row in enumerate(example.population):
                    row_path = (*base, "population", j)
                    if "customer_id" not in row:
                        self.add(ExampleError, "a population row needs a customer_id", row_path)
                    rest = {k: v for k, v in row.items() if k != "customer_id"}
                    self.example_values(rest, givable, row_path, "given")
                ids = [str(r["customer_id"]) for r in example.population if "customer_id" in r]
                seen: set[str] = set()
                for j, row in enumerate(example.population):
                    if "customer_id" not in row:
                        continue
                    if str(row["customer_id"]) in seen:
                        self.add(
                            ExampleError,
                            f"customer_id {row['customer_id']!r} appears more than once in the "
                            "example's population",
                            (*base, "population", j, "customer_id"),
                        )
                    seen.add(str(row["customer_id"]))
                if example.customer is None:
                    self.add(
                        ExampleError,
                        "an example with a population must name the customer "
                        "whose results it expects (customer:)",
                        base,
                    )
                elif str(example.customer) not in ids:
                    self.add(
                        ExampleError,
                        f"customer {example.customer!r} is not in the example's population",
                        (*base, "customer"),
                    )

    def example_transactions(
        self, example: Any, criteria: Mapping[str, CriterionBinding], base: KeyPath
    ) -> None:
        """``transactions`` need ``as_of`` and must be tables some criterion reads."""
        if example.transactions is None:
            return
        if example.as_of is None:
            self.add(
                ExampleError,
                "an example with transactions needs as_of: the date its window ends at",
                (*base, "transactions"),
                key=True,
            )
        tables = {
            n.table
            for b in criteria.values()
            for n in criterion_for(b, self.registry.criteria).needs
        } | {"customers"}
        for table in example.transactions:
            if table not in tables:
                self.add(
                    ExampleError,
                    f"transactions for table '{table}', which no criterion "
                    f"of this ruleset reads{did_you_mean(table, tables)}",
                    (*base, "transactions", table),
                    key=True,
                    hint="tables read: " + ", ".join(sorted(tables)),
                )

    def example_outcomes(
        self, expect: Mapping[str, Any], decisions: Mapping[str, CompiledDecision], path: KeyPath
    ) -> None:
        """An expected decision value must be one the decision can give."""
        for key, value in expect.items():
            decision = decisions.get(key)
            if decision is None or decision.hit == "collect" or value is None:
                continue
            if decision.aggregate is not None:
                continue
            same = next((o for o in decision.outcomes if o == value), None)
            if same is None or then_base(value) != then_base(same):  # 10.0 is 10; true is not 1
                choices = ", ".join(literal(o) for o in decision.outcomes)
                self.add(
                    ExampleError,
                    f"expects {key} = {literal(value)}, which decision '{key}' never gives"
                    f"{did_you_mean(str(value), [str(o) for o in decision.outcomes])}",
                    (*path, key),
                    hint=f"it gives: {choices}",
                )

    def example_values(
        self, values: Mapping[str, Any], known: Mapping[str, Type], path: KeyPath, what: str
    ) -> None:
        for key, value in values.items():
            wanted = known.get(key)
            if wanted is None:
                self.add(
                    ExampleError,
                    f"unknown name '{key}' in {what} values{did_you_mean(key, known)}",
                    (*path, key),
                    key=True,
                    hint="names: " + ", ".join(sorted(known)),
                )
                continue
            if key.removeprefix("previous.") in self.removed.names:
                continue
            problem = example_value_problem(value, wanted)
            if problem:
                self.add(ExampleError, f"'{key}': {problem}", (*path, key))


def example_value_problem(value: Any, wanted: Type) -> str | None:
    if value is None:
        return None
    if wanted.per_period:
        if not isinstance(value, list):
            return f"expected a list of values, one per period ({wanted.describe()})"
        items = value
        scalar = wanted.scalar()
    elif wanted.base == "list":
        if not isinstance(value, list):
            return f"expected a list ({wanted.describe()})"
        items = value
        scalar = Type(wanted.item or "text")
    else:
        items = [value]
        scalar = wanted
    for item in items:
        if item is None:
            continue
        if scalar.base == "number" and isinstance(item, float) and not math.isfinite(item):
            return f"expected a number, found {literal(item)}: write null for a missing value"
        ok = {
            "number": isinstance(item, int | float) and not isinstance(item, bool),
            "boolean": isinstance(item, bool),
            "text": isinstance(item, str),
            "date": hasattr(item, "isoformat"),
            "list": isinstance(item, list),
        }[scalar.base]
        if not ok:
            return f"expected {scalar.describe()}, found {literal(item)}"
    return None
