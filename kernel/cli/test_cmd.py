"""``tierkit test``: run the examples (``tests:``) written in rulesets."""

from __future__ import annotations

from typing import Any

import typer

from tierkit.cli.common import guarded, print_json
from tierkit.cli.options import JsonOption, RulesetsArgument
from tierkit.errors import RulesetInvalid
from tierkit.exitcodes import ExitCode
from tierkit.shipped import resolve_ruleset_paths


def register(app: typer.Typer) -> None:
    app.command("test")(test)


@guarded
def test(
    rulesets: RulesetsArgument,
    as_json: JsonOption = False,
) -> None:
    """Run each ruleset's examples (its tests: section) and compare the decisions.

    Prints ✓ or ✗ per example; for a failing one, every expected value next to the actual
    one and the rule that decided it. Exit 0 when every example passes, 1 when one fails,
    2 when a ruleset is invalid.

    Example: tierkit test rulesets/ my-rules.yaml
    """
    from tierkit.evaluation.examples import describe_result, example_lines, run_examples
    from tierkit.registry import get_registry
    from tierkit.ruleset import load_ruleset

    registry = get_registry()
    report: list[dict[str, Any]] = []
    invalid = failed = total = 0
    for path in resolve_ruleset_paths(rulesets):
        try:
            compiled = load_ruleset(path, registry)
        except RulesetInvalid as exc:
            invalid += 1
            report.append(
                {
                    "path": str(path),
                    "valid": False,
                    "problems": [p.as_dict() for p in exc.problems],
                    "examples": [],
                }
            )
            if not as_json:
                typer.echo(exc.render(), err=True)
            continue
        results = run_examples(compiled, registry, example_lines(path))
        total += len(results)
        failed += sum(not r.passed for r in results)
        report.append(
            {
                "path": str(path),
                "name": compiled.name,
                "valid": True,
                "problems": [],
                "passed": sum(r.passed for r in results),
                "failed": sum(not r.passed for r in results),
                "examples": [r.as_dict() for r in results],
            }
        )
        if as_json:
            continue
        count = f"{len(results)} example{'s' if len(results) != 1 else ''}"
        if len(report) > 1:
            typer.echo("")
        typer.echo(f"{path} ({compiled.name}): {count}")
        for result in results:
            at = f"  ({path}:{result.line})" if result.line and not result.passed else ""
            lines = describe_result(result)
            typer.echo(f"  {lines[0]}{at}")
            for line in lines[1:]:
                typer.echo(f"  {line}")
        if not results:
            typer.echo("  (no examples: add some under tests:)")
    passed = not failed and not invalid
    if as_json:
        print_json(
            {
                "passed": passed,
                "examples": total,
                "failed": failed,
                "invalid": invalid,
                "rulesets": report,
            }
        )
    else:
        summary = f"{total} example{'s' if total != 1 else ''}: {total - failed} passed"
        summary += f", {failed} failed" if failed else ""
        summary += f"; {invalid} invalid ruleset{'s' if invalid != 1 else ''}" if invalid else ""
        typer.echo(("\n" if report else "") + summary)
    if invalid:
        raise typer.Exit(int(ExitCode.BAD_INPUT))
    if failed:
        raise typer.Exit(int(ExitCode.FINDING))
