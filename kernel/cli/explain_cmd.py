"""``tierkit explain``: why each customer got its category, and what would change it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tierkit.cli.common import guarded, print_json
from tierkit.cli.evaluate_cmd import parse_date
from tierkit.evaluate import default_as_of, evaluate
from tierkit.evaluate.explain import describe, explain_customers
from tierkit.history import DEFAULT_STORE
from tierkit.registry import get_registry
from tierkit.shipped import resolve_ruleset_paths


def register(app: typer.Typer) -> None:
    app.command("explain")(explain)


@guarded
def explain(
    ruleset: Annotated[
        str, typer.Argument(help="A ruleset file or a shipped ruleset's name.", show_default=False)
    ],
    customers: Annotated[
        list[str], typer.Argument(help="One or more customer ids.", show_default=False)
    ],
    data: Annotated[
        str,
        typer.Option("--data", "-d", help="The data source, as for evaluate.", show_default=False),
    ],
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="YYYY-MM-DD; default: the first day of the current month."),
    ] = None,
    strategy: Annotated[
        str | None, typer.Option("--strategy", "-s", help="Replace the ruleset's strategy.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for machines.")] = False,
    store: Annotated[
        Path,
        typer.Option(
            "--store",
            envvar="TIERKIT_STORE",
            help="The history store whose latest earlier run previous.* reads, and "
            "whose overrides apply (nothing is saved).",
        ),
    ] = Path(DEFAULT_STORE),
    no_store: Annotated[bool, typer.Option("--no-store", help="Use no history store.")] = False,
) -> None:
    """Explain decisions: every value the rules used, every rule with whether it held (and
    which values were missing), the rule that decided, and the near miss — the nearest better
    outcome and what would have to change to reach it.

    Example: tierkit explain vip-monthly C0000042 --data ./tierkit-demo
    """
    [path] = resolve_ruleset_paths([ruleset])[:1]
    registry = get_registry()
    run = evaluate(
        path,
        data,
        as_of=parse_date(as_of, "--as-of") or default_as_of(),
        strategy=strategy,
        registry=registry,
        store=None if no_store or not store.exists() else store,
        save=False,
    )
    units = {name: registry.criteria[b.criterion].unit for name, b in run.ruleset.criteria.items()}
    explained = explain_customers(run.ruleset, registry, run.values, customers, units)
    if as_json:
        print_json([e.as_dict() for e in explained])
        return
    typer.echo("\n\n".join(describe(e) for e in explained))
