"""The expression language of rulesets: lexer, parser and syntax tree.

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

import re
import sys
from collections.abc import Callable
from dataclasses import dataclass

from tierkit.errors import (
    ExpressionSyntaxError,
    ForbiddenSyntaxError,
    LimitError,
    RulesetProblem,
)

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

# --------------------------------------------------------------------------------------------
# lexer


@dataclass(frozen=True)
class Token:
    kind: str  # number, string, name, op, end
    text: str
    start: int
    end: int
    value: float | int | str | None = None
    bad_kind: type[RulesetProblem] | None = None


_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<number>(?:\d[\d_]*\.?[\d_]*|\.\d[\d_]*)(?:[eE][+-]?\d+)?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>==|!=|<=|>=|\*\*|//|[-+*/%<>()\[\],.=])
  | (?P<quote>['"])
    """,
    re.VERBOSE,
)

KEYWORDS = {"and", "or", "not", "in", "true", "false", "True", "False", "previous"}
FORBIDDEN_WORDS = {
    "lambda": "lambdas",
    "import": "imports",
    "def": "definitions",
    "class": "classes",
    "for": "loops and comprehensions",
    "while": "loops",
    "if": "conditional expressions (use a decision table, or coalesce/bands)",
    "else": "conditional expressions (use a decision table, or coalesce/bands)",
    "is": "'is' (use == or missing(x))",
    "yield": "generators",
    "await": "coroutines",
    "async": "coroutines",
    "del": "statements",
    "global": "statements",
    "return": "statements",
    "with": "statements",
    "exec": "exec",
    "eval": "eval",
    "None": "None (use missing(x) to test for a missing value)",
    "none": "none (use missing(x) to test for a missing value)",
    "null": "null (use missing(x) to test for a missing value)",
}


class _Fail(Exception):
    def __init__(
        self,
        kind: type[RulesetProblem],
        message: str,
        start: int,
        length: int = 1,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.start = start
        self.length = length
        self.hint = hint


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            char = text[pos]
            what = {
                "{": "mappings and sets",
                "}": "mappings and sets",
                ";": "statements",
                ":": "slices, lambdas and annotations",
                "@": "decorators and matrix products",
                "&": "bitwise operators (use 'and')",
                "|": "bitwise operators (use 'or')",
                "~": "bitwise operators (use 'not')",
                "^": "bitwise operators",
                "!": "'!' (use 'not', or '!=' to compare)",
                "`": "backticks",
                "$": "'$'",
                "#": "comments",
            }.get(char)
            message = (
                f"'{char}' is not part of the expression language"
                + (f": no {what}" if what and not what.startswith("'") else "")
                if what
                else f"unexpected character '{char}'"
            )
            # Kept as a token so that an earlier problem (say, 'lambda') is reported first.
            kind = ForbiddenSyntaxError if what else ExpressionSyntaxError
            tokens.append(Token("bad", char, pos, pos + 1, message, kind))
            pos += 1
            continue
        group = match.lastgroup
        if group == "space":
            pos = match.end()
            continue
        if group == "quote":
            token, pos = _string(text, pos)
            tokens.append(token)
            continue
        chunk = match.group()
        if group == "number":
            tokens.append(Token("number", chunk, pos, match.end(), _number(chunk, pos)))
        elif group == "name":
            tokens.append(Token("name", chunk, pos, match.end()))
        else:
            tokens.append(Token("op", chunk, pos, match.end()))
        pos = match.end()
    tokens.append(Token("end", "", len(text), len(text)))
    return tokens


def _number(chunk: str, pos: int) -> float | int:
    clean = chunk.replace("_", "")
    try:
        if re.fullmatch(r"\d+", clean):
            return int(clean)
        return float(clean)
    except ValueError:
        raise _Fail(ExpressionSyntaxError, f"'{chunk}' is not a number", pos, len(chunk)) from None


def _string(text: str, start: int) -> tuple[Token, int]:
    quote = text[start]
    pos = start + 1
    chars: list[str] = []
    while pos < len(text):
        char = text[pos]
        if char == "\\" and pos + 1 < len(text):
            chars.append(text[pos + 1])
            pos += 2
            continue
        if char == quote:
            return Token("string", text[start : pos + 1], start, pos + 1, "".join(chars)), pos + 1
        chars.append(char)
        pos += 1
    raise _Fail(
        ExpressionSyntaxError,
        f"text opened with {quote} is never closed",
        start,
        hint=f"close it with a matching {quote}",
    )


# --------------------------------------------------------------------------------------------
# parser


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
            raise _Fail(ExpressionSyntaxError, "the expression is empty", 0)
        tree = self.expr()
        if self.tok.kind != "end":
            self.unexpected("where the expression should end")
        return tree

    def unexpected(self, context: str) -> None:
        token = self.tok
        if token.kind == "bad":
            assert isinstance(token.value, str)
            raise _Fail(token.bad_kind or ExpressionSyntaxError, token.value, token.start)
        if token.kind == "end":
            if self.open_brackets:
                opener = self.open_brackets[-1]
                closer = ")" if opener.text == "(" else "]"
                raise _Fail(
                    ExpressionSyntaxError,
                    f"'{opener.text}' is never closed",
                    opener.start,
                    hint=f"add '{closer}'",
                )
            raise _Fail(
                ExpressionSyntaxError, f"the expression ends too early, {context}", token.start
            )
        if token.text in (")", "]") and not self.open_brackets:
            raise _Fail(ExpressionSyntaxError, f"unmatched '{token.text}'", token.start)
        if token.kind == "name" and token.text in FORBIDDEN_WORDS:
            raise _Fail(
                ForbiddenSyntaxError,
                f"'{token.text}' is not part of the expression language: no "
                f"{FORBIDDEN_WORDS[token.text]}",
                token.start,
                token.end - token.start,
            )
        if token.text == "=":
            raise _Fail(
                ExpressionSyntaxError,
                "'=' is not a comparison",
                token.start,
                hint="use '==' to compare; '=' only names a function argument (among=...)",
            )
        if token.text == ".":
            raise _Fail(
                ForbiddenSyntaxError,
                "attribute access is not part of the expression language",
                token.start,
                hint="only previous.NAME uses a dot",
            )
        if token.text == "[":
            raise _Fail(
                ForbiddenSyntaxError,
                "indexing and slicing are not part of the expression language",
                token.start,
            )
        if token.text in ("**", "//"):
            raise _Fail(
                ForbiddenSyntaxError,
                f"'{token.text}' is not part of the expression language",
                token.start,
                2,
            )
        raise _Fail(
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
            raise _Fail(
                ForbiddenSyntaxError,
                "attribute access is not part of the expression language",
                token.start,
                length,
                hint="only previous.NAME uses a dot",
            )
        if self.at("op", "[") or (self.at("op", "(") and not isinstance(node, Name)):
            what = "indexing" if self.tok.text == "[" else "calling the result of an expression"
            raise _Fail(
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
            raise _Fail(
                ForbiddenSyntaxError,
                f"names starting with '__' are not allowed ('{text}')",
                token.start,
                token.end - token.start,
            )
        if text in FORBIDDEN_WORDS:
            raise _Fail(
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
                raise _Fail(
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
                raise _Fail(kind, "expected a decision name after 'previous.'", self.tok.start)
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
                    raise _Fail(
                        ExpressionSyntaxError,
                        f"argument '{key.text}' is given twice",
                        key.start,
                        key.end - key.start,
                    )
                kwargs.append(Keyword(key.text, value, key.start, value.end))
            else:
                if kwargs:
                    raise _Fail(
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
    except _Fail as fail:
        return SyntaxProblem(fail.kind, fail.message, fail.start, fail.length, fail.hint)
    finally:
        sys.setrecursionlimit(before)


def _too_deep(offset: int) -> _Fail:
    return _Fail(
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
        children = _children(node)
        if not done:
            stack.append((node, True))
            stack.extend((child, False) for child in children)
            continue
        extra = 0
        if isinstance(node, Call) and node.func in ("bands", "coalesce"):
            edges = node.args[1] if node.func == "bands" and len(node.args) > 1 else None
            if isinstance(edges, ListLit) and len(edges.items) > MAX_BANDS_EDGES:
                raise _Fail(
                    LimitError,
                    f"bands() takes at most {MAX_BANDS_EDGES} edges; found {len(edges.items)}",
                    edges.start,
                    hint="group the values into fewer bands, or compute a score with arithmetic",
                )
            extra = len(edges.items) if isinstance(edges, ListLit) else len(node.args)
        own = 1 + extra + max((height[id(c)] for c in children), default=0)
        if own > MAX_DEPTH:
            where = node.right.start if isinstance(node, Binary) else node.start
            raise _too_deep(where)
        height[id(node)] = own


def _children(node: Expr) -> tuple[Expr, ...]:
    if isinstance(node, Unary):
        return (node.operand,)
    if isinstance(node, Binary):
        return (node.left, node.right)
    if isinstance(node, Call):
        return (*node.args, *(k.value for k in node.kwargs))
    if isinstance(node, ListLit):
        return node.items
    return ()


def unparse(node: Expr) -> str:
    """The expression as canonical text (used to name atoms and in explanations)."""
    if isinstance(node, Literal):
        if isinstance(node.value, bool):
            return "true" if node.value else "false"
        if isinstance(node.value, str):
            return repr(node.value)
        return repr(node.value)
    if isinstance(node, ListLit):
        return "[" + ", ".join(unparse(i) for i in node.items) + "]"
    if isinstance(node, Name):
        return node.name
    if isinstance(node, Previous):
        return f"previous.{node.name}"
    if isinstance(node, Unary):
        sep = " " if node.op == "not" else ""
        return f"{node.op}{sep}{_wrap(node.operand)}"
    if isinstance(node, Binary):
        return f"{_wrap(node.left)} {node.op} {_wrap(node.right)}"
    args = [unparse(a) for a in node.args] + [f"{k.name}={unparse(k.value)}" for k in node.kwargs]
    return f"{node.func}({', '.join(args)})"


def _wrap(node: Expr) -> str:
    text = unparse(node)
    nested = isinstance(node, Binary) or (isinstance(node, Unary) and node.op == "not")
    return f"({text})" if nested else text
