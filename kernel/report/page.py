"""The report page: static HTML for every table and fact (readable without scripts), chart
containers that ``report.js`` fills with Apache ECharts, and the data as embedded JSON."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from html import escape
from typing import Any

from tierkit.report.html import (
    COLORS,
    ECHARTS_VERSION,
    asset,
    share,
)
from tierkit.report.sections_detail import (
    customers_section,
    footer,
    policies_section,
    strategies_section,
    transitions_section,
)
from tierkit.report.sections_overview import (
    categories_section,
    criteria_section,
    header,
    nav,
    pareto_section,
    run_section,
)


def render_page(data: Mapping[str, Any], store: str) -> str:
    """The complete, self-contained HTML page for the report data."""
    run = data["run"]
    title = f"tierkit report · {run['ruleset']} · as of {run['as_of']}"
    body = "\n".join(
        [
            header(data),
            nav(),
            "<main>",
            run_section(data),
            categories_section(data),
            pareto_section(data),
            criteria_section(data),
            transitions_section(data),
            strategies_section(data),
            policies_section(data),
            customers_section(data),
            "</main>",
            footer(data, store),
        ]
    )
    parts = {
        "version": escape(str(data["tierkit"])),
        "title": escape(title),
        "css": asset("report.css"),
        "body": body,
        "data": embed_json(_page_data(data)),
        "echarts_version": ECHARTS_VERSION,
        "echarts": asset("vendor/echarts.min.js"),
        "layout": asset("layout.js"),
        "app": asset("report.js"),
    }
    return re.sub(r"\{\{(\w+)\}\}", lambda m: parts[m.group(1)], asset("page.html"))


def embed_json(value: Any) -> str:
    """JSON that is safe inside a ``<script>`` element (no ``</script>``, no comment opener)."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _page_data(data: Mapping[str, Any]) -> dict[str, Any]:
    """What the script needs: everything but the raw manifest (shown as text instead), and the
    shares as the tables write them, so the charts' labels say the same."""
    categories = [
        {
            **row,
            "customer_share_text": share(row["customer_share"]),
            "value_share_text": share(row["value_share"]),
        }
        for row in data["categories"]
    ]
    kept = {k: v for k, v in data.items() if k != "manifest"}
    return {**kept, "categories": categories, "colors": COLORS}
