"""Read a ruleset workbook (docs/excel.md) back into ruleset data, remembering the cell each
value came from, so that a mistake is reported as ``sheet!cell``."""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from openpyxl import load_workbook
from openpyxl.cell.cell import Cell
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet.worksheet import Worksheet

from tierkit.errors import WorkbookInvalid, WorkbookProblem
from tierkit.ruleset.expr_parse import SyntaxProblem, parse_expression
from tierkit.ruleset.source import KeyPath
from tierkit.workbook.layout import (
    ANY,
    BECAUSE,
    BLOCK_LABELS,
    COMMENT,
    CRITERIA_HEADERS,
    CRITERIA_SHEET,
    DECISION,
    DERIVE_SHEET,
    EXAMPLES_SHEET,
    FIXED_SHEETS,
    POLICIES_SHEET,
    POLICY_KEY,
    RESERVED_HEADERS,
    RULE,
    RULESET_SHEET,
    SCALAR_KEYS,
    SUBJECT,
    THEN,
    TOP_ORDER,
    WHEN,
    cell_condition,
    join_conditions,
)

CellRef = tuple[str, str]
"""(sheet title, cell coordinate such as ``C4``)."""


@dataclass(frozen=True)
class Segment:
    """Where one cell's condition sits in a rule's ``when`` text."""

    start: int
    end: int
    cell: CellRef
    header: CellRef | None = None
    """The column's header cell, for a test: its name starts the condition."""
    name_length: int = 0


@dataclass
class Workbook:
    """A workbook read as ruleset data, with the cell of every value."""

    data: dict[str, Any] = field(default_factory=dict)
    cells: dict[KeyPath, CellRef] = field(default_factory=dict)
    segments: dict[KeyPath, list[Segment]] = field(default_factory=dict)
    problems: list[WorkbookProblem] = field(default_factory=list)
    first_sheet: str = RULESET_SHEET

    def problem(self, cell: CellRef, message: str, hint: str | None = None) -> None:
        self.problems.append(WorkbookProblem(cell[0], cell[1], message, hint))


def value_of(cell: Cell | Any) -> Any:
    """A cell's value; text stripped of surrounding spaces, empty text as nothing."""
    value = getattr(cell, "value", None)
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def exact_value(cell: Cell | Any) -> Any:
    """A value cell (then, default, outcomes, because) as written: text keeps its spaces."""
    value = getattr(cell, "value", None)
    if isinstance(value, str) and not value.strip():
        return None
    return value


def word(value: Any) -> Any:
    """A label or a fixed column header, in any case (``Then``, ``HIT``)."""
    return value.lower() if isinstance(value, str) else value


def as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return repr(int(value)) if abs(value) < 1e15 else repr(value)
    return str(value)


def read_workbook(path: Path) -> Workbook:
    """Read every sheet; mistakes are collected in :attr:`Workbook.problems`."""
    try:
        book = load_workbook(path, data_only=False)
    except FileNotFoundError:
        raise WorkbookInvalid([WorkbookProblem(str(path), "", "no such file")]) from None
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        message = f"not an Excel workbook (.xlsx): {exc}"
        raise WorkbookInvalid([WorkbookProblem(str(path), "", message)]) from None
    result = Workbook(first_sheet=book.worksheets[0].title if book.worksheets else RULESET_SHEET)
    decisions: dict[str, Any] = {}
    for sheet in book.worksheets:
        if value_of(sheet["A1"]) == DECISION or sheet.title.lower() in FIXED_SHEETS:
            _formulas(sheet, result)
        if value_of(sheet["A1"]) == DECISION:
            _decision(sheet, result, decisions)
        elif sheet.title.lower() == DERIVE_SHEET:
            _derive(sheet, result)
        elif sheet.title.lower() == CRITERIA_SHEET:
            _criteria(sheet, result)
        elif sheet.title.lower() == RULESET_SHEET:
            _ruleset(sheet, result)
        elif sheet.title.lower() == EXAMPLES_SHEET:
            _examples(sheet, result)
        elif sheet.title.lower() == POLICIES_SHEET:
            _policies(sheet, result)
    if not decisions:
        result.problem(
            (result.first_sheet, "A1"),
            "no decision sheet: a decision table's sheet has 'decision' in A1",
        )
    result.data["decisions"] = decisions
    order = {key: index for index, key in enumerate(TOP_ORDER)}
    result.data = dict(sorted(result.data.items(), key=lambda kv: order.get(kv[0], len(order))))
    return result


def _formulas(sheet: Worksheet, book: Workbook) -> None:
    """A formula is a mistake: its value is not stored, and tierkit never computes one."""
    for row in sheet.iter_rows():
        for cell in row:
            if cell.data_type == "f":
                book.problem(
                    _ref(sheet, cell),
                    f"a formula ({cell.value}): tierkit reads values, not formulas",
                    "type the value; for a test starting with = (== 3), type ' before it",
                )


def _ref(sheet: Worksheet, cell: Cell | Any) -> CellRef:
    return sheet.title, str(cell.coordinate)


def _comment(row: tuple[Any, ...]) -> bool:
    first = next((value_of(c) for c in row if value_of(c) is not None), None)
    return first is None or (isinstance(first, str) and first.startswith(COMMENT))


def _decision(sheet: Worksheet, book: Workbook, decisions: dict[str, Any]) -> None:
    rows = list(sheet.iter_rows())
    decision: dict[str, Any] = {}
    name: str | None = None
    header_index = next(
        (i for i, row in enumerate(rows) if any(word(value_of(c)) == THEN for c in row)), None
    )
    block = rows if header_index is None else rows[:header_index]
    places: dict[str, CellRef] = {}
    outcome_cells: list[CellRef] = []
    for row in block:
        if _comment(row):
            continue
        label = word(value_of(row[0]))
        if label not in BLOCK_LABELS:
            book.problem(
                _ref(sheet, row[0]),
                f"unknown label {label!r} above the table",
                "expected " + ", ".join(BLOCK_LABELS) + "; start a note with #",
            )
            continue
        values = [exact_value(c) for c in row[1:]]
        place = _ref(sheet, row[1]) if len(row) > 1 else _ref(sheet, row[0])
        places[str(label)] = place
        if label == DECISION:
            name = as_text(values[0]).strip() if values and values[0] is not None else None
        elif label == "outcomes":
            filled = [c for c in row[1:] if exact_value(c) is not None]
            decision["outcomes"] = [exact_value(c) for c in filled]
            outcome_cells = [_ref(sheet, c) for c in filled]
        elif label == "default":
            decision.setdefault("default", {})["then"] = values[0] if values else None
        elif label == "default because":
            decision.setdefault("default", {})["because"] = as_text(values[0]) if values else None
        elif values and values[0] is not None:
            decision[str(label)] = as_text(values[0]).strip() if label == "hit" else values[0]
    if name is None:
        book.problem((sheet.title, "B1"), "the decision has no name (B1)")
        return
    if name in decisions:
        book.problem((sheet.title, "B1"), f"decision '{name}' is on two sheets")
        return
    if header_index is None:
        book.problem(
            (sheet.title, f"A{len(rows) + 1}"),
            "no table: the header row needs a 'then' column",
        )
        return
    path: KeyPath = ("decisions", name)
    book.cells[path] = places.get(DECISION, (sheet.title, "B1"))
    for label, place in places.items():
        if label == "outcomes":
            book.cells[(*path, "outcomes")] = place
            for index, cell in enumerate(outcome_cells):
                book.cells[(*path, "outcomes", index)] = cell
        elif label.startswith("default"):
            book.cells[(*path, "default", "because" if " " in label else "then")] = place
            book.cells.setdefault((*path, "default"), place)
        elif label != DECISION:
            book.cells[(*path, label)] = place
    columns = _columns(sheet, rows[header_index], book)
    found = [_rule(sheet, row, columns, book) for row in rows[header_index + 1 :]]
    decisions[name] = {"rules": _renumber(book, path, found), **decision}


def _columns(sheet: Worksheet, header: tuple[Any, ...], book: Workbook) -> dict[int, Cell]:
    """Column index → header cell, for the headers the table understands."""
    columns: dict[int, Cell] = {}
    seen: set[str] = set()
    for index, cell in enumerate(header):
        text = value_of(cell)
        if text is None:
            continue
        text = as_text(text)
        if text.lower() in RESERVED_HEADERS:
            text = text.lower()
        if text in seen:
            book.problem(_ref(sheet, cell), f"column '{text}' appears twice")
            continue
        if text in RESERVED_HEADERS:  # a name may have two columns: two bounds
            seen.add(text)
        if text.lower() not in RESERVED_HEADERS and not SUBJECT.match(text):
            book.problem(
                _ref(sheet, cell),
                f"unknown column header {text!r}",
                "a column is a name (a criterion, derived fact or decision), previous.NAME, "
                "or one of when, then, because, rule",
            )
            continue
        columns[index] = cell
    return columns


def _rule(
    sheet: Worksheet,
    row: tuple[Any, ...],
    columns: dict[int, Cell],
    book: Workbook,
) -> tuple[dict[str, Any], dict[str, CellRef], list[Segment]] | None:
    """A rule row as (rule, cells by key, segments); ``None`` for an empty or comment row."""
    if _comment(row):
        return None
    rule: dict[str, Any] = {}
    cells: dict[str, CellRef] = {"": _ref(sheet, row[0])}
    parts: list[tuple[str, CellRef, CellRef | None, int]] = []
    when: tuple[str, CellRef] | None = None
    filled = False
    for index, header in columns.items():
        cell = row[index] if index < len(row) else None
        value = value_of(cell)
        role = as_text(header.value).strip()
        role = role.lower() if role.lower() in RESERVED_HEADERS else role
        place = (sheet.title, cell.coordinate) if cell is not None else cells[""]
        cells[role] = place
        if value is None or (value == ANY and role not in RESERVED_HEADERS):
            continue
        filled = True
        if role == THEN:
            rule[THEN] = exact_value(cell)
        elif role == BECAUSE:
            rule[BECAUSE] = as_text(exact_value(cell))
        elif role == RULE:
            rule["name"] = as_text(value)
        elif role == WHEN:
            when = (as_text(value), place)
        else:
            condition = cell_condition(role, as_text(value))
            if condition is None:
                continue
            tree = parse_expression(condition)
            if isinstance(tree, SyntaxProblem):
                book.problem(place, f"{tree.message} (in the condition '{condition}')", tree.hint)
                continue
            parts.append((condition, place, _ref(sheet, header), len(role)))
    if not filled:
        return None
    if THEN not in rule:
        book.problem(cells.get(THEN, cells[""]), "missing then: every rule needs a value")
    texts = [p[0] for p in parts] + ([when[0]] if when else [])
    places = [(p[1], p[2], p[3]) for p in parts] + ([(when[1], None, 0)] if when else [])
    segments: list[Segment] = []
    if not texts:
        rule["when"] = True
    else:
        rule["when"], spans = join_conditions(texts)
        segments = [
            Segment(start, end, cell, header, length)
            for (start, end), (cell, header, length) in zip(spans, places, strict=True)
        ]
        cells[WHEN] = segments[0].cell
    ordered = {"when": rule.pop("when"), **rule}
    return ordered, cells, segments


def _renumber(
    book: Workbook,
    path: KeyPath,
    rules: list[tuple[dict[str, Any], dict[str, CellRef], list[Segment]] | None],
) -> list[dict[str, Any]]:
    kept: list[dict[str, Any]] = []
    for found in rules:
        if found is None:
            continue
        rule, cells, segments = found
        here: KeyPath = (*path, "rules", len(kept))
        book.cells[here] = cells[""]
        for key, place in cells.items():
            if key:
                book.cells[(*here, "name" if key == RULE else key)] = place
        if segments:
            book.segments[(*here, "when")] = segments
        kept.append(rule)
    return kept


def _table(sheet: Worksheet, first: str) -> tuple[tuple[Any, ...] | None, list[tuple[Any, ...]]]:
    """The header row (its first cell ``first``) and the rows below it that hold something."""
    rows = list(sheet.iter_rows())
    for index, row in enumerate(rows):
        if value_of(row[0]) == first:
            return row, [r for r in rows[index + 1 :] if not _comment(r)]
    return None, []


def _derive(sheet: Worksheet, book: Workbook) -> None:
    header, rows = _table(sheet, "name")
    derive: dict[str, Any] = {}
    for row in rows if header is not None else []:
        name, expression = value_of(row[0]), value_of(row[1]) if len(row) > 1 else None
        if name is None:
            book.problem(_ref(sheet, row[0]), "a derived fact needs a name")
            continue
        place = (sheet.title, f"B{row[0].row}")
        if expression is None:
            book.problem(place, f"derived fact '{name}' has no expression")
            continue
        derive[as_text(name)] = expression
        book.cells[("derive", as_text(name))] = place
    book.data["derive"] = derive


def _criteria(sheet: Worksheet, book: Workbook) -> None:
    header, rows = _table(sheet, "name")
    if header is None:
        return
    columns: dict[int, str] = {}
    for index, cell in enumerate(header):
        text = value_of(cell)
        if text is None:
            continue
        if text not in CRITERIA_HEADERS:
            book.problem(
                _ref(sheet, cell),
                f"unknown column header {text!r}",
                "expected " + ", ".join(CRITERIA_HEADERS),
            )
            continue
        columns[index] = str(text)
    criteria: dict[str, Any] = {}
    for row in rows:
        fields: dict[str, Any] = {}
        places: dict[str, CellRef] = {}
        for index, key in columns.items():
            if index >= len(row):
                continue
            places[key] = _ref(sheet, row[index])
            value = value_of(row[index])
            if value is None:
                continue
            if key == "params":
                value = _yaml(book, places[key], as_text(value))
            elif key != "periods":
                value = as_text(value)
            fields[key] = value
        name = fields.pop("name", None)
        if name is None:
            book.problem(_ref(sheet, row[0]), "a criterion needs a name")
            continue
        path: KeyPath = ("criteria", name)
        book.cells[path] = places.get("use", places.get("name", _ref(sheet, row[0])))
        for key, place in places.items():
            book.cells[(*path, key)] = place
        criteria[name] = fields["use"] if list(fields) == ["use"] else fields
    book.data["criteria"] = criteria


def _yaml(book: Workbook, place: CellRef, text: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(exc, "problem", None) or "not YAML"
        book.problem(place, f"not valid YAML{where}: {problem}")
        return None


def _joined(row: tuple[Any, ...]) -> str:
    """The YAML text of a row: column B, continued in C, D, ... when long."""
    return "".join(as_text(v) for c in row[1:] if (v := getattr(c, "value", None)) is not None)


def _ruleset(sheet: Worksheet, book: Workbook) -> None:
    header, rows = _table(sheet, "key")
    for row in rows if header is not None else []:
        key = value_of(row[0])
        place = (sheet.title, f"B{row[0].row}")
        if key is None:
            book.problem(_ref(sheet, row[0]), "a value without a key")
            continue
        key = as_text(key)
        if key in book.data:  # policies, from their own sheet
            book.problem(_ref(sheet, row[0]), f"{key} are given twice: here and on their sheet")
            continue
        book.cells[(key,)] = place
        if key in SCALAR_KEYS:
            book.data[key] = value_of(row[1]) if len(row) > 1 else None
        else:
            book.data[key] = _yaml(book, place, _joined(row))


def _policies(sheet: Worksheet, book: Workbook) -> None:
    header, rows = _table(sheet, POLICY_KEY)
    if header is None:
        return
    if "policies" in book.data:
        book.problem(
            (sheet.title, "A1"), "policies are given twice: on this sheet and the ruleset sheet"
        )
        return
    keys = {i: as_text(v) for i, c in enumerate(header) if i and (v := value_of(c)) is not None}
    policies: dict[Any, dict[str, Any]] = {}
    for row in rows:
        value = exact_value(row[0])
        if value is None:
            book.problem(_ref(sheet, row[0]), "a row of policies needs the value it is for")
            continue
        book.cells[("policies", value)] = _ref(sheet, row[0])
        entry: dict[str, Any] = {}
        for index, key in keys.items():
            if index < len(row) and (cell := exact_value(row[index])) is not None:
                entry[key] = cell
                book.cells[("policies", value, key)] = _ref(sheet, row[index])
        policies[value] = entry
    book.data["policies"] = policies
    book.cells[("policies",)] = (sheet.title, "A2")


def _examples(sheet: Worksheet, book: Workbook) -> None:
    header, rows = _table(sheet, "name")
    tests: list[dict[str, Any]] = []
    for row in rows if header is not None else []:
        place = (sheet.title, f"B{row[0].row}")
        rest = _yaml(book, place, _joined(row)) if len(row) > 1 else {}
        if rest is None:
            rest = {}
        if not isinstance(rest, dict):
            book.problem(place, "an example is YAML keys: given, expect, population, ...")
            continue
        path: KeyPath = ("tests", len(tests))
        book.cells[path] = place
        book.cells[(*path, "name")] = _ref(sheet, row[0])
        name = value_of(row[0])
        tests.append({"name": as_text(name) if name is not None else None, **rest})
    if tests:
        book.data["tests"] = tests
