"""A run of one command assembles a command line of that command's module alone
(tierkit.cli.main); what the user sees must not depend on it."""

from __future__ import annotations

import subprocess
import sys

import pytest
import typer.main
from typer.testing import CliRunner

import tierkit.cli as cli


def _help(application: typer.Typer, args: list[str]) -> str:
    result = CliRunner().invoke(application, [*args, "--help"], prog_name="tierkit")
    assert result.exit_code == 0, result.output
    return result.output


def test_every_command_is_mapped_to_the_module_that_registers_it() -> None:
    whole = typer.main.get_command(cli.app)
    assert isinstance(whole, typer.core.TyperGroup)
    assert sorted(whole.commands) == sorted(cli.COMMANDS)
    for name, module in cli.COMMANDS.items():
        alone = typer.main.get_command(cli.build_app((module,)))
        assert isinstance(alone, typer.core.TyperGroup)
        assert name in alone.commands, (name, module)


@pytest.mark.parametrize("name", sorted(cli.COMMANDS))
def test_a_command_alone_shows_the_same_help(name: str) -> None:
    alone = cli.build_app((cli.COMMANDS[name],))
    assert _help(alone, [name]) == _help(cli.app, [name])


def test_the_overrides_subcommands_show_the_same_help() -> None:
    alone = cli.build_app(("history_cmd",))
    for sub in ("add", "list", "expire", "audit"):
        assert _help(alone, ["overrides", sub]) == _help(cli.app, ["overrides", sub])


@pytest.mark.parametrize(
    ("args", "module"),
    [
        (["validate", "x.yaml"], "validate_cmd"),
        (["--debug", "evaluate", "x.yaml"], "evaluate_cmd"),
        (["overrides", "list"], "history_cmd"),
        (["dmn-tck", "cases"], "dmn_cmd"),
        ([], None),  # no command: the whole help
        (["--help"], None),
        (["--version"], None),
        (["--debug"], None),
        (["valdate", "x.yaml"], None),  # a typo: the whole command line suggests "validate"
        (["--debug", "--help", "validate"], None),
    ],
)
def test_the_command_is_found_in_the_arguments(args: list[str], module: str | None) -> None:
    assert cli.command_module(args) == module


def test_a_misspelt_command_is_still_told_its_nearest_name() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tierkit", "valdate", "x.yaml"], capture_output=True, text=True
    )
    assert done.returncode == 2
    assert "No such command 'valdate'" in done.stderr
    assert "validate" in done.stderr.split("'valdate'")[1]


def test_a_root_option_before_the_command_is_still_taken() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tierkit", "--debug", "validate", "--help"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0 and "tierkit validate [OPTIONS]" in done.stdout
