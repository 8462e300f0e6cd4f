// The session's websocket: proctor warnings and termination arrive here at once, and while it
// is up the event queue sends its batches and the media queues their frames and chunks through
// it (each answered by an ack after the server's commit, the same answer as the HTTP path's,
// for a fraction of an HTTP request's cost on the server). It reconnects with backoff and a fresh token; the HTTP API
// stays the fallback (a termination is also seen as a 409 from the event queue). The token
// goes in a first message, not in the URL, so it never appears in access logs.

import { ApiError } from "./api.js";

// Close codes of ws/exam/ (monitoring/consumers.py) after which reconnecting is pointless.
const CLOSE_SESSION_OVER = new Set([4404, 4409, 4410]);
const CLOSE_UNAUTHENTICATED = 4401;
// An event batch or a media item not acknowledged by then is sent again over HTTP (the server
// stores a seq, and a media client id, once).
const ACK_TIMEOUT_MS = 10000;
// daphne refuses websocket messages over 1 MiB (its default); bigger media goes over HTTP.
const MEDIA_SOCKET_MAX_BYTES = 1024 * 1024 - 2048;
// The HTTP status the same error would have had, so the queues treat both transports alike.
// server_error (status 0): the socket could not store it; the caller sends it over HTTP.
const ERROR_STATUS = {
  session_not_active: 409,
  not_found: 404,
  rate_limited: 429,
  overloaded: 503,
  database_busy: 503,
  payload_too_large: 413,
  batch_too_large: 413,
  media_too_large: 413,
  server_error: 0,
  unsupported: 0,
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
    const id = this.nextId++;
    return this.request(id, () => JSON.stringify({ type: "events", id, events }));
  }

  // Sends a frame or audio chunk ({kind, id, capturedAt, blob}) as one binary message: 2 bytes
  // of header length, the JSON header, the bytes (monitoring/media_socket.py). Resolves with
  // the server's media.ack (duplicate: true for an id it already had), rejects like
  // sendEvents; null when the socket is not ready or the item is too big for a message.
  sendMedia(item) {
    if (item.blob.size > MEDIA_SOCKET_MAX_BYTES || !this.isReady()) return null;
    // One ArrayBuffer, not a Blob: sent at once, in order with the text messages.
    return item.blob.arrayBuffer().then((bytes) => {
      const header = new TextEncoder().encode(
        JSON.stringify({ type: item.kind, id: item.id, captured_at: item.capturedAt }),
      );
      const message = new Uint8Array(2 + header.length + bytes.byteLength);
      message.set([header.length >> 8, header.length & 0xff]);
      message.set(header, 2);
      message.set(new Uint8Array(bytes), 2 + header.length);
      const sent = this.request(item.id, () => message);
      if (!sent) throw new ApiError(0, "socket_closed", "The live connection closed.");
      return sent;
    });
  }

  isReady() {
    return this.ready && this.socket && this.socket.readyState === WebSocket.OPEN;
  }

  request(id, message) {
    const socket = this.socket;
    if (!this.isReady()) return null;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.requests.delete(id);
        reject(new ApiError(0, "socket_timeout", "The live connection did not answer in time."));
      }, ACK_TIMEOUT_MS);
      this.requests.set(id, { resolve, reject, timer });
      socket.send(message());
    });
  }

  // An ack or error answering sendEvents or sendMedia; true when it was one.
  settle(name, data) {
    const request = data && this.requests.get(data.id);
    if (!request || (name !== "ack" && name !== "media.ack" && name !== "error")) return false;
    this.requests.delete(data.id);
    clearTimeout(request.timer);
    if (name !== "error") {
      request.resolve(data);
    } else {
      const details = data.details || {};
      const status = data.code in ERROR_STATUS ? ERROR_STATUS[data.code] : 400;
      request.reject(new ApiError(status, data.code, data.message, details, details.retry_after || null));
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
