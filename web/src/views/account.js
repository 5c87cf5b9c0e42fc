// Account: balance, equity, IM/MM against equity, the worst scenario, positions (mark, P&L,
// Greeks), open orders with cancel, fills, and order entry; live from the account stream.
import { api, explain } from "../api.js";
import { h, fill, message, stat, num, round, utc, short, table, throttle } from "../dom.js";
import { marginBar, barChart } from "../charts.js";
import { signer, signAndSubmit } from "../signer.js";
import { orderForm } from "./order.js";

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

export async function renderAccount(ctx, arg) {
  const { root } = ctx;
  const s = signer();
  const address = (arg || (s ? s.address : "")).trim();
  const input = h("input", { name: "address", placeholder: "0x… address", value: address, "data-testid": "address-input", autocomplete: "off", spellcheck: "false" });
  const picker = h("form", { class: "picker", onsubmit: (ev) => { ev.preventDefault(); ctx.navigate("account", input.value.trim()); } },
    input, h("button", { type: "submit" }, "Show"));
  if (!address) {
    fill(root, picker, message("info", "Enter an address, or pick a signer (top right) to see your own account."));
    ctx.ready("account-empty");
    return;
  }
  if (!ADDRESS.test(address)) {
    fill(root, picker, message("error", `Not an address: "${address}" (an address is 0x and 40 hex digits)`));
    ctx.ready("account-error");
    return;
  }
  const addr = address.toLowerCase();
  const mine = s && s.address === addr;
  const info = await ctx.whenInfo();
  const readOnly = !!(info && info.read_only);
  const body = h("div", {});
  const actionMsg = h("div", {});
  const form = orderForm({ readOnly, onDone: () => refresh() });
  const formTitle = h("h3", {}, mine ? "Order entry" : "Order entry (pick this account's signer to trade)");
  fill(root, picker, body, h("section", { class: "panel" }, formTitle, form));

  let acct = null;
  const cancel = async (o) => {
    fill(actionMsg, message("info", `cancelling order ${o.order_id}…`));
    try {
      const r = await signAndSubmit("cancel", { order_id: o.order_id });
      fill(actionMsg, message("ok", `order ${o.order_id} cancelled (block ${r.block})`, "cancel-result"));
    } catch (e) {
      fill(actionMsg, message("error", explain(e, "The cancel failed"), "cancel-result"));
    }
    refresh();
  };
  const draw = () => {
    const a = acct;
    const greeks = a.greeks || {};
    const positions = a.positions || [];
    fill(body,
      h("h2", {}, "Account ", h("span", { class: "mono", "data-testid": "account-address" }, a.address), mine ? h("span", { class: "badge" }, `signing as ${s.label}`) : null),
      h("div", { class: "cards" },
        stat("balance", a.balance, "balance"), stat("equity", a.equity, "equity"), stat("available", num(a.available, { signed: true }), "available"),
        stat("initial margin", a.initial, "initial"), stat("maintenance", a.maintenance, "maintenance"),
        stat("worst scenario", a.worst_scenario || "-", "worst-scenario"), stat("as of block", a.block)),
      h("section", { class: "panel" }, h("h3", {}, "Margin against equity"), marginBar(Number(a.equity), Number(a.initial), Number(a.maintenance)),
        a.complete === false ? message("info", "Margin is partial: a series has no mark yet.") : null),
      h("div", { class: "cards" }, stat("delta", round(greeks.delta, 4)), stat("gamma", round(greeks.gamma, 6)), stat("vega", round(greeks.vega, 4)), stat("theta / year", round(greeks.theta, 2))),
      h("section", { class: "panel" }, h("h3", {}, "Positions"), table([
        { label: "Instrument", cell: (p) => h("a", { href: `#/instrument/${p.name}` }, p.name) },
        { label: "Size", cell: (p) => num(p.size, { signed: true }), cls: "num" },
        { label: "Mark", cell: (p) => p.mark ?? "-", cls: "num" },
        { label: "Value", cell: (p) => p.value, cls: "num" },
        { label: "Avg entry", cell: (p) => p.avg_entry, cls: "num" },
        { label: "Unrealised", cell: (p) => num(p.unrealised, { signed: true }), cls: "num" },
        { label: "Realised", cell: (p) => num(p.realised, { signed: true }), cls: "num" },
        { label: "Fees", cell: (p) => p.fees, cls: "num" },
        { label: "Delta", cell: (p) => round(p.delta, 4), cls: "num" },
        { label: "Gamma", cell: (p) => round(p.gamma, 6), cls: "num" },
        { label: "Vega", cell: (p) => round(p.vega, 3), cls: "num" },
        { label: "Theta", cell: (p) => round(p.theta, 2), cls: "num" },
      ], positions, { testid: "positions", empty: "no positions" }),
      positions.length ? h("h3", {}, "P&L by position (unrealised + realised)") : null,
      positions.length ? barChart(positions.map((p) => ({ label: p.name, value: Number(p.unrealised) + Number(p.realised) })), "pnl-chart", "P&L by position") : null),
      h("section", { class: "panel" }, h("h3", {}, "Open orders"), actionMsg, table([
        { label: "Order", cell: (o) => o.order_id, cls: "num" },
        { label: "Instrument", cell: (o) => h("a", { href: `#/instrument/${o.name}` }, o.name) },
        { label: "Side", cell: (o) => h("span", { class: o.side === "buy" ? "pos" : "neg" }, o.side) },
        { label: "Price", cell: (o) => o.price, cls: "num" },
        { label: "Remaining", cell: (o) => o.remaining ?? o.size, cls: "num" },
        { label: "", cell: (o) => (mine && !readOnly ? h("button", { class: "small", "data-testid": `cancel-${o.order_id}`, onclick: (ev) => { ev.target.disabled = true; cancel(o); } }, "Cancel") : "") },
      ], a.orders || [], { testid: "orders", empty: "no open orders", rowAttrs: (o) => ({ "data-order-id": o.order_id }) })),
      h("section", { class: "panel" }, h("h3", {}, "Fills (newest first)"), table([
        { label: "Time (UTC)", cell: (f) => utc(f.time) },
        { label: "Block", cell: (f) => f.block, cls: "num" },
        { label: "Instrument", cell: (f) => f.name },
        { label: "Side", cell: (f) => h("span", { class: f.side === "buy" ? "pos" : "neg" }, f.side) },
        { label: "Price", cell: (f) => f.price, cls: "num" },
        { label: "Size", cell: (f) => f.size, cls: "num" },
        { label: "Fee", cell: (f) => f.fee, cls: "num" },
        { label: "Role", cell: (f) => f.role },
        { label: "Order", cell: (f) => f.order_id ?? "", cls: "num" },
        { label: "Tx", cell: (f) => (f.tx ? h("span", { title: f.tx }, short(f.tx)) : "") },
      ], a.fills || [], { testid: "fills", empty: "no fills yet" })));
  };
  const load = async () => {
    try {
      acct = await api.account(addr);
    } catch (e) {
      fill(body, message("error", explain(e, `Account ${addr}`)));
      ctx.ready("account-error");
      return;
    }
    draw();
    ctx.ready("account");
  };
  const refresh = throttle(load, 300);
  const marksMove = throttle(load, 3000); // marks move with every block: redraw at most every 3 s
  await load();
  const off = ctx.stream.subscribe("account", addr, (f) => { if (!f.error && !f.snapshot) refresh(); });
  ctx.onBlock(marksMove);
  ctx.onCleanup(() => { off(); refresh.cancel(); marksMove.cancel(); });
}
