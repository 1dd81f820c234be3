"""Show that a decision without a default decides every customer, or find a customer it misses.

Each condition is read as a formula over the values of its parts (:mod:`tierkit.ruleset.formula`):
a comparison with a number is an interval, with a text a set of texts, and every part may be
missing (a comparison with a missing value is false; a missing true/false counts as false).
Parts it cannot read (a comparison of two facts, a function) are independent true/false values.
The table is complete when no value of the parts escapes every rule. That is sound: the parts
are allowed more freedom than customers have. The customer it names when it finds a gap shows
a value for each part (``tenure is 12``, ``region is missing``); when the reasoning would take
too long, it says so instead, and the error suggests a default or a last rule with
``when: true``.
"""

from __future__ import annotations

from collections.abc import Sequence

from tierkit.ruleset.expr import (
    Binary,
    Call,
    Expr,
    ListLit,
    Literal,
    Name,
    Previous,
    Unary,
    unparse,
)
from tierkit.ruleset.formula import Translator, conj, negate
from tierkit.ruleset.intervals import Other, show
from tierkit.ruleset.solve import Solver, Unsure
from tierkit.ruleset.types import Type

MAX_WORK = 500_000
"""How much work the proof may take before it gives up ("too many conditions")."""


def find_gap(conditions: Sequence[Expr]) -> dict[str, str] | None:
    """A customer no condition matches, as the value of each part (``{"tenure": "12"}``);
    ``{}`` if it would take too long to look; ``None`` when every customer is matched."""
    kinds: dict[str, str] = {}
    for condition in conditions:
        _kinds(condition, kinds, logical=True)
    for key in [k for k in kinds if k.startswith("missing ")]:  # only tested for missing
        kinds.setdefault(key.removeprefix("missing "), kinds.pop(key))
    types: dict[Expr, Type] = {}
    for condition in conditions:
        _types(condition, kinds, types)
    translator = Translator(None)
    try:
        formulas = [translator.condition(c, types) for c in conditions]
        found = Solver(translator.terms, MAX_WORK).satisfiable(conj(*(negate(f) for f in formulas)))
    except (Unsure, RecursionError):
        return {}
    if found is None:
        return None
    if not found:  # no rule can match anyone (when: false)
        return {"each fact": "any value"}
    return {key: _phrase(value) for key, value in sorted(found.items())}


def _phrase(value: object) -> str:
    if isinstance(value, Other):
        return str(value)
    if isinstance(value, float | str | bool) or value is None:
        return show(value)
    return str(value)


_TYPES = {
    "number": Type("number"),
    "text": Type("text"),
    "boolean": Type("boolean"),
    "date": Type("date"),
}


def _constant_kind(node: Expr) -> str | None:
    match node:
        case Literal(value=bool()):
            return "boolean"
        case Literal(value=str()):
            return "text"
        case Literal():
            return "number"
        case Unary(op="-" | "+", operand=Literal()):
            return "number"
        case Call(func="date"):
            return "date"
        case ListLit(items=(first, *_)):
            return _constant_kind(first)
    return None


def _kinds(node: Expr, kinds: dict[str, str], logical: bool) -> None:
    """What each part is (number, text, true/false, date), from the constants it meets."""
    match node:
        case Unary(op="not", operand=operand):
            _kinds(operand, kinds, True)
        case Binary(op="and" | "or", left=left, right=right):
            _kinds(left, kinds, True)
            _kinds(right, kinds, True)
        case Binary(op="==" | "!=" | "<" | "<=" | ">" | ">=" | "in" | "not in"):
            for side, other in ((node.left, node.right), (node.right, node.left)):
                kind = _constant_kind(other)
                if kind is not None and _constant_kind(side) is None:
                    kinds.setdefault(unparse(side), kind)
        case Call(func="missing", args=(first, *_)):
            kinds.setdefault("missing " + unparse(first), "number")
        case Name() | Previous() | Call() if logical:
            kinds[unparse(node)] = "boolean"


_LOGICAL = ("and", "or", "==", "!=", "<", "<=", ">", ">=", "in", "not in")


def _types(node: Expr, kinds: dict[str, str], types: dict[Expr, Type]) -> None:
    logical = (isinstance(node, Binary) and node.op in _LOGICAL) or isinstance(node, Unary)
    kind = None if logical or _constant_kind(node) is not None else kinds.get(unparse(node))
    if kind is not None:
        types[node] = _TYPES.get(kind, _TYPES["number"])
    match node:
        case Unary(operand=operand):
            children: tuple[Expr, ...] = (operand,)
        case Binary(left=left, right=right):
            children = (left, right)
        case Call(args=args):
            children = args
        case _:
            children = ()
    for child in children:
        _types(child, kinds, types)
