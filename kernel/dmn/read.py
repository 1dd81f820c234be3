"""Read a DMN model (1.1 to 1.5 XML): its input data, decision tables and literal expressions.

XML is parsed with defusedxml, which refuses entity declarations (no "billion laughs"), external
entities and DTDs: a DMN file from elsewhere cannot make the parser fetch or expand anything.
Elements are matched by their local name, so every DMN namespace version reads alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as safe_xml
from defusedxml import DefusedXmlException

from tierkit.errors import TierkitError


class DmnError(TierkitError):
    """A DMN file that cannot be read or translated; says which file and which element."""


@dataclass(frozen=True)
class DmnInput:
    label: str
    expression: str
    type_ref: str | None
    values: str | None
    """The ``inputValues`` unary tests, as written."""


@dataclass(frozen=True)
class DmnOutput:
    name: str | None
    type_ref: str | None
    values: str | None
    """The ``outputValues`` list, as written (``"Approved", "Declined"``)."""
    default: str | None
    """The ``defaultOutputEntry``, as written."""


@dataclass(frozen=True)
class DmnRule:
    id: str | None
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    description: str | None


@dataclass(frozen=True)
class DmnTable:
    name: str
    id: str | None
    type_ref: str | None
    hit: str
    """As written: ``UNIQUE``, ``FIRST``, ``RULE ORDER``, ... (``UNIQUE`` when absent)."""
    aggregation: str | None
    inputs: tuple[DmnInput, ...]
    outputs: tuple[DmnOutput, ...]
    rules: tuple[DmnRule, ...]
    label: str | None = None


@dataclass(frozen=True)
class DmnLiteral:
    name: str
    id: str | None
    type_ref: str | None
    text: str


@dataclass(frozen=True)
class DmnInputData:
    name: str
    id: str | None
    type_ref: str | None


@dataclass(frozen=True)
class DmnModel:
    path: str
    name: str
    namespace: str | None
    inputs: tuple[DmnInputData, ...]
    decisions: tuple[DmnTable | DmnLiteral, ...]
    item_types: dict[str, str] = field(default_factory=dict)
    """Item definition → its base type (``tEmploymentStatus`` → ``string``), when simple."""
    item_components: dict[str, tuple[tuple[str, str | None], ...]] = field(default_factory=dict)
    """Item definition → its components' names and types, when it is a structure."""
    unsupported: tuple[str, ...] = ()
    """Decisions of another kind (contexts, invocations, ...), by name."""

    def base_type(self, type_ref: str | None) -> str | None:
        """A typeRef with item definitions resolved to FEEL's base type, without a prefix."""
        seen: set[str] = set()
        while type_ref is not None and type_ref in self.item_types and type_ref not in seen:
            seen.add(type_ref)
            type_ref = self.item_types[type_ref]
        if type_ref is None:
            return None
        return type_ref.split(":")[-1]


def local_name(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def children(element: Element, name: str) -> list[Element]:
    return [child for child in element if local_name(child.tag) == name]


def _child(element: Element, name: str) -> Element | None:
    found = children(element, name)
    return found[0] if found else None


def _text(element: Element | None) -> str | None:
    """The ``<text>`` of an element (or the element's own text)."""
    if element is None:
        return None
    text = _child(element, "text")
    if text is not None:
        return (text.text or "").strip()
    return (element.text or "").strip() or None


def parse_xml(path: str | Path, data: bytes | None = None) -> Element:
    """The root element of an XML file, parsed safely; :class:`DmnError` if it cannot be."""
    try:
        raw = data if data is not None else Path(path).read_bytes()
    except OSError as error:
        raise DmnError(f"{path}: cannot read the file: {error.strerror or error}") from error
    try:
        root: Element = safe_xml.fromstring(raw)
    except DefusedXmlException as error:
        raise DmnError(
            f"{path}: refused: the XML declares entities or a DTD ({type(error).__name__}); "
            "DMN files need neither"
        ) from error
    except Exception as error:  # ParseError, from expat
        raise DmnError(f"{path}: not well-formed XML: {error}") from error
    return root


def read_model(path: str | Path, data: bytes | None = None) -> DmnModel:
    """The DMN model in ``path`` (or in ``data``, named ``path`` in messages)."""
    root = parse_xml(path, data)
    if local_name(root.tag) != "definitions":
        raise DmnError(
            f"{path}: not a DMN model: the root element is <{local_name(root.tag)}>, "
            "expected <definitions>"
        )
    item_types: dict[str, str] = {}
    item_components: dict[str, tuple[tuple[str, str | None], ...]] = {}
    for item in children(root, "itemDefinition"):
        type_ref = _child(item, "typeRef")
        name = item.get("name")
        if name and type_ref is not None and type_ref.text:
            item_types[name] = type_ref.text.strip()
        components = children(item, "itemComponent")
        if name and components:
            item_components[name] = tuple((c.get("name") or "", _type_text(c)) for c in components)
    inputs = tuple(
        DmnInputData(
            name=element.get("name") or "",
            id=element.get("id"),
            type_ref=_variable_type(element),
        )
        for element in children(root, "inputData")
    )
    decisions: list[DmnTable | DmnLiteral] = []
    unsupported: list[str] = []
    for element in children(root, "decision"):
        decision = _decision(str(path), element)
        if decision is None:
            unsupported.append(element.get("name") or "?")
        else:
            decisions.append(decision)
    return DmnModel(
        path=str(path),
        name=root.get("name") or Path(path).stem,
        namespace=root.get("namespace"),
        inputs=inputs,
        decisions=tuple(decisions),
        item_types=item_types,
        item_components=item_components,
        unsupported=tuple(unsupported),
    )


def _type_text(element: Element) -> str | None:
    type_ref = _child(element, "typeRef")
    return type_ref.text.strip() if type_ref is not None and type_ref.text else None


def _variable_type(element: Element) -> str | None:
    variable = _child(element, "variable")
    return variable.get("typeRef") if variable is not None else None


def _decision(path: str, element: Element) -> DmnTable | DmnLiteral | None:
    name = element.get("name") or ""
    table = _child(element, "decisionTable")
    if table is not None:
        return _table(path, name, element, table)
    literal = _child(element, "literalExpression")
    if literal is not None:
        return DmnLiteral(name, element.get("id"), _variable_type(element), _text(literal) or "")
    return None


def _table(path: str, name: str, decision: Element, table: Element) -> DmnTable:
    inputs = []
    for index, element in enumerate(children(table, "input"), start=1):
        expression = _child(element, "inputExpression")
        text = _text(expression)
        if not text:
            raise DmnError(f"{path}: decision '{name}', input {index}: the input has no expression")
        inputs.append(
            DmnInput(
                label=element.get("label") or text,
                expression=text,
                type_ref=expression.get("typeRef") if expression is not None else None,
                values=_text(_child(element, "inputValues")),
            )
        )
    outputs = [
        DmnOutput(
            name=element.get("name"),
            type_ref=element.get("typeRef"),
            values=_text(_child(element, "outputValues")),
            default=_text(_child(element, "defaultOutputEntry")),
        )
        for element in children(table, "output")
    ]
    if not outputs:
        raise DmnError(f"{path}: decision '{name}': the decision table has no output")
    rules = []
    for number, element in enumerate(children(table, "rule"), start=1):
        entries = tuple(_text(e) or "" for e in children(element, "inputEntry"))
        results = tuple(_text(e) or "" for e in children(element, "outputEntry"))
        if len(entries) != len(inputs) or len(results) != len(outputs):
            raise DmnError(
                f"{path}: decision '{name}', rule {number}: {len(entries)} input entries and "
                f"{len(results)} output entries, expected {len(inputs)} and {len(outputs)}"
            )
        rules.append(DmnRule(element.get("id"), entries, results, _description(element)))
    return DmnTable(
        name=name,
        id=decision.get("id"),
        type_ref=_variable_type(decision) or table.get("typeRef"),
        hit=(table.get("hitPolicy") or "UNIQUE").strip(),
        aggregation=table.get("aggregation"),
        inputs=tuple(inputs),
        outputs=tuple(outputs),
        rules=tuple(rules),
        label=table.get("outputLabel"),
    )


def _description(rule: Element) -> str | None:
    description = _child(rule, "description")
    if description is not None and description.text and description.text.strip():
        return description.text.strip()
    annotation = _child(rule, "annotationEntry")
    text = _text(annotation)
    return text or None


def attributes(element: Element) -> dict[str, Any]:
    """An element's attributes by local name."""
    return {local_name(k): v for k, v in element.attrib.items()}
