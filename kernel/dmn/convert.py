"""A DMN model as a tierkit ruleset: input data become criteria, decision tables decisions.

- Each input data becomes a criterion (``Age: {use: customer.Age}``: a customer attribute, or
  whatever ``use`` says), named by an identifier made from its DMN name (``Full Name`` →
  ``Full_Name``); the DMN name is kept as the title.
- Each decision table becomes a decision with the same hit policy. Input entries (S-FEEL unary
  tests) become one ``when`` condition; the output entry the ``then``; ``outputValues`` the
  ``outcomes`` (best first); ``defaultOutputEntry`` the ``default``.
- A table with several outputs becomes one decision per output (``Approval_Status``,
  ``Approval_Rate``). Every output picks the same rules, since a rule's conditions do not
  depend on its outputs; for ``priority`` and ``output order``, which order matches by the
  outputs, the rules are put in that order first and the policy becomes ``first`` or
  ``rule order``, which is the same selection.
- DMN's ``collect`` without aggregation keeps repeated values, in any order; tierkit's
  ``collect`` lists each value once, so it imports as ``rule order`` (repeats kept, rule order).
- A literal expression decision of numbers becomes a derived fact; others are left out, and
  said so.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tierkit.dmn.feel import FeelError, literal, split_list, unary_condition
from tierkit.dmn.read import DmnError, DmnLiteral, DmnModel, DmnTable
from tierkit.ruleset.hit import normalize_hit

TYPES = {"number": "number", "string": "text", "boolean": "boolean", "date": "date"}
"""FEEL base types and the tierkit types of criteria."""


@dataclass(frozen=True)
class ImportedDecision:
    """Where the value of one DMN decision is found in the ruleset's results."""

    dmn_name: str
    kind: str
    """``table`` or ``literal``."""
    columns: tuple[tuple[str | None, str], ...] = ()
    """(component name, tierkit decision); one entry with no component for one output."""
    is_list: bool = False
    literal: str | None = None


@dataclass
class Imported:
    ruleset: dict[str, Any]
    inputs: dict[str, tuple[str, str]] = field(default_factory=dict)
    """DMN input name → (criterion name in the ruleset, its type: number, text or boolean)."""
    decisions: dict[str, ImportedDecision] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    """What was left out, and why."""


def identifier(name: str, taken: set[str]) -> str:
    """A tierkit name for a DMN name: letters, digits and ``_``, not starting with a digit."""
    base = re.sub(r"\W+", "_", name, flags=re.ASCII).strip("_") or "x"
    if base[0].isdigit():
        base = "_" + base
    if base in ("previous", "true", "false", "and", "or", "not", "in"):
        base += "_"
    candidate = base
    number = 2
    while candidate in taken:
        candidate = f"{base}_{number}"
        number += 1
    taken.add(candidate)
    return candidate


def ruleset_name(name: str) -> str:
    slug = re.sub(r"[^a-z0-9_.-]+", "-", name.lower()).strip("-.")
    return slug if slug and slug[0].isalnum() else f"dmn-{slug}".rstrip("-")


def to_ruleset(
    model: DmnModel,
    *,
    use: Callable[[str, int], str] = lambda name, number: f"customer.{name}",
) -> Imported:
    """The ruleset (a mapping ready for YAML) of a DMN model, and where each value went.

    ``use`` names the criterion of an input data, given its ruleset name and its number.
    """
    taken: set[str] = set()
    imported = Imported(ruleset={})
    criteria: dict[str, Any] = {}
    names: dict[str, str] = {}
    tables = {d.name for d in model.decisions}
    fields: list[tuple[str, str | None]] = []  # (DMN name, type), a structure's fields apart
    for data in model.inputs:
        if data.name.startswith("previous_") and data.name[9:] in tables:
            names[data.name] = f"previous.{data.name[9:]}"  # written so by tierkit export
            continue
        components = model.item_components.get(data.type_ref or "")
        if components:  # Applicant.Age, Applicant.Income: one criterion each
            fields += [(f"{data.name}.{c}", t) for c, t in components]
        else:
            fields.append((data.name, data.type_ref))
    for number, (dmn_name, type_ref) in enumerate(fields, start=1):
        ident = identifier(dmn_name, taken)
        names[dmn_name] = ident
        kind = TYPES.get(model.base_type(type_ref) or "string", "text")
        imported.inputs[dmn_name] = (ident, kind)
        criteria[ident] = {"use": use(ident, number), "title": dmn_name}
        if kind != "text" and criteria[ident]["use"].startswith("customer."):
            criteria[ident]["type"] = kind  # a customer column is read as text unless typed
    for decision in model.decisions:  # a table may read a decision listed after it
        if isinstance(decision, DmnLiteral) or len(decision.outputs) == 1:
            names[decision.name] = identifier(decision.name, taken)
    derive: dict[str, Any] = {}
    decisions: dict[str, Any] = {}
    for decision in model.decisions:
        if isinstance(decision, DmnLiteral):
            _literal(model, decision, names, taken, derive, imported)
            continue
        _table(model, decision, names, taken, decisions, imported)
    for name in model.unsupported:
        imported.skipped.append(f"decision '{name}': not a decision table or literal expression")
    ruleset: dict[str, Any] = {"tierkit": 1, "name": ruleset_name(model.name)}
    ruleset["title"] = model.name
    ruleset["description"] = f"Imported from the DMN model {Path(model.path).name}"
    ruleset["criteria"] = criteria
    if derive:
        ruleset["derive"] = derive
    ruleset["decisions"] = decisions
    imported.ruleset = ruleset
    return imported


def _literal(
    model: DmnModel,
    decision: DmnLiteral,
    names: dict[str, str],
    taken: set[str],
    derive: dict[str, Any],
    imported: Imported,
) -> None:
    imported.decisions[decision.name] = ImportedDecision(
        decision.name, "literal", literal=decision.text
    )
    if '"' in decision.text:
        imported.skipped.append(
            f"decision '{decision.name}': the literal expression {decision.text!r} works on "
            "text, which ruleset expressions do not build"
        )
        return
    text = _names_in(decision.text, names)
    ident = names[decision.name]
    derive[ident] = text
    imported.decisions[decision.name] = ImportedDecision(
        decision.name, "literal", ((None, ident),), literal=decision.text
    )


def _names_in(text: str, names: dict[str, str]) -> str:
    """FEEL text with DMN names replaced by tierkit names (longest first)."""
    for dmn_name in sorted(names, key=len, reverse=True):
        pattern = r"(?<![\w.])" + re.escape(dmn_name) + r"(?![\w])"
        text = re.sub(pattern, names[dmn_name], text)
    return text


def _subject(model: DmnModel, table: DmnTable, index: int, names: dict[str, str]) -> str:
    expression = table.inputs[index].expression.strip()
    if expression in names:
        return names[expression]
    translated = feel_expression(_names_in(expression, names))
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", translated) or any(
        n in translated for n in names.values()
    ):
        return f"({translated})" if " " in translated else translated
    raise DmnError(
        f"{model.path}: decision '{table.name}', input {index + 1}: the input expression "
        f"{expression!r} names no input data or decision of the model"
    )


def feel_expression(text: str) -> str:
    """The FEEL that tierkit export writes for a whole condition, back in ruleset terms."""
    text = re.sub(r"\(([\w.]+) = null\)", r"missing(\1)", text)
    text = re.sub(r"list contains\(([^,()]+), ([^()]+)\)", r"(\2 in \1)", text)
    text = re.sub(r"modulo\(([^,()]+), ([^()]+)\)", r"(\1 % \2)", text)
    text = re.sub(r"(?<![<>!=])=(?!=)", "==", text)
    return re.sub(r"\bnot\(", "not (", text)


def _table(
    model: DmnModel,
    table: DmnTable,
    names: dict[str, str],
    taken: set[str],
    decisions: dict[str, Any],
    imported: Imported,
) -> None:
    where = f"{model.path}: decision '{table.name}'"
    try:
        hit = normalize_hit(table.hit)
    except ValueError as error:
        raise DmnError(f"{where}: hit policy {table.hit!r}: {error}") from error
    aggregation = (table.aggregation or "").strip().lower() or None
    if aggregation and hit == "collect":
        hit = f"collect {aggregation}"
    elif aggregation:
        raise DmnError(f"{where}: aggregation {table.aggregation} needs the COLLECT hit policy")
    subjects = [_subject(model, table, i, names) for i in range(len(table.inputs))]
    whens: list[str | bool] = []
    for number, rule in enumerate(table.rules, start=1):
        parts = []
        for index, entry in enumerate(rule.inputs):
            try:
                condition = unary_condition(entry, subjects[index], names.get)
            except FeelError as error:
                raise DmnError(
                    f"{where}, rule {number}, input '{table.inputs[index].label}': {error}"
                ) from error
            if condition is not None:
                parts.append(f"({condition})" if " or " in condition else condition)
        whens.append(" and ".join(parts) if parts else True)
    multi = len(table.outputs) > 1
    outcomes = [_values(where, o.values, i) for i, o in enumerate(table.outputs)]
    order = list(range(len(table.rules)))
    if hit == "collect":
        hit = "rule order"  # DMN's collect keeps repeats
    if multi and hit in ("priority", "output order"):
        order.sort(key=lambda r: _priority(table, r, outcomes))
        hit = "first" if hit == "priority" else "rule order"
    columns: list[tuple[str | None, str]] = []
    for k, output in enumerate(table.outputs):
        component = output.name or (table.label if not multi else f"output {k + 1}")
        base = table.name if not multi else f"{table.name} {output.name or k + 1}"
        ident = names[table.name] if not multi else identifier(base, taken)
        spec: dict[str, Any] = {"title": base}
        if hit != "first":
            spec["hit"] = hit
        if outcomes[k] is not None:
            spec["outcomes"] = outcomes[k]
        rules = []
        for r in order:
            rule = table.rules[r]
            try:
                then = literal(rule.outputs[k])
            except FeelError as error:
                raise DmnError(f"{where}, rule {r + 1}, output {k + 1}: {error}") from error
            if then is None:
                raise DmnError(
                    f"{where}, rule {r + 1}, output {k + 1}: the output entry is empty or null; "
                    "a ruleset's rule gives a value"
                )
            row: dict[str, Any] = {"when": whens[r], "then": then}
            if rule.description:
                row["because"] = rule.description
            if order != sorted(order):
                row["name"] = f"rule {r + 1}"
            rules.append(row)
        spec["rules"] = rules
        if output.default:
            try:
                spec["default"] = {"then": literal(output.default)}
            except FeelError as error:
                raise DmnError(f"{where}, output {k + 1} default: {error}") from error
        decisions[ident] = spec
        columns.append((component if multi else None, ident))
    is_list = hit in ("rule order", "output order", "collect")
    imported.decisions[table.name] = ImportedDecision(
        table.name, "table", tuple(columns), is_list=is_list
    )


def _values(where: str, text: str | None, index: int) -> list[Any] | None:
    if not text:
        return None
    try:
        values = [literal(part) for part in split_list(text)]
    except FeelError as error:
        raise DmnError(f"{where}, output {index + 1} values: {error}") from error
    return [v for v in values if v is not None]


def _priority(table: DmnTable, rule: int, outcomes: list[list[Any] | None]) -> tuple[int, ...]:
    """A rule's place by its outputs' priorities (first output first), then by its number."""
    ranks: list[int] = []
    for k, values in enumerate(outcomes):
        if values is None:
            continue
        try:
            value = literal(table.rules[rule].outputs[k])
        except FeelError:
            value = None
        ranks.append(values.index(value) if value in values else len(values))
    return (*ranks, rule)
