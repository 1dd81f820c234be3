"""Write a ruleset as an Excel workbook: a sheet per decision, then derive, criteria, ruleset
and examples sheets (docs/excel.md). Every cell is a value, never a formula."""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path
from typing import Any

import yaml
from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from tierkit.workbook.layout import (
    ANY,
    BECAUSE,
    CRITERIA_HEADERS,
    CRITERIA_SHEET,
    DECISION,
    DERIVE_HEADERS,
    DERIVE_SHEET,
    EXAMPLES_HEADERS,
    EXAMPLES_SHEET,
    FIXED_SHEETS,
    NOTES,
    POLICIES_SHEET,
    POLICY_KEY,
    RULE,
    RULESET_HEADERS,
    RULESET_SHEET,
    SCALAR_KEYS,
    THEN,
    WHEN,
    condition_tests,
)

MAX_CELL = 30_000
"""Longer YAML text continues in the next cells of the row (Excel holds 32,767 per cell)."""
_BOLD = Font(bold=True)
Column = tuple[str, int]
"""A test column: a name and which of the name's columns (0, 1 for a second bound)."""
_NOTE = Font(italic=True, color="666666")


def put(cell: Cell, value: Any) -> None:
    """A value as a typed cell; text is always text, even ``= 1`` or ``>= 0.95``."""
    if value is None:
        return
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"


def yaml_text(value: Any) -> str:
    return yaml.safe_dump(value, sort_keys=False, allow_unicode=True, width=100).rstrip("\n")


def flow_text(value: Any) -> str:
    return yaml.safe_dump(
        value, sort_keys=False, allow_unicode=True, default_flow_style=True, width=10**6
    ).strip()


def workbook_bytes(data: dict[str, Any]) -> bytes:
    """The .xlsx of a ruleset's data (the YAML document as read)."""
    book = Workbook()
    first = book.active
    titles: set[str] = set(FIXED_SHEETS)
    for name, decision in data.get("decisions", {}).items():
        _decision(book.create_sheet(_title(name, titles)), name, decision or {})
    _derive(book.create_sheet(DERIVE_SHEET), data.get("derive") or {})
    _criteria(book.create_sheet(CRITERIA_SHEET), data.get("criteria") or {})
    policies = data.get("policies")
    if _tabular(policies):
        _policies(book.create_sheet(POLICIES_SHEET), policies or {})
        data = {k: v for k, v in data.items() if k != "policies"}
    _ruleset(book.create_sheet(RULESET_SHEET), data)
    _examples(book.create_sheet(EXAMPLES_SHEET), data.get("tests") or [])
    if first is not None:
        book.remove(first)
    stream = io.BytesIO()
    book.save(stream)
    return stream.getvalue()


def _title(name: str, taken: set[str]) -> str:
    """A sheet title for a decision: its name, unless too long or taken (Excel: 31 chars)."""
    title = name[:31]
    number = 2
    while title.lower() in {t.lower() for t in taken}:
        suffix = f"~{number}"
        title = name[: 31 - len(suffix)] + suffix
        number += 1
    taken.add(title)
    return title


def _note(sheet: Worksheet, row: int, text: str) -> None:
    put(sheet.cell(row, 1), text)
    sheet.cell(row, 1).font = _NOTE


def _header(sheet: Worksheet, row: int, names: list[str] | tuple[str, ...]) -> None:
    for column, name in enumerate(names, start=1):
        put(sheet.cell(row, column), name)
        sheet.cell(row, column).font = _BOLD
    sheet.freeze_panes = sheet.cell(row + 1, 1)


def _widths(sheet: Worksheet, widest: int = 60) -> None:
    widths: dict[int, int] = {}
    for row in sheet.iter_rows():
        for cell in row:
            if cell.value is None or str(cell.value).startswith("# How"):
                continue
            longest = max(len(line) for line in str(cell.value).splitlines() or [""])
            widths[cell.column] = max(widths.get(cell.column, 8), min(widest, longest + 2))
    for column, width in widths.items():
        sheet.column_dimensions[get_column_letter(column)].width = width


def _decision(sheet: Worksheet, name: str, decision: dict[str, Any]) -> None:
    block: list[tuple[str, Any]] = [(DECISION, name)]
    for label in ("title", "description", "hit", "aggregate"):
        if label in decision or label == "hit":
            block.append((label, decision.get(label, "first")))
    outcomes = decision.get("outcomes")
    if outcomes is not None:
        block.append(("outcomes", outcomes))
    default = decision.get("default")
    if default is not None:
        block.append(("default", default.get("then")))
        if default.get("because") is not None:
            block.append(("default because", default["because"]))
    for row, (label, value) in enumerate(block, start=1):
        put(sheet.cell(row, 1), label)
        sheet.cell(row, 1).font = _BOLD
        for offset, item in enumerate(value if isinstance(value, list) else [value]):
            put(sheet.cell(row, 2 + offset), item)
    note_row = len(block) + 2
    _note(sheet, note_row, NOTES[DECISION])
    rules: list[dict[str, Any]] = decision.get("rules") or []
    columns: list[Column] = []
    laid: list[dict[Column, str] | None] = []
    for rule in rules:
        tests = condition_tests(rule.get("when", True))
        keyed = _keyed(tests) if tests is not None else None
        merged = _merge(columns, list(keyed)) if keyed is not None else None
        if merged is not None:
            columns = merged
        laid.append(keyed if merged is not None else None)
    fixed = [WHEN] if any(t is None for t in laid) else []
    fixed += [THEN, BECAUSE]
    if any(rule.get("name") is not None for rule in rules):
        fixed.append(RULE)
    keys: list[Column] = [*columns, *((name, 0) for name in fixed)]
    header_row = note_row + 1
    _header(sheet, header_row, [name for name, _ in keys])
    for number, (rule, keyed) in enumerate(zip(rules, laid, strict=True), start=1):
        row = header_row + number
        cells: dict[Column, Any] = {c: ANY for c in columns}
        if keyed is None:
            when = rule.get("when")
            cells[(WHEN, 0)] = ("true" if when else "false") if isinstance(when, bool) else when
        else:
            cells.update(keyed)
        for field in (THEN, BECAUSE):
            cells[(field, 0)] = rule.get(field)
        cells[(RULE, 0)] = rule.get("name")
        for column, key in enumerate(keys, start=1):
            put(sheet.cell(row, column), cells.get(key))
            sheet.cell(row, column).alignment = Alignment(wrap_text=key[0] in (WHEN, BECAUSE))
    _widths(sheet)


def _keyed(tests: list[tuple[str, str]]) -> dict[Column, str]:
    """A rule's tests by column: (name, 0) for a name's first test, (name, 1) for its second."""
    keyed: dict[Column, str] = {}
    for subject, test in tests:
        keyed[(subject, sum(1 for name, _ in keyed if name == subject))] = test
    return keyed


def _merge(columns: list[Column], keys: list[Column]) -> list[Column] | None:
    """The columns with a rule's columns added, if its tests keep the columns' order."""
    merged = list(columns)
    position = -1
    for number, key in enumerate(keys):
        if key in merged:
            index = merged.index(key)
            if index <= position:
                return None
            position = index
        elif any(later in merged for later in keys[number + 1 :]):
            position += 1
            merged.insert(position, key)
        else:  # nothing known follows: a new column at the end
            merged.append(key)
            position = len(merged) - 1
    return merged


def _derive(sheet: Worksheet, derive: dict[str, Any]) -> None:
    _note(sheet, 1, NOTES[DERIVE_SHEET])
    _header(sheet, 2, DERIVE_HEADERS)
    for row, (name, expression) in enumerate(derive.items(), start=3):
        put(sheet.cell(row, 1), name)
        put(sheet.cell(row, 2), expression)
    _widths(sheet, widest=100)


def _criteria(sheet: Worksheet, criteria: dict[str, Any]) -> None:
    _note(sheet, 1, NOTES[CRITERIA_SHEET])
    _header(sheet, 2, CRITERIA_HEADERS)
    for row, (name, entry) in enumerate(criteria.items(), start=3):
        fields = {"use": entry} if isinstance(entry, str) else dict(entry or {})
        fields["name"] = name
        if "params" in fields:
            fields["params"] = flow_text(fields["params"])
        for column, header in enumerate(CRITERIA_HEADERS, start=1):
            put(sheet.cell(row, column), fields.get(header))
    _widths(sheet)


def _tabular(policies: Any) -> bool:
    """Whether policies fit a table: a value per cell, none of them null (an empty cell)."""
    return isinstance(policies, dict) and all(
        isinstance(entry, dict)
        and all(isinstance(v, str | int | float | bool) for v in entry.values())
        and all(isinstance(k, str) and k != POLICY_KEY for k in entry)
        for entry in policies.values()
    )


def _policies(sheet: Worksheet, policies: dict[Any, dict[str, Any]]) -> None:
    _note(sheet, 1, NOTES[POLICIES_SHEET])
    keys = list(dict.fromkeys(k for entry in policies.values() for k in entry))
    _header(sheet, 2, [POLICY_KEY, *keys])
    for row, (value, entry) in enumerate(policies.items(), start=3):
        put(sheet.cell(row, 1), value)
        for column, key in enumerate(keys, start=2):
            put(sheet.cell(row, column), entry.get(key))
    _widths(sheet)


def _ruleset(sheet: Worksheet, data: dict[str, Any]) -> None:
    _note(sheet, 1, NOTES[RULESET_SHEET])
    _header(sheet, 2, RULESET_HEADERS)
    row = 3
    for key, value in data.items():
        if key in ("criteria", "derive", "decisions", "tests"):
            continue
        put(sheet.cell(row, 1), key)
        if key in SCALAR_KEYS:
            put(sheet.cell(row, 2), value)
        else:
            _chunks(sheet, row, 2, yaml_text(value))
        sheet.cell(row, 2).alignment = Alignment(wrap_text=True, vertical="top")
        row += 1
    _widths(sheet, widest=80)


def _examples(sheet: Worksheet, tests: list[Any]) -> None:
    _note(sheet, 1, NOTES[EXAMPLES_SHEET])
    _header(sheet, 2, EXAMPLES_HEADERS)
    for row, example in enumerate(tests, start=3):
        rest = {k: v for k, v in example.items() if k != "name"}
        put(sheet.cell(row, 1), example.get("name"))
        _chunks(sheet, row, 2, yaml_text(rest))
        sheet.cell(row, 2).alignment = Alignment(wrap_text=True, vertical="top")
    _widths(sheet, widest=80)


def _chunks(sheet: Worksheet, row: int, column: int, text: str) -> None:
    for offset in range(0, max(1, len(text)), MAX_CELL):
        put(sheet.cell(row, column + offset // MAX_CELL), text[offset : offset + MAX_CELL])


def save_workbook(data: dict[str, Any], target: Path) -> None:
    """Write the workbook through a temporary file: never a half-written file."""
    content = workbook_bytes(data)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(content)
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(temporary, 0o666 & ~mask)  # as any new file; mkstemp made it private
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
