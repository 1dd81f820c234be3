"""Load a ruleset file: read, validate the shape, check the meaning, compile."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from tierkit.errors import RulesetInvalid, UsageError, did_you_mean
from tierkit.registry import Registry, get_registry
from tierkit.ruleset.compile import compile_ruleset
from tierkit.ruleset.compiled import CompiledRuleset
from tierkit.ruleset.read import parse_document, read_document
from tierkit.ruleset.shape import parse_model
from tierkit.ruleset.source import Document
from tierkit.ruleset.texts import long_texts


def load_ruleset(
    path: str | Path, registry: Registry | None = None, *, strategy: str | None = None
) -> CompiledRuleset:
    """Load and compile a ruleset file; raise :class:`RulesetInvalid` with every problem.

    ``strategy`` replaces the ruleset's own (``--strategy``): it decides what ``value`` means.
    """
    return _compile(read_document(path), registry, strategy)


def load_ruleset_text(
    text: str | bytes,
    name: str = "<ruleset>",
    registry: Registry | None = None,
    *,
    strategy: str | None = None,
) -> CompiledRuleset:
    """Load and compile ruleset text (for tests and notebooks)."""
    return _compile(parse_document(text, name), registry, strategy)


def _compile(doc: Document, registry: Registry | None, strategy: str | None) -> CompiledRuleset:
    with _deep_expressions():
        return _compile_deep(doc, registry, strategy)


@contextmanager
def _deep_expressions() -> Iterator[None]:
    """Allow long chains (400 conditions joined by 'or') through the recursive checker."""
    before = sys.getrecursionlimit()
    sys.setrecursionlimit(max(before, 20_000))
    try:
        yield
    finally:
        sys.setrecursionlimit(before)


def _compile_deep(
    doc: Document, registry: Registry | None, strategy: str | None
) -> CompiledRuleset:
    shape = parse_model(doc)
    too_long = long_texts(doc)
    if shape.model is None:
        raise RulesetInvalid([*shape.problems, *too_long])
    chosen = registry or get_registry()
    if strategy is not None:
        if strategy not in chosen.strategies:
            known = ", ".join(sorted(chosen.strategies))
            raise UsageError(
                f"unknown strategy '{strategy}'"
                f"{did_you_mean(strategy, chosen.strategies)}; installed: {known}"
            )
        shape = replace(shape, model=shape.model.model_copy(update={"strategy": strategy}))
    model = shape.model
    assert model is not None
    compiled, problems = compile_ruleset(
        doc,
        model,
        chosen,
        removed=shape.removed,
    )
    if compiled is None or shape.problems or too_long:
        raise RulesetInvalid([*shape.problems, *too_long, *problems])
    return compiled
