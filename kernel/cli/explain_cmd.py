"""``tierkit explain``: why each customer got its category, and what would change it."""

from __future__ import annotations

from typing import Annotated

import typer

from tierkit.cli.common import guarded, print_json
from tierkit.cli.options import (
    DEFAULT_STORE_PATH,
    AsOfOption,
    DataOption,
    JsonOption,
    NoStoreOption,
    RulesetArgument,
    StoreOption,
    StrategyOption,
    as_of_date,
    customer_id,
    existing_store,
)
from tierkit.shipped import resolve_ruleset_path


def register(app: typer.Typer) -> None:
    app.command("explain")(explain)


@guarded
def explain(
    ruleset: RulesetArgument,
    customers: Annotated[
        list[str], typer.Argument(help="One or more customer ids.", show_default=False)
    ],
    data: DataOption,
    as_of: AsOfOption = None,
    strategy: StrategyOption = None,
    as_json: JsonOption = False,
    store: StoreOption = DEFAULT_STORE_PATH,
    no_store: NoStoreOption = False,
) -> None:
    """Explain decisions: every value the rules used, every rule with whether it held (and
    which values were missing), the rule that decided, any override in force (its value, reason,
    who approved it and until when, and the value the rules decided), and the near miss — the
    nearest better outcome and what would have to change to reach it.

    Example: tierkit explain vip-monthly C0000042 --data ./tierkit-demo
    """
    from tierkit.evaluation import evaluate
    from tierkit.evaluation.explain import describe, explain_customers
    from tierkit.registry import get_registry
    from tierkit.ruleset.attributes import criterion_for

    path = resolve_ruleset_path(ruleset)
    registry = get_registry()
    day = as_of_date(as_of)
    history = existing_store(store, no_store)
    run = evaluate(
        path,
        data,
        as_of=day,
        strategy=strategy,
        registry=registry,
        store=history,
        save=False,
    )
    units = {
        name: criterion_for(b, registry.criteria).unit
        for name, b in run.ruleset.criteria.items()
    }
    applied = None
    if history is not None:
        from tierkit.history import HistoryStore, chosen_overrides

        applied = chosen_overrides(HistoryStore(history).list_overrides(), day, run.ruleset.name)
    explained = explain_customers(
        run.ruleset, registry, run.values, [customer_id(c) for c in customers], units,
        run.results, applied,
    )
    if as_json:
        print_json([e.as_dict() for e in explained])
        return
    typer.echo("\n\n".join(describe(e) for e in explained))
