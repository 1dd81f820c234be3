"""'tierkit report': one self-contained HTML file about a stored run.

The fast tests read the page as text: nothing is loaded from the network, the embedded JSON is
valid, and the numbers are the run's. The browser tests render the page in headless Chromium
(Debian's ``chromium``; skipped when it is missing, ``.ci/run`` installs it) with every remote
host unreachable, read the DOM after the scripts ran, check that every chart drew and that the
numbers shown are the run's, and keep a screenshot in ``test-artifacts/report.png``.
"""

from __future__ import annotations

import itertools
import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import typer
from typer.testing import CliRunner

from tierkit.cli import report_cmd
from tierkit.demo import DemoFormat, DemoSpec, generate_demo
from tierkit.evaluation import evaluate
from tierkit.history import (
    HistoryStore,
    StoredDecision,
    change_counts,
    movers,
    transition_matrix,
)
from tierkit.report import ReportOptions, build_report_data, render_report, write_report
from tierkit.report.page import embed_json

ROOT = Path(__file__).resolve().parent.parent
RULESETS = ROOT / "rulesets"
ARTIFACTS = ROOT / "test-artifacts"
AS_OF = date(2026, 1, 1)
EARLIER = date(2025, 12, 1)
CATEGORY = StoredDecision("category", ("A", "B", "C"))
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
]


# --------------------------------------------------------------------------------------------
# a store with three runs of vip-monthly on demo data


@dataclass(frozen=True)
class Runs:
    store: Path
    data: Path
    first: str  # working-capital, as of 2025-12-01
    main: str  # working-capital, as of 2026-01-01 (previous: first)
    other: str  # net-profit, as of 2026-01-01 (the latest)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Runs:
    folder = tmp_path_factory.mktemp("report")
    data = folder / "data"
    generate_demo(DemoSpec(customers=800, months=18, seed=11, as_of=AS_OF), data, DemoFormat.CSV)
    store = folder / "tierkit.duckdb"
    first = evaluate(RULESETS / "vip-monthly.yaml", data, as_of=EARLIER, store=store)
    history = HistoryStore(store)
    customer = first.results.filter(pl.col("category") == "C")["customer_id"][0]
    history.add_override(
        customer,
        "category",
        "A",
        reason="Merger with a key account",
        approved_by="J. Doe",
        valid_until=date(2099, 12, 31),
    )
    main = evaluate(RULESETS / "vip-monthly.yaml", data, as_of=AS_OF, store=store)
    other = evaluate(
        RULESETS / "vip-monthly.yaml", data, as_of=AS_OF, strategy="net-profit", store=store
    )
    return Runs(
        store,
        data,
        first.manifest["run_id"],
        main.manifest["run_id"],
        other.manifest["run_id"],
    )


def share(x: float | None) -> str:
    return "—" if x is None else f"{x * 100:.1f}%"


# --------------------------------------------------------------------------------------------
# the data


def test_the_report_data_is_the_runs(runs: Runs) -> None:
    history = HistoryStore(runs.store)
    manifest = history.run(runs.main)
    data = build_report_data(history, runs.main[:8])
    assert data["run"]["run_id"] == runs.main
    assert data["decision"] == "category"
    assert data["outcomes"] == ["A", "B", "C"]
    counted = {c["category"]: c for c in manifest["categories"]}
    for row in data["categories"]:
        stored = counted.get(row["category"])
        if stored is None:
            assert row["customers"] == 0
            continue
        for key in ("customers", "customer_share", "value", "value_share"):
            assert row[key] == stored[key], (row["category"], key)
    [partners] = data["breakdowns"]
    assert partners["decision"] == "key_partner"
    assert partners["total"] == {"true": manifest["decisions"]["key_partner"].get("true", 0)}
    # transitions: from the run this one was compared with when it ran
    assert manifest["previous_run"] == runs.first
    before, after = history.results(runs.first), history.results(runs.main)
    transitions = data["transitions"]
    assert transitions["previous"]["run_id"] == runs.first
    assert transitions["changes"] == change_counts(before, after, CATEGORY)
    matrix = transition_matrix(before, after, CATEGORY)
    assert transitions["matrix"]["counts"] == [list(r[1:]) for r in matrix.iter_rows()]
    top = movers(before, after, CATEGORY, 25)
    assert [m["customer_id"] for m in transitions["movers"]] == top["customer_id"].to_list()
    counts = transitions["changes"]
    assert transitions["movers_total"] == counts["up"] + counts["down"]
    # the same ruleset and date under another strategy is in the store
    [other] = data["strategies"]["others"]
    assert (other["strategy"], other["run_id"]) == ("net-profit", runs.other)
    assert sum(o["in_first"] for o in other["overlap"]) == manifest["customers"]
    # policies read back from the results
    assert data["policies"]["keys"] == ["account_manager", "payment_terms_days"]
    assert data["policies"]["rows"][0]["values"] == {
        "account_manager": "senior",
        "payment_terms_days": 45,
    }
    # every customer is in the table, with the override
    table = {c["key"]: c for c in data["customers"]["columns"]}
    assert data["customers"]["shown"] == data["customers"]["total"] == manifest["customers"]
    overrides = table["category.override"]
    assert [overrides["dict"][c] for c in overrides["codes"] if c is not None] != []
    # criteria the rules use, each per category
    names = [c["name"] for c in data["criteria"]]
    assert names == ["on_time", "tenure", "vip", "total", "rest", "good"], names
    assert [s["category"] for s in data["criteria"][0]["per_category"]] == ["A", "B", "C"]


def test_pareto_curve_and_bands(runs: Runs) -> None:
    data = build_report_data(HistoryStore(runs.store), runs.main)
    pareto = data["pareto"]
    points = pareto["points"]
    assert points[0] == [0.0, 0.0] and points[-1] == [1.0, 1.0]
    assert all(a[0] < b[0] and a[1] <= b[1] + 1e-9 for a, b in itertools.pairwise(points))
    assert len(points) < 500
    assert [b["category"] for b in pareto["bands"]] == ["A", "B", "C"]
    assert pareto["bands"][0]["from"] == 0 and pareto["bands"][-1]["to"] == pytest.approx(1)
    values = HistoryStore(runs.store).results(runs.main)["value"].sort(descending=True)
    top = values.head(160).sum() / values.sum()  # 20% of 800 customers
    assert pareto["top_20_value_share"] == pytest.approx(top, abs=1e-6)


def test_the_first_run_has_no_transitions_and_says_how_to_get_them(runs: Runs) -> None:
    html, data = render_report(runs.store, runs.first)
    assert data["transitions"] is None
    assert data["strategies"]["others"] == []
    assert "no earlier run of vip-monthly" in html
    assert "tierkit compare vip-monthly --strategy working-capital --strategy net-profit" in html
    assert f"--data {runs.data}" in html


def test_latest_is_the_newest_run_and_compares_with_the_other_strategy(runs: Runs) -> None:
    data = build_report_data(HistoryStore(runs.store), "latest")
    assert data["run"]["run_id"] == runs.other
    assert data["transitions"] is None  # no earlier net-profit run
    assert [o["strategy"] for o in data["strategies"]["others"]] == ["working-capital"]


# --------------------------------------------------------------------------------------------
# the page as text


class Attributes(HTMLParser):
    """Every start tag with its attributes, and the text of each script and style element."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self.styles: list[str] = []
        self._open: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag in ("script", "style"):
            self._open = tag
            if tag == "script":
                self.scripts.append((dict(attrs), ""))
            else:
                self.styles.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == self._open:
            self._open = None

    def handle_data(self, data: str) -> None:
        if self._open == "script":
            attrs, text = self.scripts[-1]
            self.scripts[-1] = (attrs, text + data)
        elif self._open == "style":
            self.styles[-1] += data


def parse(html: str) -> Attributes:
    parser = Attributes()
    parser.feed(html)
    parser.close()
    return parser


def embedded(page: Attributes) -> dict[str, Any]:
    [text] = [t for a, t in page.scripts if a.get("id") == "tierkit-report-data"]
    data: dict[str, Any] = json.loads(text)
    return data


def test_the_page_needs_no_network(runs: Runs, tmp_path: Path) -> None:
    written = write_report(runs.store, runs.main, tmp_path / "report.html")
    html = written.path.read_text(encoding="utf-8")
    page = parse(html)
    remote = re.compile(r"^\s*(https?:)?//", re.IGNORECASE)
    for tag, attrs in page.tags:
        for name in ("src", "href", "srcset", "data", "poster", "action"):
            value = attrs.get(name)
            assert value is None or not remote.match(value), (tag, name, value)
        assert not (tag == "link" and attrs.get("rel") == "stylesheet"), "an external stylesheet"
        assert not (tag == "script" and attrs.get("src")), f"an external script {attrs['src']}"
        assert tag not in ("iframe", "img", "object", "embed"), tag
    for css in page.styles:
        assert "@import" not in css and not re.search(r"url\(\s*['\"]?(https?:)?//", css)
    scripts = [text for attrs, text in page.scripts if attrs.get("id") is None]
    assert len(scripts) == 3  # the chart library, the label placement and the report's script
    assert 't.version="6.1.0"' in scripts[0]
    assert "window.tierkitLayout =" in scripts[1] and "= window.tierkitLayout" in scripts[2]
    for own in scripts[1:]:
        assert "fetch(" not in own and "XMLHttpRequest" not in own
    assert "Apache License" in html and "BSD 3-Clause" in html  # the licences travel along
    assert written.bytes == len(html.encode("utf-8")) < 3_000_000


def test_the_embedded_json_is_valid_and_the_runs(runs: Runs, tmp_path: Path) -> None:
    html, data = render_report(runs.store, runs.main)
    found = embedded(parse(html))
    manifest = HistoryStore(runs.store).run(runs.main)
    assert found["run"]["run_id"] == runs.main
    assert [(c["category"], c["customers"]) for c in found["categories"] if c["customers"]] == [
        (c["category"], c["customers"]) for c in manifest["categories"]
    ]
    assert found["transitions"]["changes"] == data["transitions"]["changes"]
    assert found["customers"]["shown"] == manifest["customers"]


def test_embedded_json_cannot_close_its_script() -> None:
    text = embed_json({"name": "</script><script>alert(1)</script> & <!--"})
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == {"name": "</script><script>alert(1)</script> & <!--"}


def cells(html: str, field: str) -> dict[str, str]:
    """The text of the category table's cells of one field, by category."""
    table = html[html.index('id="category-table"') :]
    table = table[: table.index("</table>")]
    found = {}
    for row in re.finditer(r'<tr data-category="([^"]+)">(.*?)</tr>', table):
        cell = re.search(rf'data-field="{re.escape(field)}"[^>]*>([^<]*)<', row.group(2))
        assert cell is not None, (row.group(1), field)
        found[row.group(1)] = cell.group(1)
    return found


def test_the_numbers_on_the_page_are_the_runs(runs: Runs) -> None:
    html, _ = render_report(runs.store, runs.main)
    manifest = HistoryStore(runs.store).run(runs.main)
    expected = {c["category"]: c for c in manifest["categories"]}
    assert cells(html, "customers") == {k: f"{v['customers']:,}" for k, v in expected.items()}
    assert cells(html, "value_share") == {k: share(v["value_share"]) for k, v in expected.items()}
    assert cells(html, "customer_share") == {
        k: share(v["customer_share"]) for k, v in expected.items()
    }
    assert cells(html, "value") == {k: f"{v['value']:,.2f}" for k, v in expected.items()}
    partners = cells(html, "key_partner=true")
    assert sum(int(v.replace(",", "")) for v in partners.values()) == (
        manifest["decisions"]["key_partner"].get("true", 0)
    )


def test_a_big_run_keeps_the_most_valuable_customers_and_says_so(tmp_path: Path) -> None:
    store = big_store(tmp_path / "big.duckdb", 1_500, runs=1)
    options = ReportOptions(max_customers=1_000, movers=5)
    html, data = render_report(store, "latest", options=options)
    table = data["customers"]
    assert (table["total"], table["shown"], table["limited"]) == (1_500, 1_000, True)
    assert "The run has 1,500 customers; this table holds the 1,000 with the highest value" in html
    values = next(c for c in table["columns"] if c["key"] == "value")["values"]
    results = HistoryStore(store).results("latest")
    assert min(values) >= results["value"].sort(descending=True)[999]
    assert sum(c["customers"] for c in data["categories"]) == 1_500  # charts count everyone


@pytest.mark.parametrize(
    "ruleset",
    ["key-partner", "lifecycle", "points", "pyramid", "value-matrix", "abc-pareto", "rfm"],
)
def test_every_shipped_ruleset_makes_a_report(runs: Runs, ruleset: str, tmp_path: Path) -> None:
    store = tmp_path / "store.duckdb"
    evaluate(RULESETS / f"{ruleset}.yaml", runs.data, as_of=EARLIER, store=store)
    run = evaluate(RULESETS / f"{ruleset}.yaml", runs.data, as_of=AS_OF, store=store)
    html, _ = render_report(store, "latest")
    found = embedded(parse(html))
    primary = run.ruleset.primary_decision
    assert found["decision"] == primary
    assert [c["customers"] for c in found["categories"] if c["customers"]] == [
        c["customers"] for c in run.manifest["categories"]
    ]
    assert found["criteria"], "the rules use criteria"
    assert found["transitions"]["previous"]["as_of"] == EARLIER.isoformat()
    if ruleset == "key-partner":  # a decision that collects values: counted per category
        gates = next(b for b in found["breakdowns"] if b["decision"] == "failed_gates")
        assert gates["kind"] == "collect"
        assert gates["labels"] == ["potential", "margin", "attractiveness"]


# --------------------------------------------------------------------------------------------
# the command


def report_app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def _root() -> None:
        """tierkit"""

    report_cmd.register(app)
    return app


def test_the_command_writes_the_report_and_prints_its_path(runs: Runs, tmp_path: Path) -> None:
    out = tmp_path / "out" / "report.html"
    args = ["report", runs.main[:8], "--store", str(runs.store), "--out", str(out)]
    result = CliRunner().invoke(report_app(), args)
    assert result.exit_code == 0, result.output
    assert f"report: {out} (run {runs.main[:8]}, 800 customers;" in result.stdout
    assert out.read_text(encoding="utf-8").startswith("<!doctype html>")
    result = CliRunner().invoke(
        report_app(), ["report", "--store", str(runs.store), "--out", str(out), "--json"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["run_id"] == runs.other  # latest by default
    assert not list(out.parent.glob(".*partial"))


def test_the_command_names_what_is_wrong(runs: Runs, tmp_path: Path) -> None:
    app = report_app()
    out = str(tmp_path / "r.html")
    result = CliRunner().invoke(app, ["report", "nosuch", "--store", str(runs.store), "-o", out])
    assert result.exit_code == 2
    assert "no run 'nosuch'" in result.stderr
    empty = tmp_path / "empty.duckdb"
    result = CliRunner().invoke(app, ["report", "--store", str(empty), "-o", out])
    assert result.exit_code == 2 and "no runs" in result.stderr
    result = CliRunner().invoke(app, ["report", "--store", str(runs.store), "-o", str(tmp_path)])
    assert result.exit_code == 2 and "is a folder" in result.stderr
    assert not Path(out).exists()


# --------------------------------------------------------------------------------------------
# a synthetic store, as big as needed


def big_store(path: Path, customers: int, runs: int = 2) -> Path:
    """``runs`` runs of ``customers`` customers each, with categories by value."""
    history = HistoryStore(path)
    for number in range(runs):
        ids = [f"K{i:07d}" for i in range(customers)]
        value = pl.Series(
            [float((i * 7919 + number * 104_729) % 100_003) for i in range(customers)]
        )
        rank = value.rank("ordinal", descending=True) / customers
        category = pl.Series(
            ["A" if r <= 0.2 else "B" if r <= 0.5 else "C" for r in rank.to_list()]
        )
        results = pl.DataFrame(
            {
                "customer_id": ids,
                "name": [f"Customer {i} GmbH" for i in range(customers)],
                "category": category,
                "category.rule": category.replace_strict({"A": 1, "B": 2, "C": 0}),
                "category.because": category.replace_strict(
                    {"A": "Top 20% by value", "B": "Next 30% by value", "C": "Everyone else"}
                ),
                "share": rank,
                "value": value,
                "policy.account_manager": category.replace_strict(
                    {"A": "senior", "B": "shared", "C": "none"}
                ),
            }
        )
        total = float(value.sum())
        summary = [
            {
                "category": c,
                "customers": int((category == c).sum()),
                "customer_share": round(int((category == c).sum()) / customers, 6),
                "value": round(float(value.filter(category == c).sum()), 4),
                "value_share": round(float(value.filter(category == c).sum()) / total, 6),
            }
            for c in ("A", "B", "C")
        ]
        manifest = {
            "run_id": f"big{number:029d}",
            "as_of": date(2026, 1 + number, 1).isoformat(),
            "ruleset": {"name": "by-value", "path": "by-value.yaml", "sha256": "0" * 64},
            "strategy": "working-capital",
            "engine": "vector",
            "backend": "polars",
            "customers": customers,
            "categories": summary,
        }
        history.save_run(manifest, results, {"category": CATEGORY})
    return path


# --------------------------------------------------------------------------------------------
# in the browser


def chromium() -> str:
    found = shutil.which("chromium") or (
        "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None
    )
    if found is None:
        pytest.skip(
            "Chromium is not installed here (apt-get install -y chromium); .ci/run installs it "
            "so these tests run in CI"
        )
    return found


def browse(
    page: Path, profile: Path, *extra: str, fragment: str = ""
) -> subprocess.CompletedProcess[str]:
    """Run headless Chromium on the page with every remote host unresolvable."""
    return subprocess.run(
        [
            chromium(),
            *CHROMIUM_FLAGS,
            f"--user-data-dir={profile}",
            "--host-resolver-rules=MAP * ~NOTFOUND",
            "--virtual-time-budget=10000",
            *extra,
            page.resolve().as_uri() + fragment,
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    children: list[Node] = field(default_factory=list)
    text: str = ""

    def walk(self) -> Iterator[Node]:
        yield self
        for child in self.children:
            yield from child.walk()

    def find(self, **attrs: str) -> Node:
        found = [n for n in self.walk() if all(n.attrs.get(k) == v for k, v in attrs.items())]
        assert len(found) == 1, (attrs, len(found))
        return found[0]

    def all_text(self) -> str:
        return self.text + "".join(c.all_text() for c in self.children)

    def texts(self, tag: str) -> list[str]:
        return [n.all_text() for n in self.walk() if n.tag == tag]


VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}


class Tree(HTMLParser):
    """The DOM as Chromium dumped it, as a tree of :class:`Node`."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Node(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        if self.stack[-1].tag not in ("script", "style"):
            self.stack[-1].children.append(Node("#text", {}, text=data))


def rendered(page: Path, tmp_path: Path, fragment: str = "") -> Node:
    done = browse(page, tmp_path / "profile", "--dump-dom", fragment=fragment)
    assert done.returncode == 0, done.stderr[-3000:]
    tree = Tree()
    tree.feed(done.stdout)
    tree.close()
    return tree.root


def screenshot(page: Path, tmp_path: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    done = browse(
        page,
        tmp_path / "profile-shot",
        "--hide-scrollbars",
        "--window-size=1400,6400",
        f"--screenshot={target}",
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def check_charts(dom: Node, data: dict[str, Any]) -> dict[str, Node]:
    """Every chart container has drawn SVG; returns them by id."""
    body = next(n for n in dom.walk() if n.tag == "body")
    assert body.attrs.get("data-report-ready") == "true", [
        n.all_text() for n in dom.walk() if n.attrs.get("id") == "report-errors"
    ]
    charts = {n.attrs["id"]: n for n in dom.walk() if "data-chart" in n.attrs}
    expected = {"chart-categories", "chart-pareto"}
    if data["whale"]["points"]:
        expected.add("chart-whale")
    expected |= {f"chart-criterion-{i}" for i in range(len(data["criteria"]))}
    if data["transitions"]:
        expected.add("chart-sankey")
    if data["strategies"]["others"]:
        expected.add("chart-strategies")
    assert set(charts) == expected
    assert body.attrs.get("data-charts") == str(len(expected))
    for chart_id, chart in charts.items():
        assert chart.attrs.get("data-rendered") == "true", chart_id
        svgs = [n for n in chart.walk() if n.tag == "svg"]
        assert svgs, f"{chart_id} drew nothing"
        shapes = [n for n in svgs[0].walk() if n.tag in ("path", "rect", "circle", "polyline")]
        assert len(shapes) >= 5, f"{chart_id} drew only {len(shapes)} shapes"
    return charts


def test_the_report_renders_in_chromium(runs: Runs, tmp_path: Path) -> None:
    out = ARTIFACTS / "report.html"
    write_report(runs.store, runs.main, out)
    data = build_report_data(HistoryStore(runs.store), runs.main)
    manifest = HistoryStore(runs.store).run(runs.main)
    dom = rendered(out, tmp_path)
    charts = check_charts(dom, data)
    counted = {c["category"]: c for c in manifest["categories"]}
    # the numbers shown: the table, the cards on top, the chart labels
    table = dom.find(id="category-table")
    for row in table.walk():
        category = row.attrs.get("data-category")
        if row.tag != "tr" or category is None:
            continue
        fields = {
            n.attrs["data-field"]: n.all_text() for n in row.walk() if "data-field" in n.attrs
        }
        assert fields["customers"] == f"{counted[category]['customers']:,}"
        assert fields["value_share"] == share(counted[category]["value_share"])
    for category, c in counted.items():
        card = dom.find(**{"class": "kpi", "data-category": category})
        assert f"{c['customers']:,}" in card.all_text()
    labels = charts["chart-categories"].texts("text")
    for c in manifest["categories"]:
        assert share(c["value_share"]) in labels
        assert share(c["customer_share"]) in labels
    # the Sankey shows how many customers each category had before and has now
    transitions = data["transitions"]
    matrix = transitions["matrix"]
    sankey = " | ".join(charts["chart-sankey"].texts("text"))
    for column, to in enumerate(matrix["columns"]):
        total = sum(row[column] for row in matrix["counts"])
        if total and to in counted:
            assert f"{to}  {total:,}" in sankey
    moved = dom.find(**{"data-field": "movers_total"})
    counts = change_counts(
        HistoryStore(runs.store).results(runs.first),
        HistoryStore(runs.store).results(runs.main),
        CATEGORY,
    )
    assert moved.attrs["data-value"] == str(counts["up"] + counts["down"])
    assert f"{counts['up'] + counts['down']:,}" in moved.all_text()
    movers_table = dom.find(id="movers-table")
    assert len([n for n in movers_table.walk() if n.tag == "tr"]) == 1 + min(
        25, counts["up"] + counts["down"]
    )
    # the customer table: the first page of every customer
    customers = dom.find(id="customer-table")
    rows = [n for n in customers.walk() if n.tag == "tr"]
    assert len(rows) == 1 + 50
    headers = [n.all_text() for n in rows[0].walk() if n.tag == "th"]
    assert headers[:3] == ["customer", "name", "category"]
    assert {"rule", "because", "override", "value"} <= set(headers)
    status = dom.find(id="customer-status")
    assert status.all_text() == f"Showing 1–50 of {manifest['customers']:,} customers"
    screenshot(out, tmp_path, ARTIFACTS / "report.png")


def test_the_table_searches_and_sorts_in_chromium(runs: Runs, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    write_report(runs.store, runs.main, out)
    results = HistoryStore(runs.store).results(runs.main)
    overridden = results.filter(pl.col("category.override").is_not_null())
    [customer] = overridden["customer_id"].to_list()
    dom = rendered(out, tmp_path, fragment=f"#customers?q={customer.lower()}")
    body = [n for n in dom.find(id="customer-table").walk() if n.tag == "tr"][1:]
    assert len(body) == 1
    cells_text = [n.all_text() for n in body[0].walk() if n.tag == "td"]
    assert cells_text[0] == customer
    assert "Merger with a key account" in " ".join(cells_text)
    # sorted by value, largest first, among the B customers; the second page of 25
    dom = rendered(out, tmp_path, fragment="#customers?category=B&sort=value&desc=1&page=2&size=25")
    table = dom.find(id="customer-table")
    bs = results.filter(pl.col("category") == "B").sort("value", descending=True)
    rows = [n for n in table.walk() if n.tag == "tr"][1:]
    ids = [next(n.all_text() for n in r.walk() if n.tag == "td") for r in rows]
    assert ids == bs["customer_id"][25:50].to_list()
    assert table.attrs["data-page"] == "2"
    assert dom.find(id="customer-status").attrs["data-matching"] == str(bs.height)


def test_a_hundred_thousand_customers_stay_usable_in_chromium(tmp_path: Path) -> None:
    chromium()
    store = big_store(tmp_path / "big.duckdb", 120_000)
    out = tmp_path / "big.html"
    started = datetime.now()
    written = write_report(store, "latest", out)
    assert (datetime.now() - started).total_seconds() < 30
    assert written.shown == 100_000 and written.customers == 120_000
    assert written.bytes < 12_000_000
    data = build_report_data(HistoryStore(store), "latest")
    dom = rendered(out, tmp_path, fragment="#customers?q=customer%2011999&sort=value")
    check_charts(dom, data)
    assert (
        "this table holds the 100,000 with the highest value"
        in dom.find(**{"data-field": "limited"}).all_text()
    )
    status = dom.find(id="customer-status")
    matching = int(status.attrs["data-matching"])
    # every word of the search is somewhere in the row's text: "customer" in every name
    columns = {c["key"]: c for c in data["customers"]["columns"]}
    ids, names = columns["customer_id"]["values"], columns["name"]["values"]
    expected = sum(1 for i, n in zip(ids, names, strict=True) if "11999" in f"{i} {n}")
    assert 0 < matching == expected < 20  # K0011999, Customer 119990 GmbH, Customer 111999 GmbH…


# --------------------------------------------------------------------------------------------
# the JSON the page's script reads, pinned (a change to the report's data types must not change it)

PAGE_DATA = ROOT / "tests" / "report" / "page-data.json"


def _pinned(value: Any, runs: Runs) -> Any:
    """``value`` with what differs from one test run to the next replaced by placeholders: run
    ids, times of day, the store's folder and the package version."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, indent=1)
    for name, run_id in (("FIRST", runs.first), ("MAIN", runs.main), ("OTHER", runs.other)):
        text = text.replace(run_id, f"<{name}>").replace(run_id[:12], f"<{name}:12>")
        text = text.replace(run_id[:8], f"<{name}:8>")
    text = text.replace(str(runs.store.parent), "<FOLDER>")
    text = text.replace(str(ROOT), "<ROOT>")
    text = re.sub(
        r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d(\.\d+)?)?( ?UTC|[+-]\d\d:\d\d|Z)?", "<TIME>", text
    )
    text = re.sub(r'"(tierkit|ruleset_sha256)": "[^"]*"', r'"\1": "<\1>"', text)
    return _without_timings(json.loads(text))


def _without_timings(value: Any) -> Any:
    """The stages' timings keep their names and lose their seconds."""
    if isinstance(value, dict):
        return {
            k: sorted(v) if k == "timings" and isinstance(v, dict) else _without_timings(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_without_timings(v) for v in value]
    return value


def test_the_page_data_is_the_pinned_json(runs: Runs) -> None:
    """tests/report/page-data.json was written from the report's code before its data was typed
    (``json.dumps(found, ensure_ascii=False, indent=1, sort_keys=True)``)."""
    from tierkit.report.page import _page_data

    data = build_report_data(HistoryStore(runs.store), runs.main[:8])
    page = json.loads(embed_json(_page_data(data)))
    found = _pinned(page, runs)
    assert found == json.loads(PAGE_DATA.read_text())
