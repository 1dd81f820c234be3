"""A ruleset document: its text, its data, and where each key and value is in the text.

Later stages point at ``file:line:column`` with the source line under it through
:class:`Document`; :mod:`tierkit.ruleset.read` builds one from a file.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from tierkit.errors import (
    Location,
    RulesetProblem,
)

KeyPath = tuple[str | int, ...]

MAX_RULESET_CHARS = 256 * 1024
"""A ruleset file holds at most this many characters (the largest shipped one has 7,500):
PyYAML reads about a megabyte in several seconds, so a bigger file is refused before parsing."""
MAX_YAML_DEPTH = 64
"""Lists and mappings nest at most this deep (a ruleset needs about eight levels)."""
MAX_YAML_VALUES = 100_000
"""At most this many values once every alias is expanded (a ruleset has a few thousand)."""


@dataclass(frozen=True)
class Span:
    """Where a YAML node starts and ends: 1-based lines and columns, and its scalar style."""

    line: int
    column: int
    end_line: int
    end_column: int
    style: str | None = None


@dataclass(frozen=True)
class SourceFile:
    """A ruleset file's name and text, for locations and carets."""

    path: str
    text: str
    lines: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "lines", tuple(self.text.splitlines()))

    def line(self, number: int) -> str | None:
        if 1 <= number <= len(self.lines):
            return self.lines[number - 1]
        return None

    def problem(
        self,
        kind: type[RulesetProblem],
        message: str,
        line: int,
        column: int,
        length: int = 1,
        hint: str | None = None,
    ) -> RulesetProblem:
        location = Location(self.path, line, column, length)
        return kind(message, location, self.line(line), hint)


@dataclass(frozen=True)
class Document:
    """A parsed YAML document: plain Python data plus the span of every key and value."""

    source: SourceFile
    data: Any
    values: dict[KeyPath, Span]
    keys: dict[KeyPath, Span]

    def span(self, path: KeyPath, *, key: bool = False) -> Span:
        """The span of the value (or key) at ``path``, or of its nearest existing parent."""
        table = self.keys if key else self.values
        for end in range(len(path), -1, -1):
            found = table.get(path[:end]) or self.values.get(path[:end])
            if found is not None:
                return found
        return Span(1, 1, 1, 1)

    def problem(
        self,
        kind: type[RulesetProblem],
        message: str,
        path: KeyPath,
        *,
        key: bool = False,
        hint: str | None = None,
    ) -> RulesetProblem:
        """A problem located at the value (or key) at ``path``."""
        span = self.span(path, key=key)
        length = span.end_column - span.column if span.end_line == span.line else 1
        return self.source.problem(kind, message, span.line, span.column, max(1, length), hint)

    def text_position(self, path: KeyPath, offset: int) -> tuple[int, int]:
        """Line and column of character ``offset`` of the text value at ``path``.

        Follows YAML's quoting, escapes, line folding and block scalars, so a caret lands on
        the character the analyst wrote.
        """
        span = self.span(path)
        positions = _scalar_positions(self.source.lines, span)
        if not positions:
            return span.line, span.column + (1 if span.style in ('"', "'") else 0)
        if offset < len(positions):
            return positions[offset]
        line, column = positions[-1]
        return line, column + 1 + offset - len(positions)


def _scalar_positions(lines: Sequence[str], span: Span) -> list[tuple[int, int]]:
    """The source (line, column) of each character of a scalar's value, as YAML reads it."""
    if span.style in ("|", ">"):
        return _block_positions(lines, span)
    quote = span.style if span.style in ('"', "'") else None
    positions: list[tuple[int, int]] = []
    row, col = span.line - 1, span.column - 1 + (1 if quote else 0)
    end = (span.end_line - 1, span.end_column - 1 - (1 if quote else 0))
    pending_break = False
    while (row, col) < end and row < len(lines):
        text = lines[row]
        if col >= len(text):  # a line break inside the scalar folds to one character
            row, col = row + 1, 0
            pending_break = True
            continue
        char = text[col]
        if pending_break:
            if char in " \t":
                col += 1
                continue
            positions.append((row + 1, col + 1))
            pending_break = False
        if quote == "'" and text.startswith("''", col):
            positions.append((row + 1, col + 1))
            col += 2
            continue
        if quote == '"' and char == "\\":
            positions.append((row + 1, col + 1))
            code = text[col + 1 : col + 2]
            col += {"x": 4, "u": 6, "U": 10}.get(code, 2)
            continue
        if not quote and char in " \t" and text[col:].strip() == "":
            col = len(text)
            continue
        positions.append((row + 1, col + 1))
        col += 1
    return positions


def _block_positions(lines: Sequence[str], span: Span) -> list[tuple[int, int]]:
    """Positions in a literal (|) or folded (>) block: its lines, indentation removed."""
    positions: list[tuple[int, int]] = []
    row = span.line  # the block starts on the line after the indicator (0-based index)
    indent: int | None = None
    last = min(span.end_line, len(lines))
    while row < last:
        text = lines[row]
        if text.strip():
            if indent is None:
                indent = len(text) - len(text.lstrip(" "))
            if positions:
                positions.append((row + 1, indent + 1))  # the line break (or folded space)
            positions.extend((row + 1, c + 1) for c in range(indent, len(text.rstrip())))
        row += 1
    return positions


def _get(data: Any, path: KeyPath) -> Any:
    for step in path:
        try:
            data = data[step]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def key_names(paths: Sequence[KeyPath]) -> list[str]:
    return [str(p[-1]) for p in paths if p]
