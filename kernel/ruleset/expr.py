"""The syntax tree of ruleset expressions, and the one traversal every stage uses.

:func:`children` gives a node's sub-expressions and :func:`walk` every node of a tree; the
lexer is :mod:`tierkit.ruleset.expr_tokens`, the parser :mod:`tierkit.ruleset.expr_parse`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

MAX_DEPTH = 100
"""How deeply an expression may nest: each operator, parenthesis and call is one level, each
edge of ``bands()`` and each argument of ``coalesce()`` one more. ``validate`` and ``evaluate``
share the limit, so a ruleset that validates also runs on every engine (docs: "Limits")."""
MAX_BANDS_EDGES = 50
"""``bands()`` takes at most this many edges."""

# --------------------------------------------------------------------------------------------
# syntax tree


@dataclass(frozen=True)
class Literal:
    value: float | int | str | bool
    start: int
    end: int


@dataclass(frozen=True)
class ListLit:
    items: tuple[Expr, ...]
    start: int
    end: int


@dataclass(frozen=True)
class Name:
    name: str
    start: int
    end: int


@dataclass(frozen=True)
class Previous:
    """``previous.NAME``: the value of a decision in the last stored run."""

    name: str
    start: int
    end: int


@dataclass(frozen=True)
class Unary:
    op: str  # "-", "+" or "not"
    operand: Expr
    start: int
    end: int


@dataclass(frozen=True)
class Binary:
    op: str  # + - * / % == != < <= > >= and or in "not in"
    left: Expr
    right: Expr
    start: int
    end: int


@dataclass(frozen=True)
class Keyword:
    name: str
    value: Expr
    start: int
    end: int


@dataclass(frozen=True)
class Call:
    func: str
    args: tuple[Expr, ...]
    kwargs: tuple[Keyword, ...]
    start: int
    end: int
    name_end: int


Expr = Literal | ListLit | Name | Previous | Unary | Binary | Call

ARITHMETIC = ("+", "-", "*", "/", "%")
COMPARISONS = ("==", "!=", "<", "<=", ">", ">=")
LOGICAL = ("and", "or")
MEMBERSHIP = ("in", "not in")


def children(node: Expr) -> tuple[Expr, ...]:
    """The sub-expressions of ``node``, left to right (keyword arguments' values included)."""
    match node:
        case Unary(operand=operand):
            return (operand,)
        case Binary(left=left, right=right):
            return (left, right)
        case Call(args=args, kwargs=kwargs):
            return (*args, *(k.value for k in kwargs))
        case ListLit(items=items):
            return items
        case Literal() | Name() | Previous():
            return ()


def walk(tree: Expr) -> Iterator[Expr]:
    """Every node of ``tree``, parents before children, without recursion."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(children(node)))


def unparse(node: Expr) -> str:
    """The expression as canonical text (used to name atoms and in explanations)."""
    match node:
        case Literal(value=bool() as value):
            return "true" if value else "false"
        case Literal(value=value):
            return repr(value)
        case ListLit(items=items):
            return "[" + ", ".join(unparse(i) for i in items) + "]"
        case Name(name=name):
            return name
        case Previous(name=name):
            return f"previous.{name}"
        case Unary(op=op, operand=operand):
            sep = " " if op == "not" else ""
            return f"{op}{sep}{_wrap(operand)}"
        case Binary(op=op, left=left, right=right):
            return f"{_wrap(left)} {op} {_wrap(right)}"
        case Call(func=func, args=call_args, kwargs=kwargs):
            args = [unparse(a) for a in call_args]
            args += [f"{k.name}={unparse(k.value)}" for k in kwargs]
            return f"{func}({', '.join(args)})"


def _wrap(node: Expr) -> str:
    text = unparse(node)
    nested = isinstance(node, Binary) or (isinstance(node, Unary) and node.op == "not")
    return f"({text})" if nested else text
