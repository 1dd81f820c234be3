"""``tierkit validate``: check rulesets and report every problem with its line and column.

A ruleset that loads is then verified (:mod:`tierkit.ruleset.verify`): rules that can never
fire, overlaps its hit policy forbids, thresholds outside a criterion's range. Those are
warnings; ``--strict`` makes them fail the command.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from tierkit.cli.common import guarded, print_json
from tierkit.cli.options import JsonOption, RulesetsArgument
from tierkit.errors import RulesetInvalid
from tierkit.exitcodes import ExitCode
from tierkit.shipped import resolve_ruleset_paths

if TYPE_CHECKING:
    from tierkit.ruleset.compiled import CompiledRuleset
    from tierkit.ruleset.verify import Finding

StrictOption = Annotated[
    bool,
    typer.Option(
        "--strict",
        help="Exit 1 when the verifier finds anything (unreachable or shadowed rules, "
        "forbidden overlaps, thresholds out of range); they are warnings otherwise.",
    ),
]


def register(app: typer.Typer) -> None:
    app.command("validate")(validate)


@guarded
def validate(
    rulesets: RulesetsArgument,
    as_json: JsonOption = False,
    strict: StrictOption = False,
) -> None:
    """Check rulesets without running them: YAML, keys, names, types, cycles, completeness;
    then verify their rules: unreachable and shadowed rules, forbidden overlaps, thresholds
    outside a criterion's range.

    Every problem of every file is printed with file:line:column and the line itself; the
    verifier's findings are warnings. Exit 0 when all are valid (1 with --strict when there
    are findings), 2 when any is not.

    Example: tierkit validate --strict rulesets/vip-monthly.yaml my-rules.yaml
    """
    from tierkit.ruleset import load_ruleset

    report: list[dict[str, Any]] = []
    failed = False
    found = 0
    for path in resolve_ruleset_paths(rulesets):
        try:
            compiled = load_ruleset(path)
        except RulesetInvalid as exc:
            failed = True
            report.append(
                {
                    "path": str(path),
                    "valid": False,
                    "problems": [p.as_dict() for p in exc.problems],
                    "findings": [],
                }
            )
            if not as_json:
                typer.echo(exc.render(), err=True)
            continue
        findings = _verify(compiled, path)
        found += len(findings)
        report.append(
            {
                "path": str(path),
                "valid": True,
                "name": compiled.name,
                "problems": [],
                "findings": [f.as_dict() for f in findings],
            }
        )
        if not as_json:
            for finding in findings:
                typer.echo(finding.render(), err=True)
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
                + (f"; {_count(len(findings), 'warning/warnings')}" if findings else "")
            )
    if as_json:
        print_json({"valid": not failed, "findings": found, "files": report})
    if failed:
        raise typer.Exit(int(ExitCode.BAD_INPUT))
    if strict and found:
        raise typer.Exit(int(ExitCode.FINDING))


def _verify(compiled: CompiledRuleset, path: Path) -> list[Finding]:
    """The verifier's findings, with the file's lines for carets."""
    from tierkit.ruleset.read import read_document
    from tierkit.ruleset.verify import verify

    try:
        document = read_document(path)
    except RulesetInvalid:  # the file changed since it loaded: findings without carets
        document = None
    return list(verify(compiled, document))


def _count(number: int, words: str) -> str:
    one, many = words.split("/")
    return f"{number} {one if number == 1 else many}"
