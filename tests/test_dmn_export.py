"""DMN export: the XML a ruleset becomes, and the round trip export → import → same decisions."""

from __future__ import annotations

import itertools
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from test_durable_engine import REGISTRY  # criteria t.num, t.flag and t.label, given directly
from typer.testing import CliRunner

from tierkit.cli import app
from tierkit.dmn.read import DmnTable, read_model
from tierkit.dmn.tck import decide_case, prepare
from tierkit.dmn.write import write_model
from tierkit.evaluation.run import decide_vector
from tierkit.ruleset import load_ruleset_text
from tierkit.ruleset.compiled import CompiledRuleset

RULESET = """tierkit: 1
name: export-test
criteria: {a: {use: t.num}, b: {use: t.num}, f: {use: t.flag}, s: {use: t.label}}
decisions:
  tier:
    hit: priority
    outcomes: [A, B, C]
    rules:
      - {when: "a >= 5 and a < 10", then: B, because: "Middle band"}
      - {when: "a >= 10 and s in ['x', 'y']", then: A}
      - {when: "not f", then: C}
      - {when: "a > b", then: B}
      - {when: "missing(a)", then: C}
    default: {then: C}
  points:
    hit: collect sum
    rules:
      - {when: "s == 'x' or s == 'z'", then: 1.5}
      - {when: "a != 3", then: 0.25}
    default: {then: 0}
  flags:
    hit: rule order
    rules:
      - {when: "f", then: flagged}
      - {when: "tier == 'A'", then: top}
"""


@pytest.fixture(scope="module")
def ruleset() -> CompiledRuleset:
    return load_ruleset_text(RULESET, registry=REGISTRY)


@pytest.fixture(scope="module")
def exported(ruleset: CompiledRuleset, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("dmn") / "export-test.dmn"
    path.write_text(write_model(ruleset), encoding="utf-8")
    return path


def table(path: Path, name: str) -> DmnTable:
    found = next(d for d in read_model(path).decisions if d.name == name)
    assert isinstance(found, DmnTable)
    return found


def test_hit_policies_outcomes_and_defaults_are_written(exported: Path) -> None:
    tier = table(exported, "tier")
    assert (tier.hit, tier.aggregation) == ("PRIORITY", None)
    assert tier.outputs[0].values == '"A","B","C"'
    assert tier.outputs[0].default == '"C"'
    points = table(exported, "points")
    assert (points.hit, points.aggregation) == ("COLLECT", "SUM")
    assert table(exported, "flags").hit == "RULE ORDER"


def test_conditions_become_unary_tests_in_columns(exported: Path) -> None:
    tier = table(exported, "tier")
    # columns in order of first use: a, s, f, then the comparison of two inputs as a column
    assert [i.expression for i in tier.inputs] == ["a", "s", "f", "(a > b)"]
    entries = [r.inputs for r in tier.rules]
    assert entries[0] == ("[5..10)", "-", "-", "-")  # two bounds on a: a range
    assert entries[1] == (">=10", '"x","y"', "-", "-")
    assert entries[2] == ("-", "-", "not(true)", "-")
    assert entries[3] == ("-", "-", "-", "true")
    assert entries[4] == ("null", "-", "-", "-")
    assert tier.rules[0].description == "Middle band"
    points = table(exported, "points")
    assert [r.inputs for r in points.rules] == [('"x","z"', "-"), ("-", "!=3")]


def test_a_decision_read_by_another_is_a_required_decision(exported: Path) -> None:
    text = exported.read_text()
    assert '<requiredDecision href="#_tier" />' in text
    names = [d.name for d in read_model(exported).inputs]
    assert names == ["a", "b", "f", "s"]  # by name, as the first decision requires them


def _vector(ruleset: CompiledRuleset, given: dict[str, Any]) -> dict[str, Any]:
    inputs = pl.DataFrame(
        {"customer_id": ["9"], **{k: [v] for k, v in given.items()}},
        schema={
            "customer_id": pl.String,
            "a": pl.Float64,
            "b": pl.Float64,
            "f": pl.Boolean,
            "s": pl.String,
        },
    )
    return decide_vector(ruleset, REGISTRY, inputs).row(0, named=True)


def test_export_then_import_decides_every_customer_alike(
    ruleset: CompiledRuleset, exported: Path
) -> None:
    prepared = prepare(exported)
    assert prepared.problem is None
    grid = itertools.product(
        [None, -1.0, 3.0, 5.0, 9.5, 10.0, 12.0],
        [None, 4.0],
        [None, True, False],
        [None, "x", "y", "z"],
    )
    for a, b, f, s in grid:
        given = {"a": a, "b": b, "f": f, "s": s}
        expected = _vector(ruleset, given)
        dmn_inputs = {k: Decimal(str(v)) if isinstance(v, float) else v for k, v in given.items()}
        got = decide_case(prepared, dmn_inputs)
        assert got["tier"] == expected["tier"], given
        assert got["points"] == Decimal(repr(expected["points"])), given
        assert got["flags"] == (expected["flags"].split(", ") if expected["flags"] else []), given


def test_export_a_shipped_ruleset_from_the_command_line(tmp_path: Path) -> None:
    out = tmp_path / "vip.dmn"
    result = CliRunner().invoke(app, ["export", "vip-monthly", "--out", str(out)])
    assert result.exit_code == 0, result.output
    model = read_model(out)
    assert [d.name for d in model.decisions] == ["category", "key_partner"]
    category = model.decisions[0]
    assert isinstance(category, DmnTable) and category.hit == "FIRST"
    # re-imported, it compiles again (inputs become customer attributes)
    assert prepare(out).problem is None
