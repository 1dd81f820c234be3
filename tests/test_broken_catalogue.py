"""A catalogue of broken rulesets: each is rejected with every problem at the right place.

Each file in ``tests/broken/`` starts with one or more lines::

    # expect: <ErrorClass> <line>:<column> [text]

naming the class (from :mod:`tierkit.errors`), the 1-based line and column of a problem the
loader must report and, optionally, text that must appear in that problem's message or hint.
A file reports exactly as many problems as it has ``# expect:`` lines. Cases that cannot be
written as a commented YAML file (no bytes at all, bytes that are not UTF-8, ...) are in
:data:`GENERATED` and are written to a temporary folder.

:data:`KNOWN_WRONG` lists cases where the kernel does not yet do what the catalogue expects;
they are strict xfails, so fixing the kernel makes them fail until the entry is removed.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tierkit import errors
from tierkit.errors import RulesetInvalid, RulesetProblem
from tierkit.ruleset import load_ruleset

BROKEN = Path(__file__).resolve().parent / "broken"
EXPECT = re.compile(r"^# expect: (?P<kind>\w+) (?P<line>\d+):(?P<column>\d+)(?: (?P<text>.+))?$")
MINIMUM_CASES = 45


@dataclass(frozen=True)
class Expect:
    """One problem a case must report."""

    kind: str
    line: int
    column: int
    text: str | None = None

    def __str__(self) -> str:
        return f"{self.kind} {self.line}:{self.column}" + (f" {self.text!r}" if self.text else "")

    def matches(self, problem: RulesetProblem) -> bool:
        """True when ``problem`` is of exactly this class, at this place, with this text."""
        said = f"{problem.message}\n{problem.hint or ''}"
        return (
            type(problem).__name__ == self.kind
            and (problem.location.line, problem.location.column) == (self.line, self.column)
            and (self.text is None or self.text in said)
        )


def parse_expects(text: str) -> tuple[Expect, ...]:
    """The ``# expect:`` lines of a catalogue file."""
    found = []
    for line in text.splitlines():
        match = EXPECT.match(line.rstrip())
        if match:
            found.append(
                Expect(match["kind"], int(match["line"]), int(match["column"]), match["text"])
            )
    return tuple(found)


# --------------------------------------------------------------------------------------------
# cases that are generated rather than stored


def _with_condition(condition: str, name: str = "broken-long-chain") -> bytes:
    """A ruleset whose one rule's condition (on line 8, column 15) is ``condition``."""
    return (
        "tierkit: 1\n"
        f"name: {name}\n"
        "criteria:\n"
        "  tenure: {use: tenure.months}\n"
        "decisions:\n"
        "  category:\n"
        "    rules:\n"
        f"      - when: {condition}\n"
        "        then: A\n"
        "    default: {then: B}\n"
    ).encode()


def _long_or_chain() -> bytes:
    """A condition of 90 comparisons joined by ``or`` (inside the nesting limit), the last
    naming an unknown fact."""
    return _with_condition(" or ".join(["tenure > 1"] * 89) + " or tenur > 1")


# Hostile rulesets: each would exhaust the stack or the memory if it were not refused.
# A comparison is two levels deep, and each 'or' one more: the 100th comparison goes past 100.
CHAIN_TERM = "tenure > 1 or "
PLUS_TERM = "tenure + "


def _alias_bomb() -> bytes:
    """Nine levels of nine aliases each: 377 bytes that expand to 9^9 (387 million) values."""
    lines = [
        "tierkit: 1",
        "name: broken-alias-bomb",
        'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
    ]
    for previous, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]")
    return ("\n".join(lines) + "\n").encode()


def _deep_yaml() -> bytes:
    """Lists nested 10,000 deep in the top-level mapping (level 1): the 64th '[' is level 65."""
    return b"tierkit: 1\nname: broken-deep-yaml\nx: " + b"[" * 10_000 + b"]" * 10_000 + b"\n"


def _crlf() -> bytes:
    """Windows line endings; the problem is on line 5."""
    return (
        b"tierkit: 1\r\n"
        b"name: broken-crlf\r\n"
        b"criteria:\r\n"
        b"  tenure: {use: tenure.months}\r\n"
        b"derive: {old: tenur > 24}\r\n"
        b"decisions:\r\n"
        b"  category: {default: {then: A}}\r\n"
    )


@dataclass(frozen=True)
class Generated:
    """A case written by the test: its bytes and the problems it must report."""

    name: str
    content: Callable[[], bytes]
    expects: tuple[Expect, ...]


GENERATED: tuple[Generated, ...] = (
    Generated("gen-empty-file", lambda: b"", (Expect("EmptyFileError", 1, 1, "empty"),)),
    Generated(
        "gen-blank-lines-only", lambda: b"\n   \n\n", (Expect("EmptyFileError", 1, 1, "empty"),)
    ),
    Generated(
        "gen-latin1-byte",
        lambda: "tierkit: 1\nname: café\n".encode("latin-1"),
        (Expect("EncodingProblem", 2, 10, "0xe9"),),
    ),
    Generated(
        "gen-utf16-file",
        lambda: "tierkit: 1\nname: x\n".encode("utf-16"),
        (Expect("EncodingProblem", 1, 1, "UTF-8"),),
    ),
    Generated(
        "gen-bom-before-error",
        lambda: "\ufefftierkit: 2\nname: x\ndecisions: {c: {default: {then: A}}}\n".encode(),
        (Expect("WrongValueError", 1, 10, "format version"),),
    ),
    Generated("gen-crlf-line-endings", _crlf, (Expect("UnknownNameError", 5, 15, "tenur"),)),
    Generated(
        "gen-long-or-chain",
        _long_or_chain,
        (Expect("UnknownNameError", 8, 15 + len(" or ".join(["tenure > 1"] * 89) + " or ")),),
    ),
    Generated(
        "gen-alias-bomb",
        _alias_bomb,
        # line 8 is 'f: &f [*e,...]': e holds 9^4 + ... values, and f's first *e passes 100,000
        (Expect("LimitError", 8, 8, "more than 100,000 values"),),
    ),
    Generated(
        "gen-yaml-nested-10000",
        _deep_yaml,
        (Expect("LimitError", 3, len("x: ") + 64, "more than 64 levels"),),
    ),
    Generated(
        "gen-nul-character",
        lambda: b"tierkit: 1\nname: broken-nul\x00\ndecisions: {c: {default: {then: A}}}\n",
        (Expect("YamlSyntaxError", 2, len("name: broken-nul") + 1, "U+0000 (NUL)"),),
    ),
    Generated(
        "gen-or-chain-500",
        lambda: _with_condition(" or ".join(["tenure > 1"] * 500)),
        # the 100th comparison starts after 99 terms of 'tenure > 1 or '
        (Expect("LimitError", 8, 15 + 99 * len(CHAIN_TERM), "nested too deeply"),),
    ),
    Generated(
        "gen-plus-chain-500",
        lambda: _with_condition(" + ".join(["tenure"] * 500) + " > 5"),
        # a name is one level, each '+' one more: the 100th '+' (its right operand) goes past
        (Expect("LimitError", 8, 15 + 100 * len(PLUS_TERM), "nested too deeply"),),
    ),
    Generated(
        "gen-unary-minus-3000",
        lambda: _with_condition("-" * 3000 + "tenure > 5"),
        # the 101st '-' is one level too many
        (Expect("LimitError", 8, 15 + 100, "nested too deeply"),),
    ),
    Generated(
        "gen-parentheses-10000",
        lambda: _with_condition("(" * 10_000 + "tenure" + ")" * 10_000 + " > 5"),
        (Expect("LimitError", 8, 15 + 100, "nested too deeply"),),
    ),
    Generated(
        "gen-bands-million-edges",
        lambda: _with_condition(
            "bands(tenure, [" + ", ".join(map(str, range(10**6))) + "], [0, 1]) > 1"
        ),
        # 6.9 MB: refused before PyYAML reads it (it would take minutes)
        (Expect("LimitError", 1, 1, "at most 262,144"),),
    ),
    Generated(
        "gen-because-100kb",
        lambda: _with_condition("tenure > 1\n        because: " + "x" * 100_000),
        (Expect("LimitError", 9, 18, "100,000 characters"),),
    ),
)

# --------------------------------------------------------------------------------------------
# what the kernel gets wrong today (remove an entry when the kernel is fixed)

KNOWN_WRONG: dict[str, str] = {}


# --------------------------------------------------------------------------------------------
# the catalogue


@dataclass(frozen=True)
class Case:
    """A catalogue case: its name, how to get its file, and the problems it must report."""

    name: str
    expects: tuple[Expect, ...]
    stored: Path | None = None
    generated: Generated | None = None

    def path(self, folder: Path) -> Path:
        """The case's file: the stored one, or the generated one written into ``folder``."""
        if self.stored is not None:
            return self.stored
        assert self.generated is not None
        path = folder / f"{self.name}.yaml"
        if not path.exists():
            path.write_bytes(self.generated.content())
        return path


def _cases() -> list[Case]:
    stored = [
        Case(path.stem, parse_expects(path.read_text(encoding="utf-8")), stored=path)
        for path in sorted(BROKEN.glob("*.yaml"))
    ]
    generated = [Case(g.name, g.expects, generated=g) for g in GENERATED]
    return stored + generated


CASES = _cases()


def _params(cases: list[Case]) -> Iterator[object]:
    for case in cases:
        marks = []
        if case.name in KNOWN_WRONG:
            marks.append(pytest.mark.xfail(strict=True, reason=KNOWN_WRONG[case.name]))
        yield pytest.param(case, id=case.name, marks=marks)


def _describe(problems: tuple[RulesetProblem, ...]) -> str:
    return "\n".join(
        f"  {type(p).__name__} {p.location.line}:{p.location.column}: {p.message}" for p in problems
    )


def test_the_catalogue_is_large_enough() -> None:
    assert len(CASES) >= MINIMUM_CASES
    assert len({c.name for c in CASES}) == len(CASES)
    assert all(case.expects for case in CASES), [c.name for c in CASES if not c.expects]
    several = [c.name for c in CASES if len(c.expects) > 1]
    assert len(several) >= 3, several
    assert set(KNOWN_WRONG) <= {c.name for c in CASES}


def test_expected_classes_are_ruleset_problems() -> None:
    for case in CASES:
        for expect in case.expects:
            kind = getattr(errors, expect.kind, None)
            assert isinstance(kind, type) and issubclass(kind, RulesetProblem), (
                f"{case.name}: {expect.kind} is not a problem class in tierkit.errors"
            )


def test_every_stored_case_starts_with_an_expect_line() -> None:
    for case in CASES:
        if case.stored is not None:
            first = case.stored.read_text(encoding="utf-8").splitlines()[0]
            assert EXPECT.match(first), f"{case.name}: first line is {first!r}"


@pytest.mark.parametrize("case", list(_params(CASES)))
def test_loader_reports_every_expected_problem(case: Case, tmp_path: Path) -> None:
    with pytest.raises(RulesetInvalid) as info:
        load_ruleset(case.path(tmp_path))
    problems = info.value.problems
    unmatched = list(problems)
    for expect in case.expects:
        found = next((p for p in unmatched if expect.matches(p)), None)
        assert found is not None, f"expected {expect}; reported:\n{_describe(problems)}"
        unmatched.remove(found)
    assert len(problems) == len(case.expects), f"reported:\n{_describe(problems)}"


# --------------------------------------------------------------------------------------------
# the command line


def _validate(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tierkit", "validate", *arguments],
        capture_output=True,
        text=True,
        timeout=120,
    )


Batch = tuple[Path, subprocess.CompletedProcess[str]]


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> Batch:
    """One ``tierkit validate`` run over every case the kernel handles as expected."""
    folder = tmp_path_factory.mktemp("generated")
    paths = [str(c.path(folder)) for c in CASES if c.name not in KNOWN_WRONG]
    return folder, _validate(*paths)


def _check_cli(case: Case, path: Path, done: subprocess.CompletedProcess[str]) -> None:
    """Exit 2, no traceback, and each expected problem (location, text) printed for ``path``."""
    output = done.stdout + done.stderr
    assert "Traceback" not in output, output
    assert done.returncode == 2, output
    printed = [line for line in done.stderr.splitlines() if line.startswith(f"{path}:")]
    assert len(printed) == len(case.expects), "\n".join(printed) or output
    for expect in case.expects:
        where = f"{path}:{expect.line}:{expect.column}: "
        assert where in done.stderr, "\n".join(printed)
        # A problem is printed as its location and message, the source line, and a hint.
        blocks = [b for b in done.stderr.split("\n\n") if where in b]
        if expect.text:
            assert any(expect.text in b for b in blocks), "\n\n".join(blocks)


@pytest.mark.parametrize("case", list(_params(CASES)))
def test_command_line_reports_each_case(case: Case, batch: Batch, tmp_path: Path) -> None:
    folder, done = batch
    if case.name in KNOWN_WRONG:  # on its own, so that a crash does not hide the others
        path = case.path(tmp_path)
        _check_cli(case, path, _validate(str(path)))
    else:
        _check_cli(case, case.path(folder), done)


def test_command_line_json_output() -> None:
    path = BROKEN / "multi-expression-problems.yaml"
    expects = parse_expects(path.read_text(encoding="utf-8"))
    done = _validate("--json", str(path))
    assert done.returncode == 2, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert report["valid"] is False
    [entry] = report["files"]
    assert entry["path"] == str(path)
    assert entry["valid"] is False
    found = [(p["kind"], p["line"], p["column"]) for p in entry["problems"]]
    assert found == [(e.kind, e.line, e.column) for e in expects]
    assert all(p["file"] == str(path) and p["message"] for p in entry["problems"])
