// Rollup: L2 head and throughput, batches posted on L1, proposed roots with their finality
// countdown, withdrawals, deposits in flight, the forced queue and disputes.
import { api, explain } from "../api.js";
import { h, fill, message, stat, utc, short, table, duration, throttle } from "../dom.js";
import { barChart } from "../charts.js";

/** A table of objects whose fields the page does not know in advance (one column per key). */
function generic(rows, testid, empty) {
  if (!rows.length) return h("p", { class: "muted", "data-testid": testid }, empty);
  const keys = rows.length ? Object.keys(rows[0]) : ["-"];
  const show = (v) => (typeof v === "string" && /^0x[0-9a-f]{40,}$/i.test(v) ? h("span", { title: v }, short(v)) : typeof v === "object" && v !== null ? JSON.stringify(v) : String(v ?? "-"));
  return table(keys.map((k) => ({ label: k.replace(/_/g, " "), cell: (r) => show(r[k]) })), rows, { testid, empty });
}

export async function renderRollup(ctx) {
  const { root } = ctx;
  const body = h("div", {});
  fill(root, h("h2", {}, "Rollup"), body);
  let r = null;
  const countdowns = [];
  const tick = () => {
    const now = Date.now() / 1000;
    for (const [el, root] of countdowns) {
      if (root.final) { el.textContent = "final"; el.className = "pos"; continue; }
      const left = root.final_at - now;
      el.textContent = left > 0 ? `final in ${duration(left)}` : "final (awaiting L1)";
    }
  };
  const draw = () => {
    countdowns.length = 0;
    const l1 = r.l1 || {};
    const cd = (x) => { const el = h("span", { "data-testid": `countdown-${x.index}` }); countdowns.push([el, x]); return el; };
    fill(body,
      h("div", { class: "cards" },
        stat("L2 head", r.head ? `block ${r.head.number}` : "-", "l2-head"), stat("throughput", r.tps !== undefined ? `${r.tps} tx/s` : "-", "tps"),
        stat("head time", r.head ? utc(r.head.time) : "-"), r.available ? stat("L1 block", l1.l1_block ?? "-", "l1-block") : null,
        r.available ? stat("batches posted", l1.batches ?? r.batches.length, "l1-batches") : null,
        r.available ? stat("roots proposed", l1.roots ?? r.roots.length, "l1-roots") : null,
        r.available ? stat("roots final", l1.roots_final ?? "-", "l1-roots-final") : null,
        r.available && l1.last_batched_l2_block !== undefined ? stat("last batched L2 block", l1.last_batched_l2_block) : null,
        r.available ? stat("role", l1.role || "-") : null),
      r.available ? null : message("info", "This node has no L1 link: it posts no batches or roots (run the devnet: make devnet).", "no-l1"),
      l1.last_error ? message("error", `L1 link: ${l1.last_error}`) : null,
      h("section", { class: "panel" }, h("h3", {}, "Batches posted on L1"), table([
        { label: "Batch", cell: (b) => b.index, cls: "num" },
        { label: "L1 block", cell: (b) => b.l1_block, cls: "num" },
        { label: "L2 blocks", cell: (b) => `${b.first_block}–${b.last_block}` },
        { label: "Txs", cell: (b) => b.txs, cls: "num" },
        { label: "Bytes", cell: (b) => b.bytes, cls: "num" },
        { label: "Bytes/tx", cell: (b) => b.bytes_per_tx, cls: "num" },
      ], r.batches || [], { testid: "batches", empty: "no batch posted yet" }),
      (r.batches || []).length ? h("h3", {}, "Bytes per transaction, recent batches") : null,
      (r.batches || []).length ? barChart(r.batches.slice(0, 12).map((b) => ({ label: `batch ${b.index}`, value: Number(b.bytes_per_tx) })), "batch-chart", "bytes per tx") : null),
      h("section", { class: "panel" }, h("h3", {}, "State roots proposed"), table([
        { label: "Root #", cell: (x) => x.index, cls: "num" },
        { label: "Batch", cell: (x) => x.batch, cls: "num" },
        { label: "L2 block", cell: (x) => x.l2_block, cls: "num" },
        { label: "Root", cell: (x) => h("span", { class: "mono", title: x.root }, short(x.root)) },
        { label: "Proposed (UTC)", cell: (x) => utc(x.proposed_at) },
        { label: "Finality", cell: (x) => cd(x) },
      ], r.roots || [], { testid: "roots", empty: "no root proposed yet" })),
      h("div", { class: "grid2" },
        h("section", { class: "panel" }, h("h3", {}, "Withdrawals"), generic(r.withdrawals || [], "withdrawals", "no withdrawal")),
        h("section", { class: "panel" }, h("h3", {}, "Deposits in flight"), generic(r.deposits_in_flight || [], "deposits", "no deposit in flight"))),
      h("div", { class: "grid2" },
        h("section", { class: "panel" }, h("h3", {}, "Forced inclusion queue"), generic(r.forced_queue || [], "forced", "the forced queue is empty")),
        h("section", { class: "panel", "data-testid": "disputes-section" }, h("h3", {}, "Disputes"),
          (r.disputes || []).length ? generic(r.disputes, "disputes", "") : message("info", "No disputes: the dispute game does not exist yet, so no root can be challenged on L1 from this page.", "no-disputes"))));
    tick();
  };
  const load = async () => {
    try {
      r = await api.rollup();
    } catch (e) {
      fill(body, message("error", explain(e, "The rollup state")));
      return;
    }
    draw();
    ctx.ready("rollup");
  };
  await load();
  const timer = setInterval(tick, 1000); // the countdown only: no request to the node
  const later = throttle(load, 2000);
  ctx.onBlock(later);
  ctx.onCleanup(() => { clearInterval(timer); later.cancel(); });
}
