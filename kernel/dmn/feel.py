"""The part of DMN's expression language (S-FEEL) that decision tables use, in tierkit terms.

- :func:`unary_condition`: an input entry (a unary test: ``-``, ``<18``, ``[1..10]``,
  ``"Medium","Low"``, ``not("x")``, ``true``) as a tierkit condition on the input's expression.
- :func:`literal`: an output entry or a list value (``"Approved"``, ``98.83``, ``true``).
- :func:`evaluate_literal`: a literal expression decision (``12 * Monthly Salary``,
  ``"Hello " + Full Name``) on given values, for models whose decisions are not tables.

Anything else is a :class:`FeelError` saying what was found; the caller adds where.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation, localcontext
from typing import Any

Value = str | bool | int | float | None


class FeelError(ValueError):
    """An expression outside the supported part of FEEL."""


_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_COMPARE = re.compile(r"^(<=|>=|!=|<|>|=)\s*(.+)$", re.DOTALL)
_RANGE = re.compile(r"^([\[\]\(])\s*(.+?)\s*\.\.\s*(.+?)\s*([\[\]\)])$", re.DOTALL)
_NOT = re.compile(r"^not\s*\((.*)\)$", re.DOTALL)


def split_list(text: str) -> list[str]:
    """``"a", "b, c", [1..2]`` split at the commas outside quotes and brackets."""
    parts: list[str] = []
    depth = 0
    quoted = False
    current: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if quoted:
            current.append(char)
            if char == "\\" and i + 1 < len(text):
                current.append(text[i + 1])
                i += 1
            elif char == '"':
                quoted = False
        elif char == '"':
            quoted = True
            current.append(char)
        elif char in "([":
            depth += 1
            current.append(char)
        elif char in ")]" and depth > 0:
            depth -= 1
            current.append(char)
        elif char == "," and depth == 0:
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(char)
        i += 1
    if quoted:
        raise FeelError(f'a text opened with " is never closed: {text}')
    parts.append("".join(current).strip())
    return parts


def literal(text: str) -> Value:
    """A FEEL literal: a text in double quotes, a number, true, false or null."""
    stripped = text.strip()
    if stripped in ("", "null"):
        return None
    if stripped in ("true", "false"):
        return stripped == "true"
    if len(stripped) >= 2 and stripped[0] == '"' and stripped[-1] == '"':
        body = stripped[1:-1]
        return re.sub(r"\\(.)", r"\1", body)
    if _NUMBER.match(stripped):
        number = Decimal(stripped)
        if number == number.to_integral_value() and "." not in stripped:
            return int(number)
        return float(number)
    raise FeelError(f"expected a text in double quotes, a number, true or false, found {text!r}")


def tierkit_literal(value: Value) -> str:
    """A value as tierkit expression text."""
    if value is None:
        raise FeelError("null is not a value a rule can compare with")
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    return repr(value)


def unary_condition(text: str, subject: str, names: Callable[[str], str | None]) -> str | None:
    """An input entry as a tierkit condition on ``subject``; ``None`` for "any value" (``-``).

    ``names`` turns a name the entry refers to (another input) into tierkit text, or None.
    """
    stripped = text.strip()
    if stripped in ("", "-"):
        return None
    if "?" in _without_texts(stripped):  # DMN 1.3: an expression on ? (the input's value)
        return _question(stripped, subject, names)
    negated = _NOT.match(stripped)
    if negated:
        inner = unary_condition(negated.group(1), subject, names)
        return "true" if inner is None else f"not ({inner})"
    tests = [_one_test(part, subject, names) for part in split_list(stripped)]
    if any(t is None for t in tests):
        return None
    if len(tests) == 1:
        return tests[0]
    return " or ".join(f"({t})" for t in tests)


def _without_texts(text: str) -> str:
    return re.sub(r'"(?:[^"\\]|\\.)*"', '""', text)


def _question(text: str, subject: str, names: Callable[[str], str | None]) -> str:
    """``? > 5 and ? < 10`` as a tierkit condition; only comparisons, and, or, not."""
    parts = re.split(r'("(?:[^"\\]|\\.)*")', text)
    out = []
    for i, part in enumerate(parts):
        if i % 2:  # a text literal
            out.append(tierkit_literal(literal(part)))
            continue
        part = part.replace("?", f" {subject} ")
        part = re.sub(r"(?<![<>!=])=(?!=)", "==", part)
        part = re.sub(r"\bnot\(", "not (", part)
        if re.search(r"[^\w\s.<>=!()'+*/-]", part):
            raise FeelError(f"expected comparisons of ? joined by and, or, not, found {text!r}")
        out.append(part)
    return " ".join("".join(out).split())


def _one_test(text: str, subject: str, names: Callable[[str], str | None]) -> str | None:
    if text == "-":
        return None
    ranged = _RANGE.match(text)
    if ranged:
        opening, low, high, closing = ranged.groups()
        low_op = ">=" if opening == "[" else ">"
        high_op = "<=" if closing == "]" else "<"
        return (
            f"{subject} {low_op} {_endpoint(low, names)} and "
            f"{subject} {high_op} {_endpoint(high, names)}"
        )
    compared = _COMPARE.match(text)
    if compared:
        op, value = compared.groups()
        if value.strip() == "null" and op in ("=", "!="):
            return f"missing({subject})" if op == "=" else f"not missing({subject})"
        return f"{subject} {'==' if op == '=' else op} {_endpoint(value, names)}"
    if text == "null":
        return f"missing({subject})"
    return f"{subject} == {_endpoint(text, names)}"


_DATE = re.compile(r'^date\(\s*"(\d{4}-\d{2}-\d{2})"\s*\)$')


def _endpoint(text: str, names: Callable[[str], str | None]) -> str:
    stripped = text.strip()
    day = _DATE.match(stripped)
    if day:
        return f"date('{day.group(1)}')"
    try:
        return tierkit_literal(literal(stripped))
    except FeelError:
        named = names(stripped)
        if named is not None:
            return named
        raise FeelError(
            f"expected a text in double quotes, a number, true, false or an input's name, "
            f"found {stripped!r}"
        ) from None


# --------------------------------------------------------------------------------------------
# literal expressions

_TOKEN = re.compile(r'\s*(?:(\d+(?:\.\d+)?|\.\d+)|("(?:[^"\\]|\\.)*")|(\*\*|[-+*/()]))')


def evaluate_literal(text: str, values: Mapping[str, Any]) -> Any:
    """A literal expression of numbers, texts, names, ``+ - * / **`` and parentheses.

    Names may contain spaces (``Monthly Salary``): the longest name of ``values`` that the
    text continues with is taken. Numbers are exact (Decimal); a missing operand gives None.
    """
    tokens = _tokens(text, sorted(values, key=len, reverse=True))
    with localcontext() as context:
        context.prec = 34  # FEEL numbers are IEEE 754 decimal128: 34 significant digits
        position, result = _expression(tokens, 0, values, 0)
    if position != len(tokens):
        raise FeelError(f"unexpected {tokens[position][1]!r} in {text!r}")
    return result


def _tokens(text: str, names: list[str]) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text):
        if text[pos].isspace():
            pos += 1
            continue
        name = next((n for n in names if text.startswith(n, pos)), None)
        if name is not None:
            tokens.append(("name", name))
            pos += len(name)
            continue
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise FeelError(f"cannot read {text[pos:]!r}: not a number, text, name or operator")
        number, string, op = match.groups()
        if number is not None:
            tokens.append(("number", number))
        elif string is not None:
            tokens.append(("string", re.sub(r"\\(.)", r"\1", string[1:-1])))
        else:
            tokens.append(("op", op))
        pos = match.end()
    return tokens


_BINDING = {"+": 1, "-": 1, "*": 2, "/": 2, "**": 3}
_ARITHMETIC: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "**": operator.pow,
}


def _expression(
    tokens: list[tuple[str, str]], pos: int, values: Mapping[str, Any], level: int
) -> tuple[int, Any]:
    pos, left = _operand(tokens, pos, values)
    while pos < len(tokens) and tokens[pos][0] == "op" and tokens[pos][1] in _BINDING:
        op = tokens[pos][1]
        binding = _BINDING[op]
        if binding <= level:
            break
        pos, right = _expression(tokens, pos + 1, values, binding - (op == "**"))
        left = _apply(op, left, right)
    return pos, left


def _operand(tokens: list[tuple[str, str]], pos: int, values: Mapping[str, Any]) -> tuple[int, Any]:
    if pos >= len(tokens):
        raise FeelError("the expression ends too early")
    kind, text = tokens[pos]
    if kind == "number":
        return pos + 1, Decimal(text)
    if kind == "string":
        return pos + 1, text
    if kind == "name":
        value = values[text]
        return pos + 1, Decimal(str(value)) if isinstance(value, int | float) and not isinstance(
            value, bool
        ) else value
    if text == "(":
        pos, inner = _expression(tokens, pos + 1, values, 0)
        if pos >= len(tokens) or tokens[pos][1] != ")":
            raise FeelError("a '(' is never closed")
        return pos + 1, inner
    if text == "-":
        pos, inner = _operand(tokens, pos + 1, values)
        return pos, None if inner is None else -inner
    raise FeelError(f"unexpected {text!r}")


def _apply(op: str, left: Any, right: Any) -> Any:
    if left is None or right is None:
        return None
    if isinstance(left, str) or isinstance(right, str):
        if op == "+" and isinstance(left, str) and isinstance(right, str):
            return left + right
        return None  # FEEL: a type mismatch gives null
    if op == "/" and right == 0:
        return None
    try:
        return _ARITHMETIC[op](left, right)
    except (InvalidOperation, TypeError):
        return None
