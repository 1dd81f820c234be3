"""A pytest plugin: ``pytest rulesets/`` runs the examples written in ruleset files.

Registered through the ``pytest11`` entry point, so it is active wherever tierkit is
installed. It collects a YAML file only when pytest was given paths on its command line
(``pytest rulesets/``, ``pytest my-rules.yaml``), never from ``testpaths`` or the current
folder alone, so a project's own ``pytest`` run is unchanged. Of those files it takes the ones
whose top level has ``tierkit:`` and that are not inside a folder named ``broken`` (kept for
rulesets that are wrong on purpose). Each example is one test item; an invalid ruleset is one
failing item carrying the loader's message.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from tierkit.evaluation.examples import ExampleResult
    from tierkit.registry import Registry
    from tierkit.ruleset.compiled import CompiledRuleset

SUFFIXES = (".yaml", ".yml")
IGNORED_FOLDER = "broken"
_TOP_LEVEL = re.compile(r"^tierkit[ \t]*:", re.MULTILINE)


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    """A :class:`RulesetFile` for each ruleset file under the paths given to pytest."""
    if file_path.suffix.lower() not in SUFFIXES:
        return None
    if parent.config.args_source != pytest.Config.ArgsSource.ARGS:
        return None
    if IGNORED_FOLDER in _folders(file_path, parent.config.rootpath):
        return None
    try:
        text = file_path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    if not _TOP_LEVEL.search(text):
        return None
    collector: RulesetFile = RulesetFile.from_parent(parent, path=file_path)
    return collector


def _folders(path: Path, root: Path) -> tuple[str, ...]:
    try:
        return path.resolve().relative_to(root.resolve()).parts[:-1]
    except ValueError:
        return path.parts[:-1]


class RulesetFile(pytest.File):
    """A ruleset file: one item per example, or one failing item when it does not load."""

    def collect(self) -> Iterator[pytest.Item]:
        from tierkit.errors import RulesetInvalid, TierkitError
        from tierkit.evaluation.examples import example_lines
        from tierkit.registry import get_registry
        from tierkit.ruleset import load_ruleset

        try:
            registry = get_registry()
            ruleset = load_ruleset(self.path, registry)
        except RulesetInvalid as exc:
            yield InvalidRuleset.from_parent(self, name="ruleset", message=exc.render())
            return
        except TierkitError as exc:
            yield InvalidRuleset.from_parent(self, name="ruleset", message=exc.render())
            return
        lines = example_lines(self.path)
        seen: set[str] = set()
        for index, example in enumerate(ruleset.examples):
            name = example.name if example.name not in seen else f"{example.name} [{index + 1}]"
            seen.add(name)
            yield ExampleItem.from_parent(
                self,
                name=name,
                ruleset=ruleset,
                registry=registry,
                index=index,
                line=lines[index] if index < len(lines) else None,
            )


class ExampleFailed(Exception):
    """An example's decisions differ from what it expects."""

    def __init__(self, result: ExampleResult) -> None:
        super().__init__(result.name)
        self.result = result


class ExampleItem(pytest.Item):
    """One example of a ruleset, run with the vector engine."""

    def __init__(
        self,
        *,
        ruleset: CompiledRuleset,
        registry: Registry,
        index: int,
        line: int | None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.ruleset = ruleset
        self.registry = registry
        self.index = index
        self.line = line

    def runtest(self) -> None:
        from tierkit.evaluation.examples import run_example

        result = run_example(self.ruleset, self.registry, self.index, line=self.line)
        if not result.passed:
            raise ExampleFailed(result)

    def repr_failure(
        self,
        excinfo: pytest.ExceptionInfo[BaseException],
        style: Any = None,
    ) -> str:
        if isinstance(excinfo.value, ExampleFailed):
            from tierkit.evaluation.examples import describe_result

            where = f"{self.path}:{self.line}: " if self.line else f"{self.path}: "
            return where + "\n".join(describe_result(excinfo.value.result))
        return str(super().repr_failure(excinfo, style=style))

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, (self.line - 1) if self.line else None, f"example: {self.name}"


class InvalidRuleset(pytest.Item):
    """A ruleset file that does not load: fails with every problem the loader found."""

    def __init__(self, *, message: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.message = message

    def runtest(self) -> None:
        raise RulesetNotLoaded(self.message)

    def repr_failure(
        self,
        excinfo: pytest.ExceptionInfo[BaseException],
        style: Any = None,
    ) -> str:
        if isinstance(excinfo.value, RulesetNotLoaded):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo, style=style))

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, "ruleset is invalid"


class RulesetNotLoaded(Exception):
    """The ruleset file has problems; the message lists them."""
