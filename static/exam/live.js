// The session's websocket: proctor warnings and termination arrive here at once. It reconnects
// with backoff and a fresh token; the HTTP API stays the durable path (a termination is also
// seen as a 409 from the event queue). The token goes in a first message, not in the URL, so
// it never appears in access logs.

// Close codes of ws/exam/ (monitoring/consumers.py) after which reconnecting is pointless.
const CLOSE_SESSION_OVER = new Set([4404, 4409, 4410]);
const CLOSE_UNAUTHENTICATED = 4401;

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
      if (data.event === "ready") {
        this.failures = 0;
        this.onStatus("connected");
      }
      this.onMessage(data.event, data.data || {});
    });
    socket.addEventListener("close", async (event) => {
      if (this.socket === socket) this.socket = null;
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
    if (this.timer) clearTimeout(this.timer);
    if (this.socket) this.socket.close();
  }
}
