// The page's shell: header (head block, stream state, signer), hash routing between the four
// views, and the one WebSocket every view shares. Each view is render(ctx, arg) -> cleanup.
import { api, explain } from "./api.js";
import { Stream, streamUrl } from "./stream.js";
import { h, fill, message, short } from "./dom.js";
import * as signerMod from "./signer.js";
import { renderChain } from "./views/chain.js";
import { renderInstrument } from "./views/instrument.js";
import { renderAccount } from "./views/account.js";
import { renderRollup } from "./views/rollup.js";

const VIEWS = { chain: renderChain, instrument: renderInstrument, account: renderAccount, rollup: renderRollup };

const probe = (window.__optrollup = { marks: {}, renders: 0, stream: null }); // read by tests and the bench

const state = { info: null, infoP: null, head: null, blockListeners: new Set(), cleanup: null };

function setConn(s) {
  const el = document.getElementById("conn");
  el.textContent = s;
  el.className = `conn ${s}`;
  el.dataset.state = s;
}

function setHead(b) {
  state.head = b;
  document.getElementById("head").textContent = `block ${b.number}`;
}

/** Route "#/view/arg" -> [view, arg]. */
function route() {
  const parts = location.hash.replace(/^#\/?/, "").split("/");
  const view = VIEWS[parts[0]] ? parts[0] : "chain";
  return [view, decodeURIComponent(parts.slice(1).join("/") || "")];
}

function navigate(view, arg = "") {
  const target = `#/${view}${arg ? "/" + encodeURIComponent(arg) : ""}`;
  if (location.hash !== target) location.hash = target;
  else show();
}

function show() {
  const [view, arg] = route();
  if (state.cleanup) state.cleanup();
  state.blockListeners.clear();
  for (const a of document.querySelectorAll("#nav a")) a.classList.toggle("active", a.dataset.view === view);
  const root = document.getElementById("view");
  root.dataset.view = view;
  root.dataset.ready = "";
  fill(root, h("p", { class: "muted" }, "Loading…"));
  const ctx = {
    root,
    stream: probe.stream,
    get info() { return state.info; },
    whenInfo: () => state.infoP,
    head: () => state.head,
    navigate,
    onBlock: (f) => state.blockListeners.add(f),
    ready: (name) => {
      root.dataset.ready = name || view;
      probe.renders += 1;
      if (probe.firstReady === undefined) probe.firstReady = performance.now();
    },
  };
  const cleanups = [];
  ctx.onCleanup = (f) => cleanups.push(f);
  Promise.resolve(VIEWS[view](ctx, arg)).catch((e) => fill(root, message("error", explain(e, "This view failed"))));
  state.cleanup = () => { for (const f of cleanups.splice(0)) f(); };
}

function renderSigner(keys) {
  const box = document.getElementById("signer");
  const s = signerMod.signer();
  const select = h("select", { "data-testid": "signer-select", "aria-label": "signer" },
    h("option", { value: "" }, s ? "" : "Sign with…"),
    signerMod.hasInjectedWallet() ? h("option", { value: "wallet" }, "Browser wallet (EIP-712)") : null,
    keys.map((k) => h("option", { value: `dev:${k.label}` }, `dev key: ${k.label} ${short(k.address)}`)),
  );
  select.value = s ? (s.kind === "dev" ? `dev:${s.label}` : "wallet") : "";
  select.addEventListener("change", async () => {
    const v = select.value;
    try {
      if (v === "wallet") await signerMod.connectWallet();
      else if (v.startsWith("dev:")) await signerMod.useDevKey(keys.find((k) => `dev:${k.label}` === v));
      else signerMod.disconnect();
    } catch (e) {
      banner(e.message || String(e));
      renderSigner(keys);
    }
  });
  const who = s ? h("a", { href: `#/account/${s.address}`, "data-testid": "signer-address", title: s.address }, short(s.address)) : null;
  const hint = !keys.length && !signerMod.hasInjectedWallet() ? h("span", { class: "muted" }, "no wallet: read only") : null;
  fill(box, state.info && state.info.read_only ? h("span", { class: "badge" }, "read only") : [select, who, hint]);
}

function banner(text) {
  const b = document.getElementById("banner");
  if (!text) { b.hidden = true; return; }
  fill(b, text, h("button", { class: "link", onclick: () => banner(null) }, "dismiss"));
  b.hidden = false;
}

async function start() {
  probe.stream = new Stream(streamUrl(), setConn);
  state.infoP = api.info().then((info) => {
    state.info = info;
    setHead(info.head);
    document.getElementById("mode").textContent = `${info.mode}${info.dev ? " · dev" : ""} · chain ${info.chain_id}`;
    return info;
  }, (e) => {
    banner(explain(e, "The node's info"));
    return null;
  });
  window.addEventListener("hashchange", show);
  show(); // the view loads its data while the node's info and the dev keys load
  await state.infoP;
  probe.stream.subscribe("blocks", "", (f) => {
    if (!f.data) return;
    const b = f.data;
    if (!state.head || b.number >= state.head.number) setHead(b);
    for (const fn of state.blockListeners) fn(b);
  });
  renderSigner([]);
  const keys = state.info && state.info.dev ? await signerMod.devKeys() : [];
  signerMod.onSignerChange(() => { renderSigner(keys); if (route()[0] === "account") show(); }); // whose orders can be cancelled changes
  const last = signerMod.remembered();
  const k = last && last.startsWith("dev:") ? keys.find((x) => `dev:${x.label}` === last) : null;
  if (k) await signerMod.useDevKey(k);
  else renderSigner(keys);
}

start();
