"""The expression language: parsing, precedence, and what it refuses."""

from __future__ import annotations

import pytest

from tierkit.errors import ExpressionSyntaxError, ForbiddenSyntaxError
from tierkit.ruleset.expr import Binary, Call, Literal, Name, Previous, Unary, unparse
from tierkit.ruleset.expr_parse import SyntaxProblem
from tierkit.ruleset.expr_parse import parse_expression as parse


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("a or b and c", "a or (b and c)"),
        ("not a and b", "(not a) and b"),
        ("not a == b", "not (a == b)"),
        ("-x * 2 + 3 % 4", "(-x * 2) + (3 % 4)"),
        ("a - b - c", "(a - b) - c"),
        ("0 < x < 1", "(0 < x) and (x < 1)"),
        ("category in ['A', 'B']", "category in ['A', 'B']"),
        ("category not in ['A']", "category not in ['A']"),
        ("top_share(paid, among=paid > 0) <= 0.2", "top_share(paid, among=paid > 0) <= 0.2"),
        ("previous.category == 'A'", "previous.category == 'A'"),
        ("1_000_000 > 2.5e3", "1000000 > 2500.0"),
        ("True and false", "true and false"),
        ('"it\\"s"', "'it\"s'"),
    ],
)
def test_parses_with_python_precedence(text: str, canonical: str) -> None:
    tree = parse(text)
    assert not isinstance(tree, SyntaxProblem), tree
    assert unparse(tree) == canonical


def test_tree_records_positions() -> None:
    tree = parse("tenure >= 24")
    assert isinstance(tree, Binary)
    assert isinstance(tree.left, Name) and (tree.left.start, tree.left.end) == (0, 6)
    assert isinstance(tree.right, Literal) and (tree.right.start, tree.right.end) == (10, 12)


def test_call_and_previous_nodes() -> None:
    tree = parse("coalesce(previous.score, 0)")
    assert isinstance(tree, Call)
    assert tree.func == "coalesce" and tree.name_end == 8
    assert isinstance(tree.args[0], Previous) and tree.args[0].name == "score"
    assert isinstance(parse("-x"), Unary)


@pytest.mark.parametrize(
    ("text", "kind", "offset", "fragment"),
    [
        ("__import__('os')", ForbiddenSyntaxError, 0, "'__'"),
        ("paid.__class__", ForbiddenSyntaxError, 4, "attribute access"),
        ("x[0]", ForbiddenSyntaxError, 1, "indexing"),
        ("lambda: 1", ForbiddenSyntaxError, 0, "lambdas"),
        ("a if b else c", ForbiddenSyntaxError, 2, "conditional"),
        ("a is None", ForbiddenSyntaxError, 2, "'is'"),
        ("{1: 2}", ForbiddenSyntaxError, 0, "mappings"),
        ("a ** 2", ForbiddenSyntaxError, 2, "'**'"),
        ("f(a)(b)", ForbiddenSyntaxError, 4, "calling the result"),
        ("(a + b", ExpressionSyntaxError, 0, "never closed"),
        ("a + b)", ExpressionSyntaxError, 5, "unmatched ')'"),
        ("a = 1", ExpressionSyntaxError, 2, "'=' is not a comparison"),
        ("'abc", ExpressionSyntaxError, 0, "never closed"),
        ("a and", ExpressionSyntaxError, 5, "ends too early"),
        ("", ExpressionSyntaxError, 0, "empty"),
        ("f(among=1, 2)", ExpressionSyntaxError, 11, "positional argument follows"),
        ("f(x=1, x=2)", ExpressionSyntaxError, 7, "given twice"),
        ("previous", ExpressionSyntaxError, 0, "previous.category"),
        ("a b", ExpressionSyntaxError, 2, "unexpected 'b'"),
    ],
)
def test_refuses_with_a_located_reason(
    text: str, kind: type[Exception], offset: int, fragment: str
) -> None:
    problem = parse(text)
    assert isinstance(problem, SyntaxProblem), unparse(problem)
    assert problem.kind is kind
    assert problem.offset == offset
    assert fragment in problem.message or fragment in (problem.hint or "")


def test_deep_nesting_is_a_problem_not_a_crash() -> None:
    problem = parse("(" * 5000 + "1" + ")" * 5000)
    assert isinstance(problem, SyntaxProblem)
    assert "nested too deeply" in problem.message
