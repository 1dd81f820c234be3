"""``tierkit import``, ``tierkit export`` and ``tierkit dmn-tck``: DMN 1.5 in and out."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from tierkit.cli.common import guarded, print_json
from tierkit.cli.options import JsonOption
from tierkit.exitcodes import ExitCode
from tierkit.special_files import refuse_output_target


def register(app: typer.Typer) -> None:
    app.command("import")(import_dmn)
    app.command("export")(export_dmn)
    app.command("dmn-tck")(dmn_tck)


def write_atomically(target: Path, text: str, source: Path | None = None) -> None:
    """Write ``text`` to ``target`` through a temporary file: never a half-written file.

    A folder, a path under a file, and the command's own input file (``source``, which the
    output would replace) are usage errors naming the path.
    """
    refuse_output_target(target, source)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(text)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


@guarded
def import_dmn(
    model: Annotated[
        Path, typer.Argument(help="A DMN 1.1-1.5 model (.dmn XML) or a workbook (.xlsx).")
    ],
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write the ruleset here (else print it).")
    ] = None,
) -> None:
    """Turn a DMN model's decision tables and input data into a ruleset.

    Input data become criteria (customer attributes, `use: customer.NAME`), decision tables
    become decisions with the same hit policy, unary tests become conditions, output values the
    decision's `outcomes`. What cannot be imported is said on standard error.

    A workbook written by `tierkit export --out rules.xlsx` (and edited) is read back: a
    mistake is reported as sheet!cell (docs/excel.md).

    Example: tierkit import model.dmn --out ruleset.yaml
    """
    if out is not None:  # before the model is read: a wrong target costs nothing
        refuse_output_target(out, model, (".yaml", ".yml"), "import writes a ruleset")
    if model.suffix.lower() == ".xlsx":
        from tierkit.workbook.cli import import_xlsx

        return import_xlsx(model, out, write_atomically)
    import yaml

    from tierkit.dmn.convert import to_ruleset
    from tierkit.dmn.read import read_model

    imported = to_ruleset(read_model(model))
    text = yaml.safe_dump(imported.ruleset, sort_keys=False, allow_unicode=True, width=100)
    for message in imported.skipped:
        typer.echo(f"{model}: left out: {message}", err=True)
    if out is None:
        typer.echo(text, nl=False)
    else:
        write_atomically(out, text, source=model)
        decisions = len(imported.ruleset.get("decisions", {}))
        typer.echo(f"{out}: ruleset with {len(imported.inputs)} input(s), {decisions} decision(s)")
    _check_loads(text, str(out or model))


def _check_loads(text: str, name: str) -> None:
    """Say on standard error when the imported ruleset does not load as it is, and why.

    The import itself succeeded: a table without a default output, or an input that is no
    customer attribute here, is for the analyst to settle in the ruleset.
    """
    from tierkit.errors import RulesetInvalid
    from tierkit.ruleset import load_ruleset_text

    try:
        load_ruleset_text(text, name)
    except RulesetInvalid as error:
        count = len(error.problems)
        typer.echo(
            f"note: the ruleset does not load as it is ({count} problem(s)); for example:\n"
            f"{error.problems[0].render()}\n"
            f"edit it (a `default:`, or `use:` to map an input to a criterion) and check it "
            "with `tierkit validate`",
            err=True,
        )


@guarded
def export_dmn(
    ruleset: Annotated[str, typer.Argument(help="A ruleset file or a shipped ruleset's name.")],
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write the DMN model here (else print it).")
    ] = None,
) -> None:
    """Write a ruleset's decision tables as a DMN 1.5 model (for Camunda, Drools/KIE, ...).

    One decision table per decision, with its hit policy (and aggregation), its outcomes as
    output values, each rule's conditions as input entries where they compare a criterion with
    constants (as a FEEL expression otherwise).

    With --out NAME.xlsx, an Excel workbook instead: a sheet per decision table, the rest on
    their own sheets, read back by `tierkit import` (docs/excel.md).

    Example: tierkit export rulesets/vip-monthly.yaml --out vip-monthly.dmn
    """
    from tierkit.dmn.write import write_model
    from tierkit.errors import UsageError
    from tierkit.ruleset import load_ruleset
    from tierkit.shipped import resolve_ruleset_paths

    paths = resolve_ruleset_paths([ruleset])
    if len(paths) != 1:
        raise UsageError(f"'{ruleset}' names {len(paths)} rulesets; export one at a time")
    if out is not None:
        kinds = (".dmn", ".xml", ".xlsx")
        refuse_output_target(out, paths[0], kinds, "export writes a DMN model or a workbook")
    if out is not None and out.suffix.lower() == ".xlsx":
        from tierkit.workbook.cli import export_xlsx

        return export_xlsx(paths[0], out)
    text = write_model(load_ruleset(paths[0]))
    if out is None:
        typer.echo(text, nl=False)
        return
    write_atomically(out, text, source=paths[0])
    typer.echo(f"{out}: DMN 1.5 model written")


@guarded
def dmn_tck(
    folders: Annotated[
        list[Path], typer.Argument(help="DMN TCK folders (searched below for models and tests).")
    ],
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Write tck_results.csv (the vendors' format) here."),
    ] = None,
    engine: Annotated[
        str, typer.Option("--engine", help="vector (default) or durable (durable_rules).")
    ] = "vector",
    as_json: JsonOption = False,
) -> None:
    """Run DMN TCK test cases: each case SUCCESS or ERROR with the reason.

    Every model is imported as a ruleset and each case decided by the vector engine (or
    `--engine durable`). The CSV
    has one line per case: folder, test file, case id, result, detail. Exit 0 when every case
    passes, 1 when any fails.

    Example: tierkit dmn-tck ../shared/dmn-tck/compliance-level-2 --out tck_results.csv
    """
    from tierkit.dmn.tck import SUCCESS, results_csv, run_folders
    from tierkit.errors import UsageError
    from tierkit.evaluation.api import ENGINES

    if engine not in ENGINES:
        raise UsageError(f"unknown engine '{engine}'; choose one of {', '.join(ENGINES)}")
    if out is not None:
        refuse_output_target(out, kinds=(".csv",), writes="dmn-tck writes its results as CSV")
    if engine == "durable":
        from tierkit.engines.durable import load_durable

        load_durable()  # says why not, once, when durable_rules cannot run here
    results = run_folders(folders, engine)
    if not results:  # a wrong folder must not pass as "0 passed, 0 failed"
        named = ", ".join(str(folder) for folder in folders)
        raise UsageError(
            f"{named}: no DMN TCK test cases found (a .dmn model with <testCases> XML files "
            "beside it, in the folder or below)"
        )
    passed = sum(r.result == SUCCESS for r in results)
    failed = len(results) - passed
    if out is not None:
        write_atomically(out, results_csv(results))
    if as_json:
        print_json({"passed": passed, "failed": failed, "cases": [r.as_dict() for r in results]})
    else:
        for r in results:
            line = f"{r.folder}/{r.test_file} {r.case_id}: {r.result}"
            typer.echo(line + (f": {r.detail}" if r.detail else ""))
        typer.echo(f"{passed} passed, {failed} failed")
    if failed:
        raise typer.Exit(int(ExitCode.FINDING))
