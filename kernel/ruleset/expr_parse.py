"""The parser of ruleset expressions: tokens to a syntax tree, with the language's limits.

A small, Python-like language parsed by hand into a tree; nothing is ever passed to ``eval``,
``exec`` or ``compile``. Python features the language lacks on purpose (attribute access,
subscripts, names starting with ``__``, lambdas, comprehensions) are refused with a
:class:`~tierkit.errors.ForbiddenSyntaxError` that says so.

Grammar, loosest binding first::

    expr       := or
    or         := and ("or" and)*
    and        := not ("and" not)*
    not        := "not" not | comparison
    comparison := sum (("==" | "!=" | "<" | "<=" | ">" | ">=" | "in" | "not in") sum)*
    sum        := product (("+" | "-") product)*
    product    := unary (("*" | "/" | "%") unary)*
    unary      := ("-" | "+") unary | atom
    atom       := NUMBER | STRING | "true" | "false" | NAME | "previous" "." NAME
                | NAME "(" [arg ("," arg)*] ")" | "(" expr ")" | "[" [expr ("," expr)*] "]"
    arg        := expr | NAME "=" expr
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass

from tierkit.errors import (
    ExpressionSyntaxError,
    ForbiddenSyntaxError,
    LimitError,
    RulesetProblem,
)
from tierkit.ruleset.expr import (
    COMPARISONS,
    MAX_BANDS_EDGES,
    MAX_DEPTH,
    Binary,
    Call,
    Expr,
    Keyword,
    ListLit,
    Literal,
    Name,
    Previous,
    Unary,
    children,
)
from tierkit.ruleset.expr_tokens import FORBIDDEN_WORDS, Fail, Token, tokenize


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.pos = 0
        self.open_brackets: list[Token] = []
        self.depth = 0

    def deeper(self) -> None:
        """Enter one more level of nesting; refuse more than :data:`MAX_DEPTH`."""
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _too_deep(self.tok.start)

    @property
    def tok(self) -> Token:
        return self.tokens[self.pos]

    def peek(self, ahead: int = 1) -> Token:
        return self.tokens[min(self.pos + ahead, len(self.tokens) - 1)]

    def take(self) -> Token:
        token = self.tok
        self.pos += 1
        return token

    def at(self, kind: str, *texts: str) -> bool:
        return self.tok.kind == kind and (not texts or self.tok.text in texts)

    def parse(self) -> Expr:
        if self.tok.kind == "end":
            raise Fail(ExpressionSyntaxError, "the expression is empty", 0)
        tree = self.expr()
        if self.tok.kind != "end":
            self.unexpected("where the expression should end")
        return tree

    def unexpected(self, context: str) -> None:
        token = self.tok
        if token.kind == "bad":
            assert isinstance(token.value, str)
            raise Fail(token.bad_kind or ExpressionSyntaxError, token.value, token.start)
        if token.kind == "end":
            if self.open_brackets:
                opener = self.open_brackets[-1]
                closer = ")" if opener.text == "(" else "]"
                raise Fail(
                    ExpressionSyntaxError,
                    f"'{opener.text}' is never closed",
                    opener.start,
                    hint=f"add '{closer}'",
                )
            raise Fail(
                ExpressionSyntaxError, f"the expression ends too early, {context}", token.start
            )
        if token.text in (")", "]") and not self.open_brackets:
            raise Fail(ExpressionSyntaxError, f"unmatched '{token.text}'", token.start)
        if token.kind == "name" and token.text in FORBIDDEN_WORDS:
            raise Fail(
                ForbiddenSyntaxError,
                f"'{token.text}' is not part of the expression language: no "
                f"{FORBIDDEN_WORDS[token.text]}",
                token.start,
                token.end - token.start,
            )
        if token.text == "=":
            raise Fail(
                ExpressionSyntaxError,
                "'=' is not a comparison",
                token.start,
                hint="use '==' to compare; '=' only names a function argument (among=...)",
            )
        if token.text == ".":
            raise Fail(
                ForbiddenSyntaxError,
                "attribute access is not part of the expression language",
                token.start,
                hint="only previous.NAME uses a dot",
            )
        if token.text == "[":
            raise Fail(
                ForbiddenSyntaxError,
                "indexing and slicing are not part of the expression language",
                token.start,
            )
        if token.text in ("**", "//"):
            raise Fail(
                ForbiddenSyntaxError,
                f"'{token.text}' is not part of the expression language",
                token.start,
                2,
            )
        raise Fail(
            ExpressionSyntaxError,
            f"unexpected '{token.text}' {context}",
            token.start,
            max(1, token.end - token.start),
        )

    # precedence levels ------------------------------------------------------------------------

    def expr(self) -> Expr:
        return self.chain("or", self.logical_and)

    def logical_and(self) -> Expr:
        return self.chain("and", self.negation)

    def chain(self, op: str, parse: Callable[[], Expr]) -> Expr:
        left = parse()
        while self.at("name", op):
            self.take()
            right = parse()
            left = Binary(op, left, right, left.start, right.end)
        return left

    def negation(self) -> Expr:
        if self.at("name", "not"):
            self.deeper()
            token = self.take()
            operand = self.negation()
            self.depth -= 1
            return Unary("not", operand, token.start, operand.end)
        return self.comparison()

    def comparison(self) -> Expr:
        left = self.sum()
        pairs: list[Binary] = []
        while True:
            if self.at("op", *COMPARISONS):
                op = self.take().text
            elif self.at("name", "in"):
                self.take()
                op = "in"
            elif self.at("name", "not") and self.peek().kind == "name" and self.peek().text == "in":
                self.take()
                self.take()
                op = "not in"
            else:
                break
            right = self.sum()
            pairs.append(Binary(op, left, right, left.start, right.end))
            left = right
        if not pairs:
            return left
        result: Expr = pairs[0]
        for pair in pairs[1:]:  # a < b < c means a < b and b < c
            result = Binary("and", result, pair, result.start, pair.end)
        return result

    def sum(self) -> Expr:
        left = self.product()
        while self.at("op", "+", "-"):
            op = self.take().text
            right = self.product()
            left = Binary(op, left, right, left.start, right.end)
        return left

    def product(self) -> Expr:
        left = self.unary()
        while self.at("op", "*", "/", "%"):
            op = self.take().text
            right = self.unary()
            left = Binary(op, left, right, left.start, right.end)
        if self.at("op", "**", "//"):
            self.unexpected("")
        return left

    def unary(self) -> Expr:
        if self.at("op", "-", "+"):
            self.deeper()
            token = self.take()
            operand = self.unary()
            self.depth -= 1
            return Unary(token.text, operand, token.start, operand.end)
        return self.postfix(self.atom())

    def postfix(self, node: Expr) -> Expr:
        if self.at("op", "."):
            token = self.tok
            name = self.peek()
            length = name.end - token.start if name.kind == "name" else 1
            raise Fail(
                ForbiddenSyntaxError,
                "attribute access is not part of the expression language",
                token.start,
                length,
                hint="only previous.NAME uses a dot",
            )
        if self.at("op", "[") or (self.at("op", "(") and not isinstance(node, Name)):
            what = "indexing" if self.tok.text == "[" else "calling the result of an expression"
            raise Fail(
                ForbiddenSyntaxError,
                f"{what} is not part of the expression language",
                self.tok.start,
            )
        return node

    def atom(self) -> Expr:
        token = self.tok
        if token.kind == "number":
            self.take()
            assert isinstance(token.value, int | float)
            return Literal(token.value, token.start, token.end)
        if token.kind == "string":
            self.take()
            assert isinstance(token.value, str)
            return Literal(token.value, token.start, token.end)
        if token.kind == "name":
            return self.name()
        if token.kind == "op" and token.text == "(":
            self.deeper()
            self.open_brackets.append(self.take())
            inner = self.expr()
            self.depth -= 1
            if not self.at("op", ")"):
                self.unexpected("inside parentheses")
            self.open_brackets.pop()
            self.take()
            return inner
        if token.kind == "op" and token.text == "[":
            return self.list_literal()
        self.unexpected("where a value should be")
        raise AssertionError("unreachable")

    def name(self) -> Expr:
        token = self.take()
        text = token.text
        if text.startswith("__"):
            raise Fail(
                ForbiddenSyntaxError,
                f"names starting with '__' are not allowed ('{text}')",
                token.start,
                token.end - token.start,
            )
        if text in FORBIDDEN_WORDS:
            raise Fail(
                ForbiddenSyntaxError,
                f"'{text}' is not part of the expression language: no {FORBIDDEN_WORDS[text]}",
                token.start,
                token.end - token.start,
            )
        if text in ("true", "True"):
            return Literal(True, token.start, token.end)
        if text in ("false", "False"):
            return Literal(False, token.start, token.end)
        if text in ("and", "or", "in"):
            self.pos -= 1
            self.unexpected("where a value should be")
        if text == "previous":
            if not self.at("op", "."):
                raise Fail(
                    ExpressionSyntaxError,
                    "'previous' must be followed by '.' and a decision name, as in "
                    "previous.category",
                    token.start,
                    token.end - token.start,
                )
            self.take()
            if not self.at("name") or self.tok.text.startswith("__"):
                kind = (
                    ForbiddenSyntaxError
                    if self.tok.text.startswith("__")
                    else (ExpressionSyntaxError)
                )
                raise Fail(kind, "expected a decision name after 'previous.'", self.tok.start)
            name = self.take()
            return self.postfix(Previous(name.text, token.start, name.end))
        if self.at("op", "("):
            return self.call(token)
        return Name(text, token.start, token.end)

    def call(self, name: Token) -> Expr:
        self.deeper()
        self.open_brackets.append(self.take())
        args: list[Expr] = []
        kwargs: list[Keyword] = []
        while not self.at("op", ")"):
            if self.at("name") and self.peek().kind == "op" and self.peek().text == "=":
                key = self.take()
                self.take()
                value = self.expr()
                if any(k.name == key.text for k in kwargs):
                    raise Fail(
                        ExpressionSyntaxError,
                        f"argument '{key.text}' is given twice",
                        key.start,
                        key.end - key.start,
                    )
                kwargs.append(Keyword(key.text, value, key.start, value.end))
            else:
                if kwargs:
                    raise Fail(
                        ExpressionSyntaxError,
                        "a positional argument follows a named one",
                        self.tok.start,
                    )
                args.append(self.expr())
            if self.at("op", ","):
                self.take()
                continue
            if not self.at("op", ")"):
                self.unexpected(f"in the arguments of {name.text}()")
        self.open_brackets.pop()
        close = self.take()
        self.depth -= 1
        return Call(name.text, tuple(args), tuple(kwargs), name.start, close.end, name.end)

    def list_literal(self) -> Expr:
        self.deeper()
        opener = self.take()
        self.open_brackets.append(opener)
        items: list[Expr] = []
        while not self.at("op", "]"):
            items.append(self.expr())
            if self.at("op", ","):
                self.take()
                continue
            if not self.at("op", "]"):
                self.unexpected("in a list")
        self.open_brackets.pop()
        close = self.take()
        self.depth -= 1
        return ListLit(tuple(items), opener.start, close.end)


@dataclass(frozen=True)
class SyntaxProblem:
    """A syntax problem at a character offset of the expression text."""

    kind: type[RulesetProblem]
    message: str
    offset: int
    length: int
    hint: str | None


def parse_expression(text: str) -> Expr | SyntaxProblem:
    """Parse ``text`` into a tree, or describe the first syntax problem."""
    before = sys.getrecursionlimit()
    # about a dozen calls per level of parentheses: MAX_DEPTH levels need more than the default
    sys.setrecursionlimit(max(before, 20 * MAX_DEPTH + 1000))
    try:
        tree = _Parser(text).parse()
        _check_limits(tree)
        return tree
    except Fail as fail:
        return SyntaxProblem(fail.kind, fail.message, fail.start, fail.length, fail.hint)
    finally:
        sys.setrecursionlimit(before)


def _too_deep(offset: int) -> Fail:
    return Fail(
        LimitError,
        f"the expression is nested too deeply: more than {MAX_DEPTH} levels",
        offset,
        hint="split it into derived facts (derive:), use 'x in [...]' instead of a long chain "
        "of 'or', or sum() over periods; see 'Limits' in the ruleset reference",
    )


def _check_limits(tree: Expr) -> None:
    """Refuse a tree taller than :data:`MAX_DEPTH` (long chains of 'or' or '+') or a ``bands()``
    with more than :data:`MAX_BANDS_EDGES` edges, at the operand or call that goes past.

    Heights are computed without recursion, children before parents.
    """
    height: dict[int, int] = {}
    stack: list[tuple[Expr, bool]] = [(tree, False)]
    while stack:
        node, done = stack.pop()
        kids = children(node)
        if not done:
            stack.append((node, True))
            stack.extend((child, False) for child in kids)
            continue
        extra = 0
        if isinstance(node, Call) and node.func in ("bands", "coalesce"):
            edges = node.args[1] if node.func == "bands" and len(node.args) > 1 else None
            if isinstance(edges, ListLit) and len(edges.items) > MAX_BANDS_EDGES:
                raise Fail(
                    LimitError,
                    f"bands() takes at most {MAX_BANDS_EDGES} edges; found {len(edges.items)}",
                    edges.start,
                    hint="group the values into fewer bands, or compute a score with arithmetic",
                )
            extra = len(edges.items) if isinstance(edges, ListLit) else len(node.args)
        own = 1 + extra + max((height[id(c)] for c in kids), default=0)
        if own > MAX_DEPTH:
            where = node.right.start if isinstance(node, Binary) else node.start
            raise _too_deep(where)
        height[id(node)] = own
