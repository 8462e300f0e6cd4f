// The session's websocket: proctor warnings and termination arrive here at once, and while it
// is up the event queue sends its batches through it (each answered by an ack after the
// server's commit, the same answer as POST /api/monitoring/data, for a fraction of an HTTP
// request's cost on the server). It reconnects with backoff and a fresh token; the HTTP API
// stays the fallback (a termination is also seen as a 409 from the event queue). The token
// goes in a first message, not in the URL, so it never appears in access logs.

import { ApiError } from "./api.js";

// Close codes of ws/exam/ (monitoring/consumers.py) after which reconnecting is pointless.
const CLOSE_SESSION_OVER = new Set([4404, 4409, 4410]);
const CLOSE_UNAUTHENTICATED = 4401;
// An event batch not acknowledged by then is sent again over HTTP (the server stores a seq once).
const ACK_TIMEOUT_MS = 10000;
// The HTTP status the same error would have had, so the queue treats both transports alike.
const ERROR_STATUS = {
  session_not_active: 409,
  not_found: 404,
  rate_limited: 429,
  payload_too_large: 413,
  batch_too_large: 413,
};

export class LiveChannel {
  constructor({ sessionId, tokenProvider, refreshToken, onMessage, onClosedForGood, onStatus = () => {} }) {
    this.sessionId = sessionId;
    this.tokenProvider = tokenProvider;
    this.refreshToken = refreshToken;
    this.onClosedForGood = onClosedForGood;
    this.onMessage = onMessage;
    this.onStatus = onStatus;
    this.failures = 0;
    this.closed = false;
    this.socket = null;
    this.timer = null;
    this.ready = false;
    this.requests = new Map();
    this.nextId = 1;
  }

  // Sends a batch of events; resolves with the server's ack, rejects with an ApiError (status 0
  // when the socket failed, so the caller resends over HTTP). null when the socket is not ready.
  sendEvents(events) {
    const socket = this.socket;
    if (!this.ready || !socket || socket.readyState !== WebSocket.OPEN) return null;
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.requests.delete(id);
        reject(new ApiError(0, "socket_timeout", "The live connection did not answer in time."));
      }, ACK_TIMEOUT_MS);
      this.requests.set(id, { resolve, reject, timer });
      socket.send(JSON.stringify({ type: "events", id, events }));
    });
  }

  // An ack or error answering sendEvents; true when it was one.
  settle(name, data) {
    const request = data && this.requests.get(data.id);
    if (!request || (name !== "ack" && name !== "error")) return false;
    this.requests.delete(data.id);
    clearTimeout(request.timer);
    if (name === "ack") {
      request.resolve(data);
    } else {
      const details = data.details || {};
      request.reject(
        new ApiError(ERROR_STATUS[data.code] || 400, data.code, data.message, details, details.retry_after || null),
      );
    }
    return true;
  }

  failPending() {
    for (const request of this.requests.values()) {
      clearTimeout(request.timer);
      request.reject(new ApiError(0, "socket_closed", "The live connection closed."));
    }
    this.requests.clear();
  }

  url() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    return `${scheme}://${location.host}/ws/exam/${this.sessionId}/`;
  }

  connect() {
    if (this.closed) return;
    let socket;
    try {
      socket = new WebSocket(this.url());
    } catch {
      this.retry();
      return;
    }
    this.socket = socket;
    socket.addEventListener("open", () => {
      socket.send(JSON.stringify({ type: "auth", token: this.tokenProvider() || "" }));
    });
    socket.addEventListener("message", (message) => {
      let data;
      try {
        data = JSON.parse(message.data);
      } catch {
        return;
      }
      if (!data || !data.event) return;
      if (this.settle(data.event, data.data)) return;
      if (data.event === "ready") {
        this.failures = 0;
        this.ready = true;
        this.onStatus("connected");
      }
      this.onMessage(data.event, data.data || {});
    });
    socket.addEventListener("close", async (event) => {
      if (this.socket === socket) {
        this.socket = null;
        this.ready = false;
        this.failPending();
      }
      if (this.closed) return;
      if (CLOSE_SESSION_OVER.has(event.code)) {
        this.closed = true;
        this.onStatus("closed");
        this.onClosedForGood(event.code);
        return;
      }
      this.onStatus("disconnected");
      // An expired access token: refresh it before the next attempt.
      if (event.code === CLOSE_UNAUTHENTICATED) await this.refreshToken();
      this.retry();
    });
  }

  retry() {
    if (this.closed || this.timer) return;
    this.failures += 1;
    const delay = Math.min(30000, 1000 * 2 ** Math.min(this.failures - 1, 5)) * (1 + Math.random() * 0.25);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.connect();
    }, delay);
  }

  close() {
    this.closed = true;
    this.ready = false;
    this.failPending();
    if (this.timer) clearTimeout(this.timer);
    if (this.socket) this.socket.close();
  }
}
