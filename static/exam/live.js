// The session's websocket: proctor warnings and termination arrive here at once. It reconnects
// with backoff and a fresh token; the HTTP API stays the durable path (a termination is also
// seen as a 409 from the event queue and by polling the session).

export class LiveChannel {
  constructor({ sessionId, tokenProvider, onMessage, onStatus = () => {} }) {
    this.sessionId = sessionId;
    this.tokenProvider = tokenProvider;
    this.onMessage = onMessage;
    this.onStatus = onStatus;
    this.failures = 0;
    this.closed = false;
    this.socket = null;
    this.timer = null;
  }

  url() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const token = encodeURIComponent(this.tokenProvider() || "");
    return `${scheme}://${location.host}/ws/exam/${this.sessionId}/?token=${token}`;
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
      this.failures = 0;
      this.onStatus("connected");
    });
    socket.addEventListener("message", (message) => {
      let data;
      try {
        data = JSON.parse(message.data);
      } catch {
        return;
      }
      if (data && data.event) this.onMessage(data.event, data.data || {});
    });
    socket.addEventListener("close", () => {
      if (this.socket === socket) this.socket = null;
      if (!this.closed) {
        this.onStatus("disconnected");
        this.retry();
      }
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
