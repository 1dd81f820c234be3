"""The ruleset reader uses libyaml when PyYAML has it, and the pure-Python reader otherwise or
when libyaml finds a problem: both must build the same document, with the same locations."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tierkit.errors import RulesetInvalid
from tierkit.ruleset import read
from tierkit.ruleset.read import parse_document

ROOT = Path(__file__).resolve().parents[1]
FILES = sorted(
    p
    for folder in ("rulesets", "tests", "docs", "bench")
    for p in (ROOT / folder).rglob("*.y*ml")
    if ".venv" not in p.parts
)

pytestmark = pytest.mark.skipif(not yaml.__with_libyaml__, reason="PyYAML without libyaml")


def _read(path: Path) -> tuple[object, object]:
    """The document, or the problems, of ``path``."""
    try:
        document = parse_document(path.read_bytes(), str(path))
    except RulesetInvalid as exc:
        return None, [str(p) for p in exc.problems]
    return (document.data, document.values, document.keys), None


def test_there_are_files_to_compare() -> None:
    assert len(FILES) > 50


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_libyaml_reads_like_the_python_reader(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fast = _read(path)
    monkeypatch.setattr(yaml, "__with_libyaml__", False)
    slow = _read(path)
    assert fast == slow


def test_libyaml_is_used_for_a_sound_file(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real = yaml.CSafeLoader

    class Counting(real):  # type: ignore[misc, valid-type]
        def __init__(self, stream: str) -> None:
            calls.append("c")
            super().__init__(stream)

    monkeypatch.setattr(yaml, "CSafeLoader", Counting)
    document = parse_document(b"tierkit: 1\nname: x\n", "x.yaml")
    assert document.data == {"tierkit": 1, "name": "x"}
    assert document.keys[("name",)].line == 2
    assert calls  # read by libyaml


@pytest.mark.parametrize(
    ("text", "where", "says"),
    [
        ("tierkit: 1\nname: x\nname: y\n", 3, "duplicate key 'name'"),
        ("tierkit: 1\n\tname: x\n", 2, "tab"),
        ("tierkit: 1\nname: [x\n", 3, "YAML"),
        ("tierkit: 1\nname: ok\x00\n", 2, "U+0000"),
        ("tierkit: 1\nwhen: 2026-13-01\n", 2, "not a valid one"),
    ],
)
def test_a_problem_is_told_by_the_python_reader(text: str, where: int, says: str) -> None:
    """libyaml's messages and offsets differ (bytes, not characters): every problem is
    reported as the pure-Python reader locates it."""
    with pytest.raises(RulesetInvalid) as raised:
        parse_document(("# é\n" + text).encode(), "bad.yaml")
    [problem] = raised.value.problems
    assert problem.location.line == where + 1
    assert says in str(problem)


def test_without_libyaml_the_python_reader_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(yaml, "__with_libyaml__", False)
    assert read._read_with_libyaml("tierkit: 1\n", read.SourceFile("x", "tierkit: 1\n")) is None
    assert parse_document(b"tierkit: 1\n", "x.yaml").data == {"tierkit": 1}
