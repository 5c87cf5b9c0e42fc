// Instrument: the aggregated book with its depth chart, recent trades, a chart of the mark and
// the trades, and order entry; live from the gateway's book / trades / blocks streams.
import { api, explain } from "../api.js";
import { h, fill, message, stat, round, pct, utc, short, table, throttle } from "../dom.js";
import { depthChart, lineChart } from "../charts.js";
import { orderForm } from "./order.js";

const MAX_POINTS = 500;

export async function renderInstrument(ctx, arg) {
  const { root } = ctx;
  const input = h("input", { name: "instrument", placeholder: "instrument: name, id or ETH-ATM-C", value: arg, "data-testid": "instrument-input", autocomplete: "off" });
  const picker = h("form", { class: "picker", onsubmit: (ev) => { ev.preventDefault(); ctx.navigate("instrument", input.value.trim()); } },
    input, h("button", { type: "submit" }, "Show"));
  if (!arg) {
    fill(root, picker, message("info", "Name an instrument (e.g. ETH-ATM-C), or pick one in the chain."));
    ctx.ready("instrument-empty");
    return;
  }
  let ins, info;
  try {
    [ins, info] = await Promise.all([api.instrument(arg), ctx.whenInfo()]);
  } catch (e) {
    fill(root, picker, message("error", explain(e, `Instrument "${arg}"`)));
    ctx.ready("instrument-error");
    return;
  }
  const name = ins.name;
  const marks = ins.mark !== null ? [[ctx.head() ? ctx.head().time : Math.floor(Date.now() / 1000), Number(ins.mark)]] : [];
  let trades = [], book = { bids: [], asks: [], seq: 0, block: ins.block };

  const headBox = h("div", { class: "cards" });
  const bookBox = h("div", { class: "book" });
  const depthBox = h("div", {});
  const tradesBox = h("div", {});
  const priceBox = h("div", {});
  const form = orderForm({ instrument: name, readOnly: !!(info && info.read_only) });
  fill(root, picker,
    h("h2", { "data-testid": "instrument-name" }, name, ins.settled ? h("span", { class: "badge" }, "settled") : null),
    headBox,
    h("div", { class: "grid2" },
      h("section", { class: "panel" }, h("h3", {}, "Order book"), bookBox),
      h("section", { class: "panel" }, h("h3", {}, "Depth"), depthBox, h("h3", {}, "Mark and trades"), priceBox)),
    h("div", { class: "grid2" },
      h("section", { class: "panel" }, h("h3", {}, "Recent trades"), tradesBox),
      h("section", { class: "panel" }, h("h3", {}, "Order entry"), form)));

  const drawHead = () => fill(headBox,
    stat("mark", ins.mark, "instrument-mark"), stat("mark IV", pct(ins.iv)), stat("delta", round(ins.delta, 4)), stat("gamma", round(ins.gamma, 6)),
    stat("vega", round(ins.vega, 4)), stat("theta", round(ins.theta, 2)), stat("strike", `${ins.strike} ${ins.type}`),
    stat("expiry", utc(ins.expiry)), stat("tick / min size", `${ins.tick} / ${ins.min_size}`));
  const level = (side) => (l) => h("tr", { class: side, onclick: () => { form.setPrice(l.price); form.setSide(side === "ask" ? "buy" : "sell"); } },
    h("td", { class: "num" }, l.price), h("td", { class: "num" }, l.size), h("td", { class: "num" }, l.orders));
  const drawBook = () => {
    const asks = [...book.asks].slice(0, 12).reverse(), bids = book.bids.slice(0, 12);
    const best = (l) => (l.length ? Number(l[0].price) : null);
    const bb = best(book.bids), ba = best(book.asks);
    fill(bookBox, h("div", { class: "scroll" }, h("table", { "data-testid": "book", "data-seq": book.seq, "data-block": book.block },
      h("thead", {}, h("tr", {}, h("th", { class: "num" }, "Price"), h("th", { class: "num" }, "Size"), h("th", { class: "num" }, "Orders"))),
      h("tbody", { "data-testid": "asks" }, asks.length ? asks.map(level("ask")) : h("tr", { class: "empty" }, h("td", { colspan: 3 }, "no asks"))),
      h("tbody", {}, h("tr", { class: "spread" }, h("td", { colspan: 3 }, bb !== null && ba !== null ? `spread ${+(ba - bb).toFixed(6)}` : "—"))),
      h("tbody", { "data-testid": "bids" }, bids.length ? bids.map(level("bid")) : h("tr", { class: "empty" }, h("td", { colspan: 3 }, "no bids"))))));
    fill(depthBox, depthChart(book.bids, book.asks));
  };
  const drawTrades = () => {
    fill(tradesBox, table([
      { label: "Time (UTC)", cell: (t) => utc(t.time).slice(11) },
      { label: "Block", cell: (t) => t.block, cls: "num" },
      { label: "Side", cell: (t) => h("span", { class: t.taker_side === "buy" ? "pos" : "neg" }, t.taker_side) },
      { label: "Price", cell: (t) => t.price, cls: "num" },
      { label: "Size", cell: (t) => t.size, cls: "num" },
      { label: "Tx", cell: (t) => h("span", { title: t.tx }, short(t.tx)) },
    ], trades.slice(0, 30), { testid: "trades", empty: "no trades yet" }));
    fill(priceBox, lineChart([
      { name: "mark", cls: "mark", points: marks },
      { name: "trades", cls: "trade", dots: true, line: false, points: trades.map((t) => [t.time, Number(t.price)]) },
    ], { testid: "price-chart", xFormat: (t) => utc(t).slice(11, spanOf(marks, trades) < 600 ? 19 : 16), xMinStep: 1, label: `${name} mark and trades` }));
  };

  try {
    [book, trades] = await Promise.all([api.book(name), api.trades(name, 100)]);
  } catch (e) {
    fill(bookBox, message("error", explain(e, "The book")));
  }
  drawHead(); drawBook(); drawTrades();
  ctx.ready("instrument");

  const probe = window.__optrollup;
  probe.bookFrames = probe.bookFrames || [];
  const offBook = ctx.stream.subscribe("book", name, (f) => {
    if (f.error) return fill(bookBox, message("error", f.error));
    const recv = performance.now();
    book = f.data;
    book.seq = f.seq;
    drawBook();
    const drawn = performance.now();
    requestAnimationFrame(() => {
      probe.bookFrames.push({ seq: f.seq, block: f.data.block, recv, drawn, painted: performance.now(), wall: Date.now() });
      if (probe.bookFrames.length > 1000) probe.bookFrames.splice(0, 500);
    });
  });
  const offTrades = ctx.stream.subscribe("trades", name, (f) => {
    if (f.error) return;
    if (f.snapshot) trades = Array.isArray(f.data) ? f.data : trades;
    else trades = [f.data, ...trades].slice(0, 200);
    drawTrades();
  });
  const refreshMark = throttle(async () => {
    try {
      ins = await api.instrument(name);
      if (ins.mark !== null) {
        const t = ctx.head() ? ctx.head().time : Math.floor(Date.now() / 1000);
        if (!marks.length || marks[marks.length - 1][0] !== t) marks.push([t, Number(ins.mark)]);
        if (marks.length > MAX_POINTS) marks.splice(0, marks.length - MAX_POINTS);
      }
      drawHead(); drawTrades();
    } catch (e) { /* the next block retries */ }
  }, 2000);
  ctx.onBlock(refreshMark);
  ctx.onCleanup(() => { offBook(); offTrades(); refreshMark.cancel(); });
}

/** Seconds between the first and last point of the price chart. */
function spanOf(marks, trades) {
  const ts = [...marks.map((m) => m[0]), ...trades.map((t) => t.time)];
  return ts.length ? Math.max(...ts) - Math.min(...ts) : 0;
}
