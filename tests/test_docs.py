"""The documentation keeps up with the code: every hook, function, key and command is documented,
and every ruleset example in the docs loads (or, when marked invalid, fails to load).

Conventions in docs/*.md that these tests rely on:

- A hook or a function is documented under a heading that is exactly ``### `name` ``.
- A ```yaml block whose first line (after comments) is ``tierkit: 1`` is a complete ruleset and
  must load. Preceded by ``<!-- invalid -->`` it must fail to load.
- A complete ruleset preceded by ``<!-- harness -->`` is the base for the partial examples
  (```yaml blocks starting with another top-level key, such as ``derive:``) that follow it in
  the same file: each is merged into the base, which must then load.
- ``<!-- unchecked: why -->`` before a block skips it; use it only where a block cannot load
  with the built-in plugins, and say why.
"""

from __future__ import annotations

import doctest
import inspect
import re
import sys
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import typer.main
import yaml

from tierkit import hookspecs
from tierkit.cli import app
from tierkit.errors import RulesetInvalid
from tierkit.exitcodes import ExitCode
from tierkit.registry import build_registry, get_registry, make_plugin_manager
from tierkit.ruleset import load_ruleset_text
from tierkit.ruleset.language import BUILTINS
from tierkit.ruleset.model import RulesetModel

DOCS = Path(__file__).resolve().parent.parent / "docs"
RULESET_DOCS = ("quickstart.md", "ruleset-reference.md", "concepts.md", "decisions.md")


def read(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


def headings(name: str) -> set[str]:
    """The names documented under a heading that is exactly ``### `name` ``."""
    return set(re.findall(r"^### `([^`]+)`[ \t]*$", read(name), flags=re.MULTILINE))


# --------------------------------------------------------------------------------------------
# everything is documented


def hook_names() -> list[str]:
    return sorted(
        name
        for name, value in inspect.getmembers(hookspecs, inspect.isfunction)
        if name.startswith("tierkit_")
    )


def test_there_are_hooks_to_document() -> None:
    assert "tierkit_criteria" in hook_names()


@pytest.mark.parametrize("hook", hook_names())
def test_every_hook_is_documented(hook: str) -> None:
    assert hook in headings("plugin-guide.md"), f"docs/plugin-guide.md has no heading ### `{hook}`"


def function_names() -> list[str]:
    return sorted({b.name for b in BUILTINS} | set(get_registry().functions))


@pytest.mark.parametrize("function", function_names())
def test_every_function_is_documented(function: str) -> None:
    assert function in headings("ruleset-reference.md"), (
        f"docs/ruleset-reference.md has no heading ### `{function}`"
    )


@pytest.mark.parametrize("field", list(RulesetModel.model_fields))
def test_every_top_level_key_is_documented(field: str) -> None:
    text = read("ruleset-reference.md")
    as_heading = re.search(rf"^#+ .*\b{re.escape(field)}\b", text, flags=re.MULTILINE)
    as_code = f"`{field}`" in text or f"`{field}:" in text
    assert as_heading or as_code, f"docs/ruleset-reference.md does not mention key '{field}'"


def test_every_builtin_criterion_is_listed() -> None:
    text = read("ruleset-reference.md")
    registry = get_registry()
    # a third-party plugin installed here (docs/examples/tierkit-visits) documents its own
    builtin = {p.name for p in registry.plugins if p.package == "tierkit"}
    criteria = [c for c in registry.criteria.values() if c.plugin in builtin]
    assert len(criteria) > 10
    missing = [c.name for c in criteria if f"`{c.name}`" not in text]
    assert not missing, f"docs/ruleset-reference.md does not list criteria {missing}"


def command_names() -> list[str]:
    names = []
    for info in app.registered_commands:
        callback = info.callback
        assert callback is not None
        names.append(info.name or callback.__name__.replace("_", "-"))
    return names


@pytest.mark.parametrize("command", command_names())
def test_every_command_is_documented(command: str) -> None:
    text = read("cli.md")
    assert re.search(rf"^#+ .*`tierkit {re.escape(command)}\b", text, flags=re.MULTILINE), (
        f"docs/cli.md has no heading for `tierkit {command}`"
    )


def test_every_option_is_documented() -> None:
    text = read("cli.md")
    group = typer.main.get_command(app)
    commands = getattr(group, "commands", {})
    options = {opt for p in group.params for opt in p.opts if opt.startswith("-")}
    for command in commands.values():
        options |= {opt for p in command.params for opt in p.opts if opt.startswith("-")}
    missing = sorted(o for o in options if f"`{o}`" not in text and f"{o}`" not in text)
    assert not missing, f"docs/cli.md does not mention options {missing}"


def test_every_exit_code_is_documented() -> None:
    text = read("cli.md")
    for code in ExitCode:
        assert re.search(rf"^\| `?{code.value}`? \|", text, flags=re.MULTILINE), (
            f"docs/cli.md has no table row for exit code {code.value} ({code.name})"
        )


# --------------------------------------------------------------------------------------------
# every ruleset example loads


@dataclass(frozen=True)
class Block:
    file: str
    line: int
    text: str
    marker: str  # "", "invalid", "harness" or "unchecked"

    @property
    def first_line(self) -> str:
        """The first line that is not blank or a comment, without a trailing comment."""
        for line in self.text.splitlines():
            stripped = line.split(" #", 1)[0].strip()
            if stripped and not stripped.startswith("#"):
                return stripped
        return ""

    @property
    def first_key(self) -> str:
        return self.first_line.split(":", 1)[0]

    @property
    def complete(self) -> bool:
        """A whole ruleset: it starts with ``tierkit: 1``."""
        return self.first_line == "tierkit: 1"

    def __str__(self) -> str:
        return f"docs/{self.file}:{self.line}"


_FENCE = re.compile(r"^```yaml[ \t]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
_MARKER = re.compile(r"<!--\s*(invalid|harness|unchecked)\b[^>]*-->\s*$")


def yaml_blocks(name: str) -> list[Block]:
    text = read(name)
    blocks = []
    for match in _FENCE.finditer(text):
        before = text[: match.start()].rstrip().splitlines()
        marker = _MARKER.search(before[-1]) if before else None
        line = text.count("\n", 0, match.start()) + 2
        blocks.append(Block(name, line, match.group(1), marker.group(1) if marker else ""))
    return blocks


def ruleset_examples() -> list[tuple[Block, Block | None]]:
    """Each checked block, with the harness it extends (for partial blocks)."""
    found: list[tuple[Block, Block | None]] = []
    for name in RULESET_DOCS:
        if not (DOCS / name).exists():
            continue
        harness: Block | None = None
        for block in yaml_blocks(name):
            if block.marker == "unchecked":
                continue
            if block.complete:
                found.append((block, None))
                if block.marker == "harness":
                    harness = block
            elif block.first_key in RulesetModel.model_fields:
                found.append((block, harness))
    return found


def merged(base: Block, part: Block) -> str:
    data: dict[str, Any] = yaml.safe_load(base.text)
    for key, value in (yaml.safe_load(part.text) or {}).items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def test_docs_have_ruleset_examples() -> None:
    assert len(ruleset_examples()) >= 20


@pytest.mark.parametrize("block,harness", ruleset_examples(), ids=lambda b: str(b) if b else "")
def test_ruleset_example(block: Block, harness: Block | None) -> None:
    if block.complete:
        text = block.text
    else:
        assert harness is not None, (
            f"{block}: a partial example needs a complete ruleset marked <!-- harness --> before "
            "it, or <!-- unchecked: why -->"
        )
        text = merged(harness, block)
    if block.marker == "invalid":
        with pytest.raises(RulesetInvalid):
            load_ruleset_text(text, str(block))
        return
    try:
        load_ruleset_text(text, str(block))
    except RulesetInvalid as exc:
        pytest.fail(f"{block} does not load:\n{exc.render()}")


# --------------------------------------------------------------------------------------------
# Python examples run


def python_blocks(name: str) -> list[tuple[int, str]]:
    text = read(name)
    return [
        (text.count("\n", 0, m.start()) + 2, m.group(1))
        for m in re.finditer(r"^```python[ \t]*\n(.*?)^```[ \t]*$", text, re.M | re.S)
    ]


@pytest.mark.parametrize("name", ["concepts.md", "plugin-guide.md"])
def test_interactive_examples(name: str) -> None:
    blocks = [(line, code) for line, code in python_blocks(name) if code.startswith(">>>")]
    assert blocks, f"docs/{name} has no >>> examples"
    for line, code in blocks:
        test = doctest.DocTestParser().get_doctest(code, {}, f"docs/{name}", name, line)
        runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
        runner.run(test)
        assert not runner.failures, f"docs/{name}:{line}: the example's output differs"


def test_plugin_guide_examples_compile() -> None:
    for line, code in python_blocks("plugin-guide.md"):
        if not code.startswith(">>>"):
            compile(code, f"docs/plugin-guide.md:{line}", "exec")


def _module(name: str, *codes: str) -> types.ModuleType:
    module = types.ModuleType(name)
    for code in codes:
        exec(compile(code, f"docs/plugin-guide.md ({name})", "exec"), module.__dict__)
    return module


def _examples() -> dict[str, str]:
    """The complete example under each hook's heading in the plugin guide."""
    text = read("plugin-guide.md")
    starts = {
        hook: text.count("\n", 0, m.start()) + 1
        for hook in hook_names()
        for m in re.finditer(rf"^### `{hook}`[ \t]*$", text, re.M)
    }
    found: dict[str, str] = {}
    for line, code in python_blocks("plugin-guide.md"):
        if "return [" not in code and "print(" not in code:
            continue  # a signature, not an example
        section = max(
            (h for h, start in starts.items() if start < line),
            default=None,
            key=lambda h: starts[h],
        )
        if section and f"def {section}(" in code and section not in found:
            found[section] = code
    return found


def test_plugin_guide_has_an_example_of_every_hook() -> None:
    assert sorted(_examples()) == hook_names()


def test_plugin_guide_examples_register() -> None:
    examples = _examples()
    extra = [
        (hook.removeprefix("tierkit_"), _module(hook, code)) for hook, code in examples.items()
    ]
    registry = build_registry(make_plugin_manager(extra=extra, load_entry_points=False))
    assert "acme.big_payments" in registry.criteria
    assert registry.strategies["big-tickets"].value == "acme.big_payments"
    assert {"percent", "ratio"} <= set(registry.functions)
    assert "tables_json" in registry.sources
    assert "ndjson" in registry.writers


def test_plugin_guide_test_example_passes(monkeypatch: pytest.MonkeyPatch) -> None:
    blocks = [code for _, code in python_blocks("plugin-guide.md")]
    first_functions = next(c for c in blocks if "def tierkit_functions(" in c)
    examples = _examples()
    plugin = _module(
        "acme_tierkit.plugin",
        examples["tierkit_criteria"],
        examples["tierkit_strategies"],
        first_functions,
    )
    package = types.ModuleType("acme_tierkit")
    package.plugin = plugin  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "acme_tierkit", package)
    monkeypatch.setitem(sys.modules, "acme_tierkit.plugin", plugin)
    test_code = next(c for c in blocks if c.startswith("# tests/"))
    tests = _module("test_acme_plugin", test_code)
    names = [n for n in vars(tests) if n.startswith("test_")]
    assert names
    for name in names:
        getattr(tests, name)()
