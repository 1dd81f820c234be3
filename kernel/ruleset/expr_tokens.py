"""The lexer of ruleset expressions: text to tokens, and the words the language refuses."""

from __future__ import annotations

import re
from dataclasses import dataclass

from tierkit.errors import ExpressionSyntaxError, ForbiddenSyntaxError, RulesetProblem


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


class Fail(Exception):
    """A syntax problem found while reading: stops the parser at once."""

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
            if len(clean) > 18 and int(clean) >= 2**63:  # no float nor 64-bit integer holds it
                raise Fail(
                    ExpressionSyntaxError,
                    f"the number {chunk[:20]}{'…' if len(chunk) > 20 else ''} is too large;"
                    " write numbers below 2^63 (9223372036854775808), or as 1e30",
                    pos,
                    len(chunk),
                )
            return int(clean)
        return float(clean)
    except ValueError:
        raise Fail(ExpressionSyntaxError, f"'{chunk}' is not a number", pos, len(chunk)) from None


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
    raise Fail(
        ExpressionSyntaxError,
        f"text opened with {quote} is never closed",
        start,
        hint=f"close it with a matching {quote}",
    )


# --------------------------------------------------------------------------------------------
# parser
