"""``tierkit plugins``, ``tierkit schema`` and ``tierkit rulesets``: what is installed."""

from __future__ import annotations

import json

import typer

from tierkit.cli.common import guarded, print_json
from tierkit.cli.options import JsonOption
from tierkit.shipped import shipped_rulesets


def register(app: typer.Typer) -> None:
    app.command("plugins")(plugins)
    app.command("schema")(schema)
    app.command("rulesets")(rulesets)


@guarded
def plugins(as_json: JsonOption = False) -> None:
    """List installed plugins with their package and version, criteria, strategies and functions.

    Set TIERKIT_PLUGINS=name,name to load only some plugins; TIERKIT_TRACE_HOOKS=1 prints
    every hook call.

    Example: tierkit plugins --json > plugins.json
    """
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from tierkit.registry import get_registry
    from tierkit.ruleset.language import BUILTINS

    registry = get_registry()
    if as_json:
        print_json(
            {
                "plugins": [
                    {
                        "name": p.name,
                        "package": p.package,
                        "version": p.version,
                        "hooks": list(p.hooks),
                    }
                    for p in registry.plugins
                ],
                "criteria": [
                    {
                        "name": c.name,
                        "title": c.title,
                        "unit": c.unit,
                        "better": c.better,
                        "type": c.type.value,
                        "per_period": c.per_period,
                        "description": c.description,
                        "plugin": c.plugin,
                        "params": [
                            {"name": p.name, "type": p.type, "default": p.default} for p in c.params
                        ],
                        "needs": {n.table: [col.name for col in n.columns] for n in c.needs},
                    }
                    for c in registry.criteria.values()
                ],
                "strategies": [
                    {
                        "name": s.name,
                        "title": s.title,
                        "value": s.value,
                        "description": s.description,
                        "plugin": s.plugin,
                    }
                    for s in registry.strategies.values()
                ],
                "functions": [
                    {"name": f.name, "description": f.description, "plugin": f.plugin}
                    for f in registry.functions.values()
                ],
            }
        )
        return
    console = Console(highlight=False, width=max(Console().width, 120))
    table = Table("plugin", "package", "version", "hooks", title="Plugins", title_justify="left")
    for p in registry.plugins:
        table.add_row(
            p.name, p.package, p.version, ", ".join(h.removeprefix("tierkit_") for h in p.hooks)
        )
    console.print(table)
    table = Table(title="Criteria", title_justify="left")
    table.add_column("criterion", no_wrap=True)
    table.add_column("unit", no_wrap=True)
    table.add_column("better", no_wrap=True)
    table.add_column("description", min_width=30)
    table.add_column("plugin", no_wrap=True)
    for c in sorted(registry.criteria.values(), key=lambda c: c.name):
        table.add_row(c.name, c.unit, c.better, escape(c.description), c.plugin)
    console.print(table)
    table = Table(
        "strategy", "value", "description", "plugin", title="Strategies", title_justify="left"
    )
    for s in registry.strategies.values():
        table.add_row(s.name, s.value, escape(s.description), s.plugin)
    console.print(table)
    table = Table("function", "description", "from", title="Functions", title_justify="left")
    for b in BUILTINS:
        table.add_row(escape(b.signature), escape(b.summary), "built in")
    for f in registry.functions.values():
        args = ", ".join(a.name + ("?" if a.optional else "") for a in f.args)
        table.add_row(escape(f"{f.name}({args})"), escape(f.description), f.plugin)
    console.print(table)


@guarded
def schema() -> None:
    """Print the JSON Schema of ruleset files (for editors: see docs/ruleset-reference.md).

    Example: tierkit schema > ruleset.schema.json
    """
    from tierkit.ruleset.model import json_schema

    typer.echo(json.dumps(json_schema(), indent=2))


@guarded
def rulesets(as_json: JsonOption = False) -> None:
    """List the rulesets shipped with tierkit; use a name wherever a ruleset file is asked.

    Example: tierkit rulesets --json
    """
    found = shipped_rulesets()
    if as_json:
        print_json({name: str(path) for name, path in found.items()})
        return
    for name, path in found.items():
        typer.echo(f"{name:20} {path}")
