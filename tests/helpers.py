"""Helpers for tests: load ruleset text written with indentation, collect its problems."""

from __future__ import annotations

import os
import textwrap

import pytest

from tierkit.errors import RulesetInvalid, RulesetProblem
from tierkit.ruleset import load_ruleset_text
from tierkit.ruleset.compiled import CompiledRuleset


def property_examples(thorough: int) -> int:
    """How many examples a property test generates: ``thorough`` in the thorough profile (CI),
    a sixth of it (at least 10) in the quick one; ``TIERKIT_PROPERTY_EXAMPLES`` overrides."""
    from hypothesis import settings

    if "TIERKIT_PROPERTY_EXAMPLES" in os.environ:
        return int(os.environ["TIERKIT_PROPERTY_EXAMPLES"])
    if settings.get_current_profile_name() == "thorough":
        return thorough
    return max(10, thorough // 6)


def load(text: str, name: str = "test.yaml") -> CompiledRuleset:
    """Load ruleset text written with indentation in a test."""
    return load_ruleset_text(textwrap.dedent(text).lstrip("\n"), name)


def problems(text: str, name: str = "test.yaml") -> list[RulesetProblem]:
    """Every problem the loader reports for ruleset text (fails when there is none)."""
    with pytest.raises(RulesetInvalid) as info:
        load(text, name)
    return list(info.value.problems)
