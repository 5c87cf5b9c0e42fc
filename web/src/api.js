// The gateway's JSON API (node/web/API.md): every call answers data or throws an ApiError
// carrying the gateway's human message and short code.

export class ApiError extends Error {
  constructor(status, code, message, body) {
    super(message);
    this.status = status;
    this.code = code;
    this.body = body || {};
  }
}

async function call(method, path, body) {
  let res;
  try {
    res = await fetch(path, {
      method,
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    throw new ApiError(0, "unavailable", "The node cannot be reached (is it running?)");
  }
  let data = null;
  try {
    data = await res.json();
  } catch (e) {
    if (res.ok) throw new ApiError(res.status, "bad_answer", `The node answered ${path} with something that is not JSON`);
  }
  if (!res.ok) {
    const msg = (data && data.error) || `${res.status} ${res.statusText}`;
    throw new ApiError(res.status, (data && data.code) || "http_error", msg, data);
  }
  return data;
}

const enc = encodeURIComponent;

export const api = {
  info: () => call("GET", "/api/info"),
  underlyings: () => call("GET", "/api/underlyings"),
  chain: (u) => call("GET", `/api/chain?underlying=${enc(u)}`),
  indexHistory: (u) => call("GET", `/api/index_history?underlying=${enc(u)}`),
  instrument: (i) => call("GET", `/api/instrument/${enc(i)}`),
  book: (i) => call("GET", `/api/book/${enc(i)}`),
  trades: (i, limit = 50) => call("GET", `/api/trades/${enc(i)}?limit=${limit}`),
  account: (a) => call("GET", `/api/account/${enc(a)}`),
  rollup: () => call("GET", "/api/rollup"),
  devKeys: () => call("GET", "/api/dev/keys"),
  typedOrder: (body) => call("POST", "/api/typed_data/order", body),
  typedCancel: (body) => call("POST", "/api/typed_data/cancel", body),
  submit: (body) => call("POST", "/api/submit", body),
};

/** A message for a failed call, naming what was asked. */
export function explain(err, what) {
  if (!(err instanceof ApiError)) return `${what}: ${err && err.message ? err.message : err}`;
  switch (err.code) {
    case "unknown_instrument": return `Unknown instrument: ${err.message}`;
    case "unknown_underlying": return `Unknown underlying: ${err.message}`;
    case "bad_address": return `Not an address: ${err.message}`;
    case "refused": return `Refused by the exchange: ${err.message}`;
    case "read_only": return `This node is a read replica: ${err.message}`;
    case "rate_limited": return `Too many requests: ${err.message}`;
    default: return `${what}: ${err.message}`;
  }
}
