"""The shipped rulesets load, and the command line answers."""

from __future__ import annotations

from typer.testing import CliRunner

from tierkit.cli import app
from tierkit.shipped import shipped_rulesets


def test_shipped_vip_monthly_loads() -> None:
    from tierkit.ruleset import load_ruleset

    compiled = load_ruleset(shipped_rulesets()["vip-monthly"])
    assert compiled.name == "vip-monthly"
    assert [s.name for s in compiled.order] == [
        "vip_month",
        "vip",
        "total",
        "rest",
        "good",
        "category",
        "key_partner",
    ]
    assert compiled.criteria["paid"].criterion == "payments.received"
    assert compiled.criteria["paid"].per_period
    assert compiled.criteria["on_time"].periods == 12


def test_validate_command_accepts_a_shipped_name() -> None:
    result = CliRunner().invoke(app, ["validate", "vip-monthly"])
    assert result.exit_code == 0, result.output
    assert "is valid" in result.output


def test_misspelled_shipped_ruleset_suggests_the_name() -> None:
    result = CliRunner().invoke(app, ["validate", "vip-montly"])
    assert result.exit_code == 2
    assert "no ruleset file or shipped ruleset named 'vip-montly'" in result.output
    assert "did you mean 'vip-monthly'?" in result.output


def test_a_command_of_one_ruleset_refuses_a_folder(tmp_path: object) -> None:
    """`evaluate rulesets/` once evaluated the folder's first file without a word."""
    from pathlib import Path

    folder = Path(str(tmp_path)) / "rules"
    folder.mkdir()
    (folder / "a.yaml").write_text("tierkit: 1\nname: a\ndecisions: {c: {default: {then: C}}}\n")
    for command in (["evaluate", str(folder)], ["explain", str(folder), "C1"]):
        result = CliRunner().invoke(app, [*command, "--data", str(tmp_path)])
        assert result.exit_code == 2, result.output
        assert f"{folder}: is a folder" in result.output
    # validate takes a folder: every file in it
    result = CliRunner().invoke(app, ["validate", str(folder)])
    assert result.exit_code == 0, result.output
