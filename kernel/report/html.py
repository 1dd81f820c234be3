"""Small HTML pieces of the report page: numbers as text, cells, tables, chart containers."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from html import escape
from importlib import resources
from typing import Any

from tierkit import numbers
from tierkit.numbers import number

COLORS = ["#1f6f8b", "#e07a1f", "#6a994e", "#8e5ea2", "#c94f4f", "#3a86c8", "#b58b00", "#7d7d7d"]
"""Category colours in outcome order (the first outcome, the best, first)."""
NUM = ' class="num"'
ECHARTS_VERSION = "6.1.0"
"""The vendored Apache ECharts (``vendor/echarts.min.js``, from the npm package ``echarts``)."""


@cache
def asset(name: str) -> str:
    """A file shipped with the report package (the template, the script, the chart library)."""
    return resources.files("tierkit.report").joinpath(name).read_text(encoding="utf-8")


def count(n: Any) -> str:
    return "—" if n is None else f"{int(n):,}"


def share(x: Any, digits: int = 1) -> str:
    return "—" if x is None else numbers.percent(float(x), digits)


def money(v: Any) -> str:
    return "—" if v is None else numbers.money(float(v))


def plain(v: Any) -> str:
    if v is None:
        return "—"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return number(v, 6) if abs(v) < 1e6 else numbers.money(v)  # never 1.5e-05
    return str(v)


def color(category: str, outcomes: Sequence[str]) -> str:
    index = outcomes.index(category) if category in outcomes else len(outcomes)
    return COLORS[index % len(COLORS)]


def swatch(category: str, outcomes: Sequence[str]) -> str:
    return f'<span class="swatch" style="background:{color(category, outcomes)}"></span>'


def attrs(values: Mapping[str, Any]) -> str:
    return "".join(f' {k}="{escape(str(v))}"' for k, v in values.items() if v is not None)


def td(text: str, cls: str | None = None, **data: Any) -> str:
    extra = {"class": cls, **{f"data-{k.replace('_', '-')}": v for k, v in data.items()}}
    return f"<td{attrs(extra)}>{text}</td>"


def table(
    headers: Iterable[tuple[str, bool]],
    rows: Iterable[str],
    table_id: str | None = None,
    **data: Any,
) -> str:
    """A table; ``headers`` are (text, is_number); ``rows`` are rendered ``<tr>`` elements;
    ``data`` become ``data-*`` attributes."""
    head = "".join(f"<th{NUM if num else ''}>{escape(h)}</th>" for h, num in headers)
    extra = {
        "id": table_id,
        "class": "data",
        **{f"data-{k.replace('_', '-')}": v for k, v in data.items()},
    }
    return (
        f"<table{attrs(extra)}><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def chart(chart_id: str, size: str = "", label: str = "") -> str:
    return (
        f'<div class="chart {size}" id="{chart_id}" data-chart="{chart_id}" role="img" '
        f'aria-label="{escape(label)}"></div>'
    )


def section(section_id: str, title: str, content: str) -> str:
    return f'<section id="{section_id}"><h2>{escape(title)}</h2>\n{content}\n</section>'


def code(text: str) -> str:
    return f"<code>{escape(text)}</code>"
