"""The JSON Schema is generated from the model, shipped, and accepts every shipped ruleset."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from tierkit.ruleset.model import json_schema
from tierkit.schema import shipped_schema
from tierkit.shipped import shipped_rulesets

ROOT = Path(__file__).resolve().parent.parent


def test_shipped_schema_is_the_generated_one() -> None:
    assert shipped_schema() == json_schema(), "run: tierkit schema > kernel/schema/ruleset-1.json"


def test_docs_schema_is_the_generated_one() -> None:
    docs = json.loads((ROOT / "docs" / "ruleset.schema.json").read_text())
    assert docs == json_schema(), "run: tierkit schema > docs/ruleset.schema.json"


@pytest.mark.parametrize("name", sorted(shipped_rulesets()))
def test_shipped_ruleset_matches_schema(name: str) -> None:
    data = yaml.safe_load(shipped_rulesets()[name].read_text())
    jsonschema.Draft202012Validator(json_schema()).validate(data)


def test_schema_rejects_an_unknown_key() -> None:
    validator = jsonschema.Draft202012Validator(json_schema())
    errors = list(
        validator.iter_errors({"tierkit": 1, "name": "x", "decisions": {}, "decisons": {}})
    )
    assert any("decisons" in e.message for e in errors)


def test_schema_knows_outcomes_and_main() -> None:
    validator = jsonschema.Draft202012Validator(json_schema())
    ruleset = {
        "tierkit": 1,
        "name": "x",
        "main": "category",
        "decisions": {"category": {"outcomes": ["A", "B"], "default": {"then": "B"}}},
    }
    assert list(validator.iter_errors(ruleset)) == []
    ruleset["main"] = "not a name"
    ruleset["decisions"]["category"]["outcomes"] = "A"  # type: ignore[index]
    assert len(list(validator.iter_errors(ruleset))) == 2
