// Browser events with sequence numbers, kept in localStorage until the server acknowledges
// them. A reload resends what was not acknowledged with the same seq, and the server stores
// each (session, seq) once, so nothing is lost and nothing is stored twice.

const BATCH_SIZE = 50;
const MIN_BACKOFF_MS = 1000;
const MAX_BACKOFF_MS = 30000;
// Events that happen together (blur + tab hidden + heartbeat) travel in one request.
const COALESCE_MS = 200;

export class EventQueue {
  constructor({ api, sessionId, onStateChange = () => {}, onSessionEnded = () => {} }) {
    this.api = api;
    this.live = null; // a LiveChannel, once the monitor opened it
    this.sessionId = sessionId;
    this.key = "exam.events." + sessionId;
    this.onStateChange = onStateChange;
    this.onSessionEnded = onSessionEnded;
    this.sending = false;
    this.timer = null;
    this.failures = 0;
    this.stopped = false;
    this.lastError = null;
  }

  load() {
    try {
      const state = JSON.parse(localStorage.getItem(this.key));
      if (state && Number.isInteger(state.nextSeq) && Array.isArray(state.pending)) return state;
    } catch {
      // A corrupt entry cannot be trusted; start after it rather than reuse its seqs.
    }
    return { nextSeq: 1, pending: [], acked: 0 };
  }

  save(state) {
    localStorage.setItem(this.key, JSON.stringify(state));
  }

  // The seq is taken and the event stored in one synchronous step, so a reload right after
  // cannot reuse the number or lose the event.
  push(type, payload = {}) {
    if (this.stopped) return null;
    const state = this.load();
    const event = { seq: state.nextSeq, type, ts: new Date().toISOString(), payload };
    state.nextSeq += 1;
    state.pending.push(event);
    this.save(state);
    this.onStateChange(this.stats());
    this.schedule(COALESCE_MS);
    return event.seq;
  }

  stats() {
    const state = this.load();
    return {
      pending: state.pending.length,
      nextSeq: state.nextSeq,
      acked: state.acked || 0,
      // Consecutive failed sends and the last one's HTTP status (0: no answer at all).
      failures: this.failures || 0,
      lastStatus: this.lastError ? this.lastError.status || 0 : null,
    };
  }

  schedule(delayMs) {
    if (this.stopped) return;
    if (this.timer !== null) {
      if (delayMs > 0) return; // a retry is already planned; keep its backoff
      clearTimeout(this.timer);
    }
    this.timer = setTimeout(() => {
      this.timer = null;
      this.flush();
    }, delayMs);
  }

  // Removes what the server holds. Events refused as seq_conflict (their seq is taken by a
  // different event: this browser's counter restarted, e.g. its storage was cleared) were never
  // stored; they get new seqs after the server's max_seq and are sent again.
  acknowledge(ackedSeqs, highestContiguous, conflicts = new Set(), serverMaxSeq = 0) {
    const state = this.load();
    const done = new Set(ackedSeqs);
    state.pending = state.pending.filter(
      (event) =>
        conflicts.has(event.seq) ||
        (!done.has(event.seq) && !(highestContiguous && event.seq <= highestContiguous)),
    );
    if (conflicts.size) {
      state.nextSeq = Math.max(state.nextSeq, serverMaxSeq + 1);
      for (const event of state.pending) {
        if (conflicts.has(event.seq)) {
          event.seq = state.nextSeq;
          state.nextSeq += 1;
        }
      }
      state.pending.sort((a, b) => a.seq - b.seq);
    }
    state.acked = Math.max(state.acked || 0, highestContiguous || 0);
    this.save(state);
  }

  // The server's highest stored seq (websocket "ready"): new events are numbered after it.
  continueAfter(serverMaxSeq) {
    const state = this.load();
    if (Number.isInteger(serverMaxSeq) && state.nextSeq <= serverMaxSeq) {
      state.nextSeq = serverMaxSeq + 1;
      this.save(state);
    }
  }

  // Through the live websocket when it is up (not for a page that is going away: only a
  // keepalive fetch outlives it), over HTTP otherwise or when the socket fails mid-way. The
  // server's own answers (409, 429, ...) count the same on either path.
  async send(batch, keepalive) {
    const viaSocket = !keepalive && this.live ? this.live.sendEvents(batch) : null;
    if (viaSocket) {
      try {
        return await viaSocket;
      } catch (error) {
        if (error.status) throw error;
      }
    }
    return this.api.post("/monitoring/data", { session_id: this.sessionId, events: batch }, { keepalive });
  }

  async flush({ keepalive = false } = {}) {
    if (this.sending || this.stopped) return;
    const batch = this.load().pending.slice(0, BATCH_SIZE);
    if (batch.length === 0) return;
    this.sending = true;
    try {
      const result = await this.send(batch, keepalive);
      const accepted = result.accepted || [];
      const duplicates = result.duplicates || [];
      // Other rejected items will never be accepted as they are; keep them out of the queue
      // (and say so in the console) instead of blocking every later event behind them.
      const refusals = result.rejected || [];
      const conflicts = new Set(refusals.filter((r) => r.code === "seq_conflict").map((r) => r.seq));
      const rejected = refusals.filter((r) => r.code !== "seq_conflict").map((r) => r.seq);
      if (rejected.length) console.warn("exam events rejected by the server", refusals);
      this.acknowledge(
        [...accepted, ...duplicates, ...rejected],
        result.highest_contiguous_seq,
        conflicts,
        result.max_seq || 0,
      );
      this.failures = 0;
      this.lastError = null;
      this.onStateChange(this.stats());
      if (this.load().pending.length) this.schedule(0);
    } catch (error) {
      this.lastError = error;
      if (error.status === 409) {
        this.onSessionEnded(error);
        return;
      }
      this.failures += 1;
      let delay = Math.min(MAX_BACKOFF_MS, MIN_BACKOFF_MS * 2 ** (this.failures - 1));
      if (error.retryAfter) delay = Math.max(delay, error.retryAfter * 1000);
      delay += Math.random() * 0.25 * delay; // jitter: a whole exam room must not retry in step
      this.onStateChange(this.stats());
      this.schedule(delay);
    } finally {
      this.sending = false;
    }
  }

  stop() {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }
}
