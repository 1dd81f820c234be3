"""``tierkit compare``: the impact of a strategy or ruleset change, before it goes live."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from tierkit.cli.common import guarded, print_json
from tierkit.cli.history_cmd import show_comparison
from tierkit.cli.options import (
    DEFAULT_STORE_PATH,
    AsOfOption,
    DataOption,
    JsonOption,
    NoStoreOption,
    StoreOption,
    as_of_date,
    existing_store,
)
from tierkit.errors import UsageError
from tierkit.numbers import percent
from tierkit.shipped import resolve_ruleset_path

if TYPE_CHECKING:
    from tierkit.evaluation import Run


def register(app: typer.Typer) -> None:
    app.command("compare")(compare)


@guarded
def compare(
    rulesets: Annotated[
        list[str],
        typer.Argument(
            help="One ruleset (with two --strategy), or two rulesets (old, new).",
            show_default=False,
        ),
    ],
    data: DataOption,
    strategies: Annotated[
        list[str] | None,
        typer.Option(
            "--strategy",
            "-s",
            help="Give twice to compare two strategies on one "
            "ruleset; once to use it for both rulesets.",
        ),
    ] = None,
    as_of: AsOfOption = None,
    decision: Annotated[
        str | None,
        typer.Option("--decision", help="The decision to compare (default: the main decision)."),
    ] = None,
    limit: Annotated[
        int, typer.Option("--limit", "-n", min=0, help="How many movers to show (0: all).")
    ] = 10,
    store: StoreOption = DEFAULT_STORE_PATH,
    no_store: NoStoreOption = False,
    as_json: JsonOption = False,
) -> None:
    """Compare the same customers under two strategies or two rulesets: per category, how
    many are in both (the overlap); a transition matrix; and the customers who move most, with
    the rule that moves them. Nothing is saved: this is the preview before a change goes live.

    Examples:
      tierkit compare vip-monthly --strategy working-capital --strategy net-profit --data demo
      tierkit compare rules-2025.yaml rules-2026.yaml --data demo
    """
    from tierkit.evaluation import evaluate
    from tierkit.history import category_overlap, change_counts, movers, transition_matrix
    from tierkit.history.compare import label
    from tierkit.registry import get_registry

    chosen = strategies or []
    paths = [resolve_ruleset_path(ruleset) for ruleset in rulesets]
    if len(paths) == 1 and len(chosen) == 2:
        plans: list[tuple[Path, str | None]] = [(paths[0], chosen[0]), (paths[0], chosen[1])]
    elif len(paths) == 2 and len(chosen) <= 1:
        plans = [(p, chosen[0] if chosen else None) for p in paths]
    else:
        raise UsageError(
            "give one ruleset and --strategy twice, or two rulesets (and at most one --strategy)"
        )
    registry = get_registry()
    day = as_of_date(as_of)
    history = existing_store(store, no_store)
    runs = [
        evaluate(p, data, as_of=day, strategy=s, registry=registry, store=history, save=False)
        for p, s in plans
    ]
    first, second = runs
    name = decision or first.ruleset.primary_decision
    for run in runs:
        if name not in run.ruleset.decisions or run.ruleset.decisions[name].hit != "first":
            raise UsageError(
                f"ruleset '{run.ruleset.name}' has no decision '{name}' with one "
                "value per customer to compare"
            )
    chosen_decision = second.ruleset.decisions[name]
    a, b = first.results, second.results
    matrix = transition_matrix(a, b, chosen_decision)
    counts = change_counts(a, b, chosen_decision)
    top = movers(a, b, chosen_decision, limit if limit > 0 else None)
    overlap = category_overlap(a, b, name, [label(o) for o in chosen_decision.outcomes])
    labels = [_label(run) for run in runs]
    if as_json:
        print_json(
            {
                "first": labels[0],
                "second": labels[1],
                "decision": name,
                "overlap": overlap,
                "changes": counts,
                "matrix": matrix.to_dicts(),
                "movers": top.to_dicts(),
            }
        )
        return
    lines = [
        f"{o['category']}: {o['in_first']:,} under the first, {o['in_second']:,} under the second, "
        f"{o['in_both']:,} under both ("
        + ("-" if o["overlap"] is None else percent(o["overlap"], 0))
        + " of either)"
        for o in overlap
    ]
    typer.echo(f"first:  {labels[0]}\nsecond: {labels[1]}\n" + "\n".join(lines))
    show_comparison(f"{name}: first → second", name, matrix, counts, top)


def _label(run: Run) -> str:
    return f"{run.ruleset.name} ({run.ruleset.path}), strategy {run.ruleset.strategy}"
