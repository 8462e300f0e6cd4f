// Everything monitored while a session runs: browser events (through the durable EventQueue),
// camera frames, microphone chunks, and the live websocket.

import { EventQueue } from "./event-queue.js";
import { LiveChannel } from "./live.js";
import { AudioRecorder, FrameGrabber } from "./media.js";
import { MediaQueue } from "./media-queue.js";

export const ENDPOINTS = {
  events: "/monitoring/data",
  frames: "/monitoring/frames",
  audio: "/monitoring/audio",
};

// Each frame and chunk's own id (the server stores an id once per session).
function mediaId() {
  if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}-${Math.random().toString(36).slice(2)}`;
}

// The pasted text kept in a paste event (its payload has a size limit).
const PASTE_TEXT_CHARS = 1500;
const PASTE_TEXT_BYTES = 3000;

export class Monitor {
  constructor({ api, session, camera, microphone, video, onLive, onEnded, onStatus, onViolation = () => {} }) {
    this.api = api;
    this.session = session;
    this.sessionId = session.id;
    this.policy = session.policy || {};
    this.camera = camera;
    this.microphone = microphone;
    this.video = video;
    this.onLive = onLive;
    this.onEnded = onEnded;
    this.onStatus = onStatus;
    // Called when the page records something the rules count (the candidate is told).
    this.onViolation = onViolation;
    this.hiddenSince = null;
    this.blurredSince = null;
    this.listeners = [];
    this.trackListeners = { camera: [], microphone: [] };
    this.timers = [];
    this.stopped = false;
    this.mediaStarted = false;
    // Set by the exam view: report pending typing before a paste is reported.
    this.beforePaste = () => {};
    this.state = {
      camera: "on",
      microphone: "on",
      live: "connecting",
      framesSent: 0,
      frameErrors: 0,
      frameFailStreak: 0,
      frameStatus: null,
      frameRetries: 0,
      framesPending: 0,
      audioSent: 0,
      audioErrors: 0,
      audioRetries: 0,
      audioPending: 0,
      mediaViaSocket: 0,
      mediaViaHttp: 0,
      pending: 0,
      queueFailures: 0,
      queueStatus: null,
      online: navigator.onLine !== false,
      lastError: "",
    };
    // Frames and chunks are retried until the server has them (see media-queue.js).
    this.frames = this.mediaQueue(ENDPOINTS.frames, "frame", 40);
    this.audio = this.mediaQueue(ENDPOINTS.audio, "audio", 24);
    this.queue = new EventQueue({
      api,
      sessionId: this.sessionId,
      onStateChange: (stats) =>
        this.update({ pending: stats.pending, queueFailures: stats.failures, queueStatus: stats.lastStatus }),
      onSessionEnded: (error) => this.sessionEnded(error),
    });
  }

  update(changes) {
    Object.assign(this.state, changes);
    this.onStatus({ ...this.state });
  }

  event(type, payload = {}) {
    return this.queue.push(type, payload);
  }

  on(target, name, handler, options) {
    target.addEventListener(name, handler, options);
    this.listeners.push(() => target.removeEventListener(name, handler, options));
  }

  every(seconds, handler) {
    this.timers.push(setInterval(handler, seconds * 1000));
  }

  // Browser events, heartbeats, the websocket, and the retry of events left by a reload.
  startEvents() {
    this.on(document, "visibilitychange", () => {
      const hidden = document.visibilityState === "hidden";
      this.event(hidden ? "tab_hidden" : "tab_visible");
      if (hidden) this.hiddenSince = Date.now();
      else this.cameBack("tab_hidden", "hiddenSince");
    });
    this.on(window, "blur", () => {
      this.event("window_blur");
      this.blurredSince = Date.now();
    });
    this.on(window, "focus", () => {
      this.event("window_focus");
      this.cameBack("window_blur", "blurredSince");
    });
    this.on(document, "fullscreenchange", () => {
      this.event(document.fullscreenElement ? "fullscreen_enter" : "fullscreen_exit");
      if (!document.fullscreenElement) this.onViolation("fullscreen_exit", {});
    });
    for (const kind of ["copy", "cut", "paste"]) {
      this.on(document, kind, (event) => this.clipboardEvent(kind, event), true);
    }
    this.on(window, "online", () => {
      this.event("online");
      this.queue.schedule(0);
    });
    this.on(window, "offline", () => {
      this.event("offline");
      this.update({ online: false });
    });
    this.on(window, "online", () => this.update({ online: true }));
    // Flush with keepalive when the page goes away; what does not make it is resent after the
    // reload with the same seq numbers.
    this.on(window, "pagehide", () => this.queue.flush({ keepalive: true }));
    // The Window Management API tells only whether the desktop spans several screens, so
    // the count is 2 for "two or more" and 1 for a single screen.
    if (window.screen && "isExtended" in window.screen) {
      const displays = () => ({ count: window.screen.isExtended ? 2 : 1, extended: window.screen.isExtended });
      if (window.screen.isExtended) this.event("displays_changed", { ...displays(), at_start: true });
      this.on(window.screen, "change", () => this.event("displays_changed", displays()));
    }
    // What this page is: its editor records every change (editor_changes), so the server may
    // judge a final submission that this editor never held (untyped_submission). A session
    // driven through the API alone never says so and is not judged that way.
    this.event("client_info", { client: "exam-page", editor_recording: true });
    // A page that starts (or comes back after a reload, which hid the old page) states where it
    // stands, so an incident opened by the unload is closed by the reload.
    if (document.visibilityState === "visible") this.event("tab_visible", { reason: "page_loaded" });
    if (document.hasFocus()) this.event("window_focus", { reason: "page_loaded" });
    this.watchTrack(this.camera, "camera");
    this.watchTrack(this.microphone, "microphone");
    const heartbeat = Math.max(5, Math.min(15, Math.floor((this.policy.heartbeat_timeout_s || 30) / 3)));
    this.event("heartbeat", { visible: document.visibilityState === "visible" });
    this.every(heartbeat, () => this.event("heartbeat", { visible: document.visibilityState === "visible" }));
    this.queue.schedule(0);
    this.live = new LiveChannel({
      sessionId: this.sessionId,
      tokenProvider: () => this.api.accessToken,
      refreshToken: () => this.api.refresh(),
      onMessage: (name, data) => {
        if (name === "ready") {
          this.queue.continueAfter(data.max_seq);
          this.queue.schedule(0); // what waited goes through the socket now
        }
        this.onLive(name, data);
      },
      onClosedForGood: () => this.sessionEnded(null),
      onStatus: (status) => this.update({ live: status }),
    });
    this.queue.live = this.live;
    this.live.connect();
  }

  // Back in the tab or window: tell the candidate if the time away counts under the rules.
  cameBack(kind, sinceField) {
    const since = this[sinceField];
    this[sinceField] = null;
    if (since === null) return;
    const seconds = (Date.now() - since) / 1000;
    const threshold = Number(this.policy[kind === "tab_hidden" ? "tab_hidden_threshold_s" : "window_blur_threshold_s"] ?? 5);
    if (seconds >= threshold) this.onViolation(kind, { seconds: Math.round(seconds) });
  }

  clipboardEvent(kind, event) {
    const target = event.target;
    // Set by the exam view: which problem's editor the node is in, if any.
    const editor = this.editorAt ? this.editorAt(target) : null;
    let length = 0;
    let text = "";
    if (kind === "paste") {
      this.beforePaste();
      text = (event.clipboardData && event.clipboardData.getData("text")) || "";
      length = text.length;
    } else if (editor) {
      text = editor.editor.selectedText;
      length = text.length;
      editor.copied(text);
    } else if (target && typeof target.selectionStart === "number") {
      length = Math.abs(target.selectionEnd - target.selectionStart);
    } else {
      length = String(window.getSelection() || "").length;
    }
    const payload = { length, target: editor ? "editor" : "page" };
    if (editor) payload.problem_id = editor.problemId;
    if (kind === "paste" && editor) {
      // Where the text came from, and (for a large outside paste, evidence for the reviewer)
      // its beginning; the whole text is in the editor's change records.
      payload.origin = this.pasteOrigin ? this.pasteOrigin(text) : "outside";
      const threshold = this.policy.paste_size_threshold_chars || 200;
      if (payload.origin === "outside" && length >= threshold) {
        let kept = text.slice(0, PASTE_TEXT_CHARS);
        while (JSON.stringify(kept).length * 3 > PASTE_TEXT_BYTES) kept = kept.slice(0, Math.floor(kept.length * 0.8));
        payload.text = kept;
        payload.text_truncated = kept.length < text.length;
        this.onViolation("large_paste", { length });
      }
    }
    this.event(kind, payload);
  }

  watchTrack(stream, device) {
    for (const remove of this.trackListeners[device]) remove();
    this.trackListeners[device] = [];
    const track = stream && stream.getTracks()[0];
    if (!track) return;
    const off = device === "camera" ? "camera_off" : "mic_off";
    const on = device === "camera" ? "camera_on" : "mic_on";
    const listen = (name, handler) => {
      track.addEventListener(name, handler);
      const remove = () => track.removeEventListener(name, handler);
      this.trackListeners[device].push(remove);
      this.listeners.push(remove);
    };
    listen("ended", () => {
      this.event(off, { reason: "ended" });
      this.update({ [device]: "off (device stopped)" });
    });
    listen("mute", () => {
      this.event(off, { reason: "muted" });
      this.update({ [device]: "off (muted)" });
    });
    listen("unmute", () => {
      this.event(on, { reason: "unmuted" });
      this.update({ [device]: "on" });
    });
  }

  // A camera or microphone that stopped, opened again without a reload: monitoring goes on
  // with the new track.
  async replaceCamera(stream) {
    this.camera = stream;
    this.video.srcObject = stream;
    this.watchTrack(stream, "camera");
    this.event("camera_on", { reason: "reacquired" });
    this.update({ camera: "on", frameFailStreak: 0 });
  }

  async replaceMicrophone(stream) {
    this.microphone = stream;
    this.watchTrack(stream, "microphone");
    if (this.recorder) await this.recorder.stop();
    if (this.mediaStarted) {
      this.recorder = new AudioRecorder(stream, {
        chunkSeconds: this.policy.audio_chunk_s || 5,
        onChunk: (blob, startedAt) => this.sendAudio(blob, startedAt),
      });
      await this.recorder.start();
    }
    this.event("mic_on", { reason: "reacquired" });
    this.update({ microphone: "on" });
  }

  // Camera frames and microphone chunks (started once the exam itself is on screen).
  async startMedia() {
    if (this.mediaStarted || this.stopped) return;
    this.mediaStarted = true;
    this.event("camera_on", { reason: "monitoring_started" });
    this.event("mic_on", { reason: "monitoring_started" });
    this.grabber = new FrameGrabber(this.video);
    this.every(this.policy.frame_interval_s || 3, () => this.sendFrame());
    this.recorder = new AudioRecorder(this.microphone, {
      chunkSeconds: this.policy.audio_chunk_s || 5,
      onChunk: (blob, startedAt) => this.sendAudio(blob, startedAt),
    });
    try {
      await this.recorder.start();
    } catch (error) {
      this.update({ microphone: "not recorded (" + error.message + ")" });
    }
  }

  mediaQueue(endpoint, prefix, maxPending) {
    const plural = prefix === "frame" ? "frames" : "audio";
    return new MediaQueue({
      maxPending,
      send: (item) => this.sendMediaItem(endpoint, item),
      onSessionEnded: (error) => this.sessionEnded(error),
      onChange: (counts) =>
        this.update({
          [`${plural}Sent`]: counts.sent,
          [`${prefix}Errors`]: counts.rejected + counts.dropped,
          [`${prefix}Retries`]: counts.retries,
          [`${plural}Pending`]: counts.pending,
          // The server banner reads frames failing in a row with a 5xx (app.js).
          ...(prefix === "frame"
            ? {
                frameFailStreak: counts.failures,
                frameStatus: counts.failures ? counts.lastError?.status || 0 : null,
              }
            : {}),
          lastError: counts.lastError ? counts.lastError.message : this.state.lastError,
        }),
    });
  }

  // Over the websocket while it is ready; over HTTP (the media as the body, no multipart) when
  // it is not, or when the socket failed or gave no ack in time. The item keeps its client id
  // on every attempt, so a frame the socket stored before its ack was lost is answered by HTTP
  // as a duplicate, not stored twice. The server's own refusals (409, 429, 503...) count the
  // same on either path.
  async sendMediaItem(endpoint, item) {
    const viaSocket = this.live ? this.live.sendMedia(item) : null;
    if (viaSocket) {
      try {
        const ack = await viaSocket;
        this.update({ mediaViaSocket: this.state.mediaViaSocket + 1 });
        return ack;
      } catch (error) {
        if (error.status) throw error;
      }
    }
    const query = new URLSearchParams({ session_id: this.sessionId, captured_at: item.capturedAt, client_id: item.id });
    const answer = await this.api.post(`${endpoint}?${query}`, item.blob);
    this.update({ mediaViaHttp: this.state.mediaViaHttp + 1 });
    return answer;
  }

  async sendFrame() {
    if (this.stopped) return;
    // A stopped or muted camera leaves its last picture in the video element; sending that
    // would claim a presence nobody sees (the camera_off event says what happened instead).
    const track = this.camera && this.camera.getVideoTracks()[0];
    if (!track || track.readyState !== "live" || track.muted) return;
    const capturedAt = new Date();
    const blob = await this.grabber.grab();
    if (!blob) return;
    this.frames.push({ kind: "frame", id: mediaId(), capturedAt: capturedAt.toISOString(), blob });
  }

  async sendAudio(blob, startedAt) {
    if (this.stopped) return;
    this.audio.push({ kind: "audio", id: mediaId(), capturedAt: startedAt.toISOString(), blob });
  }

  sessionEnded(error) {
    if (this.stopped) return;
    this.onEnded(error);
  }

  // Sends what is queued (up to timeoutMs) before the session closes.
  async drain(timeoutMs = 8000) {
    const deadline = Date.now() + timeoutMs;
    while (this.queue.stats().pending > 0 && Date.now() < deadline) {
      await this.queue.flush();
      if (this.queue.stats().pending > 0) await new Promise((resolve) => setTimeout(resolve, 250));
    }
    return this.queue.stats().pending;
  }

  async stop() {
    if (this.stopped) return;
    this.stopped = true;
    for (const remove of this.listeners) remove();
    for (const timer of this.timers) clearInterval(timer);
    this.queue.stop();
    this.frames.stop();
    this.audio.stop();
    if (this.live) this.live.close();
    if (this.recorder) await this.recorder.stop();
  }
}
