"""Shared fixtures: a registry of the installed plugins, and helpers to load ruleset text."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tierkit.errors import RulesetInvalid, RulesetProblem
from tierkit.registry import Registry, get_registry
from tierkit.ruleset import load_ruleset_text
from tierkit.ruleset.compiled import CompiledRuleset

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def registry() -> Registry:
    return get_registry()


def load(text: str, name: str = "test.yaml") -> CompiledRuleset:
    """Load ruleset text written with indentation in a test."""
    return load_ruleset_text(textwrap.dedent(text).lstrip("\n"), name)


def problems(text: str, name: str = "test.yaml") -> list[RulesetProblem]:
    """Every problem the loader reports for ruleset text (fails when there is none)."""
    with pytest.raises(RulesetInvalid) as info:
        load(text, name)
    return list(info.value.problems)
