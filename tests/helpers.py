"""Helpers for tests: load ruleset text written with indentation, collect its problems."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
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


def java_problem() -> str | None:
    """Why Spark cannot start here, or ``None``: PySpark 4 needs a Java runtime of version 17
    or newer (`java -version`; on macOS /usr/bin/java is a stub when no JDK is installed)."""
    java = shutil.which("java")
    if java is None:
        return "Java is not installed (Spark needs Java 17 or newer; .ci/run has it)"
    try:
        done = subprocess.run(
            [java, "-version"], capture_output=True, text=True, timeout=60, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"`java -version` failed ({error}); Spark needs Java 17 or newer"
    found = re.search(r'version "(\d+)(?:\.(\d+))?', done.stderr + done.stdout)
    if done.returncode != 0 or found is None:
        return "`java -version` found no Java runtime; Spark needs Java 17 or newer"
    major = int(found.group(1)) if found.group(1) != "1" else int(found.group(2) or 0)
    if major < 17:
        return f"Java {major} is installed; Spark needs Java 17 or newer"
    return None
