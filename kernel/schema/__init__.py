"""The JSON Schema of ruleset files, shipped as ``ruleset-1.json`` (generated from the model)."""

from __future__ import annotations

import json
from importlib.resources import files
from typing import Any

SCHEMA_FILE = "ruleset-1.json"


def shipped_schema() -> dict[str, Any]:
    """The schema file shipped in the package."""
    text = files("tierkit.schema").joinpath(SCHEMA_FILE).read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data
