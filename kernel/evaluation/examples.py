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

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import narwhals.stable.v2 as nw
import polars as pl

from tierkit.columns import BECAUSE, OVERLAP, RULE
from tierkit.contract import Criterion, OpenedSource, ValueType
from tierkit.data.keys import with_customer_keys
from tierkit.data.prepare import needed_columns, prepare_tables
from tierkit.engines.vector.decide import (
    check_overlap,
    decide,
    listed_in_order,
)
from tierkit.engines.vector.expressions import Compiler
from tierkit.engines.vector.frames import ID, PERIOD, Frames
from tierkit.errors import DataInvalid, HitPolicyError, TierkitError
from tierkit.evaluation.criteria import compute_criteria
from tierkit.registry import Registry
from tierkit.ruleset.attributes import criteria_for, criterion_for
from tierkit.ruleset.compiled import CompiledDecision, CompiledRuleset, CriterionBinding
from tierkit.ruleset.model import Example
from tierkit.ruleset.read import read_document
from tierkit.ruleset.types import Type

EXAMPLE_CUSTOMER = "example"
"""The customer id of an example without a population."""

PREVIOUS = "previous."
_MATCH = "__example_match"

Row = dict[str, Any]
Tables = Mapping[str, Sequence[Mapping[str, Any]]]
"""Tiny transaction tables: table name → rows (column → value), as written in YAML."""


@dataclass(frozen=True)
class Check:
    """One expected value of an example, compared with what the ruleset gave."""

    name: str
    expected: Any
    actual: Any
    passed: bool
    rule: str | None = None
    """The rule that decided (``rule 2``, ``rule 2 (name)``, ``default``; for ``hit: collect``
    the rules that matched, ``rules 1, 3`` or ``no rule``); None for derived facts and for an
    undecided customer (``because`` then says so)."""
    because: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "expected": _plain(self.expected),
            "actual": _plain(self.actual),
            "passed": self.passed,
            "rule": self.rule,
            "because": self.because,
        }


Mismatch = Check
"""A failed :class:`Check`: name, expected, actual, and the rule that fired with its because."""


@dataclass(frozen=True)
class ExampleResult:
    """The outcome of one example."""

    name: str
    index: int
    """0-based position in the ruleset's ``tests:``."""
    customer: str
    checks: tuple[Check, ...] = ()
    error: str | None = None
    """Why the example could not be run (a list of the wrong length, bad transaction rows)."""
    line: int | None = None
    """The line of the example in the ruleset file, when known."""

    @property
    def passed(self) -> bool:
        return self.error is None and all(c.passed for c in self.checks)

    @property
    def mismatches(self) -> list[Check]:
        return [c for c in self.checks if not c.passed]

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "index": self.index,
            "line": self.line,
            "customer": self.customer,
            "passed": self.passed,
            "error": self.error,
            "checks": [c.as_dict() for c in self.checks],
        }


class ExampleFailure(TierkitError):
    """An example cannot be run as written (it fails; the ruleset itself is valid)."""


@dataclass
class _Given:
    """The rows of one example and the names they give."""

    ids: list[str]
    rows: list[Row]
    names: set[str] = field(default_factory=set)


# --------------------------------------------------------------------------------------------
# running


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
    transactions: Tables | None = None,
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
        values = _evaluate_rows(ruleset, registry, given, example.name)
    except ExampleFailure as exc:
        return ExampleResult(example.name, index, customer, error=str(exc), line=line)
    checks = tuple(
        _check(ruleset, name, expected, values, customer)
        for name, expected in example.expect.items()
    )
    return ExampleResult(example.name, index, customer, checks, line=line)


def _target(example: Example) -> str:
    if example.population is None:
        return EXAMPLE_CUSTOMER
    return str(example.customer)


def _rows(example: Example) -> _Given:
    if example.population is None:
        rows = [{ID: EXAMPLE_CUSTOMER, **example.given}]
    else:
        rows = []
        for row in example.population:
            merged = {**example.given, **row}
            merged[ID] = str(row.get(ID))
            rows.append(merged)
    ids = [row[ID] for row in rows]
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        raise ExampleFailure(
            f"example '{example.name}': customer_id {', '.join(repeated)} appears more than once "
            "in the population"
        )
    names = {key for row in rows for key in row if key != ID}
    return _Given(ids, rows, names)


@dataclass(frozen=True)
class _Values:
    customers: pl.DataFrame
    periods: pl.DataFrame | None
    grid: range


def _evaluate_rows(
    ruleset: CompiledRuleset, registry: Registry, given: _Given, example: str
) -> _Values:
    """Build the frames from the given values and run the derived facts and decisions."""
    frames, grid, given_steps = _frames(ruleset, registry, given, example)
    compiler = Compiler(frames, registry.functions)
    for step in ruleset.order:
        if step.name in given_steps:
            continue
        if step.kind == "derive":
            compiler.column(ruleset.derived[step.name].expr, step.name)
            continue
        decision = ruleset.decisions[step.name]
        decide(compiler, decision)
        if decision.hit == "collect":
            for rule in decision.rules:
                frames.add(
                    f"{_MATCH}.{decision.name}.{rule.index}",
                    compiler.condition(rule.when),
                    per_period=False,
                )
    customers = frames.collect_customers()
    for name in ruleset.decisions:
        if OVERLAP + name in customers.columns:
            try:
                check_overlap(ruleset.decisions[name], customers.select(ID, OVERLAP + name))
            except HitPolicyError as error:
                raise ExampleFailure(f"example '{example}': {error}") from error
    return _Values(customers, frames.collect_periods(), grid)


# --------------------------------------------------------------------------------------------
# building the frames


def _frames(
    ruleset: CompiledRuleset, registry: Registry, given: _Given, example: str
) -> tuple[Frames, range, set[str]]:
    ids = given.ids
    window = ruleset.periods
    per_period = [b for b in ruleset.criteria.values() if b.per_period]
    low = min([0, *(window - b.periods for b in per_period)])
    grid = range(low, window)
    scalar: dict[str, pl.Series] = {
        ID: pl.Series(ID, ids, pl.String),
        "name": pl.Series("name", ids, pl.String),
    }
    periodic: dict[str, list[Any]] = {}
    for name, binding in ruleset.criteria.items():
        criterion = criterion_for(binding, registry.criteria)
        if binding.per_period:
            periodic[name] = _criterion_periods(binding, criterion, given, grid, example)
        else:
            scalar[name] = _series(name, binding.type, _criterion_values(name, criterion, given))
    given_steps: set[str] = set()
    for name, fact in ruleset.derived.items():
        if name not in given.names:
            continue
        given_steps.add(name)
        if fact.expr.type.per_period:
            periodic[name] = _given_periods(name, given, grid, window, example)
        else:
            scalar[name] = _series(
                name, fact.expr.type, [_scalar(row, name, example) for row in given.rows]
            )
    for name, decision in ruleset.decisions.items():
        if name in given.names:  # used by later decisions as it is
            given_steps.add(name)
            scalar.update(_decision_columns(name, decision, given, example))
    for name in _previous_names(ruleset, given):
        scalar.update(_decision_columns(PREVIOUS + name, ruleset.decisions[name], given, example))
    customers = pl.DataFrame(list(scalar.values()))
    periods_frame: pl.DataFrame | None = None
    needs_periods = bool(periodic) or any(f.expr.type.per_period for f in ruleset.derived.values())
    if needs_periods:
        types = {
            **{n: b.type for n, b in ruleset.criteria.items() if b.per_period},
            **{n: f.expr.type for n, f in ruleset.derived.items() if f.expr.type.per_period},
        }
        columns = [
            pl.Series(ID, [i for i in ids for _ in grid], pl.String),
            pl.Series(PERIOD, [p for _ in ids for p in grid], pl.Int64),
            *(_series(n, types[n], values) for n, values in periodic.items()),
        ]
        periods_frame = pl.DataFrame(columns)
    return Frames.of_values(customers, periods_frame), grid, given_steps


def _criterion_values(name: str, criterion: Criterion, given: _Given) -> list[Any]:
    neutral = _neutral(criterion)
    return [row.get(name, neutral) for row in given.rows]


def _criterion_periods(
    binding: CriterionBinding, criterion: Criterion, given: _Given, grid: range, example: str
) -> list[Any]:
    """The criterion's values on the whole grid, customer by customer."""
    shift = grid.stop - binding.periods
    neutral = _neutral(criterion)
    values: list[Any] = []
    for row in given.rows:
        if binding.name in row:
            own = _period_list(row, binding.name, binding.periods, example, given)
        else:
            own = [neutral] * binding.periods
        values += [own[p - shift] if shift <= p < shift + binding.periods else None for p in grid]
    return values


def _given_periods(name: str, given: _Given, grid: range, window: int, example: str) -> list[Any]:
    """A given per-period derived fact: a list for the window (or the whole grid), ending at
    the last period; missing for rows that do not give it."""
    values: list[Any] = []
    for row in given.rows:
        if name not in row or row[name] is None:
            values += [None] * len(grid)
            continue
        size = len(row[name]) if isinstance(row[name], list) else -1
        length = size if size in (window, len(grid)) else window
        own = _period_list(row, name, length, example, given)
        start = grid.stop - length
        values += [own[p - start] if p >= start else None for p in grid]
    return values


def _period_list(row: Row, name: str, length: int, example: str, given: _Given) -> list[Any]:
    value = row[name]
    if value is None:
        return [None] * length
    who = "" if row[ID] == EXAMPLE_CUSTOMER and len(given.rows) == 1 else f" (customer {row[ID]})"
    if not isinstance(value, list):
        raise ExampleFailure(
            f"example '{example}'{who}: '{name}' has one value per period; give a list of "
            f"{length} values, oldest first"
        )
    if len(value) != length:
        raise ExampleFailure(
            f"example '{example}'{who}: '{name}' needs {length} values, one per period oldest "
            f"first, found {len(value)}"
        )
    return list(value)


def _scalar(row: Row, name: str, example: str) -> Any:
    value = row.get(name)
    if isinstance(value, list):
        raise ExampleFailure(
            f"example '{example}': '{name}' has one value per customer, found a list"
        )
    return value


def _decision_columns(
    column: str, decision: CompiledDecision, given: _Given, example: str
) -> dict[str, pl.Series]:
    """Columns of a decision given by the example (or of ``previous.NAME``)."""
    values = [row.get(column) for row in given.rows]
    if decision.hit == "first":
        for value in values:
            if isinstance(value, list):
                raise ExampleFailure(f"example '{example}': '{column}' is one value, not a list")
        return {column: _series(column, Type(decision.type.base), values)}
    lists = [[] if v is None else (v if isinstance(v, list) else [v]) for v in values]
    result = {
        column: pl.Series(
            column, [", ".join(_text(o) for o in decision.outcomes if o in v) for v in lists]
        )
    }
    for outcome in decision.outcomes:
        flag = f"{column}::{outcome}"
        result[flag] = pl.Series(flag, [_contains(v, outcome) for v in lists], pl.Boolean)
    return result


def _previous_names(ruleset: CompiledRuleset, given: _Given) -> list[str]:
    used = {p for d in ruleset.decisions.values() for r in d.rules for p in r.when.previous}
    used |= {p for f in ruleset.derived.values() for p in f.expr.previous}
    used |= {
        n.removeprefix(PREVIOUS)
        for n in given.names
        if n.startswith(PREVIOUS) and n.removeprefix(PREVIOUS) in ruleset.decisions
    }
    return sorted(used)


def _neutral(criterion: Criterion) -> Any:
    if criterion.neutral is None:
        return None
    if criterion.type == ValueType.NUMBER:
        return float(criterion.neutral)
    return criterion.neutral


_DTYPES: dict[str, Any] = {
    "number": pl.Float64,
    "boolean": pl.Boolean,
    "text": pl.String,
    "date": pl.Date,
}


def _series(name: str, kind: Type, values: list[Any]) -> pl.Series:
    dtype = _DTYPES.get(kind.base, pl.String)
    if dtype == pl.Float64:
        values = [
            float(v) if isinstance(v, int | float) and not isinstance(v, bool) else v
            for v in values
        ]
    if dtype == pl.Date:
        values = [date.fromisoformat(v) if isinstance(v, str) else v for v in values]
    return pl.Series(name, values, dtype)


# --------------------------------------------------------------------------------------------
# comparing


def _check(
    ruleset: CompiledRuleset, name: str, expected: Any, values: _Values, customer: str
) -> Check:
    row = values.customers.filter(pl.col(ID) == customer).row(0, named=True)
    decision = ruleset.decisions.get(name)
    if decision is not None and decision.hit == "collect":
        actual_list = [o for o in decision.outcomes if row.get(f"{name}::{o}")]
        wanted = expected if isinstance(expected, list) else [] if expected is None else [expected]
        matched = [r for r in decision.rules if row.get(f"{_MATCH}.{name}.{r.index}")]
        matches = ("rules " + ", ".join(str(r.index) for r in matched)) if matched else "no rule"
        reasons = "; ".join(r.because for r in matched if r.because) or None
        passed = sorted(map(_key, wanted)) == sorted(map(_key, actual_list))
        if decision.policy != "collect":  # rule order, output order: order and repeats count
            actual_list = listed_in_order(decision, matched)
            passed = list(map(_key, wanted)) == list(map(_key, actual_list))
        return Check(name, wanted, actual_list, passed, matches, reasons)
    if name in values.customers.columns:
        actual = row[name]
    elif values.periods is not None and name in values.periods.columns:
        actual = _period_actual(values, name, customer, expected)
    else:
        actual = None
    rule: str | None = None
    because: str | None = None
    if decision is not None:
        rule, because = _fired(decision, row)
    return Check(name, expected, actual, _same(expected, actual), rule, because)


def _period_actual(values: _Values, name: str, customer: str, expected: Any) -> list[Any]:
    assert values.periods is not None
    series = values.periods.filter(pl.col(ID) == customer).sort(PERIOD)[name].to_list()
    length = len(expected) if isinstance(expected, list) else 0
    window = values.grid.stop
    keep = length if 0 < length <= len(series) else window
    return list(series[-keep:])


def _fired(decision: CompiledDecision, row: Row) -> tuple[str | None, str | None]:
    index = row.get(decision.name + RULE)
    because = row.get(decision.name + BECAUSE)
    if index is None:
        if decision.name + RULE not in row:  # given by the example
            return "the example (given)", None
        return None, "no rule decided and the decision has no default"
    if index == 0:
        return "default", because
    rule = next(r for r in decision.rules if r.index == index)
    label = f"rule {rule.index}"
    if rule.name != label:
        label += f" ({rule.name})"
    return label, because


def _same(expected: Any, actual: Any) -> bool:
    if isinstance(expected, list) or isinstance(actual, list):
        if not (isinstance(expected, list) and isinstance(actual, list)):
            return False
        return len(expected) == len(actual) and all(
            _same(e, a) for e, a in zip(expected, actual, strict=True)
        )
    if expected is None or actual is None:
        return expected is None and actual is None
    if isinstance(expected, bool) or isinstance(actual, bool):
        return isinstance(expected, bool) and isinstance(actual, bool) and expected == actual
    if isinstance(expected, int | float) and isinstance(actual, int | float):
        return math.isclose(expected, actual, rel_tol=1e-9, abs_tol=1e-9)
    if isinstance(expected, str) and isinstance(actual, date):
        return expected == actual.isoformat()
    return bool(expected == actual)


def _key(value: Any) -> tuple[str, str]:
    if isinstance(value, bool):
        return ("boolean", str(value))
    if isinstance(value, int | float):
        return ("number", repr(float(value)))
    return ("text", str(value))


def _contains(values: list[Any], outcome: Any) -> bool:
    return any(_key(v) == _key(outcome) for v in values)


def _text(value: Any) -> str:
    return str(value)


def _plain(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def show(value: Any) -> str:
    """A value as an analyst writes it in YAML: ``'A'``, ``true``, ``0.8``, ``missing``."""
    if value is None:
        return "missing"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(int(value)) if value.is_integer() and abs(value) < 1e15 else f"{value:.12g}"
    if isinstance(value, str):
        return f"'{value}'"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(show(v) for v in value) + "]"
    return str(value)


def describe_result(result: ExampleResult) -> list[str]:
    """Lines for a terminal: ✓ or ✗ and the name, then every mismatch or the error."""
    mark = "✓" if result.passed else "✗"
    where = f" (customer {result.customer})" if result.customer != EXAMPLE_CUSTOMER else ""
    lines = [f"{mark} {result.name}{where}"]
    if result.error:
        lines.append(f"    {result.error}")
    for check in result.mismatches:
        lines.append(f"    {check.name}: expected {show(check.expected)}, got {show(check.actual)}")
        if check.rule is not None:
            reason = f': "{check.because}"' if check.because else ""
            lines.append(f"      decided by {check.rule}{reason}")
        elif check.because is not None:
            lines.append(f"      {check.because}")
    return lines


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


# --------------------------------------------------------------------------------------------
# tiny transaction tables


def criteria_from_transactions(
    ruleset: CompiledRuleset,
    registry: Registry,
    tables: Tables,
    as_of: date,
    ids: Sequence[str] = (EXAMPLE_CUSTOMER,),
    *,
    label: str = "example",
) -> dict[str, dict[str, Any]]:
    """Every criterion of ``ruleset`` computed by its plugin from tiny tables, per customer.

    ``tables`` maps a table name to rows, as an example would write them in YAML
    (``payments: [{customer_id: a, paid_at: 2026-01-05, amount: 100}]``). Rows are read the way
    a CSV file is read (same parsing, exact money, same bad-data rules); a row without
    ``customer_id`` belongs to the only customer when there is one. The customers are ``ids``
    plus any ``customers`` rows (which may add ``since``, ``segment``...). A table the criteria
    need but the example does not give is empty. Returns, per customer, each criterion's value
    (a list oldest first for per-period criteria), with neutral values filled in.
    """
    criteria = criteria_for(ruleset.criteria.values(), registry.criteria)
    needs = needed_columns(criteria.values())
    single = ids[0] if len(ids) == 1 else None
    opened: dict[str, nw.LazyFrame[Any]] = {}
    origins: dict[str, str] = {}
    given = {name: [dict(r) for r in rows] for name, rows in tables.items()}
    for rows in given.values():
        for row in rows:
            if row.get(ID) is None and single is not None:
                row[ID] = single
    customer_rows = given.get("customers", [])
    known = {str(r.get(ID)) for r in customer_rows}
    customer_rows += [{ID: i} for i in ids if i not in known]
    for row in customer_rows:
        row.setdefault("name", row.get(ID))
    for table in sorted({*needs, *given, "customers"}):
        rows = customer_rows if table == "customers" else given.get(table, [])
        columns = list(needs.get(table, {}))
        origins[table] = f"{label}: transactions.{table}"
        opened[table] = nw.from_native(_text_frame(rows, columns).lazy())
    try:
        prepared = prepare_tables(
            OpenedSource(opened, origins), criteria.values(), as_of, f"{label}: transactions"
        )
    except DataInvalid as exc:
        raise ExampleFailure(exc.render()) from None
    keyed = with_customer_keys(prepared.tables)
    frames_in = {name: nw.from_native(frame) for name, frame in keyed.items()}
    frames = compute_criteria(ruleset, criteria, frames_in, frames_in["customers"], as_of)
    customers = frames.collect_customers()
    values: dict[str, dict[str, Any]] = {}
    for row in customers.iter_rows(named=True):
        values[row[ID]] = {n: row[n] for n, b in ruleset.criteria.items() if not b.per_period}
    periods = frames.collect_periods()
    if periods is not None:
        for name, binding in ruleset.criteria.items():
            if not binding.per_period:
                continue
            shift = ruleset.periods - binding.periods
            own = periods.filter(
                (pl.col(PERIOD) >= shift) & (pl.col(PERIOD) < shift + binding.periods)
            )
            for key, group in own.group_by(ID):
                values.setdefault(str(key[0]), {})[name] = group.sort(PERIOD)[name].to_list()
    return {i: values.get(i, {}) for i in values}


def _text_frame(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> pl.DataFrame:
    """Rows as a frame of text columns, the way a CSV file is read."""
    names = list(dict.fromkeys([*columns, *(k for r in rows for k in r)]))
    data: dict[str, list[str | None]] = {n: [] for n in names}
    for row in rows:
        for name in names:
            value = row.get(name)
            data[name].append(None if value is None else _as_text(value))
    return pl.DataFrame(data, schema={n: pl.String for n in names})


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return format(Decimal(repr(value)), "f")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
