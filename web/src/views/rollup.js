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
  let skew = 0; // L1 time minus this browser's clock, at the last fetch (a devnet may move its clock)
  const l1Now = () => Date.now() / 1000 + skew;
  const countdowns = []; // [element, () => text]
  const tick = () => {
    for (const [el, text] of countdowns) el.textContent = text();
  };
  const draw = () => {
    countdowns.length = 0;
    const l1 = r.l1 || {};
    const live = (testid, text) => { const el = h("span", { "data-testid": testid }); countdowns.push([el, text]); return el; };
    const cd = (x) => live(`countdown-${x.index}`, () => {
      if (x.final) return "final";
      const left = x.final_at - l1Now();
      return left > 0 ? `final in ${duration(left)}` : "final (on the next L1 block)";
    });
    const deadline = (t, testid) => live(testid, () => { const left = t - l1Now(); return left > 0 ? `in ${duration(left)}` : "passed"; });
    const claim = (w) => {
      if (w.claimed === true) return h("span", { class: "pos" }, "claimed");
      if (w.claimed === null || w.claimed === undefined) return "no L1";
      if (w.root === null || w.root === undefined) return "waits for a root";
      return live(`claim-${w.index}`, () => (w.final_at <= l1Now() ? "claimable on L1" : `root ${w.root} final in ${duration(w.final_at - l1Now())}`));
    };
    fill(body,
      h("div", { class: "cards" },
        stat("L2 head", r.head ? `block ${r.head.number}` : "-", "l2-head"), stat("throughput", r.tps !== undefined ? `${r.tps} tx/s` : "-", "tps"),
        stat("head time", r.head ? utc(r.head.time) : "-"), r.available ? stat("L1 block", r.l1_block ?? l1.l1_block ?? "-", "l1-block") : null,
        r.available && r.challenge_window_s !== undefined ? stat("challenge window", duration(r.challenge_window_s)) : null,
        r.available ? stat("batches posted", r.batch_count ?? l1.batches ?? r.batches.length, "l1-batches") : null,
        r.available ? stat("roots proposed", r.root_count ?? l1.roots ?? r.roots.length, "l1-roots") : null,
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
        { label: "Bytes/tx", cell: (b) => b.bytes_per_tx ?? "-", cls: "num" },
      ], r.batches || [], { testid: "batches", empty: "no batch posted yet" }),
      (r.batches || []).some((b) => b.bytes_per_tx !== null) ? h("h3", {}, "Bytes per transaction, recent batches") : null,
      (r.batches || []).some((b) => b.bytes_per_tx !== null) ? barChart(r.batches.filter((b) => b.bytes_per_tx !== null).slice(0, 12).map((b) => ({ label: `batch ${b.index}`, value: Number(b.bytes_per_tx) })), "batch-chart", "bytes per tx") : null),
      h("section", { class: "panel" }, h("h3", {}, "State roots proposed"), table([
        { label: "Root #", cell: (x) => x.index, cls: "num" },
        { label: "Batch", cell: (x) => x.batch, cls: "num" },
        { label: "L2 block", cell: (x) => x.l2_block, cls: "num" },
        { label: "Root", cell: (x) => h("span", { class: "mono", title: x.root }, short(x.root)) },
        { label: "Proposed (UTC)", cell: (x) => utc(x.proposed_at) },
        { label: "Finality", cell: (x) => cd(x) },
      ], r.roots || [], { testid: "roots", empty: "no root proposed yet" })),
      h("div", { class: "grid2" },
        h("section", { class: "panel" }, h("h3", {}, "Withdrawals"), (r.withdrawals || []).length ? table([
          { label: "#", cell: (w) => w.index, cls: "num" },
          { label: "Recipient", cell: (w) => h("span", { class: "mono", title: w.recipient }, short(w.recipient)) },
          { label: "Amount", cell: (w) => w.amount, cls: "num" },
          { label: "L2 block", cell: (w) => w.l2_block, cls: "num" },
          { label: "Claim", cell: claim },
        ], r.withdrawals, { testid: "withdrawals" }) : h("p", { class: "muted", "data-testid": "withdrawals" }, "no withdrawal")),
        h("section", { class: "panel" }, h("h3", {}, "Deposits in flight (on L1, not yet on L2)"), (r.deposits_in_flight || []).length ? table([
          { label: "#", cell: (d) => d.index, cls: "num" },
          { label: "Recipient", cell: (d) => h("span", { class: "mono", title: d.recipient }, short(d.recipient)) },
          { label: "Amount", cell: (d) => d.amount, cls: "num" },
          { label: "L1 block", cell: (d) => d.l1_block, cls: "num" },
          { label: "Deadline", cell: (d) => deadline(d.deadline, `deposit-deadline-${d.index}`) },
        ], r.deposits_in_flight, { testid: "deposits" }) : h("p", { class: "muted", "data-testid": "deposits" }, "no deposit in flight"))),
      h("div", { class: "grid2" },
        h("section", { class: "panel" }, h("h3", {}, "Forced inclusion queue"), (r.forced_queue || []).length ? table([
          { label: "#", cell: (f) => f.index, cls: "num" },
          { label: "Tx", cell: (f) => h("span", { class: "mono", title: f.tx }, short(f.tx)) },
          { label: "L1 block", cell: (f) => f.l1_block, cls: "num" },
          { label: "Deadline", cell: (f) => deadline(f.deadline, `forced-deadline-${f.index}`) },
        ], r.forced_queue, { testid: "forced" }) : h("p", { class: "muted", "data-testid": "forced" }, "the forced queue is empty")),
        h("section", { class: "panel", "data-testid": "disputes-section" }, h("h3", {}, "Disputes"),
          (r.disputes || []).length ? generic(r.disputes, "disputes", "") : message("info", "No disputes: the dispute game does not exist yet, so no root can be challenged on L1 from this page.", "no-disputes"))));
    tick();
  };
  const load = async () => {
    try {
      r = await api.rollup();
      if (r.l1_time) skew = r.l1_time - Date.now() / 1000;
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
