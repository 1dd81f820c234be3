"""``tierkit validate``: check rulesets and report every problem with its line and column."""

from __future__ import annotations

import typer

from tierkit.cli.common import guarded, print_json
from tierkit.cli.options import JsonOption, RulesetsArgument
from tierkit.errors import RulesetInvalid
from tierkit.exitcodes import ExitCode
from tierkit.shipped import resolve_ruleset_paths


def register(app: typer.Typer) -> None:
    app.command("validate")(validate)


@guarded
def validate(
    rulesets: RulesetsArgument,
    as_json: JsonOption = False,
) -> None:
    """Check rulesets without running them: YAML, keys, names, types, cycles, completeness.

    Every problem of every file is printed with file:line:column and the line itself.
    Exit 0 when all are valid, 2 when any is not.

    Example: tierkit validate rulesets/vip-monthly.yaml my-rules.yaml
    """
    from tierkit.ruleset import load_ruleset

    report = []
    failed = False
    for path in resolve_ruleset_paths(rulesets):
        try:
            compiled = load_ruleset(path)
        except RulesetInvalid as exc:
            failed = True
            report.append(
                {"path": str(path), "valid": False, "problems": [p.as_dict() for p in exc.problems]}
            )
            if not as_json:
                typer.echo(exc.render(), err=True)
            continue
        report.append({"path": str(path), "valid": True, "name": compiled.name, "problems": []})
        if not as_json:
            typer.echo(
                f"{path}: ruleset '{compiled.name}' is valid ("
                + ", ".join(
                    _count(n, word)
                    for n, word in (
                        (len(compiled.criteria), "criterion/criteria"),
                        (len(compiled.derived), "derived fact/derived facts"),
                        (len(compiled.decisions), "decision/decisions"),
                        (len(compiled.examples), "example/examples"),
                    )
                )
                + ")"
            )
    if as_json:
        print_json({"valid": not failed, "files": report})
    if failed:
        raise typer.Exit(int(ExitCode.BAD_INPUT))


def _count(number: int, words: str) -> str:
    one, many = words.split("/")
    return f"{number} {one if number == 1 else many}"
