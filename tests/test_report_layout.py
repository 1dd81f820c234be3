"""The report's layout at a laptop's width, measured in headless Chromium.

At a 1024 px wide window nothing widens the page (a wide table scrolls inside its own box, a
chart fits its container) and no two visible labels of a chart touch: the Pareto curve's band
names are staggered or left out (its legend names every band), the bars' labels that would
collide are left out, and the whale curve's peak and net-total labels keep apart.

Each page is rendered with a small script added at its end that measures, after the report's
own script ran, the page's width and every chart text's box, and writes them into the DOM as
JSON, which ``--dump-dom`` returns. Skipped without Chromium (``apt-get install -y chromium``;
``.ci/run`` installs it).
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from tierkit.demo import DemoFormat, DemoSpec, generate_demo
from tierkit.evaluation import evaluate
from tierkit.history import HistoryStore, StoredDecision
from tierkit.report import write_report

ROOT = Path(__file__).resolve().parent.parent
RULESETS = ROOT / "rulesets"
AS_OF = date(2026, 1, 1)
WIDTH = 1024
HEIGHT = 768

MEASURE = """
const SHRINK = window.__shrink || 0;
window.addEventListener("load", () => {
  // a narrower container after the charts were drawn: they must follow it
  if (SHRINK) document.querySelector("main").style.maxWidth = SHRINK + "px";
  setTimeout(measure, 300);
});
function measure() {
  const W = window.innerWidth;
  const box = (r) => ({ left: r.left, top: r.top, right: r.right, bottom: r.bottom });
  const out = {
    viewport: W,
    scrollWidth: document.documentElement.scrollWidth,
    bodyScrollWidth: document.body.scrollWidth,
    ready: document.body.getAttribute("data-report-ready"),
    boxes: {},
    charts: {},
  };
  // every element with an id, and whether a box that scrolls (or clips) holds it
  const held = (el) => {
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      if (getComputedStyle(p).overflowX !== "visible") return true;
    }
    return false;
  };
  for (const el of document.querySelectorAll("body [id]")) {
    out.boxes[el.id] = Object.assign({ held: held(el) }, box(el.getBoundingClientRect()));
  }
  // elements wider than the window that no scrolling box holds
  out.sticking = [];
  for (const el of document.body.querySelectorAll("*")) {
    const r = el.getBoundingClientRect();
    if (r.width && r.right > W + 0.5 && !held(el)) {
      out.sticking.push(el.tagName.toLowerCase() + (el.id ? "#" + el.id : ""));
    }
  }
  for (const chart of document.querySelectorAll("[data-chart]")) {
    const svg = chart.querySelector("svg");
    const texts = [];
    for (const t of chart.querySelectorAll("svg text")) {
      const r = t.getBoundingClientRect();
      const s = getComputedStyle(t);
      const hidden = s.display === "none" || s.visibility === "hidden" || +s.opacity === 0 ||
        +(t.getAttribute("opacity") ?? 1) === 0 || +(t.getAttribute("fill-opacity") ?? 1) === 0;
      if (!t.textContent.trim() || !r.width || hidden) continue;
      texts.push(Object.assign({ text: t.textContent }, box(r)));
    }
    out.charts[chart.id] = {
      box: box(chart.getBoundingClientRect()),
      svg: svg ? box(svg.getBoundingClientRect()) : null,
      texts: texts,
    };
  }
  // the legends under the charts: (category, whether the chart shows its label)
  out.legends = {};
  for (const legend of document.querySelectorAll(".chart-legend")) {
    out.legends[legend.getAttribute("data-legend")] = Array.from(
      legend.querySelectorAll(".item"),
      (item) => [item.getAttribute("data-category"), item.getAttribute("data-label")]);
  }
  const pre = document.createElement("pre");
  pre.id = "layout-measure";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
}
"""


# --------------------------------------------------------------------------------------------
# measuring a page


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


@dataclass(frozen=True)
class Box:
    text: str
    left: float
    top: float
    right: float
    bottom: float

    def touches(self, other: Box) -> bool:
        # half a pixel of slack for anti-aliased edges that merely meet
        return (
            self.left < other.right - 0.5
            and other.left < self.right - 0.5
            and self.top < other.bottom - 0.5
            and other.top < self.bottom - 0.5
        )


def measure(page: Path, tmp_path: Path, width: int = WIDTH, shrink: int = 0) -> dict[str, Any]:
    """The page's measurements after its scripts ran, in a window ``width`` px wide; with
    ``shrink``, after the page's main column was narrowed to that many pixels."""
    text = page.read_text(encoding="utf-8")
    end = text.rindex("</body>")
    probe = tmp_path / f"measured-{page.stem}-{width}-{shrink}.html"
    script = f"<script>window.__shrink = {shrink};{MEASURE}</script>"
    probe.write_text(text[:end] + script + text[end:], encoding="utf-8")
    done = subprocess.run(
        [
            chromium(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--hide-scrollbars",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--host-resolver-rules=MAP * ~NOTFOUND",
            "--virtual-time-budget=10000",
            f"--window-size={width},{HEIGHT}",
            "--dump-dom",
            probe.resolve().as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    found = re.search(r'<pre id="layout-measure">(.*?)</pre>', done.stdout, re.S)
    assert found, "the measuring script wrote nothing"
    measured: dict[str, Any] = json.loads(html.unescape(found.group(1)))
    assert measured["viewport"] == width
    assert measured["ready"] == "true"
    return measured


def texts(measured: dict[str, Any], chart: str) -> list[Box]:
    return [Box(**t) for t in measured["charts"][chart]["texts"]]


def collisions(boxes: list[Box]) -> list[tuple[str, str]]:
    return [(a.text, b.text) for i, a in enumerate(boxes) for b in boxes[i + 1 :] if a.touches(b)]


def assert_fits(measured: dict[str, Any], width: int = WIDTH) -> None:
    """Nothing widens the page; every chart draws inside its container, its labels apart."""
    assert measured["scrollWidth"] <= width, measured["scrollWidth"]
    assert measured["bodyScrollWidth"] <= width, measured["bodyScrollWidth"]
    assert measured["sticking"] == []
    for chart_id, chart in measured["charts"].items():
        outer = chart["box"]
        assert outer["right"] <= width, chart_id
        assert chart["svg"] is not None, f"{chart_id} drew nothing"
        assert chart["svg"]["right"] <= outer["right"] + 0.5, chart_id
        boxes = texts(measured, chart_id)
        assert boxes, f"{chart_id} has no text"
        outside = [
            b.text for b in boxes if b.left < outer["left"] - 0.5 or b.right > outer["right"] + 0.5
        ]
        assert outside == [], (chart_id, outside)
        assert collisions(boxes) == [], chart_id


# --------------------------------------------------------------------------------------------
# the pages


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """The demo's report (working capital, with transitions and a second strategy), the
    net-profit report of the same month, which has loss-makers, so it draws a whale curve, and
    the report of the RFM segments (eleven categories with long names)."""
    chromium()
    folder = tmp_path_factory.mktemp("layout")
    data = folder / "data"
    generate_demo(DemoSpec(customers=600, months=18, seed=11, as_of=AS_OF), data, DemoFormat.CSV)
    store = folder / "tierkit.duckdb"
    evaluate(RULESETS / "vip-monthly.yaml", data, as_of=date(2025, 12, 1), store=store)
    main = evaluate(RULESETS / "vip-monthly.yaml", data, as_of=AS_OF, store=store)
    profit = evaluate(
        RULESETS / "vip-monthly.yaml", data, as_of=AS_OF, strategy="net-profit", store=store
    )
    rfm = evaluate(RULESETS / "rfm.yaml", data, as_of=AS_OF, store=store)
    pages = folder / "working-capital.html", folder / "net-profit.html", folder / "rfm.html"
    write_report(store, main.manifest["run_id"], pages[0])
    write_report(store, profit.manifest["run_id"], pages[1])
    write_report(store, rfm.manifest["run_id"], pages[2])
    return pages


def synthetic(
    path: Path,
    categories: list[tuple[str, int]],
    values: list[float],
    names: list[str] | None = None,
    extra: dict[str, list[Any]] | None = None,
    as_of: date = AS_OF,
) -> Path:
    """A store with one run: ``categories`` (name, customers) in order, best first, over
    customers sorted by ``values``, largest first; ``extra`` columns of the results."""
    outcomes = [c for c, _ in categories]
    category = [c for c, n in categories for _ in range(n)]
    assert len(category) == len(values)
    ids = [f"C{i:05d}" for i in range(len(values))]
    results = pl.DataFrame(
        {
            "customer_id": ids,
            "name": names or [f"Customer {i}" for i in range(len(values))],
            "category": category,
            "value": values,
            **(extra or {}),
        }
    )
    total = sum(values)
    summary = [
        {
            "category": c,
            "customers": n,
            "customer_share": n / len(values),
            "value": sum(v for v, k in zip(values, category, strict=True) if k == c),
            "value_share": sum(v for v, k in zip(values, category, strict=True) if k == c) / total,
        }
        for c, n in categories
    ]
    manifest = {
        "run_id": f"layout{as_of:%Y%m%d}" + "0" * 18,
        "as_of": as_of.isoformat(),
        "ruleset": {"name": "layout", "path": "layout.yaml", "sha256": "0" * 64},
        "strategy": "net-profit",
        "engine": "vector",
        "backend": "polars",
        "customers": len(values),
        "categories": summary,
    }
    HistoryStore(path).save_run(
        manifest, results, {"category": StoredDecision("category", tuple(outcomes))}
    )
    return path


# Eight categories, the first five of them narrow bands (one customer in 500 is 0.2%), with
# names long enough to collide at the left of the Pareto curve.
CROWDED = [
    ("Platinum key account", 1),
    ("Gold key account", 1),
    ("Silver", 2),
    ("Bronze", 3),
    ("Strategic", 5),
    ("Growth", 40),
    ("Standard", 148),
    ("Occasional", 300),
]


def crowded_values(losses: float) -> list[float]:
    """500 values, largest first; the last 10 customers lose ``losses`` in all."""
    gains = [10_000.0 / (i + 1) for i in range(490)]
    return gains + [-losses / 10] * 10


def page_of(store: Path, tmp_path: Path, name: str) -> Path:
    out = tmp_path / f"{name}.html"
    write_report(store, "latest", out)
    return out


# --------------------------------------------------------------------------------------------
# the tests


def test_the_demo_report_fits_a_laptop_and_its_labels_keep_apart(
    demo: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    measured = measure(demo[0], tmp_path)
    assert_fits(measured)
    assert {"chart-categories", "chart-pareto", "chart-sankey", "chart-strategies"} <= set(
        measured["charts"]
    )
    # the customer table is wider than the page: it scrolls inside its own box
    boxes = measured["boxes"]
    assert boxes["customer-table"]["right"] > WIDTH and boxes["customer-table"]["held"]
    # every band of the Pareto curve is named, on the chart or in its legend
    pareto = {b.text for b in texts(measured, "chart-pareto")}
    assert {"A", "B", "C"} <= pareto


def test_the_profit_report_draws_the_whale_curve_and_its_labels_keep_apart(
    demo: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    measured = measure(demo[1], tmp_path)
    assert_fits(measured)
    whale = {b.text for b in texts(measured, "chart-whale")}
    assert "net total (100%)" in whale
    assert any(re.fullmatch(r"\d+%", t) and int(t[:-1]) > 100 for t in whale), whale


def test_eleven_categories_with_long_names_fit_and_their_labels_keep_apart(
    demo: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    measured = measure(demo[2], tmp_path)
    assert_fits(measured)
    shown = [b.text for b in texts(measured, "chart-categories")]
    # every category is named under its bars, wrapped within its slot where it is long
    segments = ["champions", "loyal_customers", "potential_loyalists", "need_attention", "lost"]
    for name in segments:
        assert name in "".join(shown), name
    assert "potential_loyalists" not in shown
    # the bars' labels that would touch another are left out; the others stay
    assert any(re.fullmatch(r"\d+\.\d%", text) for text in shown)


@pytest.mark.parametrize("width", [WIDTH, 720])
def test_narrow_bands_are_staggered_or_left_out_and_the_legend_names_them(
    tmp_path: Path, width: int
) -> None:
    chromium()
    store = synthetic(tmp_path / "crowded.duckdb", CROWDED, crowded_values(losses=300.0))
    page = page_of(store, tmp_path, "crowded")
    measured = measure(page, tmp_path, width)
    assert_fits(measured, width)
    shown = {b.text for b in texts(measured, "chart-pareto")}
    names = [c for c, _ in CROWDED]
    # the wide bands are always named on the chart; the narrow ones cannot all be
    assert {"Growth", "Standard", "Occasional"} <= shown
    assert not set(names) <= shown
    # the legend under the chart names every band, and says which labels the chart left out
    legend = measured["legends"]["chart-pareto"]
    assert [name for name, _ in legend] == names
    assert {name for name, state in legend if state == "shown"} == shown & set(names)


@pytest.mark.parametrize(
    ("losses", "expected"),
    [
        # the peak (10 loss-makers in 500: at 98% of customers) is a few percent above the net
        # total, right beside where the net total's label would go
        (300.0, "net total (100%)"),
        # the peak is far above the net total
        (60_000.0, "net total (100%)"),
    ],
)
def test_the_whale_peak_label_keeps_clear_of_the_net_total_label(
    tmp_path: Path, losses: float, expected: str
) -> None:
    chromium()
    store = synthetic(tmp_path / "whale.duckdb", CROWDED, crowded_values(losses))
    measured = measure(page_of(store, tmp_path, "whale"), tmp_path)
    assert_fits(measured)
    whale = {b.text for b in texts(measured, "chart-whale")}
    assert expected in whale


def test_charts_follow_their_container_when_it_narrows(
    demo: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    wide = measure(demo[1], tmp_path)
    narrow = measure(demo[1], tmp_path, shrink=560)
    assert_fits(narrow)
    for chart in ("chart-categories", "chart-pareto", "chart-whale", "chart-strategies"):
        before, after = wide["charts"][chart], narrow["charts"][chart]
        assert after["box"]["right"] - after["box"]["left"] < 560
        assert before["box"]["right"] - before["box"]["left"] > 900
        # the drawing was redone at the new width, its labels placed again
        assert after["svg"]["right"] - after["svg"]["left"] == pytest.approx(
            after["box"]["right"] - after["box"]["left"], abs=1
        )


def test_the_sankey_makes_room_for_long_category_names(tmp_path: Path) -> None:
    chromium()
    path = tmp_path / "moves.duckdb"
    values = crowded_values(losses=300.0)
    synthetic(path, CROWDED, values, as_of=date(2025, 12, 1))
    # a month later the same customers, the categories' sizes reversed in part
    later = [("Platinum key account", 3), *CROWDED[1:5], ("Growth", 38), *CROWDED[6:]]
    synthetic(path, later, values)
    measured = measure(page_of(path, tmp_path, "moves"), tmp_path)
    assert_fits(measured)
    sankey = [b.text for b in texts(measured, "chart-sankey")]
    # the categories are named on both sides, with their counts; in half the page's width a
    # name too long for a third of the chart is cut short
    assert sankey.count("Occasional  300") == 2
    assert {"Growth  40", "Growth  38"} <= set(sankey)
    platinum = [t for t in sankey if t.startswith("Platinum key")]
    assert len(platinum) == 2
    assert all(t.endswith("...") and len(t) < len("Platinum key account  3") for t in platinum)


def test_a_negative_net_total_draws_the_whale_curve_in_amounts(tmp_path: Path) -> None:
    chromium()
    values = [5_000.0, 3_000.0, 1_000.0] + [-1_500.0] * 7
    store = synthetic(tmp_path / "amounts.duckdb", [("A", 2), ("B", 3), ("C", 5)], values)
    measured = measure(page_of(store, tmp_path, "amounts"), tmp_path)
    assert_fits(measured)
    whale = {b.text: b for b in texts(measured, "chart-whale")}
    # the net total is 9,000 − 10,500 = −1,500; the peak after the third customer is 9,000
    assert "9,000.00" in whale
    # the curve ends on the net total's line at the right: its label moves to the left end
    chart = measured["charts"]["chart-whale"]["box"]
    assert whale["net total"].right < (chart["left"] + chart["right"]) / 2


LONG = (
    "Internationale Spedition und Lagerhaltung für Werkzeugmaschinen, Ersatzteile und "
    "Zubehör Gesellschaft mit beschränkter Haftung & Co. Kommanditgesellschaft"
)


def test_a_narrow_customer_table_with_long_names_stays_on_the_page(tmp_path: Path) -> None:
    chromium()
    names = [LONG, "Ö" * 140, *(f"{LONG} {i}" for i in range(38))]
    values = [float(1_000 - i) for i in range(40)]
    store = synthetic(tmp_path / "names.duckdb", [("A", 8), ("B", 12), ("C", 20)], values, names)
    page = page_of(store, tmp_path, "names")
    measured = measure(page, tmp_path)
    assert_fits(measured)
    boxes = measured["boxes"]
    # the table is narrower than the page: long names wrap, an unbreakable one is broken
    assert boxes["customer-table"]["right"] <= WIDTH - 32
    assert boxes["customer-table"]["bottom"] - boxes["customer-table"]["top"] > 40 * 20
    # no value limits these categories, and the page says so above the table
    heads, _, dom = cell_texts(page, tmp_path)
    assert "to better" not in " ".join(heads)
    assert re.search(
        r'<p class="note" data-field="no-near-miss">No near miss: no single value', dom
    )


def cell_texts(page: Path, tmp_path: Path) -> tuple[list[str], list[list[str]], str]:
    """The customer table's headings and the cells of its rows, as the page shows them, and
    the page's DOM."""
    done = subprocess.run(
        [
            chromium(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            f"--user-data-dir={tmp_path / 'profile-cells'}",
            "--host-resolver-rules=MAP * ~NOTFOUND",
            "--virtual-time-budget=10000",
            f"--window-size={WIDTH},{HEIGHT}",
            "--dump-dom",
            page.resolve().as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    found = re.search(
        r'<table class="data" id="customer-table"[^>]*>(.*?)</table>', done.stdout, re.S
    )
    assert found
    strip = lambda cell: html.unescape(re.sub(r"<[^>]+>", "", cell)).strip()  # noqa: E731
    heads = [strip(h) for h in re.findall(r"<th[^>]*>(.*?)</th>", found.group(1), re.S)]
    rows = [
        [strip(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", found.group(1), re.S)
    ]
    return heads, [r for r in rows if r], done.stdout


@pytest.mark.parametrize(
    ("better", "worse", "shown"),
    [
        # points: whole numbers, signed: + more, − less
        (
            [None, None, 14.0, 3.0, 30.0],
            [-10.0, -1.0, -4.0, None, None],
            ["", "−10", "", "−1", "+14", "−4", "+3", "", "+30", ""],
        ),
        # amounts, with cents; 0: on the line
        (
            [None, 1_200.5, 3_014.47, 0.0, 12.0],
            [-245_021.34, None, -0.25, -3.0, None],
            [
                "",
                "−245,021.34",
                "+1,200.50",
                "",
                "+3,014.47",
                "−0.25",
                "0.00",
                "−3.00",
                "+12.00",
                "",
            ],
        ),
    ],
)
def test_the_customer_table_shows_every_customers_near_miss_and_override(
    tmp_path: Path, better: list[float | None], worse: list[float | None], shown: list[str]
) -> None:
    chromium()
    store = synthetic(
        tmp_path / "near.duckdb",
        [("A", 2), ("B", 2), ("C", 1)],
        [500.0, 400.0, 300.0, 200.0, 100.0],
        extra={
            "category.to_better": better,
            "category.to_worse": worse,
            "category.limited_by": ["points"] * 5,
            "category.override": [None, None, None, "A until 2099-12-31 (Merger; J. Doe)", None],
        },
    )
    page = page_of(store, tmp_path, "near")
    heads, rows, dom = cell_texts(page, tmp_path)
    assert 'data-field="no-near-miss"' not in dom
    assert heads[-3:] == ["to better (points)", "to worse (points)", "value"]
    assert len(rows) == 5
    table = {r[0]: dict(zip(heads, r, strict=True)) for r in rows}
    near = [
        table[f"C{i:05d}"][f"to {side} (points)"] for i in range(5) for side in ("better", "worse")
    ]
    assert near == shown
    assert table["C00003"]["override"] == "A until 2099-12-31 (Merger; J. Doe)"
    # the overridden category is marked, the others are not
    assert table["C00003"]["category"] == "B ✎"
    assert [table[f"C{i:05d}"]["category"] for i in (0, 1, 2, 4)] == ["A", "A", "B", "C"]
    assert [table[f"C{i:05d}"]["override"] for i in (0, 1, 2, 4)] == ["", "", "", ""]
    assert_fits(measure(page, tmp_path))
