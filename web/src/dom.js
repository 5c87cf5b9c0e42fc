// Small DOM helpers: element construction without innerHTML (no injection from API strings).

/** h("div", {class: "x", onclick: f}, child, ...) -> HTMLElement. Children: nodes, strings, arrays, null. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (k === "dataset") Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** Replace the children of el. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** A table: columns [{label, cell(row) -> node|string, cls?}], rows; `testid` names it for tests. */
export function table(columns, rows, { testid, empty = "none", rowAttrs } = {}) {
  const head = h("tr", {}, columns.map((c) => h("th", { class: c.cls }, c.label)));
  const body = rows.length
    ? rows.map((r) => h("tr", rowAttrs ? rowAttrs(r) : {}, columns.map((c) => h("td", { class: c.cls }, c.cell(r)))))
    : [h("tr", { class: "empty" }, h("td", { colspan: columns.length }, empty))];
  return h("div", { class: "scroll" }, h("table", { "data-testid": testid }, h("thead", {}, head), h("tbody", {}, body)));
}

/** A message box: kind "error" | "ok" | "info". */
export function message(kind, text, testid = "message") {
  return h("div", { class: `msg ${kind}`, role: kind === "error" ? "alert" : "status", "data-testid": testid }, text);
}

/** A labelled figure: label above, value below. */
export function stat(label, value, testid) {
  return h("div", { class: "stat" }, h("div", { class: "label" }, label), h("div", { class: "value", "data-testid": testid }, value ?? "-"));
}

/** Show a decimal string (or "-" when null); sign-coloured with `signed`. */
export function num(v, { signed = false } = {}) {
  if (v === null || v === undefined || v === "") return "-";
  const cls = signed ? (String(v).startsWith("-") ? "neg" : Number(v) > 0 ? "pos" : "") : "";
  return cls ? h("span", { class: cls }, String(v)) : String(v);
}

/** Round a decimal string for display to at most `dp` decimals (the exact value stays in title). */
export function round(v, dp = 4) {
  if (v === null || v === undefined || v === "") return "-";
  const x = Number(v);
  if (!Number.isFinite(x)) return String(v);
  const s = x.toFixed(dp).replace(/\.?0+$/, "");
  return s === "-0" ? "0" : s;
}

/** "12.5 %" from a fraction string "0.125". */
export function pct(v, dp = 1) {
  if (v === null || v === undefined || v === "") return "-";
  return `${(Number(v) * 100).toFixed(dp)} %`;
}

/** UTC "YYYY-MM-DD HH:MM:SS" from unix seconds. */
export function utc(t) {
  if (!t) return "-";
  return new Date(t * 1000).toISOString().replace("T", " ").slice(0, 19);
}

/** A short form of a 0x hash or address: 0x1234…abcd. */
export function short(hex) {
  if (!hex || hex.length < 14) return hex || "-";
  return `${hex.slice(0, 6)}…${hex.slice(-4)}`;
}

/** "1h 02m 03s" from seconds (>= 0). */
export function duration(s) {
  s = Math.max(0, Math.floor(s));
  const hh = Math.floor(s / 3600), mm = Math.floor((s % 3600) / 60), ss = s % 60;
  return hh ? `${hh}h ${String(mm).padStart(2, "0")}m ${String(ss).padStart(2, "0")}s` : mm ? `${mm}m ${String(ss).padStart(2, "0")}s` : `${ss}s`;
}

/** f, called at most once per `ms` (the last call of a burst runs at the end of the window). */
export function throttle(f, ms) {
  let timer = null, pending = false, last = 0;
  const run = () => { last = Date.now(); pending = false; timer = null; f(); };
  const g = () => {
    if (timer) { pending = true; return; }
    const wait = Math.max(0, last + ms - Date.now());
    timer = setTimeout(run, wait);
  };
  g.cancel = () => { if (timer) clearTimeout(timer); timer = null; };
  return g;
}
