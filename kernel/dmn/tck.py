"""Run DMN TCK test cases (the ``testCases`` XML format) against tierkit.

Each model is imported as a ruleset (:mod:`tierkit.dmn.convert`) and compiled, with one
criterion per input data given directly; each test case is a population of one customer whose
inputs are the case's input values, decided by the vector engine. So the TCK exercises the
importer, the unary tests and every hit policy. Literal expression decisions (``12 * Monthly
Salary``) are evaluated by :func:`tierkit.dmn.feel.evaluate_literal`. Results are compared by
value: numbers as exact decimals, texts, true/false, structures by component, lists by item.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element

import narwhals.stable.v2 as nw
import polars as pl
import yaml

from tierkit.columns import OVERLAP
from tierkit.contract import Column, ColumnType, Criterion, TableNeed, ValueType
from tierkit.dmn.convert import Imported, to_ruleset
from tierkit.dmn.feel import FeelError, evaluate_literal
from tierkit.dmn.read import DmnError, DmnModel, children, local_name, parse_xml, read_model
from tierkit.engines.vector.decide import (
    check_overlap,
    decide,
    decision_exprs,
    listed_in_order,
)
from tierkit.engines.vector.expressions import Compiler
from tierkit.engines.vector.frames import ID, Frames
from tierkit.errors import HitPolicyError, TierkitError
from tierkit.hookspecs import hookimpl
from tierkit.registry import Registry, build_registry, make_plugin_manager
from tierkit.ruleset.compile import compile_ruleset
from tierkit.ruleset.compiled import CompiledDecision, CompiledRuleset
from tierkit.ruleset.read import parse_document
from tierkit.ruleset.shape import parse_model

SUCCESS = "SUCCESS"
ERROR = "ERROR"
XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"
XSI_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"


@dataclass(frozen=True)
class CaseResult:
    folder: str
    test_file: str
    case_id: str
    result: str
    detail: str

    def as_dict(self) -> dict[str, str]:
        return {
            "folder": self.folder,
            "test_file": self.test_file,
            "case_id": self.case_id,
            "result": self.result,
            "detail": self.detail,
        }


# --------------------------------------------------------------------------------------------
# the model as a compiled ruleset


class _Inputs:
    """Criteria standing for a model's input data; their values are given, never computed."""

    def __init__(self, kinds: dict[str, ValueType]) -> None:
        self.kinds = kinds

    @hookimpl
    def tierkit_criteria(self) -> Iterable[Criterion]:
        need = (TableNeed("customers", (Column("customer_id", ColumnType.ID),)),)
        return [
            Criterion(
                name,
                name,
                "value",
                "neither",
                "A DMN input",
                need,
                _given,
                type=kind,
                neutral=None,
                per_period=False,
            )
            for name, kind in self.kinds.items()
        ]


def _given(*args: Any) -> Any:
    raise AssertionError("a DMN input is given by the test case, not computed")


_KINDS = {
    "number": ValueType.NUMBER,
    "text": ValueType.TEXT,
    "boolean": ValueType.BOOLEAN,
    "date": ValueType.DATE,
}


@dataclass
class Prepared:
    model: DmnModel
    imported: Imported
    ruleset: CompiledRuleset | None
    registry: Registry | None
    problem: str | None


def prepare(path: Path) -> Prepared:
    """Read, import and compile one model; a problem is kept to be reported per case."""
    try:
        model = read_model(path)
    except DmnError as error:
        empty = DmnModel(str(path), path.stem, None, (), ())
        return Prepared(empty, Imported({}), None, None, str(error))
    try:
        imported = to_ruleset(model, use=lambda _, number: f"dmn.input{number}")
    except DmnError as error:
        return Prepared(model, Imported({}), None, None, str(error))
    if not imported.ruleset.get("decisions"):
        return Prepared(model, imported, None, None, None)  # literal expressions only
    criteria = imported.ruleset["criteria"]
    kinds = {criteria[ident]["use"]: _KINDS[kind] for ident, kind in imported.inputs.values()}
    registry = build_registry(
        make_plugin_manager([("dmn-inputs", _Inputs(kinds))], load_entry_points=True)
    )
    text = yaml.safe_dump(imported.ruleset, sort_keys=False, allow_unicode=True)
    doc = parse_document(text, f"{path.name} (imported)")
    shape = parse_model(doc)
    if shape.model is None or shape.problems:
        return Prepared(model, imported, None, registry, _problems(shape.problems))
    compiled, problems = compile_ruleset(doc, shape.model, registry, allow_gaps=True)
    if compiled is None:
        return Prepared(model, imported, None, registry, _problems(problems))
    return Prepared(model, imported, compiled, registry, None)


def _problems(problems: Sequence[TierkitError]) -> str:
    return "; ".join(p.render().splitlines()[0] for p in problems)


# --------------------------------------------------------------------------------------------
# one case


def decide_case(
    prepared: Prepared, inputs: dict[str, Any], engine: str = "vector"
) -> dict[str, Any]:
    """Every decision's value (DMN name → value) for one set of input values.

    ``engine`` decides the tables: ``vector`` or ``durable`` (durable_rules).
    """
    results: dict[str, Any] = {}
    literal_values = _flat(inputs)
    for name, decision in prepared.imported.decisions.items():
        if decision.kind == "literal" and decision.literal is not None:
            try:
                value = evaluate_literal(decision.literal, literal_values)
            except FeelError:
                value = None
            literal_values[name] = value
            results[name] = value
    tables = {n: d for n, d in prepared.imported.decisions.items() if d.kind == "table"}
    if not tables:
        return results
    ruleset, registry = prepared.ruleset, prepared.registry
    assert ruleset is not None and registry is not None
    row: dict[str, Any] = {ID: ["1"]}
    schema: dict[str, Any] = {ID: pl.String}
    dtypes = {"number": pl.Float64, "text": pl.String, "boolean": pl.Boolean, "date": pl.Date}
    inputs = _flat(inputs)
    for dmn_name, (ident, kind) in prepared.imported.inputs.items():
        value = inputs.get(dmn_name)
        if isinstance(value, Decimal):
            value = float(value)
        wanted = {"number": float, "text": str, "boolean": bool, "date": dt.date}[kind]
        ok = isinstance(value, wanted) and not (kind == "number" and isinstance(value, bool))
        row[ident] = [value if ok else None]
        schema[ident] = dtypes[kind]
    frames = Frames.of_values(pl.DataFrame(row, schema=schema))
    compiler = Compiler(frames, registry.functions)
    broken: dict[str, str] = {}
    for step in ruleset.order:
        if step.kind == "derive":
            compiler.column(ruleset.derived[step.name].expr, step.name)
            continue
        compiled = ruleset.decisions[step.name]
        if engine == "durable":
            broken.update(_decide_durable(frames, compiled, registry))
        else:
            decide(compiler, compiled)
        if compiled.hit == "collect":  # the list, exactly, from which rules matched
            for rule in compiled.rules:
                frames.add(
                    _match(compiled.name, rule.index),
                    compiler.condition(rule.when),
                    per_period=False,
                )
    decided = frames.collect_customers().row(0, named=True)
    for name, decision in tables.items():
        values: list[Any] = []
        for _, ident in decision.columns:
            compiled = ruleset.decisions[ident]
            if ident in broken:
                values.append(Failed(broken[ident]))
                continue
            if decided.get(OVERLAP + ident) is not None:
                try:
                    check_overlap(
                        compiled,
                        pl.DataFrame({ID: ["1"], OVERLAP + ident: [decided[OVERLAP + ident]]}),
                    )
                except TierkitError as error:
                    values.append(Failed(str(error)))
                    continue
            if compiled.hit == "collect":
                matched = [r for r in compiled.rules if decided[_match(ident, r.index)]]
                item = compiled.type.item or "text"
                values.append([_typed(v, item) for v in listed_in_order(compiled, matched)])
            else:
                values.append(_typed(decided[ident], compiled.type.base))
        failed = next((v for v in values if isinstance(v, Failed)), None)
        results[name] = failed or _shape(decision.columns, values, decision.is_list)
    return results


def _decide_durable(
    frames: Frames, decision: CompiledDecision, registry: Registry
) -> dict[str, str]:
    """Decide one table with durable_rules; the decision's error if it breaks its policy."""
    from tierkit.engines import add_decision  # durable_rules only when asked for

    try:
        decided = add_decision(decision, registry, frames.collect_customers())
    except HitPolicyError as error:
        unmatched = [nw.lit(False)] * len(decision.rules)
        for name, expr in decision_exprs(decision, unmatched, frames.col):
            frames.add(name, expr, per_period=False)  # placeholders for what reads it
        return {decision.name: str(error)}
    frames.replace_customers(decided)
    return {}


def _flat(values: dict[str, Any]) -> dict[str, Any]:
    """Structured inputs flattened: ``{"Applicant": {"Age": 30}}`` also as ``Applicant.Age``."""
    flat = dict(values)
    for name, value in values.items():
        if isinstance(value, dict):
            flat.update({f"{name}.{k}": v for k, v in _flat(value).items()})
    return flat


@dataclass(frozen=True)
class Failed:
    """A decision that ended in an error (DMN: an error result), with the reason."""

    reason: str


def _match(decision: str, index: int) -> str:
    return f"__match::{decision}::{index}"


def _typed(value: Any, base: str) -> Any:
    if value is None:
        return None
    if base == "number":
        return Decimal(repr(float(value))) if not isinstance(value, bool) else value
    if base == "boolean" and isinstance(value, str):
        return value == "True" or value == "true"
    return value


def _shape(columns: tuple[tuple[str | None, str], ...], values: list[Any], is_list: bool) -> Any:
    if len(columns) == 1 and columns[0][0] is None:
        return values[0]
    names = [c or "" for c, _ in columns]
    if not is_list:
        return dict(zip(names, values, strict=True))
    return [dict(zip(names, items, strict=True)) for items in zip(*values, strict=False)]


# --------------------------------------------------------------------------------------------
# test files


def _value(element: Element) -> Any:
    """A ``value``, ``component`` structure or ``list`` of the testCases format."""
    if element.get(XSI_NIL) == "true":
        return None
    value = next((c for c in element if local_name(c.tag) == "value"), None)
    if value is not None:
        return _scalar(value)
    components = children(element, "component")
    if components:
        return {c.get("name") or "": _value(c) for c in components}
    listed = next((c for c in element if local_name(c.tag) == "list"), None)
    if listed is not None:
        return [_value(item) for item in children(listed, "item")]
    return None


def _scalar(value: Element) -> Any:
    if value.get(XSI_NIL) == "true":
        return None
    kind = (value.get(XSI_TYPE) or "").split(":")[-1]
    text = value.text or ""
    if kind in ("decimal", "double", "float", "integer", "int", "long", "short"):
        try:
            return Decimal(text.strip())
        except InvalidOperation:
            return text
    if kind == "boolean":
        return text.strip() == "true"
    if kind == "date":
        try:
            return dt.date.fromisoformat(text.strip())
        except ValueError:
            return text
    return text


def _same(expected: Any, actual: Any) -> bool:
    if isinstance(expected, dict):
        return (
            isinstance(actual, dict)
            and set(expected) == set(actual)
            and all(_same(expected[k], actual[k]) for k in expected)
        )
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(expected) == len(actual)
            and all(_same(e, a) for e, a in zip(expected, actual, strict=True))
        )
    if isinstance(expected, bool) or isinstance(actual, bool):
        return expected is actual
    if isinstance(expected, Decimal) and isinstance(actual, Decimal):
        return expected == actual
    return bool(expected == actual)


def show(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {show(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(show(v) for v in value) + "]"
    return str(value)


def run_test_file(
    folder: Path, test_file: Path, models: dict[str, Prepared], engine: str = "vector"
) -> list[CaseResult]:
    """Every case of one test file."""
    where = (folder.name, test_file.name)
    try:
        root = parse_xml(test_file)
    except DmnError as error:
        return [CaseResult(*where, "-", ERROR, str(error))]
    model_name = next((e.text or "" for e in root if local_name(e.tag) == "modelName"), "").strip()
    model_path = folder / model_name if model_name else None
    if model_path is None or not model_path.is_file():
        found = sorted(folder.glob("*.dmn"))
        model_path = found[0] if len(found) == 1 else model_path
    if model_path is None or not model_path.is_file():
        detail = f"the model '{model_name}' is not in {folder}"
        return [
            CaseResult(*where, c.get("id") or "?", ERROR, detail)
            for c in children(root, "testCase")
        ]
    key = str(model_path)
    if key not in models:
        models[key] = prepare(model_path)
    prepared = models[key]
    return [_run_case(where, prepared, case, engine) for case in children(root, "testCase")]


def _run_case(where: tuple[str, str], prepared: Prepared, case: Element, engine: str) -> CaseResult:
    case_id = case.get("id") or "?"
    if prepared.problem is not None:
        return CaseResult(*where, case_id, ERROR, prepared.problem)
    inputs = {node.get("name") or "": _value(node) for node in children(case, "inputNode")}
    try:
        actual = decide_case(prepared, inputs, engine)
    except TierkitError as error:
        return CaseResult(*where, case_id, ERROR, str(error))
    for node in children(case, "resultNode"):
        name = node.get("name") or ""
        if name not in actual:
            return CaseResult(*where, case_id, ERROR, f"decision '{name}' is not in the model")
        got = actual[name]
        if node.get("errorResult") == "true":
            if got is not None and not isinstance(got, Failed):
                detail = f"{name}: expected an error, got {show(got)}"
                return CaseResult(*where, case_id, ERROR, detail)
            continue
        if isinstance(got, Failed):
            return CaseResult(*where, case_id, ERROR, f"{name}: {got.reason}")
        expected_element = next((c for c in node if local_name(c.tag) == "expected"), None)
        if expected_element is None:
            continue
        expected = _value(expected_element)
        if not _same(expected, actual[name]):
            detail = f"{name}: expected {show(expected)}, got {show(actual[name])}"
            return CaseResult(*where, case_id, ERROR, detail)
    return CaseResult(*where, case_id, SUCCESS, "")


def test_files(folder: Path) -> list[Path]:
    """The test files of a TCK folder: XML files whose root is ``testCases``."""
    found = []
    for path in sorted(folder.glob("*.xml")):
        try:
            root = parse_xml(path)
        except DmnError:
            continue
        if local_name(root.tag) == "testCases":
            found.append(path)
    return found


def case_folders(paths: Sequence[Path]) -> list[Path]:
    """The folders holding a model and tests, found at or below each path, in name order."""
    folders: list[Path] = []
    for path in paths:
        if not path.is_dir():
            raise DmnError(f"{path}: not a folder")
        candidates = [path, *sorted(p for p in path.rglob("*") if p.is_dir())]
        folders += [p for p in candidates if any(p.glob("*.dmn"))]
    return folders


def run_folders(paths: Sequence[Path], engine: str = "vector") -> list[CaseResult]:
    """Every case of every TCK folder at or below ``paths``, decided by ``engine``."""
    results: list[CaseResult] = []
    for folder in case_folders(paths):
        models: dict[str, Prepared] = {}
        for test_file in test_files(folder):
            results += run_test_file(folder, test_file, models, engine)
    return results


def results_csv(results: Sequence[CaseResult]) -> str:
    """The vendors' ``tck_results.csv``: folder, test file, case id, result, detail."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for r in results:
        writer.writerow([r.folder, r.test_file, r.case_id, r.result, r.detail])
    return out.getvalue()
