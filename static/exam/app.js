// The candidate's exam page: sign in -> choose exam -> system check -> consent (starts the
// session) -> identity enrollment -> exam with monitoring -> final submit. The page keeps the
// session id and step in sessionStorage, so a reload comes back to the same point.

import { Api, ApiError } from "./api.js";
import { ExamView } from "./exam-view.js";
import {
  AudioRecorder,
  FrameGrabber,
  browserSupport,
  describeMediaError,
  openCamera,
  openMicrophone,
} from "./media.js";
import { Monitor } from "./monitor.js";
import { bannersWhenEnded, clearTroubles, hideTrouble, showTrouble, showViolation } from "./banners.js";
import { showReceipt } from "./receipt.js";
import { renderAbout } from "./rules.js";

const config = JSON.parse(document.getElementById("page-config").textContent);
const api = new Api(config.apiBase);
const STATE_KEY = "exam.state";
const FINAL_STATUSES = new Set(["submitted", "terminated", "expired"]);
const ENROLL_FRAMES = 5;
const ENROLL_VOICE_SECONDS = 6;

const app = {
  me: null,
  exams: [],
  examId: null,
  session: null,
  camera: null,
  microphone: null,
  monitor: null,
  view: null,
  ending: false,
};

const $ = (id) => document.getElementById(id);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function loadState() {
  try {
    return JSON.parse(sessionStorage.getItem(STATE_KEY)) || {};
  } catch {
    return {};
  }
}

function saveState(changes) {
  sessionStorage.setItem(STATE_KEY, JSON.stringify({ ...loadState(), ...changes }));
}

const PROGRESS_STEPS = ["check", "consent", "enroll", "exam"];

function show(step) {
  for (const section of document.querySelectorAll(".step")) section.hidden = section.id !== `step-${step}`;
  const at = PROGRESS_STEPS.indexOf(step);
  $("progress").hidden = at < 0;
  for (const item of document.querySelectorAll("#progress li")) {
    const index = PROGRESS_STEPS.indexOf(item.dataset.step);
    if (index === at) item.setAttribute("aria-current", "step");
    else item.removeAttribute("aria-current");
    item.classList.toggle("done", index < at);
  }
  const heading = document.querySelector(`#step-${step} h1`);
  if (heading) heading.focus();
  document.body.dataset.step = step;
}

function showError(id, message) {
  const element = $(id);
  element.textContent = message;
  element.hidden = !message;
}

// A busy button says what is happening; it gets its own label back when the work is done.
function busy(button, isBusy, label) {
  button.disabled = isBusy;
  if (isBusy && label) {
    button.dataset.label = button.textContent;
    button.textContent = label;
  } else if (!isBusy && button.dataset.label) {
    button.textContent = button.dataset.label;
    delete button.dataset.label;
  }
}

// ---- sign in and choose ----------------------------------------------------------------

async function signIn(event) {
  event.preventDefault();
  const button = $("signin-submit");
  const username = $("signin-username").value.trim();
  const password = $("signin-password").value;
  if (!username || !password) {
    showError("signin-error", "Enter your username and your password.");
    return;
  }
  showError("signin-error", "");
  busy(button, true, "Signing in…");
  try {
    await api.login(username, password);
    $("signin-password").value = "";
    await afterSignIn();
  } catch (error) {
    showError("signin-error", error.message);
  } finally {
    busy(button, false);
  }
}

async function afterSignIn() {
  app.me = await api.get("/auth/me");
  $("who").textContent = `Signed in as ${app.me.full_name || app.me.username}`;
  $("who").hidden = false;
  if (app.me.role !== "candidate") {
    showError("signin-error", "This page is for candidates. Proctors use the review dashboard.");
    await api.logout();
    show("signin");
    return;
  }
  const state = loadState();
  if (state.sessionId && (await resumeSession(state))) return;
  await chooseExam();
}

async function chooseExam() {
  const data = await api.get("/exams/");
  app.exams = Array.isArray(data) ? data : data.results || [];
  const list = $("exam-list");
  list.replaceChildren();
  // An exam with no attempt left is shown as finished, and cannot be picked.
  const open = app.exams.filter((exam) => !exam.finished);
  app.exams.forEach((exam) => {
    const wrap = document.createElement("div");
    wrap.className = "choice";
    const input = document.createElement("input");
    input.type = "radio";
    input.name = "exam";
    input.value = exam.id;
    input.id = `exam-${exam.id}`;
    input.checked = exam === open[0];
    input.disabled = Boolean(exam.finished);
    const label = document.createElement("label");
    label.htmlFor = input.id;
    const count = exam.problems.length;
    label.textContent = `${exam.title} (${exam.duration_minutes} minutes, ${count} problem${count === 1 ? "" : "s"})`;
    if (exam.finished) {
      wrap.classList.add("finished");
      label.textContent += ": finished";
    }
    wrap.append(input, label);
    list.append(wrap);
  });
  $("choose-empty").hidden = open.length > 0;
  $("choose-submit").disabled = open.length === 0;
  show("choose");
}

function chooseSubmit(event) {
  event.preventDefault();
  const picked = document.querySelector('input[name="exam"]:checked');
  if (!picked) {
    showError("choose-error", "Choose an exam first.");
    return;
  }
  app.examId = Number(picked.value);
  saveState({ examId: app.examId });
  show("check");
  runSystemCheck();
}

// ---- system check ------------------------------------------------------------------------

function setCheck(name, ok, text) {
  const item = document.querySelector(`#check-list [data-check="${name}"]`);
  item.dataset.result = ok ? "pass" : "fail";
  item.querySelector(".check-mark").textContent = ok ? "✓" : "✗";
  item.querySelector(".check-text").textContent = (ok ? "OK — " : "Problem — ") + text;
}

function stopStream(stream) {
  if (stream) for (const track of stream.getTracks()) track.stop();
}

async function waitForVideo(video, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (video.readyState >= 2 && video.videoWidth > 0) return true;
    await sleep(100);
  }
  return false;
}

async function runSystemCheck({ quiet = false } = {}) {
  const results = {};
  $("check-continue").disabled = true;
  $("check-summary").textContent = "Checking…";
  const missing = browserSupport();
  results.browser = missing.length === 0;
  setCheck(
    "browser",
    results.browser,
    results.browser
      ? "this browser has everything the exam needs."
      : `this browser is not supported: it lacks ${missing.join(", ")}. Use a current Chrome, Edge or Firefox.`,
  );
  if (!results.browser) {
    for (const name of ["camera", "microphone", "fullscreen"]) setCheck(name, false, "not checked (unsupported browser).");
    $("check-summary").textContent = "The check failed: see the problems listed above.";
    return false;
  }

  stopStream(app.camera);
  app.camera = null;
  try {
    app.camera = await openCamera();
    const preview = $("check-preview");
    preview.srcObject = app.camera;
    results.camera = await waitForVideo(preview);
    const settings = app.camera.getVideoTracks()[0].getSettings();
    setCheck(
      "camera",
      results.camera,
      results.camera
        ? `the camera works (${settings.width || "?"}×${settings.height || "?"}).`
        : "the camera gives no picture. Check that nothing covers it and that no other app uses it.",
    );
  } catch (error) {
    results.camera = false;
    setCheck("camera", false, describeMediaError(error, "camera"));
  }

  stopStream(app.microphone);
  app.microphone = null;
  try {
    app.microphone = await openMicrophone();
    const track = app.microphone.getAudioTracks()[0];
    results.microphone = track && track.readyState === "live";
    setCheck(
      "microphone",
      results.microphone,
      results.microphone ? `the microphone works (${track.label || "default microphone"}).` : "the microphone gives no sound.",
    );
    if (results.microphone && !quiet) meterMicrophone(app.microphone);
  } catch (error) {
    results.microphone = false;
    setCheck("microphone", false, describeMediaError(error, "microphone"));
  }

  results.fullscreen = Boolean(document.fullscreenEnabled && document.documentElement.requestFullscreen);
  setCheck(
    "fullscreen",
    results.fullscreen,
    results.fullscreen
      ? "full screen mode is available; the exam opens in full screen."
      : "this browser does not allow full screen mode here (it may be disabled, or this page is inside a frame).",
  );

  const ok = Object.values(results).every(Boolean);
  $("check-summary").textContent = ok
    ? "Everything works. You can continue."
    : "The check failed: see the problems listed above, fix them, then run the check again.";
  $("check-continue").disabled = !ok;
  return ok;
}

// A level meter for the system check, so the candidate sees the microphone hears them.
let meterRecorder = null;
async function meterMicrophone(stream) {
  if (meterRecorder) await meterRecorder.stop();
  meterRecorder = new AudioRecorder(stream, { chunkSeconds: 3600 });
  try {
    await meterRecorder.start();
  } catch {
    meterRecorder = null;
    return;
  }
  const recorder = meterRecorder;
  const tick = () => {
    if (recorder !== meterRecorder || !recorder.context) return;
    $("mic-meter").value = recorder.level();
    recorder.take(); // the meter keeps no audio
    setTimeout(tick, 200);
  };
  tick();
}

async function stopMeter() {
  if (meterRecorder) {
    const recorder = meterRecorder;
    meterRecorder = null;
    await recorder.stop();
  }
}

// ---- consent and session start -----------------------------------------------------------

function enterFullscreen() {
  if (document.fullscreenElement || !document.documentElement.requestFullscreen) return;
  document.documentElement.requestFullscreen().catch(() => {
    $("fullscreen-return").hidden = false;
  });
}

async function consentSubmit(event) {
  event.preventDefault();
  if (!$("consent-box").checked) {
    showError("consent-error", "Tick the box to agree to monitoring; the exam cannot start without it.");
    $("consent-box").focus();
    return;
  }
  showError("consent-error", "");
  const button = $("consent-submit");
  busy(button, true, "Starting the exam…");
  try {
    let session;
    try {
      session = await api.post(`/auth/start-exam/${app.me.id}`, { exam_id: app.examId, consent: true });
    } catch (error) {
      if (!(error instanceof ApiError) || error.code !== "session_already_active") throw error;
      // A session for this exam is already running (another tab, or an earlier visit).
      const sessionId = error.details.session_id;
      session = await api.get(`/exams/sessions/${sessionId}`);
      if (!session.consent_at) session = await api.post(`/exams/sessions/${sessionId}/consent`);
    }
    app.session = session;
    saveState({ sessionId: session.id, enrolled: false });
    await stopMeter();
    await startMonitor();
    await enrollOrSkip();
  } catch (error) {
    showError("consent-error", `The exam could not start: ${error.message}`);
  } finally {
    busy(button, false);
  }
}

// ---- identity enrollment -----------------------------------------------------------------

// Error codes of /api/monitoring/enroll/* (analysis/services/ingest.py) -> what to do now.
const ENROLL_MESSAGES = {
  multiple_faces: "More than one face was seen. Make sure you are alone in front of the camera, then try again.",
  no_face: "No face was seen. Sit facing the camera, with your whole face in the picture, then try again.",
  face_not_usable: "Your face could not be seen clearly. Face the camera directly, in good light, then try again.",
  camera_obstructed: "The camera picture is too dark, too bright or covered. Uncover the camera and light your face, then try again.",
  low_quality: "The picture is too dark, too bright or out of focus to recognise you. Light your face from the front and hold still, then try again.",
  face_too_small: "Your face is too small in the picture. Sit closer to the camera, then try again.",
  no_speech: "Your voice was not heard. Read the sentence aloud in a normal voice, close to the microphone, then try again.",
};

function enrollmentMessage(error) {
  return ENROLL_MESSAGES[error.code] || `The identity check failed: ${error.message} Try again.`;
}

async function recordVoice(seconds) {
  return new Promise((resolve, reject) => {
    let settled = false;
    const recorder = new AudioRecorder(app.microphone, {
      chunkSeconds: seconds,
      onChunk: (blob) => {
        if (settled) return;
        settled = true;
        recorder.stop().then(() => resolve(blob));
      },
    });
    recorder.start().catch(reject);
  });
}

async function enroll() {
  const button = $("enroll-start");
  const status = $("enroll-status");
  showError("enroll-error", "");
  busy(button, true, "Checking…");
  try {
    const preview = $("enroll-preview");
    await waitForVideo(preview);
    const grabber = new FrameGrabber(preview);
    for (let waited = 0; grabber.blank() && waited < 5000; waited += 200) await sleep(200);
    const form = new FormData();
    form.append("session_id", app.session.id);
    for (let i = 0; i < ENROLL_FRAMES; i += 1) {
      status.textContent = `Taking photo ${i + 1} of ${ENROLL_FRAMES}…`;
      const blob = await grabber.grab(0.9);
      if (blob) form.append("images", blob, `enroll-${i + 1}.jpg`);
      await sleep(400);
    }
    status.textContent = "Checking your photos…";
    await api.post("/monitoring/enroll/face", form);
    status.textContent = `Photos accepted. Now read the sentence aloud (${ENROLL_VOICE_SECONDS} seconds)…`;
    const voice = await recordVoice(ENROLL_VOICE_SECONDS);
    status.textContent = "Checking your voice…";
    const voiceForm = new FormData();
    voiceForm.append("session_id", app.session.id);
    voiceForm.append("audio", voice, "enroll.wav");
    await api.post("/monitoring/enroll/voice", voiceForm);
    status.textContent = "Identity check complete. You can start the exam.";
    saveState({ enrolled: true });
    button.hidden = true;
    $("enroll-continue").hidden = false;
    $("enroll-continue").focus();
  } catch (error) {
    if (error.status === 409) return sessionEnded(error);
    status.textContent = "";
    showError("enroll-error", enrollmentMessage(error));
  } finally {
    busy(button, false);
  }
}

// ---- the exam ----------------------------------------------------------------------------

async function reacquire(device) {
  try {
    if (device === "camera") {
      const stream = await openCamera();
      stopStream(app.camera);
      app.camera = stream;
      await app.monitor.replaceCamera(stream);
    } else {
      const stream = await openMicrophone();
      stopStream(app.microphone);
      app.microphone = stream;
      await app.monitor.replaceMicrophone(stream);
    }
    hideTrouble(device);
  } catch (error) {
    const what = device === "camera" ? "camera" : "microphone";
    showTrouble(
      device,
      `The ${what} could not be turned back on: ${describeMediaError(error, what)} Check that it is plugged in and not used by another program, then try again.`,
      `Turn the ${what} back on`,
      () => reacquire(device),
    );
  }
}

function retryNow() {
  app.monitor.queue.schedule(0);
  if (app.monitor.live) app.monitor.live.connect();
}

function monitorStatus(state) {
  const parts = [
    `Camera ${state.camera}`,
    `microphone ${state.microphone}`,
    state.live === "connected" ? "live link on" : "live link reconnecting",
    state.pending ? `${state.pending} event${state.pending === 1 ? "" : "s"} waiting to be sent` : "all events sent",
  ];
  const element = $("monitor-status");
  element.hidden = false;
  element.textContent = parts.join(" · ");
  element.dataset.framesSent = state.framesSent;
  element.dataset.audioSent = state.audioSent;
  element.dataset.frameRetries = state.frameRetries;
  element.dataset.audioRetries = state.audioRetries;
  element.dataset.mediaLost = state.frameErrors + state.audioErrors;
  element.dataset.mediaPending = state.framesPending + state.audioPending;
  element.dataset.mediaViaSocket = state.mediaViaSocket;
  element.dataset.mediaViaHttp = state.mediaViaHttp;
  element.dataset.pending = state.pending;
  element.dataset.live = state.live;
  if (app.ending) return;

  const noAnswer = state.queueFailures >= 2 && state.queueStatus === 0;
  if (!state.online || noAnswer) {
    showTrouble(
      "connection",
      "The connection to the exam server is lost. Keep working: your code and the monitoring events are kept on this computer and sent as soon as the connection is back.",
      "Try to reconnect now",
      retryNow,
    );
  } else {
    hideTrouble("connection");
  }
  const serverDown =
    (state.queueFailures >= 2 && state.queueStatus >= 500) ||
    (state.frameFailStreak >= 2 && state.frameStatus >= 500);
  if (serverDown && state.online) {
    const status = state.queueStatus >= 500 ? state.queueStatus : state.frameStatus;
    showTrouble(
      "server",
      `The exam server is not answering properly (error ${status}). Keep working: nothing is lost, the page keeps trying. If this lasts more than a few minutes, tell your proctor.`,
      "Try again now",
      retryNow,
    );
  } else {
    hideTrouble("server");
  }
  for (const device of ["camera", "microphone"]) {
    if (state[device].startsWith("off")) {
      showTrouble(
        device,
        `Your ${device} stopped (${state[device].replace(/^off /, "").replace(/[()]/g, "")}): the exam needs it. Check that it is connected and not used by another program, then turn it back on.`,
        `Turn the ${device} back on`,
        () => reacquire(device),
      );
    } else {
      hideTrouble(device);
    }
  }
}

// One tab per session: two tabs would share the event queue and double the uploads. The lock
// is held for the page's life and released by the browser when the tab closes or reloads.
async function holdSessionLock(sessionId) {
  if (!navigator.locks) return;
  let granted;
  const acquired = new Promise((resolve) => {
    granted = resolve;
  });
  navigator.locks.request(`exam.session.${sessionId}`, () => {
    granted();
    return new Promise(() => {});
  });
  const notice = setTimeout(() => {
    $("connection-banner").textContent =
      "This exam is open in another tab or window. Close it there to continue here.";
    $("connection-banner").hidden = false;
  }, 2000);
  await acquired;
  clearTimeout(notice);
  $("connection-banner").hidden = true;
}

async function startMonitor() {
  await holdSessionLock(app.session.id);
  app.monitor = new Monitor({
    api,
    session: app.session,
    camera: app.camera,
    microphone: app.microphone,
    video: $("exam-preview"),
    onLive: liveMessage,
    onEnded: sessionEnded,
    onStatus: monitorStatus,
    onViolation: (kind, details) => {
      if (app.session.policy.violation_notices !== false) showViolation(kind, details);
    },
  });
  $("exam-preview").srcObject = app.camera;
  app.monitor.startEvents();
}

function liveMessage(name, data) {
  if (name === "session.warning") {
    $("warning-text").textContent = data.message || "Please follow the exam rules.";
    $("warning-banner").hidden = false;
  } else if (name === "session.terminated") {
    finish("terminated", data.reason);
  } else if (name === "session.status" && FINAL_STATUSES.has(data.status)) {
    finish(data.status, data.end_reason);
  }
}

async function enterExam() {
  if (app.view || app.ending) return;
  enterFullscreen();
  // The exam's clock starts now, when the problems appear (once: a reload keeps it).
  try {
    app.session = await api.post(`/exams/sessions/${app.session.id}/open-problems`);
  } catch (error) {
    if (error.status === 409 || error.status === 404) return sessionEnded(error);
    showTrouble("exam", `The exam could not be opened: ${error.message}`, "Try again", () => enterExam());
    return;
  }
  hideTrouble("exam");
  saveState({ step: "exam" });
  app.view = new ExamView({
    api,
    session: app.session,
    monitor: app.monitor,
    onTimeUp: timeUp,
    styleNonce: config.styleNonce,
  });
  app.view.render();
  show("exam");
  app.view.startCountdown();
  app.monitor.startMedia();
}

function fullscreenChanged() {
  if (document.body.dataset.step !== "exam") return;
  $("fullscreen-return").hidden = Boolean(document.fullscreenElement);
}

function openFinalDialog() {
  const summary = $("final-dialog-summary");
  summary.replaceChildren();
  for (const entry of app.view.editors.values()) {
    const item = document.createElement("li");
    const changed = app.view.unsubmitted().includes(entry);
    item.textContent = `${entry.problem.title}: ${
      changed ? "your latest code will be submitted now" : entry.submitted ? `version ${entry.submitted.version} submitted` : "no code"
    }`;
    summary.append(item);
  }
  $("final-dialog").showModal();
}

async function finalDialogClosed() {
  if ($("final-dialog").returnValue !== "confirm") return;
  await finalSubmit();
}

async function finalSubmit() {
  if (app.ending) return;
  const button = $("final-open");
  busy(button, true, "Finishing…");
  try {
    await app.view.submitAllChanged();
    await app.monitor.drain();
    await api.post("/submissions/final-submit", { session_id: app.session.id });
    hideTrouble("exam");
    await finish("submitted", "");
  } catch (error) {
    if (error.status === 409) return sessionEnded(error);
    showTrouble("exam", `The exam could not be finished: ${error.message}`, "Try to finish again", () => finalSubmit());
  } finally {
    busy(button, false);
  }
}

async function timeUp() {
  $("monitor-status").textContent = "Time is up. Submitting your latest code…";
  try {
    await app.view.submitAllChanged();
  } catch {
    // The server closes the session at its end time; what was submitted before stays.
  }
  await sessionEnded(null);
}

// The server says the session is over (409 somewhere, or time ran out): ask it why.
// At the end time the page's clock may be a little ahead of the server's: ask a few times.
async function sessionEnded() {
  if (app.ending) return;
  for (let attempt = 0; attempt < 6; attempt += 1) {
    try {
      const session = await api.get(`/exams/sessions/${app.session.id}`);
      if (FINAL_STATUSES.has(session.status)) return finish(session.status, session.end_reason);
    } catch {
      // unreachable for now: ask again
    }
    if (app.ending) return;
    await sleep(1000);
  }
  return finish("ended", "");
}

const END_TEXT = {
  submitted: "Your exam was submitted. Thank you.",
  terminated: "Your exam was ended by the proctor.",
  expired: "The time for this exam ran out. Everything you submitted before the end was kept.",
  ended: "This exam session has ended.",
};

const NEXT_TEXT = {
  submitted: "Your answers are with the examiners. You can close this page.",
  terminated:
    "What you submitted before this moment is kept and will be reviewed with the proctor's report. " +
    "The exam's organisers will contact you about the next steps; if you think this is a mistake, tell them.",
  expired: "Your answers are with the examiners. You can close this page.",
  ended: "You can close this page.",
};

async function finish(status, reason) {
  if (app.ending) return;
  app.ending = true;
  if (app.view) app.view.destroy();
  let undelivered = 0;
  if (app.monitor) {
    if (status === "submitted") await app.monitor.drain(3000);
    await app.monitor.stop();
    // An ended session accepts no more events: what is left cannot be delivered, so it is
    // not kept in this browser.
    undelivered = app.monitor.queue.stats().pending;
    localStorage.removeItem(app.monitor.queue.key);
  }
  // Only a candidate who handed in can act on this (and only by telling the examiners).
  $("done-events").textContent =
    undelivered && status === "submitted"
      ? `${undelivered} monitoring event${undelivered === 1 ? "" : "s"} could not be sent before the end; your answers are not affected.`
      : "";
  if ($("final-dialog").open) $("final-dialog").close();
  await stopMeter();
  stopStream(app.camera);
  stopStream(app.microphone);
  if (document.fullscreenElement) document.exitFullscreen().catch(() => {});
  $("countdown").hidden = true;
  $("warning-banner").hidden = true;
  $("connection-banner").hidden = true;
  $("notice-banner").hidden = true;
  clearTroubles();
  $("monitor-status").textContent = "Monitoring stopped: camera and microphone are off.";
  let text = END_TEXT[status] || END_TEXT.ended;
  if (status === "terminated") text += reason ? ` Reason: ${reason}` : " No reason was given.";
  $("done-text").textContent = text;
  $("done-next").textContent = NEXT_TEXT[status] || NEXT_TEXT.ended;
  document.body.dataset.endStatus = status;
  if (app.view && status !== "terminated") app.view.clearDrafts();
  saveState({ step: "done" });
  show("done");
  if (app.session) await showReceipt({ api, session: app.session, view: app.view });
}

// ---- reload -----------------------------------------------------------------------------

async function resumeSession(state) {
  let session;
  try {
    session = await api.get(`/exams/sessions/${state.sessionId}`);
  } catch {
    saveState({ sessionId: null, enrolled: false, step: null });
    return false;
  }
  app.session = session;
  app.examId = session.exam.id;
  if (FINAL_STATUSES.has(session.status)) {
    await finish(session.status, session.end_reason);
    return true;
  }
  show("check");
  const ok = await runSystemCheck({ quiet: true });
  if (!ok) {
    // The candidate fixes the problem and continues from the check.
    $("check-continue").textContent = "Return to the exam";
    app.resuming = true;
    return true;
  }
  await continueResumed();
  return true;
}

async function continueResumed() {
  await startMonitor();
  if (loadState().enrolled) {
    await enterExam();
  } else {
    await enrollOrSkip();
  }
}

// A candidate who rejoins a session (new tab, other browser) whose identity was checked
// already goes straight to the exam, unless the exam's policy asks for a new check.
async function enrollOrSkip() {
  let status = null;
  try {
    status = await api.get(`/monitoring/enroll/status?session_id=${app.session.id}`);
  } catch {
    status = null; // unknown: ask for the check
  }
  if (status && status.complete && !status.reenroll_on_rejoin) {
    saveState({ enrolled: true });
    await enterExam();
    return;
  }
  show("enroll");
  $("enroll-preview").srcObject = app.camera;
}

async function checkContinue() {
  if (app.resuming) {
    app.resuming = false;
    await stopMeter();
    await continueResumed();
    return;
  }
  await stopMeter();
  renderAbout(app.exams.find((exam) => exam.id === app.examId));
  show("consent");
}

async function signOut() {
  await api.logout();
  sessionStorage.removeItem(STATE_KEY);
  location.reload();
}

// ---- start ------------------------------------------------------------------------------

// Tab past the last control (or Shift+Tab before the first) would move focus to the browser's
// own bar, which the page records as "window lost focus". Two focusable edges send it round.
const FOCUSABLE = "a[href], button, input, select, textarea, [tabindex]:not([tabindex='-1']), [contenteditable='true']";

function focusWrap(event) {
  const candidates = [...document.querySelectorAll(FOCUSABLE)].filter(
    (element) => !element.classList.contains("focus-wrap") && !element.disabled && element.getClientRects().length,
  );
  const target = event.target.dataset.wrap === "first" ? candidates[0] : candidates[candidates.length - 1];
  if (target) target.focus();
}

function wire() {
  bannersWhenEnded(() => app.ending);
  for (const edge of document.querySelectorAll(".focus-wrap")) edge.addEventListener("focus", focusWrap);
  $("signin-form").addEventListener("submit", signIn);
  $("choose-form").addEventListener("submit", chooseSubmit);
  $("check-run").addEventListener("click", () => runSystemCheck());
  $("check-continue").addEventListener("click", checkContinue);
  $("consent-form").addEventListener("submit", (event) => {
    enterFullscreen(); // needs the click's user activation, before any await
    consentSubmit(event);
  });
  $("enroll-start").addEventListener("click", enroll);
  $("enroll-continue").addEventListener("click", () => enterExam());
  $("fullscreen-return").addEventListener("click", enterFullscreen);
  $("final-open").addEventListener("click", openFinalDialog);
  $("final-dialog").addEventListener("close", finalDialogClosed);
  $("warning-dismiss").addEventListener("click", () => {
    $("warning-banner").hidden = true;
  });
  $("notice-dismiss").addEventListener("click", () => {
    $("notice-banner").hidden = true;
  });
  $("signout").addEventListener("click", signOut);
  document.addEventListener("fullscreenchange", fullscreenChanged);
}

async function main() {
  wire();
  if (api.tokens) {
    try {
      await afterSignIn();
      return;
    } catch {
      api.tokens = null;
    }
  }
  show("signin");
}

main();
