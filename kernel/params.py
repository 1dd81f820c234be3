"""Checking criterion parameters given in a ruleset against what the criterion declares."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from tierkit.contract import Param
from tierkit.numbers import literal, number

_ACCEPTS: dict[str, tuple[str, Callable[[Any], bool]]] = {
    "integer": ("a whole number", lambda v: isinstance(v, int) and not isinstance(v, bool)),
    "number": ("a number", lambda v: isinstance(v, int | float) and not isinstance(v, bool)),
    "boolean": ("true or false", lambda v: isinstance(v, bool)),
    "text": ("a text", lambda v: isinstance(v, str)),
}


def check_param_value(param: Param, value: Any) -> str | None:
    """Why ``value`` is not acceptable for ``param``, or ``None`` when it is."""
    if param.type == "choice":
        if value not in param.choices:
            return f"must be one of {', '.join(map(repr, param.choices))}, found {_show(value)}"
        return None
    what, accepts = _ACCEPTS[param.type]
    if not accepts(value):
        return f"must be {what}, found {_show(value)}"
    if isinstance(value, int | float) and not isinstance(value, bool):
        if param.minimum is not None and value < param.minimum:
            return f"must be at least {number(param.minimum)}, found {value}"
        if param.maximum is not None and value > param.maximum:
            return f"must be at most {number(param.maximum)}, found {value}"
    return None


def resolve_params(
    params: Sequence[Param], given: Mapping[str, Any]
) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Defaults overlaid with ``given``; problems as ``(key, message)`` pairs."""
    declared = {p.name: p for p in params}
    resolved = {p.name: p.default for p in params}
    problems: list[tuple[str, str]] = []
    for key, value in given.items():
        param = declared.get(key)
        if param is None:
            problems.append((key, f"unknown parameter '{key}'"))
            continue
        problem = check_param_value(param, value)
        if problem:
            problems.append((key, f"parameter '{key}' {problem}"))
        else:
            resolved[key] = value
    return resolved, problems


def _show(value: Any) -> str:
    return "nothing" if value is None else literal(value)
