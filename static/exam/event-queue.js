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
    return { pending: state.pending.length, nextSeq: state.nextSeq, acked: state.acked || 0 };
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

  acknowledge(ackedSeqs, highestContiguous) {
    const state = this.load();
    const done = new Set(ackedSeqs);
    state.pending = state.pending.filter(
      (event) => !done.has(event.seq) && !(highestContiguous && event.seq <= highestContiguous),
    );
    state.acked = Math.max(state.acked || 0, highestContiguous || 0);
    this.save(state);
  }

  async flush({ keepalive = false } = {}) {
    if (this.sending || this.stopped) return;
    const batch = this.load().pending.slice(0, BATCH_SIZE);
    if (batch.length === 0) return;
    this.sending = true;
    try {
      const result = await this.api.post(
        "/monitoring/data",
        { session_id: this.sessionId, events: batch },
        { keepalive },
      );
      const accepted = result.accepted || [];
      const duplicates = result.duplicates || [];
      // Rejected items will never be accepted as they are; keep them out of the queue (and
      // say so in the console) instead of blocking every later event behind them.
      const rejected = (result.rejected || []).map((item) => item.seq);
      if (rejected.length) console.warn("exam events rejected by the server", result.rejected);
      this.acknowledge([...accepted, ...duplicates, ...rejected], result.highest_contiguous_seq);
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
