"""Import a workbook: read it, check the ruleset it makes, and name the cell of each problem."""

from __future__ import annotations

from pathlib import Path

import yaml

from tierkit.errors import RulesetInvalid, RulesetProblem, WorkbookInvalid, WorkbookProblem
from tierkit.registry import Registry
from tierkit.ruleset.load import load_ruleset_text
from tierkit.ruleset.read import parse_document
from tierkit.ruleset.source import Document, KeyPath, Span
from tierkit.workbook.read import CellRef, Workbook, read_workbook


def ruleset_text(data: object, width: int = 100) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=width)


def import_workbook(path: Path, registry: Registry | None = None) -> str:
    """The ruleset YAML of a workbook; raise :class:`WorkbookInvalid` naming sheet and cell."""
    book = read_workbook(path)
    if book.problems:
        raise WorkbookInvalid(book.problems)
    # one line per value, so that a column in the text is a character of the value
    checked = ruleset_text(book.data, width=10**9)
    try:
        load_ruleset_text(checked, str(path), registry)
    except RulesetInvalid as invalid:
        document = parse_document(checked, str(path))
        located = [_locate(book, document, problem) for problem in invalid.problems]
        unique = list({(p.where, p.message): p for p in located}.values())
        raise WorkbookInvalid(unique) from None
    return ruleset_text(book.data)


def _contains(span: Span, line: int, column: int) -> bool:
    return (span.line, span.column) <= (line, column) <= (span.end_line, span.end_column)


def _path_at(document: Document, line: int, column: int) -> KeyPath | None:
    """The deepest key path whose key or value holds the position."""
    best: KeyPath | None = None
    for table in (document.values, document.keys):
        for path, span in table.items():
            if _contains(span, line, column) and (best is None or len(path) > len(best)):
                best = path
    return best


def _locate(book: Workbook, document: Document, problem: RulesetProblem) -> WorkbookProblem:
    line, column = problem.location.line, problem.location.column
    path = _path_at(document, line, column) or ()
    cell = _segment_cell(book, document, path, line, column)
    while cell is None and path:
        cell = book.cells.get(path)
        path = path[:-1]
    if cell is None:
        cell = (book.first_sheet, "A1")
    return WorkbookProblem(cell[0], cell[1], problem.message, problem.hint)


def _segment_cell(
    book: Workbook, document: Document, path: KeyPath, line: int, column: int
) -> CellRef | None:
    """The cell of the part of a rule's condition where the problem is."""
    segments = book.segments.get(path)
    if not segments:
        return None
    offset = next(
        (
            o
            for o in range(segments[-1].end + 1)
            if document.text_position(path, o) == (line, column)
        ),
        None,
    )
    if offset is None:
        return segments[0].cell
    for segment in segments:
        if segment.start <= offset <= segment.end:
            if segment.header is not None and offset < segment.start + segment.name_length:
                return segment.header
            return segment.cell
    return segments[0].cell
