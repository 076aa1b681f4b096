// Telebridge signaling protocol v1 (docs/protocol.md) over one WebSocket.
//
//   const sig = new Signaling(url);
//   sig.addEventListener('message', e => e.detail)   // server events (no id)
//   sig.addEventListener('open',    e => e.detail.reconnect)
//   sig.addEventListener('close',   e => e.detail.{code, willRetry, final})
//   await sig.connect();               // first connection; rejects if unreachable
//   const data = await sig.request('join', {room, name});   // rejects with SignalingError
//   sig.close();                       // final, no reconnect
//
// After the first successful connect, an unexpected close schedules reconnect
// attempts with exponential backoff (0.3 s, then 1.5 s … 8 s, with jitter) until close(),
// except after the close codes that end a participation for good (removed, replaced,
// denied, meeting ended, token expired: 4001-4005, docs/protocol.md).

export class SignalingError extends Error {
  constructor(code, reason, type) {
    super(reason || code);
    this.name = 'SignalingError';
    this.code = code;          // protocol error code, or 'disconnected' / 'timeout'
    this.reason = reason || code;
    this.requestType = type;
  }
}

const PING_INTERVAL_MS = 10_000;
const PING_TIMEOUT_MS = 20_000;       // a ping unanswered this long means a dead link
const REQUEST_TIMEOUT_MS = 20_000;
const CONNECT_TIMEOUT_MS = 8_000;
const BACKOFF_MIN_MS = 1_000;
const BACKOFF_MAX_MS = 8_000;
export const FINAL_CLOSE_CODES = new Set([4001, 4002, 4003, 4004, 4005]);

export function defaultSignalingUrl() {
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${proto}//${location.host}/ws`;
}

export class Signaling extends EventTarget {
  constructor(url = defaultSignalingUrl()) {
    super();
    this.url = url;
    this.ws = null;
    this.nextId = 1;
    this.pending = new Map();     // id -> {resolve, reject, timer, type}
    this.closedByUser = false;
    this.everConnected = false;
    this.attempt = 0;
    this.retryTimer = null;
    this.pingTimer = null;
    this._onOnline = () => { if (this.retryTimer) this._retryNow(); };
  }

  get connected() { return !!this.ws && this.ws.readyState === WebSocket.OPEN; }

  /** Open the first connection. Resolves when open, rejects if it cannot be opened. */
  connect() {
    this.closedByUser = false;
    window.addEventListener('online', this._onOnline);
    return this._open();
  }

  _open() {
    return new Promise((resolve, reject) => {
      let ws;
      try {
        ws = new WebSocket(this.url);
      } catch (err) {
        reject(new SignalingError('unreachable', String(err)));
        return;
      }
      this.ws = ws;
      let opened = false;
      const timer = setTimeout(() => {
        if (!opened) { try { ws.close(); } catch { /* ignore */ } }
      }, CONNECT_TIMEOUT_MS);

      ws.onopen = () => {
        opened = true;
        clearTimeout(timer);
        const reconnect = this.everConnected;
        this.everConnected = true;
        this.attempt = 0;
        this._startPing();
        this._emit('open', { reconnect });
        resolve();
      };
      ws.onmessage = (ev) => this._onMessage(ev.data);
      ws.onerror = () => { /* a close event always follows */ };
      ws.onclose = (ev) => {
        clearTimeout(timer);
        if (this.ws !== ws) return;          // superseded socket
        this.ws = null;
        this._stopPing();
        this._failPending(new SignalingError('disconnected', `connection closed (${ev.code})`));
        if (!opened) {
          reject(new SignalingError('unreachable', `cannot connect (${ev.code})`));
          if (!this.everConnected) return;   // first connect: the caller decides
        }
        const final = FINAL_CLOSE_CODES.has(ev.code);
        const willRetry = !this.closedByUser && this.everConnected && !final;
        this._emit('close', { code: ev.code, reason: ev.reason, willRetry, final });
        if (willRetry) this._scheduleRetry();
      };
    });
  }

  _scheduleRetry() {
    clearTimeout(this.retryTimer);
    const base = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 1.5 ** this.attempt);
    const delay = this.attempt === 0 ? 300 : base * (0.75 + Math.random() * 0.5);
    this.attempt++;
    this._emit('retry', { attempt: this.attempt, delay });
    this.retryTimer = setTimeout(() => this._retryNow(), delay);
  }

  _retryNow() {
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    if (this.closedByUser || this.ws) return;
    this._open().catch(() => { /* onclose schedules the next attempt */ });
  }

  /** Drop the current socket and reconnect (used when the media path failed). */
  restart() {
    if (this.closedByUser) return;
    if (this.ws) {
      try { this.ws.close(4000, 'client restart'); } catch { /* ignore */ }
      // onclose handles the retry; force it in case the close event is slow.
      const ws = this.ws;
      setTimeout(() => {
        if (this.ws === ws) { ws.onclose({ code: 4000, reason: 'client restart' }); }
      }, 2000);
    } else {
      this._retryNow();
    }
  }

  /** Close for good: no reconnect. */
  close() {
    this.closedByUser = true;
    window.removeEventListener('online', this._onOnline);
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this._stopPing();
    const ws = this.ws;
    this.ws = null;
    this._failPending(new SignalingError('disconnected', 'closed'));
    if (ws) { try { ws.close(1000, 'bye'); } catch { /* ignore */ } }
  }

  /** Send a request; resolves with the reply's `data`, rejects with SignalingError. */
  request(type, fields = {}, timeoutMs = REQUEST_TIMEOUT_MS) {
    if (!this.connected) {
      return Promise.reject(new SignalingError('disconnected', 'not connected', type));
    }
    const id = this.nextId++;
    const msg = { type, id, ...fields };
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new SignalingError('timeout', `no reply to ${type}`, type));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer, type });
      try {
        this.ws.send(JSON.stringify(msg));
      } catch (err) {
        clearTimeout(timer);
        this.pending.delete(id);
        reject(new SignalingError('disconnected', String(err), type));
      }
    });
  }

  _onMessage(text) {
    let msg;
    try { msg = JSON.parse(text); } catch { console.warn('[sig] bad JSON from server', text); return; }
    if (!msg || typeof msg !== 'object' || typeof msg.type !== 'string') return;

    if ((msg.type === 'reply' || msg.type === 'error') && msg.id != null) {
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      clearTimeout(p.timer);
      if (msg.type === 'reply') p.resolve(msg.data || {});
      else p.reject(new SignalingError(msg.code || 'internal', msg.reason || msg.code, p.type));
      return;
    }
    if (msg.type === 'error') {   // error without id: not tied to a request
      this._emit('server-error', { code: msg.code, reason: msg.reason });
      return;
    }
    this._emit('message', msg);
  }

  _startPing() {
    this._stopPing();
    this.pingTimer = setInterval(() => {
      const ws = this.ws;
      if (!ws || ws.readyState !== WebSocket.OPEN) return;
      this.request('ping', {}, PING_TIMEOUT_MS).catch((err) => {
        if (err.code === 'timeout' && this.ws === ws) {
          console.warn('[sig] ping timeout, reconnecting');
          this.restart();
        }
      });
    }, PING_INTERVAL_MS);
  }

  _stopPing() { clearInterval(this.pingTimer); this.pingTimer = null; }

  _failPending(err) {
    for (const [, p] of this.pending) { clearTimeout(p.timer); p.reject(err); }
    this.pending.clear();
  }

  _emit(type, detail) { this.dispatchEvent(new CustomEvent(type, { detail })); }
}
