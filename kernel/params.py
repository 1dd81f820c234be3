"""Checking criterion parameters given in a ruleset against what the criterion declares."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from tierkit.contract import Param


def check_param_value(param: Param, value: Any) -> str | None:
    """Why ``value`` is not acceptable for ``param``, or ``None`` when it is."""
    if param.type == "integer":
        if isinstance(value, bool) or not isinstance(value, int):
            return f"must be a whole number, found {_show(value)}"
    elif param.type == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            return f"must be a number, found {_show(value)}"
    elif param.type == "boolean":
        if not isinstance(value, bool):
            return f"must be true or false, found {_show(value)}"
    elif param.type == "text":
        if not isinstance(value, str):
            return f"must be a text, found {_show(value)}"
    elif param.type == "choice":
        if value not in param.choices:
            return f"must be one of {', '.join(map(repr, param.choices))}, found {_show(value)}"
    if isinstance(value, int | float) and not isinstance(value, bool):
        if param.minimum is not None and value < param.minimum:
            return f"must be at least {param.minimum:g}, found {value}"
        if param.maximum is not None and value > param.maximum:
            return f"must be at most {param.maximum:g}, found {value}"
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
    if isinstance(value, str):
        return f"'{value}'"
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value)
