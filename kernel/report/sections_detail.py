"""The report page's later sections: transitions, strategies, policies, customers, footer."""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from typing import Any

from tierkit.report.html import (
    ECHARTS_VERSION,
    asset,
    chart,
    code,
    count,
    money,
    plain,
    section,
    share,
    swatch,
    table,
    td,
)

LICENSES = (
    ("Apache ECharts", "LICENSE-echarts.txt"),
    ("Apache ECharts NOTICE", "NOTICE-echarts.txt"),
    ("zrender (bundled in ECharts)", "LICENSE-zrender.txt"),
    ("d3 (parts bundled in ECharts)", "LICENSE-d3.txt"),
)


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


def transitions_section(data: Mapping[str, Any]) -> str:
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


def strategies_section(data: Mapping[str, Any]) -> str:
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


def policies_section(data: Mapping[str, Any]) -> str:
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


def customers_section(data: Mapping[str, Any]) -> str:
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


def footer(data: Mapping[str, Any], store: str) -> str:
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
