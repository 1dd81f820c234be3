"""The state every step of compiling a ruleset shares, and how a step reports a problem."""

from __future__ import annotations

import keyword
from typing import Any

from tierkit.errors import (
    RulesetProblem,
)
from tierkit.registry import Registry
from tierkit.ruleset.check import ExprProblem
from tierkit.ruleset.expr_parse import SyntaxProblem
from tierkit.ruleset.expr_tokens import FORBIDDEN_WORDS
from tierkit.ruleset.model import RulesetModel
from tierkit.ruleset.shape import Removed
from tierkit.ruleset.source import Document, KeyPath

DEFAULT_STRATEGY = "working-capital"
RESERVED = frozenset(
    {"previous", "true", "false", "and", "or", "not", "in", *keyword.kwlist, *FORBIDDEN_WORDS}
)

RESULT_COLUMNS = {
    "customer_id": "the customer's id",
    "name": "the customer's name",
    "value": "the strategy's value of the customer",
}
"""Columns of the results beside the ruleset's own: a name of the ruleset's would clash."""
OTHER_NAME = {"customer_id": "customer", "name": "customer_name", "value": "total"}


class CompileStep:
    """What every step of compiling shares: the document, the model, the registry and the
    problems found so far."""

    def __init__(
        self,
        doc: Document,
        model: RulesetModel,
        registry: Registry,
        removed: Removed,
        allow_gaps: bool = False,
    ) -> None:
        self.allow_gaps = allow_gaps
        self.doc = doc
        self.model = model
        self.registry = registry
        self.removed = removed
        self.problems: list[RulesetProblem] = []
        self.attribute_types: dict[str, str] = {}

    def add(
        self,
        kind: type[RulesetProblem],
        message: str,
        path: KeyPath,
        *,
        key: bool = False,
        hint: str | None = None,
    ) -> None:
        self.problems.append(self.doc.problem(kind, message, path, key=key, hint=hint))

    def add_expr(self, path: KeyPath, problem: ExprProblem | SyntaxProblem) -> None:
        line, column = self.doc.text_position(path, problem.offset)
        self.problems.append(
            self.doc.source.problem(
                problem.kind, problem.message, line, column, problem.length, problem.hint
            )
        )

    def doc_value(self, path: KeyPath) -> str:
        value: Any = self.doc.data
        for step in path:
            value = value[step]
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)
