"""Checking names and operators: unary, arithmetic, comparisons, membership, lists."""

from __future__ import annotations

from tierkit.errors import (
    TypeMismatchError,
    UnknownNameError,
    suggest,
)
from tierkit.ruleset.check_state import (
    CheckerState,
    mismatch_hint,
    names_hint,
)
from tierkit.ruleset.expr import (
    ARITHMETIC,
    COMPARISONS,
    Binary,
    ListLit,
    Literal,
    Name,
    Previous,
    Unary,
)
from tierkit.ruleset.language import BUILTIN_NAMES
from tierkit.ruleset.types import Type


class OperatorChecks(CheckerState):
    """Names and operators."""

    # names ------------------------------------------------------------------------------------

    def name(self, node: Name) -> Type | None:
        symbol = self.symbols.get(node.name)
        if symbol is None:
            if node.name in BUILTIN_NAMES or node.name in self.functions:
                self.problem(
                    UnknownNameError,
                    f"'{node.name}' is a function; call it as {node.name}(...)",
                    node,
                )
                return None
            best = suggest(node.name, self.symbols)
            self.problem(
                UnknownNameError,
                f"unknown name '{node.name}'" + (f" (did you mean '{best}'?)" if best else ""),
                node,
                hint=None if best else names_hint(self.symbols),
            )
            return None
        return symbol.type

    def previous(self, node: Previous) -> Type | None:
        decided = self.decisions.get(node.name)
        if decided is None and node.name in self.symbols:
            return None  # a decision already reported as malformed
        if decided is None:
            best = suggest(node.name, self.decisions)
            self.problem(
                UnknownNameError,
                f"'previous.{node.name}': no decision named '{node.name}'"
                + (f" (did you mean 'previous.{best}'?)" if best else ""),
                node,
                hint="previous.NAME gives a decision's value in the last stored run; decisions: "
                + ", ".join(sorted(self.decisions)),
            )
            return None
        return Type(decided.base, per_period=False, nullable=True, item=decided.item)

    # operators --------------------------------------------------------------------------------

    def unary(self, node: Unary) -> Type | None:
        operand = self.visit(node.operand)
        if operand is None:
            return None
        if node.op == "not":
            if operand.base != "boolean":
                self.problem(
                    TypeMismatchError,
                    f"'not' needs true/false, found {operand.describe()}",
                    node.operand,
                )
                return None
            return Type("boolean", operand.per_period, nullable=False)
        if operand.base != "number":
            self.problem(
                TypeMismatchError,
                f"'{node.op}' needs a number, found {operand.describe()}",
                node.operand,
            )
            return None
        return operand

    def binary(self, node: Binary) -> Type | None:
        left = self.visit(node.left)
        right = self.visit(node.right)
        if left is None or right is None:
            return None
        per_period = left.per_period or right.per_period
        op = node.op
        if op in ("and", "or"):
            for side, side_type in ((node.left, left), (node.right, right)):
                if side_type.base != "boolean":
                    self.problem(
                        TypeMismatchError,
                        f"'{op}' needs true/false on both sides, found {side_type.describe()}",
                        side,
                    )
                    return None
            return Type("boolean", per_period, nullable=False)
        if op in ARITHMETIC:
            for side, side_type in ((node.left, left), (node.right, right)):
                if side_type.base != "number":
                    self.problem(
                        TypeMismatchError,
                        f"'{op}' needs numbers on both sides, found {side_type.describe()}",
                        side,
                    )
                    return None
            nullable = left.nullable or right.nullable or op in ("/", "%")
            return Type("number", per_period, nullable)
        if op in COMPARISONS:
            return self.comparison(node, left, right, per_period)
        return self.membership(node, left, right)

    def comparison(self, node: Binary, left: Type, right: Type, per_period: bool) -> Type | None:
        if left.base == "list" or right.base == "list":
            self.problem(TypeMismatchError, f"'{node.op}' cannot compare a list; use 'in'", node)
            return None
        if left.base != right.base:
            self.problem(
                TypeMismatchError,
                f"cannot compare {left.describe()} with {right.describe()} using '{node.op}'",
                node,
                hint=mismatch_hint(node, left, right),
            )
            return None
        if node.op not in ("==", "!=") and left.base in ("text", "boolean"):
            self.problem(
                TypeMismatchError,
                f"'{node.op}' orders numbers and dates; {left.describe()} can only be compared "
                "with == or !=",
                node,
            )
            return None
        return Type("boolean", per_period, nullable=False)

    def membership(self, node: Binary, left: Type, right: Type) -> Type | None:
        if right.base != "list":
            self.problem(
                TypeMismatchError,
                f"'{node.op}' needs a list on the right, such as ['A', 'B'], found "
                f"{right.describe()}",
                node.right,
            )
            return None
        if left.base == "list":
            self.problem(
                TypeMismatchError, f"'{node.op}' needs a single value on the left", node.left
            )
            return None
        if right.item is not None and left.base != right.item:
            self.problem(
                TypeMismatchError,
                f"'{node.op}': {left.describe()} is never in {right.describe()}",
                node,
            )
            return None
        return Type("boolean", left.per_period, nullable=False)

    def list_literal(self, node: ListLit) -> Type | None:
        item: str | None = None
        for element in node.items:
            if not isinstance(element, Literal) and not (
                isinstance(element, Unary) and isinstance(element.operand, Literal)
            ):
                self.problem(TypeMismatchError, "a list holds only constant values", element)
                return None
            element_type = self.visit(element)
            if element_type is None:
                return None
            if item is not None and element_type.base != item:
                self.problem(
                    TypeMismatchError, f"a list mixes {item}s and {element_type.base}s", element
                )
                return None
            item = element_type.base
        return Type("list", nullable=False, item=item)  # type: ignore[arg-type]

    # functions --------------------------------------------------------------------------------
