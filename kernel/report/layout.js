/* tierkit report: where the charts' labels go. Measures text as the charts do and keeps
   labels apart, inside the chart and clear of the curves; report.js draws with these helpers.
   Loaded before report.js, it defines window.tierkitLayout and nothing else. */
window.tierkitLayout = (function () {
  "use strict";

  // room beside a bar's label, so that the labels the chart keeps never touch
  const BAR_LABEL_PAD = 2;
  const LEGEND_HEIGHT = 24;

  // Text as the charts measure it (zrender measures with a canvas too), to place labels.
  const FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif";
  const ruler = document.createElement("canvas").getContext("2d");
  function textWidth(text, size, weight) {
    if (!ruler) return String(text).length * size * 0.62;
    ruler.font = (weight || "normal") + " " + size + "px " + FONT;
    return ruler.measureText(String(text)).width;
  }
  function intersects(a, b, margin) {
    const m = margin || 0;
    return a.left < b.right + m && b.left < a.right + m && a.top < b.bottom + m && b.top < a.bottom + m;
  }

  // Category names under the bars: each wraps within its own slot (up to three lines, then
  // cut short with an ellipsis; the tooltip has the whole name), and the plot makes room for
  // the lines, so no name runs into its neighbour or into the y axis's labels.
  const AXIS_LINE = 17;
  function fitCategories(option) {
    const names = option.xAxis.data.map(String);
    const size = option.xAxis.axisLabel.fontSize || 12;
    const weight = option.xAxis.axisLabel.fontWeight || "normal";
    const bottom = option.grid.bottom;
    return (chart) => {
      const plot = chart.getWidth() - option.grid.left - option.grid.right;
      const width = Math.max(16, Math.floor(plot / Math.max(1, names.length)) - 8);
      const widest = Math.max(0, ...names.map((n) => textWidth(n, size, weight)));
      const lines = widest <= width ? 1 : Math.min(3, Math.ceil(widest / width) + 1);
      return {
        grid: { bottom: bottom + (lines - 1) * AXIS_LINE },
        xAxis: {
          axisLabel: {
            interval: 0, width: width, overflow: "break", lineHeight: AXIS_LINE,
            height: lines * AXIS_LINE, lineOverflow: "truncate",
          },
        },
      };
    };
  }

  // Bar labels: after the bars are laid out, each bar keeps its label only when the label
  // touches no label kept before it (the tallest bars' first), stays inside the chart and
  // below its legend; the tooltip (and the tables) have every number.
  function barLabelsOf(option) {
    return (option.series || []).some((s) => s.type === "bar" && s.label && s.label.show);
  }
  function declutterBars(chart, option) {
    const model = chart.getModel();
    const width = chart.getWidth();
    const ceiling = option.legend ? LEGEND_HEIGHT : 0;
    const items = [];
    option.series.forEach((s, k) => {
      if (s.type !== "bar" || !s.label || !s.label.show) return;
      const laid = model.getSeriesByIndex(k).getData();
      const size = s.label.fontSize || 12;
      s.data.forEach((d, i) => {
        const value = d !== null && typeof d === "object" ? d.value : d;
        const layout = laid.getItemLayout(i);
        if (!layout) return;
        const w = textWidth(s.label.formatter({ dataIndex: i, value: value }), size) + 2 * BAR_LABEL_PAD;
        const top = Math.min(layout.y, layout.y + layout.height);
        const centre = layout.x + layout.width / 2;
        items.push({ k: k, i: i, box: { left: centre - w / 2, right: centre + w / 2, top: top - 5 - size * 1.3, bottom: top - 5 } });
      });
    });
    items.sort((a, b) => a.box.top - b.box.top || a.k - b.k || a.i - b.i);
    const kept = [];
    const show = option.series.map((s) => (s.data || []).map(() => true));
    items.forEach((item) => {
      const b = item.box;
      if (b.left >= 0 && b.right <= width && b.top >= ceiling && !kept.some((other) => intersects(other, b))) kept.push(b);
      else show[item.k][item.i] = false;
    });
    return {
      series: option.series.map((s, k) => (s.type === "bar" && s.label && s.label.show
        ? { data: s.data.map((d, i) => Object.assign(d !== null && typeof d === "object" ? Object.assign({}, d) : { value: d }, { label: { show: show[k][i] } })) }
        : {})),
    };
  }

  const BAND_FONT = 14;

  const BAND_ROWS = 3;

  // Where each band's name goes, at the foot of the plot: centred under its band, moved inside
  // the plot when it would stick out. The widest bands are placed first; a name that would
  // touch one already placed goes a row higher, and one that fits in no row is left out (the
  // legend under the chart names every band).
  function placeBands(chart, bands) {
    const left = chart.convertToPixel({ xAxisIndex: 0 }, 0);
    const right = chart.convertToPixel({ xAxisIndex: 0 }, 100);
    const rows = [];
    for (let row = 0; row < BAND_ROWS; row++) rows.push([]);
    const placed = bands.map(() => ({ show: false, row: 0, shift: 0 }));
    const order = bands.map((_, i) => i).filter((i) => bands[i].to > bands[i].from);
    order.sort((i, j) => (bands[j].to - bands[j].from) - (bands[i].to - bands[i].from) || i - j);
    order.forEach((i) => {
      const b = bands[i];
      const width = textWidth(b.category, BAND_FONT, "bold") + 8;
      if (width > right - left) return;
      const centre = left + ((b.from + b.to) / 2) * (right - left);
      const start = Math.max(left, Math.min(centre - width / 2, right - width));
      const end = start + width;
      const row = rows.findIndex((taken) => taken.every(([s, e]) => end <= s || start >= e));
      if (row < 0) return;
      rows[row].push([start, end]);
      placed[i] = { show: true, row: row, shift: start + width / 2 - centre };
    });
    return placed;
  }

  const LABEL_FONT = 12;
  const LABEL_HEIGHT = 16;
  const LABEL_GAP = 5;

  // Whether the curve (points in pixels, left to right) passes through a box.
  function crosses(curve, box) {
    for (let i = 1; i < curve.length; i++) {
      const [x0, y0] = curve[i - 1];
      const [x1, y1] = curve[i];
      if (x1 < box.left || x0 > box.right) continue;
      const at = (x) => (x1 === x0 ? y0 : y0 + ((y1 - y0) * (x - x0)) / (x1 - x0));
      const ya = at(Math.max(x0, box.left)), yb = at(Math.min(x1, box.right));
      if (Math.max(ya, yb) >= box.top && Math.min(ya, yb) <= box.bottom) return true;
    }
    return false;
  }

  // The peak's label and the net total's label: the first places, in order of preference, in
  // which neither leaves the chart or touches the other, the net total's label clear of the
  // curve where it can be. When no such pair exists the net total's label is left out (the
  // line stays, the text above the chart gives the total).
  function placeWhaleLabels(chart, peakPoint, lineValue, peakText, lineText, points) {
    const at = (pt) => chart.convertToPixel({ seriesIndex: 0 }, pt);
    const curve = points.map(at);
    const [left, lineY] = at([0, lineValue]);
    const right = at([100, lineValue])[0];
    const [px, py] = at(peakPoint);
    const width = chart.getWidth();
    const pw = textWidth(peakText, LABEL_FONT, "bold");
    const lw = textWidth(lineText, LABEL_FONT);
    const h = LABEL_HEIGHT;
    const r = 4 + LABEL_GAP; // the marker's radius and the label's distance
    const peaks = [
      ["top", { left: px - pw / 2, right: px + pw / 2, top: py - r - h, bottom: py - r }],
      ["right", { left: px + r, right: px + r + pw, top: py - h / 2, bottom: py + h / 2 }],
      ["left", { left: px - r - pw, right: px - r, top: py - h / 2, bottom: py + h / 2 }],
      ["bottom", { left: px - pw / 2, right: px + pw / 2, top: py + r, bottom: py + r + h }],
    ].filter(([, b]) => b.left >= left && b.right <= width - 2 && b.top >= 0);
    const above = { top: lineY - LABEL_GAP - h, bottom: lineY - LABEL_GAP };
    const below = { top: lineY + LABEL_GAP, bottom: lineY + LABEL_GAP + h };
    const lines = [
      ["insideEndTop", Object.assign({ left: right - lw, right: right }, above)],
      ["insideStartTop", Object.assign({ left: left, right: left + lw }, above)],
      ["insideEndBottom", Object.assign({ left: right - lw, right: right }, below)],
      ["insideStartBottom", Object.assign({ left: left, right: left + lw }, below)],
    ];
    if (!peaks.length) peaks.push(["top", null]);
    for (const clear of [true, false]) {
      for (const [peak, pb] of peaks) {
        for (const [line, lb] of lines) {
          if (clear && crosses(curve, lb)) continue;
          if (!pb || !intersects(pb, lb, 4)) return { peak: peak, line: line, showLine: true };
        }
      }
    }
    return { peak: peaks[0][0], line: "insideEndTop", showLine: false };
  }

  return {
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
    placeWhaleLabels,
  };
})();
