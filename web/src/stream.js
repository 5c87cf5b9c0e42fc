// The gateway's WebSocket (/api/ws): one socket for every subscription of the page, with
// reconnection and gap-free resubscription (after_seq = the last sequence number seen per
// channel and key). No polling: views redraw when a frame arrives.

const MIN_BACKOFF_MS = 250;
const MAX_BACKOFF_MS = 5000;

export class Stream {
  /** url: the ws:// URL; onStatus(state) gets "live" | "connecting" | "down". */
  constructor(url, onStatus = () => {}) {
    this.url = url;
    this.onStatus = onStatus;
    this.subs = new Map(); // "channel\0key" -> {channel, key, handlers:Set, seq:number|null}
    this.ws = null;
    this.backoff = MIN_BACKOFF_MS;
    this.reconnects = 0;
    this.gaps = 0; // frames whose seq skipped (should stay 0: the gateway replays)
    this.log = []; // the last frames seen: {channel, key, seq, snapshot, at} (for tests and the bench)
    this.connect();
  }

  connect() {
    this.onStatus("connecting");
    const ws = new WebSocket(this.url);
    this.ws = ws;
    ws.onopen = () => {
      this.backoff = MIN_BACKOFF_MS;
      this.onStatus("live");
      for (const s of this.subs.values()) this.sendSubscribe(s);
    };
    ws.onmessage = (ev) => this.onFrame(ev.data);
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.onStatus("down");
      const wait = this.backoff;
      this.backoff = Math.min(MAX_BACKOFF_MS, this.backoff * 2);
      setTimeout(() => { this.reconnects += 1; this.connect(); }, wait);
    };
    ws.onerror = () => {}; // onclose follows
  }

  /** Drop the socket as a network failure would (the page reconnects and resumes). */
  drop() {
    if (this.ws) this.ws.close();
  }

  sendSubscribe(s) {
    const frame = { op: "subscribe", channel: s.channel, key: s.key };
    if (s.seq !== null) frame.after_seq = s.seq;
    this.send(frame);
  }

  send(frame) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(frame));
  }

  /** Call handler(frame) for each message of (channel, key); returns the unsubscribe function. */
  subscribe(channel, key, handler) {
    key = key ?? "";
    const id = `${channel}\0${key}`;
    let s = this.subs.get(id);
    if (!s) {
      s = { channel, key, handlers: new Set(), seq: null };
      this.subs.set(id, s);
      this.sendSubscribe(s);
    }
    s.handlers.add(handler);
    return () => {
      s.handlers.delete(handler);
      if (!s.handlers.size) {
        this.subs.delete(id);
        this.send({ op: "unsubscribe", channel, key });
      }
    };
  }

  /** The subscription a server frame belongs to (views subscribe with canonical keys:
   * an instrument's name, a lowercase address, "" for blocks; matched without case). */
  find(channel, key) {
    const exact = this.subs.get(`${channel}\0${key ?? ""}`);
    if (exact) return exact;
    const k = String(key ?? "").toLowerCase();
    for (const s of this.subs.values()) if (s.channel === channel && String(s.key).toLowerCase() === k) return s;
    return null;
  }

  onFrame(text) {
    let f;
    try { f = JSON.parse(text); } catch (e) { return; }
    if (f.op === "error") {
      const s = f.channel ? this.find(f.channel, f.key) : null;
      if (s) for (const hnd of s.handlers) hnd({ error: f.error, code: f.code });
      return;
    }
    if (f.op) return; // pong, unsubscribed
    const s = this.find(f.channel, f.key);
    if (!s) return;
    if (!f.snapshot && s.seq !== null) {
      if (f.seq <= s.seq) return; // already seen (a replay overlapping what we had)
      if (f.seq !== s.seq + 1) this.gaps += 1;
    }
    s.seq = f.seq;
    this.log.push({ channel: f.channel, key: f.key, seq: f.seq, snapshot: !!f.snapshot, at: performance.now() });
    if (this.log.length > 2000) this.log.splice(0, 1000);
    for (const hnd of s.handlers) hnd(f);
  }
}

/** The ws:// URL of the gateway serving this page. */
export function streamUrl() {
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  return `${proto}//${location.host}/api/ws`;
}
