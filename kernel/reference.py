"""Generate the criteria and strategies references (docs/criteria.md, docs/strategies.md).

The pages are written from the registry, so they say exactly what the plugins declare;
tests/test_reference.py fails when the committed pages drift from it. Regenerate with::

    python -m tierkit.reference criteria > docs/criteria.md
    python -m tierkit.reference strategies > docs/strategies.md

By default only tierkit's own (built-in) plugins are documented, so other installed plugins do
not leak into tierkit's docs; ``--installed`` documents every installed plugin instead.
"""

from __future__ import annotations

import argparse
import re
import sys
import textwrap
from collections.abc import Callable, Sequence
from importlib.metadata import entry_points
from typing import Any

from tierkit.contract import Criterion, Param, Strategy, TableNeed, ValueType
from tierkit.numbers import number
from tierkit.registry import (
    ENTRY_POINT_GROUP,
    Registry,
    build_registry,
    get_registry,
    make_plugin_manager,
)

DISTRIBUTION = "tierkit"
WIDTH = 100
PAGES = {"criteria": "docs/criteria.md", "strategies": "docs/strategies.md"}


def builtin_registry() -> Registry:
    """A registry of the plugins that ship with tierkit, whatever else is installed."""
    found: dict[str, object] = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.dist is not None and ep.dist.name == DISTRIBUTION and ep.name not in found:
            found[ep.name] = ep.load()
    extra = sorted(found.items())
    return build_registry(make_plugin_manager(extra=extra, load_entry_points=False))


# --------------------------------------------------------------------------------------------
# criteria


def criteria_markdown(registry: Registry) -> str:
    """The criteria reference: a summary table, then one section per criterion, by name."""
    criteria = sorted(registry.criteria.values(), key=lambda c: c.name)
    lines = [
        *_generated("criteria"),
        "# Criteria",
        "",
        *_visible_note("criteria"),
        "A criterion is a measurable fact about a customer, computed from the data by a plugin. "
        "A ruleset names the criteria it uses under `criteria:`, each with `use:` and, where "
        "the criterion allows it, `per: period` (one value per period of the window), "
        "`periods:` (its own number of periods) and `params:`. "
        "[Data formats](data-formats.md) describes the tables and columns they read; "
        "[strategies](strategies.md) lists what `use: value` stands for.",
        "",
        "Without rows: the value of a customer who has no rows in the table (or in the "
        "period) — 0 for sums and counts, *missing* for rates and scores. Nobody is dropped.",
        "",
        "Besides these, every column of the customers table other than `customer_id` and "
        "`name` is a criterion: `region: {use: customer.region}` "
        "([customer attributes](ruleset-reference.md#customer-attributes)).",
        "",
        "| criterion | title | unit | better | type | per period | without rows | plugin |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for c in criteria:
        lines.append(
            f"| [`{c.name}`](#{_slug(c.name)}) | {_cell(c.title)} | {_cell(c.unit)} "
            f"| {c.better} | {c.type.value} | {_yes(c.per_period)} | {_neutral(c)} "
            f"| `{c.plugin}` |"
        )
    for c in criteria:
        lines += ["", *_criterion_section(c)]
    return _page(lines)


def _criterion_section(c: Criterion) -> list[str]:
    use = f"`{_short_name(c.name)}: {{use: {c.name}}}`"
    per = (
        f"allowed: `{{use: {c.name}, per: period}}`"
        if c.per_period
        else "not allowed: one value per customer"
    )
    lines = [
        f"## `{c.name}`",
        "",
        f"**{c.title}.** {c.description}",
        "",
        "| | |",
        "| --- | --- |",
        f"| value | {c.type.value}, unit: {_cell(c.unit)}; {_better(c.better)} |",
        f"| without rows | {_neutral(c)} |",
        *([f"| range | {_range(c)} |"] if _range(c) else []),
        f"| in a ruleset | {use} |",
        f"| `per: period` | {per} |",
        f"| plugin | `{c.plugin}` |",
        "",
        "Reads:",
        "",
        *_needs_table(c.needs),
    ]
    if c.params:
        lines += ["", "Parameters (under `params:`):", "", *_params_table(c.params)]
    else:
        lines += ["", "No parameters."]
    return lines


def _range(c: Criterion) -> str:
    """The declared range (``0 to 1``), or empty when none is declared."""
    low, high = c.minimum, c.maximum
    if low is not None and high is not None:
        return f"{number(low)} to {number(high)}"
    if low is not None:
        return f"{number(low)} or more"
    if high is not None:
        return f"{number(high)} or less"
    return ""


def _needs_table(needs: Sequence[TableNeed]) -> list[str]:
    if not needs:
        return ["nothing (no table)"]
    lines = ["| table | column | type | |", "| --- | --- | --- | --- |"]
    for need in needs:
        for column in need.columns:
            lines.append(
                f"| `{need.table}` | `{column.name}` | {column.type.value} "
                f"| {'optional' if column.optional else 'required'} |"
            )
    return lines


def _params_table(params: Sequence[Param]) -> list[str]:
    lines = [
        "| parameter | type | default | allowed | meaning |",
        "| --- | --- | --- | --- | --- |",
    ]
    for p in params:
        lines.append(
            f"| `{p.name}` | {p.type} | {_literal(p.default)} | {_allowed(p)} "
            f"| {_cell(p.description)} |"
        )
    return lines


# --------------------------------------------------------------------------------------------
# strategies


def strategies_markdown(registry: Registry) -> str:
    """The strategies reference: what ``value`` means under each strategy, and what it reads."""
    strategies = sorted(registry.strategies.values(), key=lambda s: s.name)
    lines = [
        *_generated("strategies"),
        "# Strategies",
        "",
        *_visible_note("strategies"),
        "A strategy says what a customer's `value` means under one company objective. A "
        "ruleset picks one with `strategy:` and uses it with `use: value` under `criteria:`; "
        "`tierkit evaluate --strategy NAME` swaps it without editing the ruleset, so the same "
        "rules rank customers by another objective. Every run records the strategy it used, and "
        "every result row carries the customer's `value` over the whole window; the run's "
        "summary of categories adds it up per category.",
        "",
        "| strategy | title | value is | reads | plugin |",
        "| --- | --- | --- | --- | --- |",
    ]
    for s in strategies:
        criterion = registry.criteria[s.value]
        tables = ", ".join(f"`{n.table}`" for n in criterion.needs) or "nothing"
        lines.append(
            f"| [`{s.name}`](#{_slug(s.name)}) | {_cell(s.title)} "
            f"| [`{s.value}`](criteria.md#{_slug(s.value)}){_params_suffix(s.params)} "
            f"| {tables} | `{s.plugin}` |"
        )
    for s in strategies:
        lines += ["", *_strategy_section(s, registry.criteria[s.value])]
    return _page(lines)


def _strategy_section(s: Strategy, criterion: Criterion) -> list[str]:
    lines = [
        f"## `{s.name}`",
        "",
        f"**{s.title}.** {s.description}",
        "",
        f"`value` is [`{criterion.name}`](criteria.md#{_slug(criterion.name)})"
        f"{_params_suffix(s.params)} — {criterion.title.lower()}, unit: {criterion.unit}; "
        f"{_better(criterion.better)}. {criterion.description}",
        "",
    ]
    if s.params:
        given = ", ".join(f"`{k}` = {_literal(v)}" for k, v in sorted(s.params.items()))
        lines += [
            f"Parameters set by the strategy: {given}; parameters given in the ruleset "
            "override them.",
            "",
        ]
    lines += ["Reads:", "", *_needs_table(criterion.needs), ""]
    if criterion.type == ValueType.NUMBER:
        lines += [*_top_share_example(s, criterion), ""]
    lines.append(f"Plugin: `{s.plugin}`.")
    return lines


def _top_share_example(s: Strategy, criterion: Criterion) -> list[str]:
    """A complete ruleset ranking by the strategy's value (tests/test_reference.py loads it)."""
    title = criterion.title.lower().replace('"', "'")
    return [
        "A ruleset that puts the top 20% by this value in A:",
        "",
        "```yaml",
        "tierkit: 1",
        f"name: top-by-{s.name}",
        f"strategy: {s.name}",
        "criteria:",
        "  worth: {use: value}",
        "derive:",
        "  top: top_share(worth) <= 0.20",
        "decisions:",
        "  category:",
        "    rules:",
        f'      - {{when: top, then: A, because: "Top 20% by {title}"}}',
        "    default: {then: B}",
        "```",
    ]


# --------------------------------------------------------------------------------------------
# formatting


def _page(lines: Sequence[str]) -> str:
    """The page's text, prose lines wrapped at 100 characters (tables and code kept as they are)."""
    out: list[str] = []
    fenced = False
    for line in lines:
        if line.startswith("```"):
            fenced = not fenced
        if fenced or line.startswith(("|", "<!--", "#", "```")) or len(line) <= WIDTH:
            out.append(line)
        else:
            out += textwrap.wrap(line, WIDTH, break_long_words=False, break_on_hyphens=False)
    return "\n".join(out) + "\n"


def _generated(page: str) -> list[str]:
    return [
        f"<!-- Generated by `python -m tierkit.reference {page}` from what the plugins "
        f"declare. Do not edit: regenerate with `python -m tierkit.reference {page} > "
        f"{PAGES[page]}`; tests/test_reference.py fails when this page drifts. -->",
    ]


def _visible_note(page: str) -> list[str]:
    return [
        f"*Generated by `python -m tierkit.reference {page}` from what the plugins declare; "
        "change the plugins, not this page.*",
        "",
    ]


def _slug(name: str) -> str:
    """The anchor GitHub gives the heading ``## `name` ``: lower case, punctuation dropped."""
    return re.sub(r"[^a-z0-9 _-]", "", name.lower()).replace(" ", "-")


def _short_name(name: str) -> str:
    return name.rsplit(".", 1)[-1]


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def _better(better: str) -> str:
    return {
        "higher": "higher is better",
        "lower": "lower is better",
        "neither": "neither higher nor lower is better",
    }.get(better, better)


def _neutral(c: Criterion) -> str:
    return "missing" if c.neutral is None else _literal(c.neutral)


def _literal(value: Any) -> str:
    if isinstance(value, bool):
        return f"`{'true' if value else 'false'}`"
    if value is None:
        return "missing"
    if isinstance(value, str):
        return f"`{value}`" if value else '`""` (empty)'
    return f"`{value}`"


def _allowed(p: Param) -> str:
    if p.type == "choice":
        return ", ".join(f"`{c}`" for c in p.choices)
    bounds = []
    if p.minimum is not None:
        bounds.append(f"≥ {number(p.minimum)}")
    if p.maximum is not None:
        bounds.append(f"≤ {number(p.maximum)}")
    kinds = {"integer": "whole numbers", "number": "numbers", "text": "any text"}
    what = kinds.get(p.type, "`true`, `false`")
    return what + (" " + " and ".join(bounds) if bounds else "")


def _params_suffix(params: Any) -> str:
    if not params:
        return ""
    return " with " + ", ".join(f"`{k}` = {_literal(v)}" for k, v in sorted(params.items()))


# --------------------------------------------------------------------------------------------
# command line

PAGE_MAKERS: dict[str, Callable[[Registry], str]] = {
    "criteria": criteria_markdown,
    "strategies": strategies_markdown,
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tierkit.reference",
        description="Print a generated reference page (Markdown) to standard output.",
    )
    parser.add_argument("page", choices=sorted(PAGE_MAKERS), help="the page to print")
    parser.add_argument(
        "--installed",
        action="store_true",
        help="document every installed plugin, not only tierkit's built-in ones",
    )
    args = parser.parse_args(argv)
    registry = get_registry() if args.installed else builtin_registry()
    sys.stdout.write(PAGE_MAKERS[args.page](registry))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
