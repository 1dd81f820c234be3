"""A ruleset document's shape checked against the model: every problem located.

Pydantic's errors become :class:`~tierkit.errors.StructureError` problems located at the
offending key or value. A malformed part is reported, removed, and the rest checked again, so an
analyst sees every problem of a file in one round.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import (
    BaseModel,
    ValidationError,
)

from tierkit.errors import (
    LimitError,
    MissingKeyError,
    RulesetProblem,
    ThenTypeError,
    UnknownKeyError,
    WindowError,
    WrongValueError,
    did_you_mean,
)
from tierkit.ruleset.model import (
    RULESET_NAME,
    CriterionUse,
    DecisionTable,
    Default,
    Example,
    Rule,
    RulesetModel,
    WindowSpec,
)
from tierkit.ruleset.source import Document, KeyPath

# --------------------------------------------------------------------------------------------
# pydantic errors → located problems

_SHAPES: dict[tuple[str, ...], type[BaseModel]] = {
    (): RulesetModel,
    ("window",): WindowSpec,
    ("criteria", "*"): CriterionUse,
    ("decisions", "*"): DecisionTable,
    ("decisions", "*", "rules", "#"): Rule,
    ("decisions", "*", "default"): Default,
    ("tests", "#"): Example,
}
_NAMED_SECTIONS = ("criteria", "decisions")


def _model_at(path: KeyPath) -> type[BaseModel] | None:
    """The model that describes the mapping at ``path`` (for unknown and missing keys)."""
    shape = tuple(
        "#"
        if isinstance(step, int)
        else "*"
        if i == 1 and path[0] in _NAMED_SECTIONS
        else str(step)
        for i, step in enumerate(path)
    )
    return _SHAPES.get(shape)


@dataclass(frozen=True)
class ModelResult:
    """The model (possibly of a pruned document), the shape problems, and what was pruned.

    When parts of a document are malformed they are reported, removed, and the rest is still
    checked, so an analyst sees every problem in one round. ``removed`` says what was removed,
    so that compiling does not report it again.
    """

    model: RulesetModel | None
    problems: list[RulesetProblem]
    removed: Removed = field(default_factory=lambda: Removed())


_PLACEHOLDERS: dict[str, Any] = {"tierkit": 1, "name": "unnamed"}
_MAX_ROUNDS = 8


@dataclass(frozen=True)
class Removed:
    """What checking the shape reported and removed before compiling: the compiler knows these
    names (of unknown type) and reports nothing about them again."""

    names: frozenset[str] = frozenset()
    """Criteria, derived facts and decisions that were malformed."""
    strategy: bool = False
    """The ``strategy:`` was malformed."""


def parse_model(doc: Document) -> ModelResult:
    """Validate the document's shape; report every problem, keep checking what is sound."""
    data = copy.deepcopy(doc.data)
    problems: list[RulesetProblem] = []
    broken: set[str] = set()
    strategy_broken = False
    reported: set[KeyPath] = set()
    for _ in range(_MAX_ROUNDS):
        try:
            model = RulesetModel.model_validate(data)
        except ValidationError as exc:
            found = [p for p in _problems(doc, data, exc) if p[0] not in reported]
            if not found:
                return ModelResult(None, problems, Removed(frozenset(broken), strategy_broken))
            pruned = True
            for path, problem, kind in found:
                reported.add(path)
                problems.append(problem)
                pruned = _prune(data, path, broken, kind) and pruned
                strategy_broken = strategy_broken or path[:1] == ("strategy",)
            if isinstance(data.get("tests"), list):
                data["tests"] = [t for t in data["tests"] if t is not _REMOVED]
            if not pruned:
                return ModelResult(None, problems, Removed(frozenset(broken), strategy_broken))
            continue
        return ModelResult(model, problems, Removed(frozenset(broken), strategy_broken))
    return ModelResult(None, problems, Removed(frozenset(broken), strategy_broken))


_REMOVED = object()


def _prune(data: dict[str, Any], path: KeyPath, broken: set[str], kind: str) -> bool:
    """Remove the malformed part at ``path`` so the rest can be checked; False if impossible.

    An unknown key is dropped; a bad ``then`` becomes a value of the decision's other rules; a
    bad criterion, derived fact or decision is replaced and its name marked as broken.
    """
    if not path:
        return False
    parent = _value_at(data, path[:-1])
    if kind == "extra_forbidden" and len(path) > 1 and isinstance(parent, dict):
        parent.pop(path[-1], None)
        return True
    is_rule_field = len(path) == 5 and path[0] == "decisions" and path[2] == "rules"
    if is_rule_field and isinstance(parent, dict) and path[4] in ("then", "because", "name"):
        if path[4] == "then":
            parent["then"] = _other_then(data["decisions"][path[1]], path[3])
        else:
            parent.pop(path[4], None)
        return True
    head = str(path[0])
    if head in _PLACEHOLDERS and len(path) == 1:
        data[head] = _PLACEHOLDERS[head]
        return True
    if head in ("window", "policies", "strategy", "title", "description") or (
        len(path) == 1 and head not in RulesetModel.model_fields
    ):
        data.pop(head, None)
        return True
    if head in ("criteria", "derive", "decisions") and isinstance(data.get(head), dict):
        if len(path) == 1:
            data.pop(head, None)
            return head != "decisions"
        section = data[head]
        name = path[1]
        if name not in section:
            return False
        if head == "decisions":
            # Keep a placeholder so the rest of the ruleset can still be checked.
            section[name] = {"default": {"then": "?"}}
        else:
            del section[name]
        if isinstance(name, str):
            broken.add(name)
        return True
    if head == "tests" and isinstance(data.get(head), list):
        if len(path) == 1:
            data.pop(head, None)
            return True
        index = path[1]
        if isinstance(index, int) and index < len(data[head]):
            data[head][index] = _REMOVED  # removed after the round, so indexes stay valid
            return True
    return False


def _other_then(decision: dict[str, Any], index: Any) -> Any:
    """A ``then`` of another rule (or the default), to stand in for a malformed one."""
    candidates = [
        r.get("then")
        for i, r in enumerate(decision.get("rules", []))
        if i != index and isinstance(r, dict)
    ]
    default = decision.get("default")
    if isinstance(default, dict):
        candidates.append(default.get("then"))
    for value in candidates:
        if isinstance(value, str | bool | int | float):
            return value
    return "?"


def _real_path(data: Any, error: Mapping[str, Any]) -> KeyPath:
    """The data path of a pydantic error: union tags dropped, a missing key kept.

    A problem with a mapping's key (pydantic's ``[key]`` step) keeps the key as the last step.
    """
    loc = tuple(error["loc"])
    path: list[str | int] = []
    current = data
    for i, step in enumerate(loc):
        in_dict = isinstance(current, dict) and step in current
        in_list = isinstance(current, list) and isinstance(step, int) and 0 <= step < len(current)
        if in_dict or in_list:
            path.append(step)
            current = current[step]
        elif step == "[key]":
            break
        elif error["type"] == "missing" and i == len(loc) - 1:
            path.append(step)
        # otherwise a union tag ('str', 'mapping', ...): skip it
    return tuple(path)


def _problems(
    doc: Document, data: Any, exc: ValidationError
) -> list[tuple[KeyPath, RulesetProblem, str]]:
    merged: dict[KeyPath, list[dict[str, Any]]] = {}
    for error in exc.errors():
        path = _real_path(data, error)
        merged.setdefault(path, []).append(dict(error))
    found = []
    for path, errors in merged.items():
        problem = _problem(doc, path, errors)
        if path[:1] == ("window",) and type(problem) is WrongValueError:
            problem = WindowError(
                problem.message, problem.location, problem.source_line, problem.hint
            )
        found.append((path, problem, str(errors[0]["type"])))
    return found


_EXPECTED = {
    "string_type": "a text",
    "bool_type": "true or false",
    "int_type": "a whole number",
    "float_type": "a number",
    "dict_type": "a mapping",
    "list_type": "a list",
    "model_type": "a mapping",
    "literal_error": "",
}


def _problem(doc: Document, path: KeyPath, errors: list[dict[str, Any]]) -> RulesetProblem:
    first = errors[0]
    kind = first["type"]
    where = _describe_path(path)
    if kind == "missing":
        parent = path[:-1]
        field = str(path[-1])
        model = _model_at(parent)
        return doc.problem(
            MissingKeyError,
            f"missing required key '{field}' in {_describe_path(parent)}",
            parent,
            key=bool(parent),
            hint=_missing_hint(field, model),
        )
    if kind == "extra_forbidden":
        key = str(path[-1])
        model = _model_at(path[:-1])
        allowed = sorted(model.model_fields) if model else []
        return doc.problem(
            UnknownKeyError,
            f"unknown key '{key}' in {_describe_path(path[:-1])}{did_you_mean(key, allowed)}",
            path,
            key=True,
            hint=f"allowed keys: {', '.join(allowed)}" if allowed else None,
        )
    value = _value_at(doc.data, path)
    if path == ("tierkit",):
        return doc.problem(
            WrongValueError,
            f"'tierkit' must be 1 (the ruleset format version), found {_show(value)}",
            path,
        )
    if kind == "literal_error":
        expected = first.get("ctx", {}).get("expected", "")
        message = f"{where} must be {expected}, found {_show(value)}"
        return doc.problem(WrongValueError, message, path)
    if "[key]" in first["loc"]:
        key = str(path[-1]) if path else "?"
        return doc.problem(
            WrongValueError,
            f"{_describe_path(path[:-1])}: the name '{key}' must be letters, digits and '_', "
            f"not starting with a digit, found the text '{key}'",
            path,
            key=True,
            hint="names are used in expressions, where '-' would mean minus"
            if "-" in str(key)
            else None,
        )
    if kind == "string_pattern_mismatch":
        pattern = first.get("ctx", {}).get("pattern", "")
        if path and path[0] == "name" and len(path) == 1:
            what = "lower case letters, digits, '.', '-' and '_', starting with a letter or digit"
        else:
            what = "a name of letters, digits and '_' that does not start with a digit"
        hint = None if pattern == RULESET_NAME else "names are used in expressions"
        return doc.problem(
            WrongValueError,
            f"{where} must be {what}, found {_show(value if value is not None else path[-1])}",
            path,
            key=value is None or not isinstance(value, str),
            hint=hint,
        )
    if kind == "too_short" and isinstance(value, dict):
        return doc.problem(WrongValueError, f"{where} needs at least one entry, found none", path)
    if kind in ("greater_than_equal", "less_than_equal"):
        context = first.get("ctx", {})
        bound = f"at least {context['ge']}" if "ge" in context else f"at most {context.get('le')}"
        return doc.problem(WrongValueError, f"{where} must be {bound}, found {_show(value)}", path)
    if kind == "too_short":
        return doc.problem(WrongValueError, f"{where}: {first['msg'].lower()}", path)
    if kind == "value_error" and path and path[-1] == "hit":
        reason = str(first.get("ctx", {}).get("error", first["msg"]))
        return doc.problem(WrongValueError, f"{where} is {_show(value)}: {reason}", path)
    if kind == "string_too_long":
        limit = first.get("ctx", {}).get("max_length")
        return doc.problem(
            LimitError,
            f"{where} is {len(str(value)):,} characters long; at most {limit:,} are allowed",
            path,
            hint="the results repeat it for every customer; say it in a sentence or two",
        )
    if path and path[-1] == "then":
        return doc.problem(
            ThenTypeError,
            f"{where} must be one text, number or true/false, found {_show(value)}",
            path,
        )
    expected_parts = []
    for error in errors:
        text = _EXPECTED.get(error["type"])
        if text and text not in expected_parts:
            expected_parts.append(text)
    expected = " or ".join(expected_parts) or first["msg"].lower()
    return doc.problem(WrongValueError, f"{where} must be {expected}, found {_show(value)}", path)


def _missing_hint(field: str, model: type[BaseModel] | None) -> str | None:
    if model is None or field not in model.model_fields:
        return None
    info = model.model_fields[field]
    return info.description


def _value_at(data: Any, path: KeyPath) -> Any:
    for step in path:
        try:
            data = data[step]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _describe_path(path: KeyPath) -> str:
    if not path:
        return "the ruleset"
    text = str(path[0])
    for step in path[1:]:
        text += f"[{step}]" if isinstance(step, int) else f".{step}"
    return f"'{text}'"


def _show(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f"the text '{value}'" if len(value) < 60 else f"the text '{value[:57]}...'"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dt.date):
        return f"the date {value.isoformat()}"
    return f"{value!r}"
