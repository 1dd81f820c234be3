"""The ``.xlsx`` side of ``tierkit import`` and ``tierkit export``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import typer


def import_xlsx(model: Path, out: Path | None, write: Callable[[Path, str], None]) -> None:
    """Read a workbook back into ruleset YAML, printed or written to ``out``."""
    from tierkit.workbook.check import import_workbook

    text = import_workbook(model)
    if out is None:
        typer.echo(text, nl=False)
        return
    write(out, text)
    typer.echo(f"{out}: ruleset read from {model}")


def export_xlsx(ruleset: Path, out: Path) -> None:
    """Write a (valid) ruleset file as a workbook."""
    from tierkit.ruleset import load_ruleset
    from tierkit.ruleset.read import read_document
    from tierkit.workbook.write import save_workbook

    compiled = load_ruleset(ruleset)
    save_workbook(read_document(ruleset).data, out)
    typer.echo(f"{out}: workbook with {len(compiled.decisions)} decision sheet(s) written")
