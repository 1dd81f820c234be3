"""Show that a decision without a default decides every customer, or find a customer it misses.

Conditions are split into atoms (comparisons, boolean names, function calls) joined by
``and``, ``or`` and ``not``. A missing boolean counts as false, so each atom is true or false;
every combination of atoms is tried, treating atoms as independent. That is sound: when every
combination is decided, every customer is. It is not complete (``x >= 10`` / ``x < 10`` is not
shown complete, rightly, since a missing ``x`` makes both false), and the error then suggests a
default or a last rule with ``when: true``.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import product

from tierkit.ruleset.expr import Binary, Expr, Literal, Unary, unparse

MAX_ATOMS = 12


def _atoms(tree: Expr, found: dict[str, Expr]) -> None:
    if isinstance(tree, Literal) and isinstance(tree.value, bool):
        return
    if isinstance(tree, Unary) and tree.op == "not":
        _atoms(tree.operand, found)
        return
    if isinstance(tree, Binary) and tree.op in ("and", "or"):
        _atoms(tree.left, found)
        _atoms(tree.right, found)
        return
    found.setdefault(unparse(tree), tree)


def _value(tree: Expr, assignment: dict[str, bool]) -> bool:
    if isinstance(tree, Literal) and isinstance(tree.value, bool):
        return tree.value
    if isinstance(tree, Unary) and tree.op == "not":
        return not _value(tree.operand, assignment)
    if isinstance(tree, Binary) and tree.op == "and":
        return _value(tree.left, assignment) and _value(tree.right, assignment)
    if isinstance(tree, Binary) and tree.op == "or":
        return _value(tree.left, assignment) or _value(tree.right, assignment)
    return assignment[unparse(tree)]


def find_gap(conditions: Sequence[Expr]) -> dict[str, bool] | None:
    """An assignment of atoms that no condition matches, ``{}`` if there are too many atoms to
    try, or ``None`` when the conditions are shown to cover every customer."""
    atoms: dict[str, Expr] = {}
    for condition in conditions:
        _atoms(condition, atoms)
    names = sorted(atoms)
    if len(names) > MAX_ATOMS:
        return {}
    for values in product((False, True), repeat=len(names)):
        assignment = dict(zip(names, values, strict=True))
        if not any(_value(c, assignment) for c in conditions):
            return assignment
    return None
