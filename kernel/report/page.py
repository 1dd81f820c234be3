"""The report page: static HTML for every table and fact (readable without scripts), chart
containers that ``report.js`` fills with Apache ECharts, and the data as embedded JSON."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from html import escape
from importlib import resources
from typing import Any

from tierkit.numbers import number

ECHARTS_VERSION = "6.1.0"
"""The vendored Apache ECharts (``vendor/echarts.min.js``, from the npm package ``echarts``)."""
COLORS = ["#1f6f8b", "#e07a1f", "#6a994e", "#8e5ea2", "#c94f4f", "#3a86c8", "#b58b00", "#7d7d7d"]
"""Category colours in outcome order (the first outcome, the best, first)."""
LICENSES = (
    ("Apache ECharts", "LICENSE-echarts.txt"),
    ("Apache ECharts NOTICE", "NOTICE-echarts.txt"),
    ("zrender (bundled in ECharts)", "LICENSE-zrender.txt"),
    ("d3 (parts bundled in ECharts)", "LICENSE-d3.txt"),
)
NUM = ' class="num"'
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


@cache
def asset(name: str) -> str:
    """A file shipped with the report package (the template, the script, the chart library)."""
    return resources.files("tierkit.report").joinpath(name).read_text(encoding="utf-8")


def render_page(data: Mapping[str, Any], store: str) -> str:
    """The complete, self-contained HTML page for the report data."""
    run = data["run"]
    title = f"tierkit report · {run['ruleset']} · as of {run['as_of']}"
    body = "\n".join(
        [
            _header(data),
            _nav(),
            "<main>",
            _run(data),
            _categories(data),
            _pareto(data),
            _criteria(data),
            _transitions(data),
            _strategies(data),
            _policies(data),
            _customers(data),
            "</main>",
            _footer(data, store),
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


# --------------------------------------------------------------------------------------------
# formatting


def count(n: Any) -> str:
    return "—" if n is None else f"{int(n):,}"


def share(x: Any, digits: int = 1) -> str:
    return "—" if x is None else f"{float(x) * 100:.{digits}f}%"


def money(v: Any) -> str:
    return "—" if v is None else f"{float(v):,.2f}"


def plain(v: Any) -> str:
    if v is None:
        return "—"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return number(v, 6) if abs(v) < 1e6 else f"{v:,.2f}"  # never 1.5e-05
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


# --------------------------------------------------------------------------------------------
# sections


def _header(data: Mapping[str, Any]) -> str:
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


def _nav() -> str:
    links = "".join(f'<a href="#{key}">{escape(title)}</a>' for key, title in SECTIONS)
    return f'<nav class="sections">{links}</nav>'


def _run(data: Mapping[str, Any]) -> str:
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


def _categories(data: Mapping[str, Any]) -> str:
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
            *(
                [td(money(row["value_losses"]), "num", field="value_losses")]
                if losses
                else []
            ),
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


def _pareto(data: Mapping[str, Any]) -> str:
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


def _criteria(data: Mapping[str, Any]) -> str:
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


def _change_chips(changes: Mapping[str, int], total: int | None = None) -> str:
    names = {"up": "up", "down": "down", "same": "same", "new": "new", "gone": "gone"}
    chips = []
    for key, n in changes.items():
        cls = " up" if key == "up" else " down" if key == "down" else ""
        chips.append(
            f'<span class="chip{cls}" data-change="{escape(key)}" data-value="{n}">'
            f"{escape(names.get(key, key))} <b>{count(n)}</b></span>"
        )
    if total is not None:
        chips.append(
            f'<span class="chip" data-field="movers_total" data-value="{total}">'
            f"moved <b>{count(total)}</b></span>"
        )
    return f'<div class="chips">{"".join(chips)}</div>'


def _transitions(data: Mapping[str, Any]) -> str:
    t = data["transitions"]
    run = data["run"]
    decision = data["decision"]
    if t is None:
        content = (
            f'<p class="note" data-field="no-previous">The store has no earlier run of '
            f"{escape(run['ruleset'])} with strategy {escape(str(run['strategy']))}, so there "
            "is nothing to compare with. Evaluate the ruleset with an earlier as-of date into "
            'the same store, e.g.</p><pre class="command">'
            + escape(
                f"tierkit evaluate {run['ruleset']} --data {data['data_location']} "
                f"--as-of EARLIER-DATE --strategy {run['strategy']} --store {data['store']}"
            )
            + "</pre>"
        )
        return section("transitions", "Transitions", content)
    outcomes = data["outcomes"]
    previous = t["previous"]
    matrix = t["matrix"]
    header = [(f"{previous['as_of']} \\ {run['as_of']}", False)] + [
        (c, True) for c in matrix["columns"]
    ]
    rows = []
    for label, cells in zip(matrix["rows"], matrix["counts"], strict=True):
        tds = [td(swatch(label, outcomes) + escape(label), "cat")]
        for column, n in zip(matrix["columns"], cells, strict=True):
            cls = "num diagonal" if column == label else "num zero" if not n else "num"
            tds.append(td(count(n) if n else "·", cls, source=label, target=column, value=n))
        rows.append(f"<tr>{''.join(tds)}</tr>")
    others = "".join(
        f"<h4>{escape(o['decision'])}</h4>" + _change_chips(o["changes"]) for o in t["others"]
    )
    movers = []
    for m in t["movers"]:
        steps = m.get("steps")
        change = escape(str(m.get("change") or "unranked"))
        if steps:
            change += f" {abs(int(steps))}"
        rule = m.get("rule")
        where = "default" if rule == 0 else f"rule {rule}" if rule is not None else ""
        why = ": ".join(x for x in (where, m.get("because") or "") if x)
        movers.append(
            "<tr>"
            + td(escape(str(m["customer_id"])))
            + td(escape(str(m.get("name") or "")))
            + td(
                swatch(str(m["from"]), outcomes)
                + escape(str(m["from"]))
                + " → "
                + swatch(str(m["to"]), outcomes)
                + escape(str(m["to"])),
                "cat",
            )
            + td(change, "up" if m.get("change") == "up" else "down")
            + td(escape(why))
            + td(escape(str(m.get("override") or "")))
            + td(money(m.get("value")), "num")
            + "</tr>"
        )
    movers_headers = [
        ("customer", False),
        ("name", False),
        ("from → to", False),
        ("change", False),
        ("rule that decided the new value", False),
        ("override", False),
        ("value", True),
    ]
    content = (
        f"<p>From run <code>{escape(previous['run_id'][:8])}</code> (as of "
        f"{escape(previous['as_of'])}, {count(previous['customers'])} customers) to this run, "
        f"{escape(decision)}:</p>"
        + _change_chips(t["changes"], t["movers_total"])
        + '<div class="grid2"><div class="card">'
        + chart("chart-sankey", "tall", "customers moving between categories")
        + "</div><div>"
        + table(header, rows, table_id="transition-matrix")
        + '<p class="note">Rows: the category in the previous run; columns: in this run. '
        "(new) counts customers only in this run, (gone) those only in the previous one.</p>"
        + others
        + "</div></div>"
        + f"<h3>Biggest movers ({count(len(t['movers']))} of {count(t['movers_total'])})</h3>"
        + (
            table(movers_headers, movers, table_id="movers-table")
            if movers
            else '<p class="note">No customer changed category.</p>'
        )
        + '<p class="note">Sorted by how many categories a customer moved, then by value. '
        "Every customer's rule and reason are in the customer table below.</p>"
    )
    return section("transitions", "Transitions since the previous run", content)


def _strategies(data: Mapping[str, Any]) -> str:
    s = data["strategies"]
    outcomes = data["outcomes"]
    if not s["others"]:
        content = (
            '<p class="note" data-field="no-strategies">The store holds no run of this ruleset '
            f"and as-of date under another strategy than {escape(s['strategy'])}. To see how "
            "another strategy would sort the same customers, preview it (nothing is saved):</p>"
            f'<pre class="command">{escape(s["compare_command"])}</pre>'
            '<p class="note">or store a run under it, and build this report again:</p>'
            f'<pre class="command">{escape(s["store_command"])}</pre>'
        )
        return section("strategies", "Strategy comparison", content)
    parts = [
        f"<p>The same customers as of {escape(data['run']['as_of'])} under strategy "
        f"<b>{escape(s['strategy'])}</b> (this run) and under "
        + ", ".join(f"<b>{escape(o['strategy'])}</b>" for o in s["others"])
        + " (stored runs).</p>",
        '<div class="card">'
        + chart("chart-strategies", label="customers per category under each strategy")
        + "</div>",
    ]
    for other in s["others"]:
        rows = []
        theirs = {c["category"]: c for c in other["categories"]}
        ours = {c["category"]: c for c in data["categories"]}
        for o in other["overlap"]:
            mine, their = ours.get(o["category"], {}), theirs.get(o["category"], {})
            rows.append(
                f'<tr data-category="{escape(o["category"])}">'
                + td(swatch(o["category"], outcomes) + escape(o["category"]), "cat")
                + td(count(o["in_first"]), "num", value=o["in_first"])
                + td(count(o["in_second"]), "num", value=o["in_second"])
                + td(count(o["in_both"]), "num", value=o["in_both"])
                + td(share(o["overlap"]), "num")
                + td(share(mine.get("value_share")), "num")
                + td(share(their.get("value_share")), "num")
                + "</tr>"
            )
        headers = [
            (data["decision"], False),
            (f"under {s['strategy']}", True),
            (f"under {other['strategy']}", True),
            ("under both", True),
            ("overlap (both / either)", True),
            (f"share of {s['strategy']} value", True),
            (f"share of {other['strategy']} value", True),
        ]
        parts.append(
            f"<h3>{escape(s['strategy'])} → {escape(other['strategy'])} "
            f'<span class="muted">(run {escape(other["run_id"][:8])}, saved '
            f"{escape(other['created_at'])})</span></h3>"
            + _change_chips(other["changes"])
            + table(headers, rows, strategy=other["strategy"])
        )
    parts.append(
        '<p class="note">A share of value is the category\'s share of the positive total of '
        "that strategy's value (losses, such as a loss-making customer's net profit, are left "
        "out of it).</p>"
    )
    return section("strategies", "Strategy comparison", "".join(parts))


def _policies(data: Mapping[str, Any]) -> str:
    p = data["policies"]
    if not p["keys"]:
        return section(
            "policies", "Policies", '<p class="note">The ruleset defines no policies.</p>'
        )
    outcomes = data["outcomes"]
    rows = []
    for row in p["rows"]:
        cells = [td(swatch(row["category"], outcomes) + escape(row["category"]), "cat")]
        for key in p["keys"]:
            value = row["values"].get(key)
            cells.append(
                td(escape(plain(value)) if row["known"] else '<span class="muted">?</span>')
            )
        rows.append(f'<tr data-category="{escape(row["category"])}">{"".join(cells)}</tr>')
    headers = [(data["decision"], False)] + [(k, False) for k in p["keys"]]
    unknown = [r["category"] for r in p["rows"] if not r["known"]]
    note = (
        f'<p class="note">No customer is in {escape(", ".join(unknown))}, so the run does not '
        "show its policy (read from the results).</p>"
        if unknown
        else ""
    )
    return section(
        "policies", "Policies by category", table(headers, rows, table_id="policy-table") + note
    )


def _customers(data: Mapping[str, Any]) -> str:
    c = data["customers"]
    decision = data["decision"]
    options = "".join(f'<option value="{escape(o)}">{escape(o)}</option>' for o in data["outcomes"])
    has_change = any(col["key"] == f"{decision}.change" for col in c["columns"])
    change = (
        '<select id="customer-change" aria-label="change"><option value="">any change</option>'
        + "".join(f'<option value="{v}">{v}</option>' for v in ("up", "down", "same", "new"))
        + "</select>"
        if has_change
        else ""
    )
    sizes = "".join(f'<option value="{n}">{n} per page</option>' for n in (25, 50, 100, 250))
    limited = (
        f'<p class="note" data-field="limited">The run has {count(c["total"])} customers; this '
        f"table holds the {count(c['shown'])} with the highest value (at most "
        f"{count(c['limit'])}: <code>--max-customers</code> changes it). Every chart and count "
        "above covers all of them.</p>"
        if c["limited"]
        else f'<p class="note">All {count(c["total"])} customers. Click a heading to sort; the '
        "search matches every text column (id, name, category, reason, override).</p>"
    )
    content = (
        limited
        + '<div class="table-tools">'
        + '<input type="search" id="customer-search" placeholder="Search id, name, reason…" '
        'aria-label="search customers">'
        + f'<select id="customer-category" aria-label="{escape(decision)}">'
        f'<option value="">every {escape(decision)}</option>{options}</select>'
        + change
        + f'<select id="customer-page-size" aria-label="rows per page">{sizes}</select>'
        + '<button type="button" id="customer-csv">Download CSV (as filtered)</button></div>'
        + '<div class="note" id="customer-status"></div>'
        + '<div class="table-wrap"><table class="data" id="customer-table"'
        + f' data-rows="{c["shown"]}"><thead></thead><tbody></tbody></table></div>'
        + '<div class="pager"><button type="button" id="customer-first">« first</button>'
        + '<button type="button" id="customer-prev">‹ previous</button>'
        + '<span id="customer-page"></span>'
        + '<button type="button" id="customer-next">next ›</button>'
        + '<button type="button" id="customer-last">last »</button></div>'
        + "<noscript><p>The customer table and the charts need JavaScript; every other table "
        "on this page does not.</p></noscript>"
    )
    return section("customers", "Customers", content)


def _footer(data: Mapping[str, Any], store: str) -> str:
    licenses = "".join(
        f"<details><summary>{escape(name)}</summary><pre>{escape(asset('vendor/' + file))}"
        "</pre></details>"
        for name, file in LICENSES
    )
    return (
        f"<footer><p>Made by tierkit {escape(str(data['tierkit']))} on "
        f"{escape(data['generated_at'])} from the history store {code(store)}. "
        "This page is self-contained: it needs no network. Charts are drawn with Apache "
        f"ECharts {ECHARTS_VERSION} (Apache License 2.0), inlined.</p>{licenses}</footer>"
    )
