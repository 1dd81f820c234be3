"""The report page's first sections: header, navigation, the run, categories, the curves and
the criteria."""

from __future__ import annotations

import json
from collections.abc import Mapping
from html import escape
from typing import Any

from tierkit.report.html import (
    chart,
    code,
    color,
    count,
    money,
    section,
    share,
    swatch,
    table,
    td,
)

SECTIONS = (
    ("run", "Run"),
    ("categories", "Categories"),
    ("pareto", "Pareto curve"),
    ("criteria", "Criteria"),
    ("transitions", "Transitions"),
    ("strategies", "Strategies"),
    ("policies", "Policies"),
    ("customers", "Customers"),
)


def header(data: Mapping[str, Any]) -> str:
    run = data["run"]
    outcomes = data["outcomes"]
    flags = [b for b in data["breakdowns"] if b["kind"] == "flag"]
    of_value = _of_value(data)
    cards = []
    for row in data["categories"]:
        extra = "".join(
            f'<div class="small">{escape(b["decision"])}: '
            f"{count(_flag_count(b, row['category']))}</div>"
            for b in flags
        )
        cards.append(
            f'<div class="kpi" style="--swatch:{color(row["category"], outcomes)}" '
            f'data-category="{escape(row["category"])}">'
            f'<div class="name">{escape(row["category"])}</div>'
            f'<div class="big">{count(row["customers"])}</div>'
            f'<div class="small">{share(row["customer_share"])} of customers · '
            f"{share(row['value_share'])} {of_value}</div>{extra}</div>"
        )
    lede = (
        f"{count(run['customers'])} customers · strategy {escape(str(run['strategy']))} · "
        f"run {escape(run['run_id'][:8])} · saved {escape(run['created_at'])}"
    )
    return (
        '<header class="top"><div class="brand">tierkit report</div>'
        f"<h1>{escape(run['ruleset'])} <span>as of {escape(run['as_of'])}</span></h1>"
        f'<p class="lede">{lede}</p><div class="kpis">{"".join(cards)}</div></header>'
    )


def _of_value(data: Mapping[str, Any]) -> str:
    """How a value share reads: "of positive value" when the run has losses, which the
    positive total leaves out."""
    return "of positive value" if _losses(data) else "of value"


def _losses(data: Mapping[str, Any]) -> bool:
    return bool((data.get("value") or {}).get("has_losses"))


def _totals_text(data: Mapping[str, Any]) -> str:
    """'net total 1,234.00 (positive 1,500.00, losses -266.00)'."""
    value = data["value"]
    return (
        f"net total {money(value['net'])} (positive {money(value['positive'])}, "
        f"losses {money(value['losses'])})"
    )


def _flag_count(breakdown: Mapping[str, Any], category: str) -> int:
    cell = breakdown["per_category"].get(category, {}).get("true", {})
    return int(cell.get("customers", 0))


def nav() -> str:
    links = "".join(f'<a href="#{key}">{escape(title)}</a>' for key, title in SECTIONS)
    return f'<nav class="sections">{links}</nav>'


def run_section(data: Mapping[str, Any]) -> str:
    run = data["run"]
    sha = run.get("ruleset_sha256") or ""
    facts = [
        ("Run id", code(run["run_id"])),
        ("Saved", escape(run["created_at"])),
        ("As of", escape(run["as_of"])),
        (
            "Ruleset",
            f"{escape(run['ruleset'])}"
            + (f" · {code(run['ruleset_path'])}" if run.get("ruleset_path") else ""),
        ),
        ("Ruleset SHA-256", code(sha) if sha else "—"),
        ("Strategy", escape(str(run["strategy"]))),
        ("Engine · backend", escape(f"{run['engine']} · {run['backend']}")),
        ("Customers", f'<span data-field="customers">{count(run["customers"])}</span>'),
        (
            "Previous run",
            code(run["previous_run"]) if run.get("previous_run") else "none (the first run)",
        ),
        (
            "Overrides",
            f"{count(run['overrides']['in_force'])} in force, "
            f"{count(run['overrides']['applied'])} applied",
        ),
        (
            "Timings",
            escape(" · ".join(f"{k} {v:.3f} s" for k, v in run["timings"].items())) or "—",
        ),
        (
            "Plugins",
            escape(", ".join(f"{p.get('name')} {p.get('version')}" for p in run["plugins"])) or "—",
        ),
    ]
    facts_html = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in facts)
    rows = []
    for t in run["data"]:
        skipped = t.get("skipped") or {}
        skipped_text = "; ".join(f"{count(n)} {reason}" for reason, n in skipped.items())
        rows.append(
            "<tr>"
            + td(escape(str(t["table"])))
            + td(count(t.get("rows")), "num")
            + td(count(t.get("used")), "num")
            + td(escape(skipped_text) or "—")
            + td(escape(str(t.get("first_date") or "—")))
            + td(escape(str(t.get("last_date") or "—")))
            + td(code(str(t.get("origin") or "")))
            + "</tr>"
        )
    headers = [
        ("table", False),
        ("rows", True),
        ("used", True),
        ("skipped", False),
        ("first date", False),
        ("last date", False),
        ("read from", False),
    ]
    manifest = escape(json.dumps(data["manifest"], indent=2, default=str))
    content = (
        f'<dl class="facts">{facts_html}</dl><h3>Data</h3>'
        + (table(headers, rows) if rows else '<p class="note">The manifest lists no tables.</p>')
        + f"<details><summary>The whole manifest (JSON)</summary><pre>{manifest}</pre></details>"
    )
    return section("run", "Run", content)


def categories_section(data: Mapping[str, Any]) -> str:
    outcomes = data["outcomes"]
    breakdowns = data["breakdowns"]
    losses = _losses(data)
    headers = [
        (data["decision"], False),
        ("customers", True),
        ("share of customers", True),
        ("value (net)" if losses else "value", True),
        *([("losses", True)] if losses else []),
        ("share of positive value" if losses else "share of value", True),
    ]
    extra_columns: list[tuple[dict[str, Any], str]] = []
    for b in breakdowns:
        for text in b["labels"]:
            title = b["decision"] if b["kind"] == "flag" else f"{b['decision']}: {text}"
            headers.append((title, True))
            extra_columns.append((b, text))
    rows = []
    for row in data["categories"]:
        cells = [
            td(swatch(row["category"], outcomes) + escape(row["category"]), "cat"),
            td(count(row["customers"]), "num", field="customers", value=row["customers"]),
            td(
                share(row["customer_share"]),
                "num",
                field="customer_share",
                value=row["customer_share"],
            ),
            td(money(row["value"]), "num", field="value", value=row["value"]),
            *([td(money(row["value_losses"]), "num", field="value_losses")] if losses else []),
            td(share(row["value_share"]), "num", field="value_share", value=row["value_share"]),
        ]
        for b, text in extra_columns:
            cell = b["per_category"].get(row["category"], {}).get(text, {})
            n = int(cell.get("customers", 0))
            cells.append(
                f'<td class="num" title="their value: {money(cell.get("value"))}" '
                f'data-field="{escape(b["decision"])}={escape(text)}" data-value="{n}">'
                f"{count(n)}</td>"
            )
        rows.append(f'<tr data-category="{escape(row["category"])}">{"".join(cells)}</tr>')
    total_customers = sum(r["customers"] for r in data["categories"])
    total_value = data["value"]["net"]
    totals = [
        td("total"),
        td(count(total_customers), "num", field="customers", value=total_customers),
        td("100.0%", "num"),
        td(money(total_value), "num", field="value", value=round(total_value, 2)),
        *([td(money(data["value"]["losses"]), "num", field="value_losses")] if losses else []),
        td("100.0%" if any(r["value_share"] for r in data["categories"]) else "—", "num"),
    ]
    for b, text in extra_columns:
        totals.append(td(count(b["total"][text]), "num", field=f"{b['decision']}={text}"))
    rows.append(f'<tr class="total">{"".join(totals)}</tr>')
    note = "Value is the strategy's value over the ruleset's window."
    if losses:
        note += (
            " Some customers have losses: each category's share is of the positive total (the "
            f"positive values added up), so losses never push a share past 100%; "
            f"{_totals_text(data)}."
        )
    if extra_columns:
        note += (
            " The other decisions' columns count the category's customers with that value "
            "(hover for their value)."
        )
    content = (
        '<div class="split"><div class="table-side">'
        + table(headers, rows, table_id="category-table")
        + f'<p class="note">{escape(note)}</p></div>'
        + '<div class="card chart-side">'
        + chart("chart-categories", label="share of customers and of value per category")
        + "</div></div>"
    )
    return section("categories", "Categories", content)


def pareto_section(data: Mapping[str, Any]) -> str:
    p = data["pareto"]
    if not p["points"]:
        return section("pareto", "Pareto curve", f'<p class="note">{escape(p["note"])}</p>')
    bands = "; ".join(
        f"{escape(b['category'])}: {share(b['customer_share'])} of customers, "
        f"{share(b['value_share'])} {_of_value(data)}"
        for b in p["bands"]
    )
    losses = _losses(data)
    of_value = "of the positive value" if losses else "of the value"
    content = (
        f'<p>The top 20% of customers by value hold <b data-field="top_20_value_share">'
        f"{share(p['top_20_value_share'])}</b> {of_value}.</p>"
        + '<div class="card">'
        + chart("chart-pareto", "tall", "cumulative share of value against share of customers")
        + "</div>"
        + f'<p class="note">Customers sorted by value, largest first; the dashed line is an even '
        f"spread. Bands mark each category's share of customers, in category order ({bands}). "
        "Rules may use more than value, so a category's customers need not be the top ones by "
        "value."
        + (
            " Shares are of the positive total: customers with a loss add nothing, and the "
            "curve ends flat at 100%; the whale curve below shows what they cost."
            if losses
            else ""
        )
        + "</p>"
        + _whale(data)
    )
    return section("pareto", "Pareto curve", content)


def _whale(data: Mapping[str, Any]) -> str:
    """The whale curve: cumulative net value by customer rank (profit, or any value with
    losses)."""
    w = data.get("whale") or {}
    if not w.get("points"):
        return ""
    peak = w["peak"]
    if w.get("scale") is not None:
        summit = (
            f'<b data-field="whale_peak">{share(peak["net_share"], 0)}</b> of the net total '
            f"({money(peak['value'])})"
        )
    else:
        summit = f'<b data-field="whale_peak">{money(peak["value"])}</b>'
    text = (
        f"The {count(peak['customers'])} customers with a positive value "
        f"({share(peak['customer_share'])} of customers) earn {summit}; "
        f"{count(w['loss_makers'])} loss-making customers bring it back to the net total of "
        f"{money(w['net'])}."
    )
    return (
        '<h3 id="whale">Whale curve</h3>'
        f"<p>{text}</p>"
        + '<div class="card">'
        + chart("chart-whale", "tall", "cumulative net value against share of customers")
        + "</div>"
        + '<p class="note">Customers sorted by value, best first; the curve adds up their net '
        "value. It rises above the net total (100%) while customers earn, peaks after the last "
        "profitable customer, and falls back as the loss-makers are added."
        + (
            ""
            if w.get("scale") is not None
            else " The net total is zero or negative, so the curve is in amounts, not percent."
        )
        + "</p>"
    )


def criteria_section(data: Mapping[str, Any]) -> str:
    criteria = data["criteria"]
    if not criteria:
        return section(
            "criteria",
            "Criteria",
            '<p class="note">The results keep no criterion or derived value with one value per '
            "customer.</p>",
        )
    cards = []
    for index, criterion in enumerate(criteria):
        missing = [
            f"{count(s['missing'])} in {escape(s['category'])}"
            for s in criterion["per_category"]
            if s.get("missing")
        ]
        kind = {"number": "number", "boolean": "true/false", "text": "text"}[criterion["kind"]]
        note = f"missing: {', '.join(missing)}" if missing else "no missing values"
        cards.append(
            f'<div class="card" data-criterion="{escape(criterion["name"])}">'
            f'<h4>{escape(criterion["name"])} <span class="muted">({kind})</span></h4>'
            + chart(f"chart-criterion-{index}", "small", f"distribution of {criterion['name']}")
            + f'<div class="note">{note}</div></div>'
        )
    intro = (
        "Each criterion and derived value the rules use, per category. Numbers: the box spans "
        "the middle half (25th to 75th percentile) with the median, whiskers reach the 5th and "
        "95th percentile, the diamond is the mean. True/false values: the share that is true. "
        "Hover for the exact figures."
    )
    content = f'<p class="note">{intro}</p><div class="grid3">{"".join(cards)}</div>'
    return section("criteria", "Criteria per category", content)
