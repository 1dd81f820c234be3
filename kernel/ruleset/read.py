"""Read a ruleset file as YAML, keeping the line and column of every key and value.

PyYAML's safe loader builds the node graph; this module walks it, rejects duplicate keys
(YAML would keep the last one silently), and records where each value came from so later
stages can point at ``file:line:column`` with the source line under it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from tierkit.errors import (
    DuplicateKeyError,
    EmptyFileError,
    EncodingProblem,
    FileReadError,
    LimitError,
    Location,
    RulesetInvalid,
    RulesetProblem,
    StructureError,
    WrongValueError,
    YamlSyntaxError,
)
from tierkit.ruleset.source import (
    MAX_RULESET_CHARS,
    MAX_YAML_DEPTH,
    MAX_YAML_VALUES,
    Document,
    KeyPath,
    SourceFile,
    Span,
)


def read_document(path: str | Path) -> Document:
    """Read and parse a ruleset file; raise :class:`RulesetInvalid` if it is not usable YAML."""
    name = str(path)
    try:
        raw = Path(path).read_bytes()
    except IsADirectoryError:
        raise _single(
            FileReadError(f"{name} is a folder, expected a ruleset file", _at(name))
        ) from None
    except FileNotFoundError:
        raise _single(FileReadError(f"no such file: {name}", _at(name))) from None
    except OSError as exc:
        raise _single(FileReadError(f"cannot read {name}: {exc.strerror}", _at(name))) from None
    return parse_document(raw, name)


def parse_document(raw: bytes | str, name: str) -> Document:
    """Parse ruleset text (bytes are decoded as UTF-8) into a :class:`Document`."""
    text = _decode(raw, name) if isinstance(raw, bytes) else raw
    source = SourceFile(name, text)
    if not text.strip() or all(
        not line.strip() or line.lstrip().startswith("#") for line in text.splitlines()
    ):
        raise _single(
            source.problem(
                EmptyFileError,
                "the file is empty; expected a ruleset (a mapping with tierkit, name, decisions)",
                1,
                1,
            )
        )
    if len(text) > MAX_RULESET_CHARS:
        raise _single(
            source.problem(
                LimitError,
                f"the file holds {len(text):,} characters; a ruleset may hold at most "
                f"{MAX_RULESET_CHARS:,}",
                1,
                1,
                hint="a ruleset describes rules, not data; see 'Limits' in the ruleset reference",
            )
        )
    fast = _read_with_libyaml(text, source)
    if fast is not None:
        return fast
    # the pure-Python reader: it locates every problem (libyaml's messages and offsets differ)
    _check_shape(text, source)
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise _single(source.problem(EmptyFileError, "the file holds no YAML document", 1, 1))
        builder = _Builder(loader, source)
        data = builder.build(node, ())
    except yaml.MarkedYAMLError as exc:
        raise _single(_yaml_problem(exc, source)) from None
    except yaml.YAMLError as exc:  # not located by PyYAML; _check_shape has read the text
        raise _single(source.problem(YamlSyntaxError, f"YAML: {exc}", 1, 1)) from None
    finally:
        loader.dispose()
    if builder.problems:
        raise RulesetInvalid(builder.problems)
    if not isinstance(data, dict):
        found = _kind_of(data)
        raise _single(
            source.problem(
                StructureError,
                f"expected a mapping (keys like tierkit, name, decisions) at the top level, "
                f"found {found}",
                node.start_mark.line + 1,
                node.start_mark.column + 1,
            )
        )
    return Document(source, data, builder.values, builder.keys)


def _read_with_libyaml(text: str, source: SourceFile) -> Document | None:
    """The document read by PyYAML's C reader (libyaml, 15× as fast), or None when it is not
    installed or finds anything to report: the pure-Python reader then reads the file again
    and reports it, so that every message and location is the same with or without libyaml.

    Both readers resolve tags with the same Python resolver and mark lines and columns in
    characters; tests/test_ruleset_read_fast.py checks they build the same document from
    every ruleset of the project."""
    if not getattr(yaml, "__with_libyaml__", False):
        return None
    try:
        _check_shape(text, source, yaml.CSafeLoader)
        loader = yaml.CSafeLoader(text)
        try:
            node = loader.get_single_node()
            if node is None:
                return None
            builder = _Builder(loader, source)
            data = builder.build(node, ())
        finally:
            loader.dispose()
    except (yaml.YAMLError, RulesetInvalid):
        return None
    if builder.problems or not isinstance(data, dict):
        return None
    return Document(source, data, builder.values, builder.keys)


def _check_shape(text: str, source: SourceFile, reader: Any = yaml.SafeLoader) -> None:
    """Refuse, before anything is built, what would exhaust the stack or the memory.

    Reads the YAML events (PyYAML's parser does not recurse): lists and mappings nested deeper
    than :data:`MAX_YAML_DEPTH`, an alias used inside its own anchor (a value that contains
    itself), and aliases that would expand the document to more than :data:`MAX_YAML_VALUES`
    values (a "billion laughs" file of a few hundred bytes grows to gigabytes) are located
    errors. Characters YAML does not allow (NUL and other control characters) are located too.
    """
    sizes: dict[str, int] = {}
    open_anchors: list[str | None] = []
    open_sizes: list[int] = []
    total = 0
    try:
        for event in yaml.parse(text, Loader=reader):
            if isinstance(event, yaml.CollectionStartEvent):
                if len(open_sizes) >= MAX_YAML_DEPTH:
                    raise _limit(
                        source,
                        event,
                        f"lists and mappings are nested more than {MAX_YAML_DEPTH} levels deep",
                        "a ruleset needs far fewer levels; see 'Limits' in the ruleset reference",
                    )
                open_anchors.append(event.anchor)
                open_sizes.append(1)
                size = 0
            elif isinstance(event, yaml.CollectionEndEvent):
                anchor, size = open_anchors.pop(), open_sizes.pop()
                if anchor is not None:
                    sizes[anchor] = size
                total -= size  # counted again below, as one value of its parent
            elif isinstance(event, yaml.ScalarEvent):
                size = 1
                if event.anchor is not None:
                    sizes[event.anchor] = 1
            elif isinstance(event, yaml.AliasEvent):
                if event.anchor in open_anchors:
                    raise _limit(
                        source,
                        event,
                        f"the alias *{event.anchor} is used inside its own anchor "
                        f"&{event.anchor}, so the value would contain itself",
                        "copy the values instead of referring to the value being defined",
                    )
                size = sizes.get(event.anchor or "", 1)  # an unknown anchor: the composer says
            else:
                continue
            if open_sizes:
                open_sizes[-1] += size
            total += size + (1 if isinstance(event, yaml.CollectionStartEvent) else 0)
            if total > MAX_YAML_VALUES:
                raise _limit(
                    source,
                    event,
                    f"aliases expand the file to more than {MAX_YAML_VALUES:,} values",
                    "a ruleset uses anchors and aliases only to repeat a few values; "
                    "see 'Limits' in the ruleset reference",
                )
    except yaml.reader.ReaderError as exc:
        raise _single(_reader_problem(exc, source)) from None
    except yaml.MarkedYAMLError:
        return  # reported with more context when the document is composed


def _limit(source: SourceFile, event: yaml.Event, message: str, hint: str) -> RulesetInvalid:
    start, end = event.start_mark, event.end_mark
    line, column = (start.line + 1, start.column + 1) if start else (1, 1)
    length = max(1, end.column - start.column) if start and end and end.line == start.line else 1
    return _single(source.problem(LimitError, message, line, column, length, hint))


def _reader_problem(exc: yaml.reader.ReaderError, source: SourceFile) -> RulesetProblem:
    before = source.text[: exc.position]
    line = before.count("\n") + 1
    column = exc.position - (before.rfind("\n") + 1) + 1
    code = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or " ")
    name = {0: " (NUL)", 9: " (tab)", 0x7F: " (DEL)", 0xFFFE: "", 0xFFFF: ""}.get(code, "")
    return source.problem(
        YamlSyntaxError,
        f"the control character U+{code:04X}{name} is not allowed in a YAML file",
        line,
        column,
        hint="remove it; if it came from copying text, retype the line",
    )


def _decode(raw: bytes, name: str) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        line_start = before.rfind(b"\n") + 1
        column = len(before[line_start:].decode("utf-8", errors="replace")) + 1
        shown = before[line_start:].decode("utf-8", errors="replace")
        problem = EncodingProblem(
            f"byte 0x{raw[exc.start]:02x} is not UTF-8 text; save the file as UTF-8",
            Location(name, line, column),
            shown + "\ufffd",
        )
        raise _single(problem) from None


def _yaml_problem(exc: yaml.MarkedYAMLError, source: SourceFile) -> RulesetProblem:
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark else 1
    column = mark.column + 1 if mark else 1
    what = exc.problem or "invalid YAML"
    hint = None
    if "'\\t'" in what or "\\t" in what:
        what = "a tab character is used for indentation"
        hint = "YAML allows only spaces for indentation; replace the tab with spaces"
    elif exc.context:
        hint = f"{exc.context}" + (
            f" (line {exc.context_mark.line + 1})" if exc.context_mark else ""
        )
    if isinstance(exc, yaml.composer.ComposerError) and "expected a single document" in (
        exc.context or ""
    ):
        what = "a ruleset is one YAML document; found a second one ('---')"
        hint = None
    return source.problem(YamlSyntaxError, f"YAML: {what}", line, column, hint=hint)


def _single(problem: RulesetProblem) -> RulesetInvalid:
    return RulesetInvalid([problem])


def _at(name: str) -> Location:
    return Location(name, 1, 1)


def _kind_of(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return f"the text '{value[:40]}'"
    if value is None:
        return "nothing"
    return f"{type(value).__name__} {value!r}"


class _Builder:
    """Turns a YAML node graph into Python data, recording spans and duplicate keys."""

    def __init__(self, loader: yaml.SafeLoader | yaml.CSafeLoader, source: SourceFile) -> None:
        self.loader = loader
        self.source = source
        self.values: dict[KeyPath, Span] = {}
        self.keys: dict[KeyPath, Span] = {}
        self.problems: list[RulesetProblem] = []

    def text_key(self, key: Any, node: yaml.ScalarNode, path: KeyPath) -> str:
        """A key YAML read as a boolean, number or null: keep its text, and say so for names.

        Policies are keyed by decision values, which may be numbers or true/false.
        """
        if path == ("policies",):
            return str(key)
        raw = str(node.value)
        self.wrong_scalar(
            node,
            f"the name '{raw}' is read by YAML as {_yaml_reading(key)}, not as a name",
            f'put it in quotes ("{raw}") or choose another name',
        )
        return raw

    def wrong_scalar(self, node: yaml.Node, message: str, hint: str) -> None:
        """Record a :class:`WrongValueError` underlining the scalar ``node``."""
        mark = node.start_mark
        self.problems.append(
            self.source.problem(
                WrongValueError,
                message,
                mark.line + 1,
                mark.column + 1,
                length=len(str(node.value)),
                hint=hint,
            )
        )

    def build(self, node: yaml.Node, path: KeyPath) -> Any:
        self.values[path] = _span(node)
        if isinstance(node, yaml.MappingNode):
            self.loader.flatten_mapping(node)
            result: dict[Any, Any] = {}
            first_seen: dict[Any, yaml.Node] = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    self.problems.append(
                        self.source.problem(
                            StructureError,
                            "a key must be a plain name, found a list or mapping",
                            key_node.start_mark.line + 1,
                            key_node.start_mark.column + 1,
                        )
                    )
                    continue
                key = self.scalar(key_node)
                if not isinstance(key, str | list | dict) and isinstance(key_node, yaml.ScalarNode):
                    key = self.text_key(key, key_node, path)
                if key in first_seen:
                    earlier = first_seen[key].start_mark.line + 1
                    self.problems.append(
                        self.source.problem(
                            DuplicateKeyError,
                            f"duplicate key '{key}' (first given on line {earlier}); "
                            "YAML would silently keep only the last one",
                            key_node.start_mark.line + 1,
                            key_node.start_mark.column + 1,
                            length=len(str(key)),
                        )
                    )
                    continue
                first_seen[key] = key_node
                child = (*path, key)
                self.keys[child] = _span(key_node)
                result[key] = self.build(value_node, child)
            return result
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        return self.scalar(node)

    def scalar(self, node: yaml.Node) -> Any:
        """A scalar's value; one YAML cannot read (``2026-13-01``) is a located problem."""
        try:
            return self.loader.construct_object(node, deep=True)
        except (ValueError, OverflowError) as exc:
            text = str(node.value)
            what = _TAGS.get(node.tag, node.tag)
            self.wrong_scalar(
                node,
                f"YAML reads '{text[:40]}' as {what}, but it is not a valid one ({exc})",
                f'correct it, or put it in quotes ("{text[:40]}") to keep it as text',
            )
            return text


_TAGS = {
    "tag:yaml.org,2002:timestamp": "a date",
    "tag:yaml.org,2002:int": "a whole number",
    "tag:yaml.org,2002:float": "a number",
}


def _yaml_reading(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "nothing (null)"
    return f"a {type(value).__name__}"


def _span(node: yaml.Node) -> Span:
    style = getattr(node, "style", None)
    return Span(
        node.start_mark.line + 1,
        node.start_mark.column + 1,
        node.end_mark.line + 1,
        node.end_mark.column + 1,
        style if isinstance(style, str) and style else None,  # plain: None (libyaml: "")
    )
