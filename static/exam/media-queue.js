// Frames and audio chunks ({kind, id, capturedAt, blob}) wait here until the server has them,
// one at a time in capture order; send() is the monitor's (the websocket while it is up, the
// raw-body HTTP upload otherwise, the same client id on every attempt). An upload refused for load
// (429 or 503 with Retry-After, a proxy's 502/504) or lost to the network is retried, in
// capture order, with backoff and jitter; one the server refuses for what it is (400, 413) is
// dropped and counted; 409 (the session ended) stops the queue. Only a backlog longer than
// maxPending items (minutes of media) drops the oldest item, and that is counted too.

const RETRYABLE = new Set([0, 408, 429, 502, 503, 504]);
const MIN_BACKOFF_MS = 1000;
const MAX_BACKOFF_MS = 30000;

export class MediaQueue {
  constructor({ send, maxPending = 40, onChange = () => {}, onSessionEnded = () => {} }) {
    this.send = send;
    this.maxPending = maxPending;
    this.onChange = onChange;
    this.onSessionEnded = onSessionEnded;
    this.pending = [];
    this.sending = false;
    this.timer = null;
    this.failures = 0;
    this.stopped = false;
    this.counts = { sent: 0, retries: 0, rejected: 0, dropped: 0 };
    this.lastError = null;
  }

  push(item) {
    if (this.stopped) return;
    if (this.pending.length >= this.maxPending) {
      this.pending.shift();
      this.counts.dropped += 1;
    }
    this.pending.push(item);
    this.changed();
    this.pump();
  }

  changed() {
    this.onChange({
      ...this.counts,
      pending: this.pending.length,
      failures: this.failures,
      lastError: this.lastError,
    });
  }

  async pump() {
    if (this.sending || this.timer !== null || this.stopped) return;
    this.sending = true;
    try {
      while (this.pending.length && !this.stopped) {
        try {
          await this.send(this.pending[0]);
        } catch (error) {
          this.lastError = error;
          if (error.status === 409) {
            this.stop();
            this.onSessionEnded(error);
            return;
          }
          if (RETRYABLE.has(error.status)) {
            this.failures += 1;
            this.counts.retries += 1;
            let delay = Math.min(MAX_BACKOFF_MS, MIN_BACKOFF_MS * 2 ** (this.failures - 1));
            if (error.retryAfter) delay = Math.max(delay, error.retryAfter * 1000);
            delay += Math.random() * 0.25 * delay; // a whole exam room must not retry in step
            this.changed();
            this.timer = setTimeout(() => {
              this.timer = null;
              this.pump();
            }, delay);
            return;
          }
          this.pending.shift();
          this.counts.rejected += 1;
          this.changed();
          continue;
        }
        this.pending.shift();
        this.failures = 0;
        this.counts.sent += 1;
        this.changed();
      }
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
