// Option chain: per underlying, expiries as tabs, strikes as rows, calls left and puts right
// (mark, mark IV, best bid/ask with size, delta); the index and its recent path; the smile.
import { api, explain } from "../api.js";
import { h, fill, message, round, pct, utc, throttle } from "../dom.js";
import { lineChart } from "../charts.js";

let chosenExpiry = {}; // underlying -> expiry the user last picked (kept across redraws)

export async function renderChain(ctx, arg) {
  const { root } = ctx;
  let unders;
  // With an underlying named, its chain loads beside the list of underlyings (one round trip less).
  const early = arg ? Promise.all([api.chain(arg), api.indexHistory(arg)]).catch(() => null) : null;
  try {
    unders = await api.underlyings();
  } catch (e) {
    fill(root, message("error", explain(e, "The underlyings")));
    return;
  }
  if (!unders.length) {
    fill(root, message("info", "No underlying is listed on this node yet."));
    ctx.ready("chain");
    return;
  }
  const name = arg || unders[0].name;
  const u = unders.find((x) => x.name.toLowerCase() === name.toLowerCase());
  const tabs = h("div", { class: "tabs", role: "tablist" },
    unders.map((x) => h("a", { href: `#/chain/${x.name}`, class: u && x.name === u.name ? "tab active" : "tab", role: "tab" }, x.name)));
  if (!u) {
    fill(root, tabs, message("error", `Unknown underlying "${name}": this node lists ${unders.map((x) => x.name).join(", ")}.`));
    ctx.ready("chain-error");
    return;
  }
  const body = h("div", { class: "chain" });
  fill(root, tabs, body);

  let history = [];
  let first = early;
  const redraw = async () => {
    let chain;
    try {
      const got = first ? await first : null;
      first = null;
      [chain, history] = got || await Promise.all([api.chain(u.name), api.indexHistory(u.name).catch(() => history)]);
    } catch (e) {
      fill(body, message("error", explain(e, `The ${u.name} chain`)));
      return;
    }
    draw(ctx, body, chain, history, redraw);
    ctx.ready("chain");
  };
  const later = throttle(redraw, 1000);
  ctx.onBlock(later);
  ctx.onCleanup(() => later.cancel());
  await redraw();
}

function draw(ctx, body, chain, history, redraw) {
  const expiries = chain.expiries || [];
  let exp = expiries.find((e) => e.expiry === chosenExpiry[chain.underlying]) || expiries[0];
  const indexChart = lineChart([{ name: "index", cls: "index", points: history.map((p) => [p.time, Number(p.index)]) }], {
    testid: "index-chart", xFormat: timeLabel(history), xMinStep: 1, label: `${chain.underlying} index`, empty: "index path: waiting for oracle updates",
  });
  const head = h("div", { class: "cards" },
    h("div", { class: "stat big" }, h("div", { class: "label" }, `${chain.underlying} index`), h("div", { class: "value", "data-testid": "index" }, chain.index)),
    h("div", { class: "stat" }, h("div", { class: "label" }, "as of"), h("div", { class: "value" }, `block ${chain.block} · ${utc(chain.time)}`)),
  );
  if (!exp) {
    fill(body, head, h("div", { class: "panel" }, indexChart), message("info", `No ${chain.underlying} series is listed.`));
    return;
  }
  const etabs = h("div", { class: "tabs", role: "tablist", "data-testid": "expiry-tabs" }, expiries.map((e) =>
    h("button", {
      class: e.expiry === exp.expiry ? "tab active" : "tab", role: "tab", "data-expiry": e.expiry,
      onclick: () => { chosenExpiry[chain.underlying] = e.expiry; draw(ctx, body, chain, history, redraw); },
    }, e.label)));
  // Rows by strike: the call and the put of each strike side by side.
  const byStrike = new Map();
  for (const se of exp.series) {
    const k = se.strike;
    if (!byStrike.has(k)) byStrike.set(k, {});
    byStrike.get(k)[se.type] = se;
  }
  const strikes = [...byStrike.keys()].sort((a, b) => Number(a) - Number(b));
  const index = Number(chain.index);
  const open = (se) => se && ctx.navigate("instrument", se.name);
  const cells = (se, side) => {
    if (!se) return side === "call" ? [h("td", { colspan: 5, class: "na" }, "-")] : [h("td", { colspan: 5, class: "na" }, "-")];
    const quote = (p, sz, cls) => h("td", { class: `num ${cls}` }, p === null ? "-" : h("span", {}, p, h("small", {}, ` ×${sz}`)));
    const mark = h("td", { class: "num mark", "data-testid": `mark-${se.id}`, "data-mark": se.mark ?? "" }, se.mark ?? "-");
    const iv = h("td", { class: "num", title: se.iv ?? "" }, pct(se.iv));
    const delta = h("td", { class: "num", title: se.delta ?? "" }, round(se.delta, 3));
    const row = side === "call"
      ? [delta, iv, quote(se.bid, se.bid_size, "bid"), mark, quote(se.ask, se.ask_size, "ask")]
      : [quote(se.bid, se.bid_size, "bid"), mark, quote(se.ask, se.ask_size, "ask"), iv, delta];
    for (const td of row) { td.classList.add("click"); td.addEventListener("click", () => open(se)); td.title = td.title || se.name; }
    return row;
  };
  const table = h("div", { class: "scroll" }, h("table", { class: "chain-table", "data-testid": "chain-table" },
    h("thead", {},
      h("tr", {}, h("th", { colspan: 5, class: "side" }, "Calls"), h("th", {}, ""), h("th", { colspan: 5, class: "side" }, "Puts")),
      h("tr", {}, ["Δ", "IV", "Bid", "Mark", "Ask"].map((c) => h("th", { class: "num" }, c)), h("th", { class: "strike" }, "Strike"),
        ["Bid", "Mark", "Ask", "IV", "Δ"].map((c) => h("th", { class: "num" }, c)))),
    h("tbody", {}, strikes.map((k) => {
      const r = byStrike.get(k);
      const itmCall = Number(k) < index, itmPut = Number(k) > index;
      return h("tr", { "data-strike": k, class: `${itmCall ? "itm-call" : ""} ${itmPut ? "itm-put" : ""}` },
        cells(r.call, "call"), h("td", { class: "strike" }, k), cells(r.put, "put"));
    }))));
  const smile = lineChart([
    { name: "calls", cls: "call", dots: true, points: exp.series.filter((s) => s.type === "call" && s.iv !== null).map((s) => [Number(s.strike), Number(s.iv) * 100]) },
    { name: "puts", cls: "put", dots: true, points: exp.series.filter((s) => s.type === "put" && s.iv !== null).map((s) => [Number(s.strike), Number(s.iv) * 100]) },
  ], { testid: "smile-chart", label: `volatility smile ${exp.label}`, yFormat: (v) => `${+v.toFixed(2)}%`, minSpan: 2, empty: "no marks yet" });
  for (const se of exp.series) window.__optrollup.marks[se.id] = se.mark;
  fill(body, head,
    h("div", { class: "grid2" },
      h("section", { class: "panel" }, h("h3", {}, `${chain.underlying} index, recent path`), indexChart),
      h("section", { class: "panel" }, h("h3", {}, `Volatility smile, ${exp.label} (mark IV by strike)`), smile)),
    etabs, table);
}

/** Axis labels HH:MM, or HH:MM:SS when the path spans less than 10 minutes. */
function timeLabel(points) {
  const span = points.length ? points[points.length - 1].time - points[0].time : 0;
  return (t) => utc(t).slice(11, span < 600 ? 19 : 16);
}
