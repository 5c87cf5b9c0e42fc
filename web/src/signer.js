// Signing in the browser, never on the server: an injected Ethereum wallet (window.ethereum,
// EIP-712 eth_signTypedData_v4) or, on dev nodes, a public dev key from /api/dev/keys signed
// here with ethers' Wallet.signTypedData. The gateway only prepares typed data and relays.
import { api } from "./api.js";

/** ethers' Wallet, loaded on first use (a separate chunk: the page's first render does not parse it). */
const loadWallet = () => import("./devwallet.js").then((m) => m.Wallet);

/** The current signer: {kind: "wallet"|"dev", label, address, sign(typedData) -> 0x sig} or null. */
let current = null;
const listeners = new Set();

export function signer() {
  return current;
}

export function onSignerChange(f) {
  listeners.add(f);
  return () => listeners.delete(f);
}

function set(s) {
  current = s;
  try {
    if (s) localStorage.setItem("optrollup.signer", s.kind === "dev" ? `dev:${s.label}` : "wallet");
    else localStorage.removeItem("optrollup.signer");
  } catch (e) { /* storage may be off */ }
  for (const f of listeners) f(s);
}

/** The dev keys ([] on a node that is not a dev node). */
export async function devKeys() {
  try {
    return await api.devKeys();
  } catch (e) {
    return [];
  }
}

/** Use a dev key (its private key stays in this page). */
export async function useDevKey(k) {
  const Wallet = await loadWallet();
  const wallet = new Wallet(k.private_key);
  set({
    kind: "dev",
    label: k.label,
    address: wallet.address.toLowerCase(),
    sign: async (td) => {
      const types = { ...td.types };
      delete types.EIP712Domain; // ethers derives the domain type itself
      return wallet.signTypedData(td.domain, types, td.message);
    },
  });
}

/** Whether an injected wallet (MetaMask, Rabby, Frame, …) is present. */
export function hasInjectedWallet() {
  return typeof window !== "undefined" && !!window.ethereum && typeof window.ethereum.request === "function";
}

/** Ask the injected wallet for an account (eth_requestAccounts) and sign with it from now on. */
export async function connectWallet() {
  if (!hasInjectedWallet()) throw new Error("No Ethereum wallet in this browser (install one, or pick a dev key on a dev node)");
  const eth = window.ethereum;
  const accounts = await eth.request({ method: "eth_requestAccounts" });
  if (!accounts || !accounts.length) throw new Error("The wallet gave no account");
  const address = String(accounts[0]).toLowerCase();
  set({
    kind: "wallet",
    label: "wallet",
    address,
    sign: (td) => eth.request({ method: "eth_signTypedData_v4", params: [address, JSON.stringify(td)] }),
  });
  if (typeof eth.on === "function") {
    eth.on("accountsChanged", (accs) => {
      if (current && current.kind === "wallet") {
        if (accs && accs.length) set({ ...current, address: String(accs[0]).toLowerCase() });
        else set(null);
      }
    });
  }
  return address;
}

export function disconnect() {
  set(null);
}

/** The choice remembered from the last visit ("wallet", "dev:alice" or null). */
export function remembered() {
  try { return localStorage.getItem("optrollup.signer"); } catch (e) { return null; }
}

/**
 * Sign and submit: body -> typed data (from the gateway) -> signature (here) -> /api/submit.
 * kind: "order" | "cancel". Answers the gateway's result; throws ApiError on refusal.
 */
export async function signAndSubmit(kind, body) {
  const s = current;
  if (!s) throw new Error("Pick a signer first: connect a wallet or pick a dev key");
  const req = { ...body, address: s.address };
  const { typed_data } = kind === "order" ? await api.typedOrder(req) : await api.typedCancel(req);
  const signature = await s.sign(typed_data);
  return api.submit({ typed_data, signature, address: s.address });
}
