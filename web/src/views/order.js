// Order entry (shared by the instrument and account views): validate, fetch typed data, sign in
// the browser, submit, and say what happened (filled / resting / the exchange's refusal).
import { explain } from "../api.js";
import { h, fill, message } from "../dom.js";
import { signer, signAndSubmit } from "../signer.js";

const DECIMAL = /^\d+(\.\d{1,6})?$/;

/** The outcome of an accepted order, in words. */
export function describeResult(r) {
  if (r.order_id === undefined || r.order_id === null) return `tx ${r.tx_hash} in block ${r.block}: ${r.status}`;
  const fills = (r.fills || []).map((f) => `${f.size} @ ${f.price}`).join(", ");
  const rest = r.remainder ? `, remainder ${r.remainder.toLowerCase().replace(/_/g, " ")}` : "";
  return `order ${r.order_id}: filled ${r.filled ?? 0}, resting ${r.resting ?? 0}${rest}${fills ? ` (${fills})` : ""} · block ${r.block}`;
}

/**
 * The form. opts: {instrument?: fixed name, readOnly?: bool, onDone?: () => void}.
 * Returns the element.
 */
export function orderForm(opts = {}) {
  const out = h("div", { class: "order-result" });
  const instrument = h("input", { name: "instrument", placeholder: "ETH-ATM-C or id", value: opts.instrument || "", "data-testid": "order-instrument", autocomplete: "off" });
  const side = h("select", { name: "side", "data-testid": "order-side" }, h("option", { value: "buy" }, "buy"), h("option", { value: "sell" }, "sell"));
  const price = h("input", { name: "price", inputmode: "decimal", placeholder: "price", "data-testid": "order-price", autocomplete: "off" });
  const size = h("input", { name: "size", inputmode: "decimal", placeholder: "size", value: "1", "data-testid": "order-size", autocomplete: "off" });
  const tif = h("select", { name: "tif", "data-testid": "order-tif" },
    h("option", { value: "gtc" }, "good till cancel"), h("option", { value: "ioc" }, "immediate or cancel"),
    h("option", { value: "fok" }, "fill or kill"), h("option", { value: "post_only" }, "post only"));
  const submit = h("button", { type: "submit", class: "primary", "data-testid": "order-submit" }, "Sign and send");
  const form = h("form", { class: "order-form", "data-testid": "order-form", novalidate: true },
    h("label", {}, "Instrument", instrument), h("label", {}, "Side", side), h("label", {}, "Price", price),
    h("label", {}, "Size", size), h("label", {}, "Time in force", tif), submit, out);
  if (opts.instrument) instrument.readOnly = true;
  if (opts.readOnly) {
    submit.disabled = true;
    fill(out, message("info", "This node is a read replica: send orders to the sequencer."));
  }
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const p = price.value.trim(), q = size.value.trim(), ins = instrument.value.trim();
    if (!ins) return fill(out, message("error", "Name an instrument (e.g. ETH-ATM-C or its id)", "order-result"));
    if (!DECIMAL.test(p) || Number(p) <= 0) return fill(out, message("error", `Bad price "${p}": a positive number with at most 6 decimals`, "order-result"));
    if (!DECIMAL.test(q) || Number(q) <= 0) return fill(out, message("error", `Bad size "${q}": a positive number with at most 6 decimals`, "order-result"));
    if (!signer()) return fill(out, message("error", "Pick a signer first (top right): a browser wallet or, on a dev node, a dev key", "order-result"));
    submit.disabled = true;
    fill(out, message("info", "signing and sending…", "order-pending"));
    try {
      const r = await signAndSubmit("order", { instrument: ins, side: side.value, price: p, size: q, tif: tif.value });
      fill(out, message("ok", describeResult(r), "order-result"));
      if (opts.onDone) opts.onDone(r);
    } catch (e) {
      fill(out, message("error", explain(e, "The order failed"), "order-result"));
    } finally {
      submit.disabled = false;
    }
  });
  form.setPrice = (v) => { price.value = v; };
  form.setSide = (v) => { side.value = v; };
  return form;
}
