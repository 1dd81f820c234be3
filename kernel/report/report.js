/* tierkit report: draws the charts with Apache ECharts and runs the customer table.
   Everything it shows comes from the JSON in #tierkit-report-data; nothing is fetched. */
(function () {
  "use strict";

  // label placement: measuring text and keeping labels apart (layout.js)
  const {
    BAR_LABEL_PAD,
    LEGEND_HEIGHT,
    FONT,
    AXIS_LINE,
    BAND_FONT,
    BAND_ROWS,
    LABEL_FONT,
    LABEL_HEIGHT,
    LABEL_GAP,
    textWidth,
    intersects,
    fitCategories,
    barLabelsOf,
    declutterBars,
    placeBands,
    crosses,
    placeWhaleLabels
  } = window.tierkitLayout;

  const data = JSON.parse(document.getElementById("tierkit-report-data").textContent);
  const errors = [];
  const charts = [];
  const count = new Intl.NumberFormat("en-US");
  const money = new Intl.NumberFormat("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  const short = new Intl.NumberFormat("en-US", { maximumFractionDigits: 3 });
  const outcomes = data.outcomes;
  const compact = new Intl.NumberFormat("en-US", { notation: "compact", maximumFractionDigits: 1 });
  const AXIS = { color: "#5d6b7a" };
  const GRID_LINE = { lineStyle: { color: "#eef1f4" } };

  function pct(x, digits) {
    return x === null || x === undefined ? "—" : (x * 100).toFixed(digits === undefined ? 1 : digits) + "%";
  }
  function colorOf(category) {
    const i = outcomes.indexOf(category);
    return data.colors[(i < 0 ? outcomes.length : i) % data.colors.length];
  }
  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
  }
  function num(x) {
    return x === null || x === undefined ? "—" : short.format(x);
  }


  // draw(id, option, place): place(chart) returns an option merged in once the chart knows its
  // size, and again whenever its container changes size (labels placed in pixels).
  function draw(id, option, place) {
    const el = document.getElementById(id);
    if (!el) return null;
    try {
      if (typeof echarts === "undefined") throw new Error("the chart library did not load");
      const chart = echarts.init(el, null, { renderer: "svg" });
      option.animation = false;
      option.textStyle = Object.assign({ fontFamily: FONT }, option.textStyle || {});
      if (!place && option.xAxis && option.xAxis.type === "category") place = fitCategories(option);
      chart.setOption(option);
      if (place) chart.setOption(place(chart));
      if (barLabelsOf(option)) {
        const fitted = place;
        place = (c) => {
          if (fitted) c.setOption(fitted(c));
          return declutterBars(c, option);
        };
        chart.setOption(declutterBars(chart, option));
      }
      charts.push({ chart: chart, place: place, el: el, width: el.clientWidth, height: el.clientHeight });
      el.setAttribute("data-rendered", "true");
      return chart;
    } catch (e) {
      errors.push(id + ": " + e.message);
      el.classList.add("chart-error");
      el.setAttribute("data-error", String(e.message));
      el.textContent = "This chart could not be drawn: " + e.message;
      return null;
    }
  }

  function resized() {
    charts.forEach((c) => {
      const w = c.el.clientWidth, h = c.el.clientHeight;
      if (!w || (w === c.width && h === c.height)) return;
      c.width = w;
      c.height = h;
      try {
        c.chart.resize();
        if (c.place) c.chart.setOption(c.place(c.chart));
      } catch (e) { /* keep the chart as it was drawn */ }
    });
  }

  // An HTML legend under a chart: every category with its swatch, whether or not its label
  // fits in the chart.
  function legend(chartId, items) {
    const el = document.getElementById(chartId);
    if (!el) return null;
    const box = document.createElement("div");
    box.className = "chart-legend";
    box.setAttribute("data-legend", chartId);
    items.forEach((item) => {
      const span = document.createElement("span");
      span.className = "item";
      span.setAttribute("data-category", item.name);
      const sw = document.createElement("span");
      sw.className = "swatch";
      sw.style.background = item.color;
      const name = document.createElement("b");
      name.textContent = item.name;
      span.append(sw, name, " " + item.text);
      box.appendChild(span);
    });
    el.after(box);
    return box;
  }

  // ------------------------------------------------------------------------------------------
  // categories: share of customers and share of value

  function categoriesChart() {
    const rows = data.categories;
    const label = (key) => ({ show: true, position: "top", formatter: (p) => rows[p.dataIndex][key], fontSize: 12 });
    draw("chart-categories", {
      tooltip: {
        trigger: "axis",
        axisPointer: { type: "shadow" },
        formatter: (items) => {
          const row = rows[items[0].dataIndex];
          return "<b>" + escapeHtml(row.category) + "</b><br>" + count.format(row.customers) + " customers (" +
            row.customer_share_text + ")<br>value " + money.format(row.value) + " (" + row.value_share_text +
            (data.value && data.value.has_losses ? " of the positive total; losses " + money.format(row.value_losses) : "") + ")";
        },
      },
      legend: { top: 0 },
      grid: { left: 48, right: 16, top: 48, bottom: 28 },
      xAxis: { type: "category", data: rows.map((r) => r.category), axisLabel: { fontWeight: "bold", fontSize: 13 } },
      yAxis: { type: "value", axisLabel: { formatter: "{value}%", color: AXIS.color }, splitLine: GRID_LINE },
      series: [
        {
          name: "share of customers", type: "bar", label: label("customer_share_text"),
          itemStyle: { color: "#9fb7c4" },
          data: rows.map((r) => +(r.customer_share * 100).toFixed(1)),
        },
        {
          name: data.value && data.value.has_losses ? "share of positive value" : "share of value",
          type: "bar", label: label("value_share_text"),
          data: rows.map((r) => ({
            value: r.value_share === null ? 0 : +(r.value_share * 100).toFixed(1),
            itemStyle: { color: colorOf(r.category) },
          })),
          itemStyle: { color: data.colors[0] },
        },
      ],
    });
  }

  // ------------------------------------------------------------------------------------------
  // Pareto curve with the category bands

  const BAND_ROW = 19;

  function paretoChart() {
    const p = data.pareto;
    if (!p.points.length) return;
    const top = Math.max(100, ...p.points.map((pt) => pt[1] * 100));
    const bandArea = (placed) => ({
      silent: true,
      data: p.bands.map((b, i) => [
        {
          name: b.category, xAxis: b.from * 100,
          itemStyle: { color: colorOf(b.category), opacity: 0.16 },
          label: {
            show: placed[i].show, position: "insideBottom", distance: 6 + placed[i].row * BAND_ROW,
            offset: [placed[i].shift, 0],
            color: colorOf(b.category), fontWeight: "bold", fontSize: BAND_FONT,
          },
        },
        { xAxis: b.to * 100 },
      ]),
    });
    const hidden = p.bands.map(() => ({ show: false, row: 0, shift: 0 }));
    const box = legend("chart-pareto", p.bands.map((b) => ({
      name: b.category, color: colorOf(b.category), text: pct(b.customer_share) + " of customers",
    })));
    draw("chart-pareto", {
      tooltip: {
        trigger: "axis",
        formatter: (items) => {
          const v = items[0].value;
          const of = data.value && data.value.has_losses ? "% of positive value" : "% of value";
          return "top " + v[0].toFixed(1) + "% of customers<br>hold " + v[1].toFixed(1) + of;
        },
      },
      grid: { left: 56, right: 24, top: 24, bottom: 48 },
      xAxis: {
        type: "value", min: 0, max: 100, name: "share of customers, largest value first",
        nameLocation: "middle", nameGap: 30, splitLine: GRID_LINE,
        // the y axis says 0% at the corner already
        axisLabel: { formatter: "{value}%", color: AXIS.color, showMinLabel: false },
      },
      yAxis: {
        type: "value", min: 0, max: Math.ceil(top / 10) * 10, name: "cumulative share of value",
        nameLocation: "middle", nameGap: 42, axisLabel: { formatter: "{value}%", color: AXIS.color }, splitLine: GRID_LINE,
      },
      series: [
        {
          name: "cumulative share of value", type: "line", showSymbol: false, smooth: false,
          lineStyle: { width: 3, color: "#16303f" }, itemStyle: { color: "#16303f" },
          data: p.points.map((pt) => [pt[0] * 100, pt[1] * 100]),
          markArea: bandArea(hidden),
          markLine: {
            silent: true, symbol: "none", label: { show: false },
            lineStyle: { type: "dashed", color: "#9aa7b4", width: 1 },
            data: [[{ coord: [0, 0] }, { coord: [100, 100] }]],
          },
        },
      ],
    }, (chart) => {
      const shown = placeBands(chart, p.bands);
      if (box) {
        box.querySelectorAll(".item").forEach((item, i) => item.setAttribute("data-label", shown[i].show ? "shown" : "hidden"));
      }
      return { series: [{ markArea: bandArea(shown) }] };
    });
  }

  // ------------------------------------------------------------------------------------------
  // whale curve: cumulative net value by customer rank, best first

  function whaleChart() {
    const w = data.whale;
    if (!w || !w.points.length) return;
    const inShare = w.scale !== null && w.scale !== undefined;
    const y = (v) => (inShare ? (v / w.scale) * 100 : v);
    const shown = (v) => (inShare ? (v / w.scale * 100).toFixed(1) + "% of the net total (" + money.format(v) + ")" : money.format(v));
    const lineValue = inShare ? 100 : w.net;
    const lineText = inShare ? "net total (100%)" : "net total";
    const peakText = inShare ? pct(w.peak.net_share, 0) : money.format(w.peak.value);
    const peakPoint = [w.peak.customer_share * 100, y(w.peak.value)];
    const curve = w.points.map((pt) => [pt[0] * 100, y(pt[1])]);
    const marks = (placed) => ({
      markLine: {
        silent: true, symbol: "none",
        lineStyle: { type: "dashed", color: "#9aa7b4", width: 1 },
        label: { show: placed.showLine, position: placed.line, distance: LABEL_GAP, formatter: lineText, color: AXIS.color, fontSize: LABEL_FONT },
        data: [{ yAxis: lineValue }],
      },
      markPoint: {
        symbol: "circle", symbolSize: 8, itemStyle: { color: "#c94f4f" },
        label: { show: true, position: placed.peak, distance: LABEL_GAP, formatter: peakText, color: "#c94f4f", fontWeight: "bold", fontSize: LABEL_FONT },
        data: [{ coord: peakPoint }],
      },
    });
    const series = (placed) => Object.assign({
      name: "cumulative net value", type: "line", showSymbol: false, smooth: false,
      lineStyle: { width: 3, color: "#16303f" }, itemStyle: { color: "#16303f" },
      areaStyle: { color: "#16303f", opacity: 0.06 },
      data: curve,
    }, marks(placed));
    draw("chart-whale", {
      tooltip: {
        trigger: "axis",
        formatter: (items) => {
          const i = items[0].dataIndex;
          const pt = w.points[i];
          return "top " + (pt[0] * 100).toFixed(1) + "% of customers<br>earn " + shown(pt[1]);
        },
      },
      grid: { left: 72, right: 24, top: 28, bottom: 48 },
      xAxis: {
        type: "value", min: 0, max: 100, name: "share of customers, largest value first",
        nameLocation: "middle", nameGap: 30, splitLine: GRID_LINE,
        // at the bottom even when the curve goes below zero; the y axis says where 0% is
        axisLine: { onZero: false },
        axisLabel: { formatter: "{value}%", color: AXIS.color, showMinLabel: false },
      },
      yAxis: {
        type: "value", name: inShare ? "cumulative net value, % of the net total" : "cumulative net value",
        nameLocation: "middle", nameGap: 56,
        axisLabel: { formatter: inShare ? "{value}%" : (v) => compact.format(v), color: AXIS.color }, splitLine: GRID_LINE,
      },
      series: [series({ peak: "top", line: "insideEndTop", showLine: false })],
    }, (chart) => ({
      series: [marks(placeWhaleLabels(chart, peakPoint, lineValue, peakText, lineText, curve))],
    }));
  }

  // ------------------------------------------------------------------------------------------
  // criteria per category

  function criteriaCharts() {
    data.criteria.forEach((criterion, index) => {
      const id = "chart-criterion-" + index;
      const stats = criterion.per_category;
      const xAxis = () => ({ type: "category", data: stats.map((s) => s.category), axisLabel: { fontWeight: "bold" } });
      if (criterion.kind === "number") {
        draw(id, {
          tooltip: {
            trigger: "item",
            formatter: (item) => {
              const s = stats[item.dataIndex];
              if (!s.count) return escapeHtml(s.category) + ": no values";
              return "<b>" + escapeHtml(criterion.name) + " · " + escapeHtml(s.category) + "</b><br>" +
                count.format(s.count) + " values" + (s.missing ? ", " + count.format(s.missing) + " missing" : "") +
                "<br>min " + num(s.min) + " · 5% " + num(s.p5) + " · 25% " + num(s.q1) +
                "<br>median " + num(s.median) + " · mean " + num(s.mean) +
                "<br>75% " + num(s.q3) + " · 95% " + num(s.p95) + " · max " + num(s.max);
            },
          },
          grid: { left: 58, right: 12, top: 12, bottom: 26 },
          xAxis: xAxis(),
          yAxis: { type: "value", scale: true, axisLabel: { color: AXIS.color, formatter: (v) => compact.format(v) }, splitLine: GRID_LINE },
          series: [
            {
              name: criterion.name, type: "boxplot", boxWidth: ["20%", "45%"],
              data: stats.map((s) => ({
                value: s.count ? [s.p5, s.q1, s.median, s.q3, s.p95] : ["-", "-", "-", "-", "-"],
                itemStyle: { color: colorOf(s.category) + "33", borderColor: colorOf(s.category), borderWidth: 1.6 },
              })),
            },
            {
              name: "mean", type: "scatter", symbol: "diamond", symbolSize: 9, itemStyle: { color: "#16303f" },
              data: stats.map((s, i) => [i, s.count ? s.mean : "-"]),
            },
          ],
        });
      } else if (criterion.kind === "boolean") {
        draw(id, {
          tooltip: {
            trigger: "item",
            formatter: (item) => {
              const s = stats[item.dataIndex];
              return "<b>" + escapeHtml(s.category) + "</b>: " + count.format(s.true || 0) + " of " +
                count.format(s.count) + " true (" + pct(s.share) + ")" + (s.missing ? ", " + count.format(s.missing) + " missing" : "");
            },
          },
          grid: { left: 48, right: 12, top: 22, bottom: 26 },
          xAxis: xAxis(),
          yAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%", color: AXIS.color }, splitLine: GRID_LINE },
          series: [{
            name: criterion.name + " is true", type: "bar", barMaxWidth: 48,
            label: { show: true, position: "top", formatter: (q) => q.value.toFixed(1) + "%" },
            data: stats.map((s) => ({ value: s.share === null || s.share === undefined ? 0 : +(s.share * 100).toFixed(1), itemStyle: { color: colorOf(s.category) } })),
          }],
        });
      } else {
        const values = [];
        stats.forEach((s) => (s.order || []).forEach((v) => { if (!values.includes(v)) values.push(v); }));
        draw(id, {
          tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
          legend: { top: 0, type: "scroll" },
          grid: { left: 48, right: 12, top: 32, bottom: 26 },
          xAxis: xAxis(),
          yAxis: { type: "value", max: 100, axisLabel: { formatter: "{value}%", color: AXIS.color }, splitLine: GRID_LINE },
          series: values.map((v) => ({
            name: v, type: "bar", stack: "share",
            data: stats.map((s) => (s.count ? +((100 * ((s.values || {})[v] || 0)) / s.count).toFixed(1) : 0)),
          })),
        });
      }
    });
  }

  // ------------------------------------------------------------------------------------------
  // transitions since the previous run

  function sankeyChart() {
    const t = data.transitions;
    if (!t) return;
    const before = "(" + t.previous.as_of + ")";
    const after = "(" + data.run.as_of + ")";
    const nodes = [];
    const links = [];
    const used = new Set();
    t.matrix.rows.forEach((from, i) => {
      t.matrix.columns.forEach((to, j) => {
        const n = t.matrix.counts[i][j];
        if (!n) return;
        links.push({ source: from + " " + before, target: to + " " + after, value: n });
        used.add("a" + i);
        used.add("b" + j);
      });
    });
    const sum = (xs) => xs.reduce((a, b) => a + b, 0);
    const tag = (name, n) => name + "  " + count.format(n);
    t.matrix.rows.forEach((from, i) => {
      if (used.has("a" + i)) nodes.push({ name: from + " " + before, depth: 0, itemStyle: { color: colorOf(from) }, short: from, tag: tag(from, sum(t.matrix.counts[i])) });
    });
    t.matrix.columns.forEach((to, j) => {
      if (used.has("b" + j)) nodes.push({ name: to + " " + after, depth: 1, itemStyle: { color: colorOf(to) }, short: to, tag: tag(to, sum(t.matrix.counts.map((r) => r[j]))) });
    });
    // room beside the nodes for the widest label on each side, up to a third of the chart
    // each; a longer label is cut short with an ellipsis
    const margin = (depth) => 16 + Math.max(40, ...nodes.filter((n) => n.depth === depth).map((n) => textWidth(n.tag, 12, "bold")));
    const place = (chart) => {
      const most = Math.floor(chart.getWidth() / 3);
      const left = Math.min(most, margin(0));
      const right = Math.min(most, margin(1));
      const label = (side) => ({ width: side - 14, overflow: "truncate" });
      return {
        series: [{
          left: left, right: right,
          levels: [{ depth: 0, label: Object.assign({ position: "left" }, label(left)) }, { depth: 1, label: Object.assign({ position: "right" }, label(right)) }],
        }],
        graphic: [
          // over each side's labels, at the chart's edges, so the two never meet
          { type: "text", left: 6, top: 6, style: { text: "as of " + t.previous.as_of, fill: "#5d6b7a", fontSize: 12 } },
          { type: "text", right: 6, top: 6, style: { text: "as of " + data.run.as_of, fill: "#5d6b7a", fontSize: 12 } },
        ],
      };
    };
    draw("chart-sankey", {
      tooltip: {
        trigger: "item",
        formatter: (item) => item.dataType === "edge"
          ? escapeHtml(item.data.source) + " → " + escapeHtml(item.data.target) + ": " + count.format(item.data.value) + " customers"
          : escapeHtml(item.name) + ": " + count.format(item.value) + " customers",
      },
      series: [{
        // nodes at least a label's height apart, so neighbouring labels never overlap
        type: "sankey", left: 76, right: 96, top: 30, bottom: 12, nodeWidth: 18, nodeGap: 18,
        layoutIterations: 0, draggable: false, labelLayout: { hideOverlap: true },
        emphasis: { focus: "adjacency" },
        data: nodes, links: links,
        label: { formatter: (item) => item.data.tag, fontWeight: "bold" },
        levels: [{ depth: 0, label: { position: "left" } }, { depth: 1, label: { position: "right" } }],
        lineStyle: { color: "gradient", curveness: 0.5, opacity: 0.35 },
      }],
    }, place);
  }

  // ------------------------------------------------------------------------------------------
  // strategies

  function strategiesChart() {
    const s = data.strategies;
    if (!s.others.length) return;
    const series = [{ strategy: s.strategy, categories: data.categories }].concat(s.others);
    const palette = ["#16303f", "#8fb3c6", "#c9a227", "#8e5ea2", "#c94f4f"];
    draw("chart-strategies", {
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { top: 0 },
      grid: { left: 56, right: 16, top: 48, bottom: 28 },
      xAxis: { type: "category", data: outcomes, axisLabel: { fontWeight: "bold" } },
      yAxis: { type: "value", name: "customers", axisLabel: { color: AXIS.color }, splitLine: GRID_LINE },
      series: series.map((run, i) => ({
        name: run.strategy + (i === 0 ? " (this run)" : ""), type: "bar",
        itemStyle: { color: palette[i % palette.length] },
        label: { show: true, position: "top", formatter: (p) => count.format(p.value), fontSize: 11 },
        data: outcomes.map((o) => {
          const row = run.categories.find((c) => c.category === o);
          return row ? row.customers : 0;
        }),
      })),
    });
  }

  // ------------------------------------------------------------------------------------------
  // the customer table: sortable, searchable, paginated on the page

  function customerTable() {
    const table = document.getElementById("customer-table");
    if (!table) return;
    const spec = data.customers;
    const columns = spec.columns;
    const n = spec.shown;
    const text = columns.map((c) => (i) => {
      if (c.dict) { const code = c.codes[i]; return code === null ? "" : c.dict[code]; }
      const v = c.values[i];
      return v === null || v === undefined ? "" : String(v);
    });
    // the near miss: signed (+ more, − less), whole numbers without decimals (units, points)
    const nearMiss = (c) => c.key.endsWith(".to_better") || c.key.endsWith(".to_worse");
    const signed = (format) => (v) => (v > 0 ? "+" : v < 0 ? "−" : "") + format.format(Math.abs(v));
    const shown = columns.map((c) => {
      if (c.type === "number" && nearMiss(c)) {
        const whole = c.values.every((v) => v === null || Number.isInteger(v));
        const format = signed(whole ? count : money);
        return (i) => (c.values[i] === null ? "" : format(c.values[i]));
      }
      if (c.type === "number") return (i) => (c.values[i] === null ? "" : money.format(c.values[i]));
      if (c.type === "int") return (i) => (c.values[i] === null ? "" : String(c.values[i]));
      return text[columns.indexOf(c)];
    });
    const haystack = new Array(n);
    for (let i = 0; i < n; i++) {
      let s = "";
      for (let k = 0; k < columns.length; k++) {
        if (columns[k].type === "text") s += text[k](i) + "\u0001";
      }
      haystack[i] = s.toLowerCase();
    }
    const decision = columns.findIndex((c) => c.key === data.decision);
    const change = columns.findIndex((c) => c.key === data.decision + ".change");
    const override = columns.findIndex((c) => c.key === data.decision + ".override");
    const state = { q: "", cat: "", change: "", sort: -1, desc: false, page: 1, size: 50 };
    const search = document.getElementById("customer-search");
    const catSelect = document.getElementById("customer-category");
    const changeSelect = document.getElementById("customer-change");
    const sizeSelect = document.getElementById("customer-page-size");
    const status = document.getElementById("customer-status");
    const pageInfo = document.getElementById("customer-page");
    const thead = table.querySelector("thead");
    const tbody = table.querySelector("tbody");

    function readHash() {
      const params = new URLSearchParams(location.hash.replace(/^#customers\??/, ""));
      if (!location.hash.startsWith("#customers")) return;
      state.q = params.get("q") || "";
      state.cat = params.get("category") || "";
      state.change = params.get("change") || "";
      const sortKey = params.get("sort");
      state.sort = sortKey ? columns.findIndex((c) => c.key === sortKey) : -1;
      state.desc = params.get("desc") === "1";
      state.page = Math.max(1, parseInt(params.get("page") || "1", 10) || 1);
      const size = parseInt(params.get("size") || "", 10);
      if ([25, 50, 100, 250].includes(size)) state.size = size;
    }

    let order = null;
    let orderKey = "";
    function sorted() {
      const key = state.sort + ":" + state.desc;
      if (order && orderKey === key) return order;
      const idx = new Array(n);
      for (let i = 0; i < n; i++) idx[i] = i;
      if (state.sort >= 0) {
        const c = columns[state.sort];
        let get;
        if (c.dict) {
          const rank = c.ordered ? c.dict.map((_, j) => j) : c.dict.map((_, j) => j).sort((a, b) => c.dict[a].localeCompare(c.dict[b]));
          const pos = new Array(c.dict.length);
          rank.forEach((j, p) => { pos[j] = p; });
          get = (i) => (c.codes[i] === null ? null : pos[c.codes[i]]);
        } else {
          get = (i) => c.values[i];
        }
        const sign = state.desc ? -1 : 1;
        const isText = c.type === "text" && !c.dict;
        idx.sort((a, b) => {
          const x = get(a), y = get(b);
          if (x === y) return a - b;
          if (x === null || x === undefined || x === "") return 1;
          if (y === null || y === undefined || y === "") return -1;
          if (isText) return sign * String(x).localeCompare(String(y));
          return x < y ? -sign : sign;
        });
      }
      order = idx;
      orderKey = key;
      return idx;
    }

    function filtered() {
      const q = state.q.trim().toLowerCase();
      const cat = state.cat === "" ? null : columns[decision].dict.indexOf(state.cat);
      const chg = state.change === "" || change < 0 ? null : columns[change].dict.indexOf(state.change);
      const all = sorted();
      if (!q && cat === null && chg === null) return all;
      const words = q.split(/\s+/).filter(Boolean);
      return all.filter((i) =>
        (cat === null || columns[decision].codes[i] === cat) &&
        (chg === null || columns[change].codes[i] === chg) &&
        words.every((w) => haystack[i].includes(w)));
    }

    function header() {
      thead.innerHTML = "";
      const tr = document.createElement("tr");
      columns.forEach((c, k) => {
        const th = document.createElement("th");
        th.textContent = c.title;
        th.title = "Sort by " + c.title;
        if (nearMiss(c)) {
          const unit = (c.title.match(/\((.*)\)$/) || [null, "the limiting value"])[1];
          th.title = (c.key.endsWith(".to_better")
            ? "How much more (+) or less (−) " + unit + " gives the next better " + data.decision + "; empty at the best"
            : "How much less (−) or more (+) " + unit + " gives the next worse " + data.decision + "; empty at the worst") +
            ". Click to sort.";
        }
        th.setAttribute("data-key", c.key);
        if (c.type !== "text") th.className = "num";
        if (state.sort === k) {
          const arrow = document.createElement("span");
          arrow.className = "arrow";
          arrow.textContent = state.desc ? "▼" : "▲";
          th.appendChild(arrow);
          th.setAttribute("aria-sort", state.desc ? "descending" : "ascending");
        }
        th.addEventListener("click", () => {
          if (state.sort === k) state.desc = !state.desc;
          else { state.sort = k; state.desc = c.type === "number"; }
          state.page = 1;
          update();
        });
        tr.appendChild(th);
      });
      thead.appendChild(tr);
    }

    function remember() {
      const params = new URLSearchParams();
      if (state.q) params.set("q", state.q);
      if (state.cat) params.set("category", state.cat);
      if (state.change) params.set("change", state.change);
      if (state.sort >= 0) params.set("sort", columns[state.sort].key);
      if (state.desc) params.set("desc", "1");
      if (state.page > 1) params.set("page", String(state.page));
      if (state.size !== 50) params.set("size", String(state.size));
      const text = params.toString();
      try { history.replaceState(null, "", "#customers" + (text ? "?" + text : "")); } catch (e) { /* a sandboxed viewer */ }
    }

    function update() {
      render();
      remember();
    }

    function render() {
      header();
      const rows = filtered();
      const pages = Math.max(1, Math.ceil(rows.length / state.size));
      state.page = Math.min(state.page, pages);
      const start = (state.page - 1) * state.size;
      const slice = rows.slice(start, start + state.size);
      const fragment = document.createDocumentFragment();
      slice.forEach((i) => {
        const tr = document.createElement("tr");
        columns.forEach((c, k) => {
          const td = document.createElement("td");
          const value = shown[k](i);
          td.textContent = value;
          if (c.type !== "text") td.className = "num";
          if (k === decision && value) {
            const sw = document.createElement("span");
            sw.className = "swatch";
            sw.style.background = colorOf(value);
            td.prepend(sw);
            const why = override >= 0 ? shown[override](i) : "";
            if (why) {
              // the rules decided otherwise: an override set this value
              const mark = document.createElement("span");
              mark.className = "overridden";
              mark.textContent = " ✎";
              mark.title = why;
              mark.setAttribute("aria-label", "set by an override: " + why);
              td.appendChild(mark);
            }
          }
          if (k === change) td.className = value === "up" ? "up" : value === "down" ? "down" : "";
          if (c.key.endsWith(".because")) td.className = "because";
          if (c.key === "name") td.className = "name";
          tr.appendChild(td);
        });
        fragment.appendChild(tr);
      });
      tbody.replaceChildren(fragment);
      const from = rows.length ? start + 1 : 0;
      status.textContent = "Showing " + count.format(from) + "–" + count.format(start + slice.length) + " of " +
        count.format(rows.length) + (rows.length === n ? " customers" : " matching customers (" + count.format(n) + " in the table)");
      status.setAttribute("data-matching", String(rows.length));
      pageInfo.textContent = "page " + count.format(state.page) + " of " + count.format(pages);
      document.getElementById("customer-first").disabled = state.page <= 1;
      document.getElementById("customer-prev").disabled = state.page <= 1;
      document.getElementById("customer-next").disabled = state.page >= pages;
      document.getElementById("customer-last").disabled = state.page >= pages;
      table.setAttribute("data-page", String(state.page));
      table.setAttribute("data-pages", String(pages));
    }

    function toCsv() {
      const rows = filtered();
      const quote = (v) => (/[",\n]/.test(v) ? '"' + v.replace(/"/g, '""') + '"' : v);
      const lines = [columns.map((c) => quote(c.key)).join(",")];
      rows.forEach((i) => lines.push(columns.map((c, k) => {
        if (c.type === "number" || c.type === "int") return c.values[i] === null ? "" : String(c.values[i]);
        return quote(text[k](i));
      }).join(",")));
      const blob = new Blob([lines.join("\n") + "\n"], { type: "text/csv;charset=utf-8" });
      const a = document.createElement("a");
      a.href = URL.createObjectURL(blob);
      a.download = "customers-" + data.run.ruleset + "-" + data.run.as_of + ".csv";
      document.body.appendChild(a);
      a.click();
      setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
    }

    if (!columns.some(nearMiss)) {
      // say why the table has no near miss, where a reader would look for it
      const note = document.createElement("p");
      note.className = "note";
      note.setAttribute("data-field", "no-near-miss");
      note.textContent = "No near miss: no single value limits " + data.decision + " in this ruleset's rules, so the " +
        "table gives no distance to the next category (tierkit explain says why for a customer).";
      status.before(note);
    }
    readHash();
    search.value = state.q;
    catSelect.value = state.cat;
    if (changeSelect) changeSelect.value = state.change;
    sizeSelect.value = String(state.size);
    let timer = null;
    search.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(() => { state.q = search.value; state.page = 1; update(); }, 150);
    });
    catSelect.addEventListener("change", () => { state.cat = catSelect.value; state.page = 1; update(); });
    if (changeSelect) changeSelect.addEventListener("change", () => { state.change = changeSelect.value; state.page = 1; update(); });
    sizeSelect.addEventListener("change", () => { state.size = parseInt(sizeSelect.value, 10); state.page = 1; update(); });
    document.getElementById("customer-first").addEventListener("click", () => { state.page = 1; update(); });
    document.getElementById("customer-prev").addEventListener("click", () => { state.page -= 1; update(); });
    document.getElementById("customer-next").addEventListener("click", () => { state.page += 1; update(); });
    document.getElementById("customer-last").addEventListener("click", () => { state.page = 1e9; update(); });
    document.getElementById("customer-csv").addEventListener("click", toCsv);
    render();
  }

  function run(step) {
    try { step(); } catch (e) { errors.push(step.name + ": " + e.message); }
  }
  [categoriesChart, paretoChart, whaleChart, criteriaCharts, sankeyChart, strategiesChart, customerTable].forEach(run);
  if (typeof ResizeObserver !== "undefined") {
    const observer = new ResizeObserver(resized);
    charts.forEach((c) => observer.observe(c.el));
  } else {
    window.addEventListener("resize", resized);
  }
  if (errors.length) {
    const banner = document.createElement("div");
    banner.className = "banner";
    banner.id = "report-errors";
    banner.textContent = "Some parts of this report could not be drawn: " + errors.join("; ");
    document.body.prepend(banner);
  }
  document.body.setAttribute("data-charts", String(charts.length));
  document.body.setAttribute("data-report-ready", errors.length ? "error" : "true");
})();
