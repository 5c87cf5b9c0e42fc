// Hand-drawn SVG charts (no library): a line/point chart, a depth chart, a margin bar and a
// horizontal bar chart. Inputs are plain numbers (the page parses the API's decimal strings);
// every chart scales to its container's width (viewBox) and names itself with data-testid.

const NS = "http://www.w3.org/2000/svg";
const W = 640, H = 220, PAD = { l: 60, r: 14, t: 24, b: 26 };

function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== null && v !== undefined) el.setAttribute(k, String(v));
  for (const c of children) if (c !== null && c !== undefined) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

function svg(testid, w = W, h = H, label = "") {
  return s("svg", { viewBox: `0 0 ${w} ${h}`, class: "chart", "data-testid": testid, role: "img", "aria-label": label });
}

/** Ticks: about n round values covering [lo, hi]. */
function ticks(lo, hi, n = 4, minStep = 0) {
  if (!(hi > lo)) return [lo];
  const raw = Math.max((hi - lo) / n, minStep), mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((st) => st >= raw) || raw;
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9 * step; v += step) out.push(+v.toPrecision(12));
  return out;
}

/** A formatter for ticks `step` apart: just enough decimals to tell them apart. */
function stepFormat(ticksList) {
  const step = ticksList.length > 1 ? Math.abs(ticksList[1] - ticksList[0]) : 0;
  const dp = step > 0 && step < 1 ? Math.min(8, Math.ceil(-Math.log10(step) - 1e-9)) : 0;
  return (v) => (Math.abs(v) >= 1e4 ? fmtTick(v) : v.toFixed(dp));
}

function fmtTick(v) {
  const a = Math.abs(v);
  if (a >= 1e6) return `${+(v / 1e6).toFixed(2)}M`;
  if (a >= 1e4) return `${+(v / 1e3).toFixed(1)}k`;
  return +v.toPrecision(4) + "";
}

function extent(values, padFrac = 0.05) {
  let lo = Math.min(...values), hi = Math.max(...values);
  if (!Number.isFinite(lo)) return [0, 1];
  if (lo === hi) { const d = Math.abs(lo) * 0.01 || 1; lo -= d; hi += d; }
  const p = (hi - lo) * padFrac;
  return [lo - p, hi + p];
}

/**
 * A line chart. series: [{name, points: [[x, y], ...], cls, dots?: bool, line?: bool}].
 * opts: {xFormat(x) -> label, yLabel, testid, empty}.
 */
export function lineChart(series, opts = {}) {
  const el = svg(opts.testid || "chart", W, H, opts.label || "");
  const pts = series.flatMap((se) => se.points).filter((p) => Number.isFinite(p[0]) && Number.isFinite(p[1]));
  if (!pts.length) {
    el.append(s("text", { x: W / 2, y: H / 2, "text-anchor": "middle", class: "axis" }, opts.empty || "no data yet"));
    return el;
  }
  const [x0, x1] = extent(pts.map((p) => p[0]), 0.02);
  let [y0, y1] = extent(pts.map((p) => p[1]));
  if (opts.minSpan && y1 - y0 < opts.minSpan) { const m = (y0 + y1) / 2; y0 = m - opts.minSpan / 2; y1 = m + opts.minSpan / 2; }
  const X = (x) => PAD.l + ((x - x0) / (x1 - x0)) * (W - PAD.l - PAD.r);
  const Y = (y) => H - PAD.b - ((y - y0) / (y1 - y0)) * (H - PAD.t - PAD.b);
  const yt = ticks(y0, y1), yf = opts.yFormat || stepFormat(yt);
  for (const t of yt) {
    el.append(s("line", { x1: PAD.l, x2: W - PAD.r, y1: Y(t), y2: Y(t), class: "grid" }));
    el.append(s("text", { x: PAD.l - 6, y: Y(t) + 4, "text-anchor": "end", class: "axis" }, yf(t)));
  }
  const xt = ticks(x0, x1, 5, opts.xMinStep || 0), xf = opts.xFormat || stepFormat(xt);
  for (const t of xt) el.append(s("text", { x: X(t), y: H - 8, "text-anchor": "middle", class: "axis" }, xf(t)));
  for (const se of series) {
    const p = se.points.filter((q) => Number.isFinite(q[0]) && Number.isFinite(q[1])).sort((a, b) => a[0] - b[0]);
    if (se.line !== false && p.length > 1) {
      el.append(s("path", { d: p.map((q, i) => `${i ? "L" : "M"}${X(q[0]).toFixed(1)},${Y(q[1]).toFixed(1)}`).join(""), class: `line ${se.cls || ""}` }));
    }
    if (se.dots || p.length === 1) for (const q of p) el.append(s("circle", { cx: X(q[0]), cy: Y(q[1]), r: 3, class: `dot ${se.cls || ""}` }));
  }
  const legend = series.filter((se) => se.name);
  legend.forEach((se, i) => {
    el.append(s("rect", { x: PAD.l + i * 110, y: 4, width: 10, height: 10, class: `key ${se.cls || ""}` }));
    el.append(s("text", { x: PAD.l + 14 + i * 110, y: 13, class: "axis" }, se.name));
  });
  return el;
}

/** A depth chart: cumulative size by price, bids (green, left) and asks (red, right). Levels best first. */
export function depthChart(bids, asks, testid = "depth-chart") {
  const el = svg(testid, W, H, "order book depth");
  const cum = (levels) => { let c = 0; return levels.map((l) => [Number(l.price), (c += Number(l.size))]); };
  const b = cum(bids), a = cum(asks);
  if (!b.length && !a.length) {
    el.append(s("text", { x: W / 2, y: H / 2, "text-anchor": "middle", class: "axis" }, "empty book"));
    return el;
  }
  const prices = [...b, ...a].map((p) => p[0]);
  const [x0, x1] = extent(prices, 0.05);
  const ymax = Math.max(...[...b, ...a].map((p) => p[1])) * 1.1;
  const X = (x) => PAD.l + ((x - x0) / (x1 - x0)) * (W - PAD.l - PAD.r);
  const Y = (y) => H - PAD.b - (y / ymax) * (H - PAD.t - PAD.b);
  for (const t of ticks(0, ymax)) {
    el.append(s("line", { x1: PAD.l, x2: W - PAD.r, y1: Y(t), y2: Y(t), class: "grid" }));
    el.append(s("text", { x: PAD.l - 6, y: Y(t) + 4, "text-anchor": "end", class: "axis" }, fmtTick(t)));
  }
  for (const t of ticks(x0, x1, 5)) el.append(s("text", { x: X(t), y: H - 8, "text-anchor": "middle", class: "axis" }, fmtTick(t)));
  // A step area from the best price outwards.
  const area = (pts, dir) => {
    if (!pts.length) return null;
    let d = `M${X(pts[0][0])},${Y(0)}`;
    let prev = 0;
    for (const [x, y] of pts) d += `L${X(x)},${Y(prev)}L${X(x)},${Y(y)}`, (prev = y);
    const edge = dir < 0 ? x0 : x1;
    d += `L${X(edge)},${Y(prev)}L${X(edge)},${Y(0)}Z`;
    return d;
  };
  if (b.length) el.append(s("path", { d: area(b, -1), class: "area bid" }));
  if (a.length) el.append(s("path", { d: area(a, 1), class: "area ask" }));
  return el;
}

/**
 * The margin bar (HTML, fixed height at any width): equity is the full scale; the initial and
 * maintenance requirements are drawn against it (a requirement past equity shows in red).
 */
export function marginBar(equity, initial, maintenance, testid = "margin-bar") {
  const scale = Math.max(equity, initial, maintenance, 1e-9);
  const w = (v) => `${(Math.max(0, Math.min(v, scale)) / scale * 100).toFixed(2)}%`;
  const div = (cls, width) => { const d = document.createElement("div"); d.className = cls; d.style.width = width; return d; };
  const bar = document.createElement("div");
  bar.className = "mbar";
  bar.dataset.testid = testid;
  bar.setAttribute("role", "img");
  bar.append(div("eq", w(equity)), div(initial > equity ? "im over" : "im", w(initial)), div(maintenance > equity ? "mm over" : "mm", w(maintenance)));
  const used = equity > 0 ? (initial / equity) * 100 : initial > 0 ? Infinity : 0;
  bar.setAttribute("aria-label", `initial margin ${initial}, maintenance ${maintenance}, equity ${equity}`);
  const legend = document.createElement("div");
  legend.className = "mbar-legend";
  const key = (cls, text) => { const s = document.createElement("span"); const i = document.createElement("i"); i.className = cls; s.append(i, text); return s; };
  legend.append(key("mbar-k im", `initial ${fmtTick(initial)}`), key("mbar-k mm", `maintenance ${fmtTick(maintenance)}`),
    key("mbar-k eq", `equity ${fmtTick(equity)}`), `IM / equity ${Number.isFinite(used) ? used.toFixed(used < 1 ? 3 : 1) + " %" : "∞"}`);
  const box = document.createElement("div");
  box.append(bar, legend);
  return box;
}

/** Horizontal bars, one per row {label, value}: a label column, then bars from a zero axis
 * (positive right in green, negative left in red), the value at the bar's end. */
export function barChart(rows, testid = "bar-chart", label = "") {
  const rowH = 24, w = 900, h = Math.max(1, rows.length) * rowH + 8;
  const el = svg(testid, w, h, label);
  if (!rows.length) return el;
  const labelW = 230, valueW = 90;
  const anyNeg = rows.some((r) => r.value < 0), anyPos = rows.some((r) => r.value > 0);
  const zone = w - labelW - 2 * valueW;
  const mid = labelW + valueW + (anyNeg && anyPos ? zone / 2 : anyNeg ? zone : 0);
  const half = anyNeg && anyPos ? zone / 2 : zone;
  const m = Math.max(...rows.map((r) => Math.abs(r.value)), 1e-9);
  rows.forEach((r, i) => {
    const y = 4 + i * rowH, len = (Math.abs(r.value) / m) * half;
    el.append(s("text", { x: 4, y: y + 16, class: "axis label" }, r.label.length > 30 ? r.label.slice(0, 29) + "…" : r.label));
    el.append(s("rect", { x: r.value < 0 ? mid - len : mid, y: y + 4, width: Math.max(1, len), height: rowH - 8, class: r.value < 0 ? "bar-neg" : "bar-pos" }));
    const tx = r.value < 0 ? mid - len - 6 : mid + len + 6;
    el.append(s("text", { x: tx, y: y + 16, "text-anchor": r.value < 0 ? "end" : "start", class: "axis" }, fmtTick(r.value)));
  });
  el.append(s("line", { x1: mid, x2: mid, y1: 0, y2: h, class: "grid" }));
  return el;
}
