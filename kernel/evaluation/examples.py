"""Run a ruleset's own examples (``tests:``) with the vector engine.

An example gives values straight away: for criteria (one value, or a list oldest first for a
per-period criterion), for derived facts (used as they are, not computed) and for
``previous.NAME``. Its rows are the ``population`` (``given`` values apply to every row, a row's
own value wins), or one customer called ``example`` made of ``given``. From those values the
runner builds the two evaluation frames directly and then runs the ruleset's derived facts and
decisions with the same :class:`~tierkit.engines.vector.expressions.Compiler` and
:func:`~tierkit.engines.vector.decide.decide` as a real run, so an example tests the exact meaning.

Filling, as in a real run:

- a criterion an example does not give takes the criterion's neutral value (0 for sums and
  counts, missing for rates and scores); a per-period criterion takes it in each of its own
  periods and is missing outside them;
- when any row gives a derived fact, the given values are used for every row (missing where a
  row gives none) and the fact is not computed;
- ``previous.NAME`` is missing where it is not given (a customer without a previous run).

A per-period value is a list with one item per period of the criterion's own window (its
``periods:``, or the ruleset's), oldest first; a list of another length fails the example with
a message naming the example, the customer and the criterion.

Examples may also give tiny transaction tables (:func:`criteria_from_transactions`): the
criteria are then computed by their plugins from those rows, as of a date, and values given
directly still win.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path

from tierkit.engines.vector.frames import ID
from tierkit.errors import TierkitError
from tierkit.evaluation.example_checks import check, describe_result
from tierkit.evaluation.example_frames import evaluate_rows
from tierkit.evaluation.example_transactions import criteria_from_transactions
from tierkit.evaluation.example_values import (
    EXAMPLE_CUSTOMER,
    Check,
    ExampleFailure,
    ExampleResult,
    Given,
    TransactionTables,
)
from tierkit.registry import Registry
from tierkit.ruleset.compiled import CompiledRuleset
from tierkit.ruleset.model import Example
from tierkit.ruleset.read import read_document

__all__ = [
    "EXAMPLE_CUSTOMER",
    "Check",
    "ExampleFailure",
    "ExampleResult",
    "criteria_from_transactions",
    "describe_result",
    "example_lines",
    "run_example",
    "run_examples",
]


def run_examples(
    ruleset: CompiledRuleset, registry: Registry, lines: Sequence[int] | None = None
) -> list[ExampleResult]:
    """Run every example of ``ruleset``; one result per example, in file order.

    ``lines`` (optional) gives each example's line in the ruleset file, for reports.
    """
    return [
        run_example(ruleset, registry, i, line=lines[i] if lines and i < len(lines) else None)
        for i in range(len(ruleset.examples))
    ]


def run_example(
    ruleset: CompiledRuleset,
    registry: Registry,
    index: int,
    *,
    line: int | None = None,
    transactions: TransactionTables | None = None,
    as_of: date | None = None,
) -> ExampleResult:
    """Run example ``index`` of ``ruleset``.

    ``transactions`` and ``as_of`` (or the same keys on the example, once the ruleset format
    has them) give tiny tables the criteria are computed from; see
    :func:`criteria_from_transactions`.
    """
    example = ruleset.examples[index]
    customer = _target(example)
    tables = transactions if transactions is not None else getattr(example, "transactions", None)
    day = as_of if as_of is not None else getattr(example, "as_of", None)
    try:
        given = _rows(example)
        if tables is not None:
            if day is None:
                raise ExampleFailure(
                    f"example '{example.name}': transactions need an as-of date (as_of:) to "
                    "place them in the ruleset's window"
                )
            computed = criteria_from_transactions(
                ruleset, registry, tables, day, given.ids, label=f"example '{example.name}'"
            )
            for row in given.rows:
                own = computed.get(row[ID], {})
                for name, value in own.items():
                    row.setdefault(name, value)
            given.names.update(name for values in computed.values() for name in values)
        values = evaluate_rows(ruleset, registry, given, example.name)
    except ExampleFailure as exc:
        return ExampleResult(example.name, index, customer, error=str(exc), line=line)
    checks = tuple(
        check(ruleset, name, expected, values, customer)
        for name, expected in example.expect.items()
    )
    return ExampleResult(example.name, index, customer, checks, line=line)


def _target(example: Example) -> str:
    if example.population is None:
        return EXAMPLE_CUSTOMER
    return str(example.customer)


def _rows(example: Example) -> Given:
    if example.population is None:
        rows = [{ID: EXAMPLE_CUSTOMER, **example.given}]
    else:
        rows = []
        for row in example.population:
            merged = {**example.given, **row}
            merged[ID] = str(row.get(ID))
            rows.append(merged)
    ids = [row[ID] for row in rows]  # each once: a repeated id is refused when the ruleset loads
    names = {key for row in rows for key in row if key != ID}
    return Given(ids, rows, names)


def example_lines(path: str | Path) -> list[int]:
    """The line of each example (``tests:`` item) in a ruleset file; empty if unreadable."""
    try:
        doc = read_document(path)
    except TierkitError:
        return []
    tests = doc.data.get("tests") if isinstance(doc.data, dict) else None
    if not isinstance(tests, list):
        return []
    return [doc.span(("tests", i)).line for i in range(len(tests))]
