"""Name resolution and type checking of one expression.

:func:`check_expression` walks a parsed tree against the names a ruleset defines, infers the
type of every node, and reports every problem it finds with its character offset. It never
evaluates anything.
"""

from __future__ import annotations

from collections.abc import Mapping

from tierkit.contract import Function
from tierkit.ruleset.check_calls import CallChecks
from tierkit.ruleset.check_operators import OperatorChecks
from tierkit.ruleset.check_state import CheckResult, ExprProblem, Symbol, literal_type
from tierkit.ruleset.expr import (
    Binary,
    Call,
    Expr,
    ListLit,
    Literal,
    Name,
    Previous,
    Unary,
)
from tierkit.ruleset.language import RANKING
from tierkit.ruleset.types import Type

__all__ = ["CheckResult", "ExprProblem", "Symbol", "check_expression", "ranking_of"]


class ExpressionChecker(OperatorChecks, CallChecks):
    """Types every node of one expression, collecting every problem."""

    def _visit(self, node: Expr) -> Type | None:
        match node:
            case Literal(value=value):
                return literal_type(value)
            case ListLit():
                return self.list_literal(node)
            case Name():
                return self.name(node)
            case Previous():
                return self.previous(node)
            case Unary():
                return self.unary(node)
            case Binary():
                return self.binary(node)
            case Call():
                return self.call(node)


def check_expression(
    tree: Expr,
    symbols: Mapping[str, Symbol],
    decisions: Mapping[str, Type],
    functions: Mapping[str, Function],
    *,
    allow_ranking: bool,
) -> CheckResult:
    """Resolve names and infer types in ``tree``; collect every problem."""
    checker = ExpressionChecker(symbols, decisions, functions, allow_ranking)
    checker.result.type = checker.visit(tree)
    return checker.result


def ranking_of(tree: Expr) -> str | None:
    """The ranking function an expression is (``top_share`` for ``top_share(x)``), or None."""
    return tree.func if isinstance(tree, Call) and tree.func in RANKING else None
