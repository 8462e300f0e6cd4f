// The exam itself: problem tabs, an editor per problem with a language choice, local drafts,
// submissions, the countdown to the session's end time and the final submit.

import { CodeEditor } from "./editor.js";

const AUTO_SUBMIT_BEFORE_END_MS = 15000;

export const LANGUAGES = [
  ["python", "Python"],
  ["javascript", "JavaScript"],
  ["typescript", "TypeScript"],
  ["java", "Java"],
  ["c", "C"],
  ["cpp", "C++"],
  ["csharp", "C#"],
  ["go", "Go"],
  ["rust", "Rust"],
  ["ruby", "Ruby"],
  ["php", "PHP"],
  ["kotlin", "Kotlin"],
  ["swift", "Swift"],
  ["scala", "Scala"],
];

function timeOfDay(date = new Date()) {
  return date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
}

export function formatRemaining(ms) {
  const total = Math.max(0, Math.floor(ms / 1000));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  const pad = (n) => String(n).padStart(2, "0");
  return hours ? `${hours}:${pad(minutes)}:${pad(seconds)}` : `${pad(minutes)}:${pad(seconds)}`;
}

export class ExamView {
  constructor({ api, session, monitor, onTimeUp, styleNonce = "" }) {
    this.api = api;
    this.styleNonce = styleNonce;
    // Texts copied or cut in this exam's editors: a paste of one of them is "from the exam".
    this.copied = [];
    this.session = session;
    this.monitor = monitor;
    this.onTimeUp = onTimeUp;
    this.problems = (session.exam && session.exam.problems) || [];
    this.editors = new Map();
    this.countdownTimer = null;
    this.announced = new Set();
    this.autoSubmitted = false;
    monitor.beforePaste = () => {
      for (const entry of this.editors.values()) entry.editor.flushTyping();
    };
    monitor.editorAt = (target) => this.editorAt(target);
    monitor.pasteOrigin = (text) => this.pasteOrigin(text);
  }

  // The problem and editor a DOM node belongs to (for copy/cut/paste events), or null.
  editorAt(target) {
    const host = target && target.closest && target.closest(".code-editor");
    if (!host) return null;
    const entry = this.editors.get(Number(host.dataset.problemId));
    return entry ? { problemId: entry.problem.id, editor: entry.editor, copied: (text) => this.noteCopied(text) } : null;
  }

  noteCopied(text) {
    if (!text) return;
    this.copied = [text, ...this.copied.filter((item) => item !== text)].slice(0, 20);
  }

  pasteOrigin(text) {
    return this.copied.some((item) => item === text || (text.length >= 20 && item.includes(text))) ? "exam" : "outside";
  }

  draftKey(problemId) {
    return `exam.draft.${this.session.id}.${problemId}`;
  }

  loadDraft(problem) {
    try {
      const draft = JSON.parse(localStorage.getItem(this.draftKey(problem.id)));
      if (draft && typeof draft.code === "string") return draft;
    } catch {
      // fall through to the starter code
    }
    return { code: problem.starter_code || "", language: problem.language || "python", submitted: null };
  }

  saveDraft(problemId) {
    const entry = this.editors.get(problemId);
    const draft = {
      code: entry.editor.value,
      language: entry.language.value,
      submitted: entry.submitted,
    };
    localStorage.setItem(this.draftKey(problemId), JSON.stringify(draft));
  }

  render() {
    document.getElementById("exam-title").textContent = this.session.exam.title;
    const tabs = document.getElementById("problem-tabs");
    const panels = document.getElementById("problem-panels");
    tabs.replaceChildren();
    panels.replaceChildren();
    const template = document.getElementById("problem-template");
    this.problems.forEach((problem, index) => {
      const tab = document.createElement("button");
      tab.type = "button";
      tab.id = `problem-tab-${problem.id}`;
      tab.setAttribute("role", "tab");
      tab.setAttribute("aria-controls", `problem-panel-${problem.id}`);
      tab.textContent = `${index + 1}. ${problem.title}`;
      tab.addEventListener("click", () => this.select(problem.id));
      tab.addEventListener("keydown", (event) => this.tabKey(event, index));
      tabs.append(tab);

      const panel = template.content.firstElementChild.cloneNode(true);
      panel.id = `problem-panel-${problem.id}`;
      panel.setAttribute("aria-labelledby", tab.id);
      panel.querySelector(".problem-title").textContent = problem.title;
      const statement = panel.querySelector(".statement");
      for (const paragraph of problem.statement.split(/\n{2,}/)) {
        const p = document.createElement("p");
        p.textContent = paragraph;
        statement.append(p);
      }
      const draft = this.loadDraft(problem);
      const language = panel.querySelector(".language");
      language.id = `language-${problem.id}`;
      const known = new Set(LANGUAGES.map(([value]) => value));
      const options = known.has(draft.language) ? LANGUAGES : [[draft.language, draft.language], ...LANGUAGES];
      for (const [value, label] of options) language.append(new Option(label, value));
      language.value = draft.language;
      const host = panel.querySelector(".code-editor");
      host.id = `code-${problem.id}`;
      host.dataset.problemId = problem.id;
      const editorLabel = panel.querySelector(".editor-label");
      editorLabel.id = `code-label-${problem.id}`;
      editorLabel.textContent = `Your code for “${problem.title}”`;
      const status = panel.querySelector(".save-status");
      const entry = { problem, panel, language, status, submitted: draft.submitted, saveTimer: null };
      this.editors.set(problem.id, entry);
      entry.editor = new CodeEditor(host, {
        doc: draft.code,
        language: draft.language,
        label: `Your code for ${problem.title}`,
        nonce: this.styleNonce,
        storageKey: `exam.changes.${this.session.id}.${problem.id}`,
        pasteOrigin: (text) => this.pasteOrigin(text),
        // The draft is saved with every change (so a reload starts where the recorded changes
        // end); the message follows a little later, and never replaces a fresher one.
        onChange: () => {
          this.saveDraft(problem.id);
          clearTimeout(entry.saveTimer);
          entry.saveTimer = setTimeout(() => {
            const since = entry.submitted ? ` Changed since version ${entry.submitted.version}: submit again to send it.` : "";
            status.textContent = `Draft saved on this computer at ${timeOfDay()}.${since}`;
          }, 1500);
        },
        onChanges: (changes) => this.monitor.event("editor_changes", { problem_id: problem.id, changes }),
        onTyping: (burst) => this.monitor.event("editor_activity", { problem_id: problem.id, ...burst }),
      });
      this.saveDraft(problem.id);
      language.addEventListener("change", () => {
        entry.editor.setLanguage(language.value);
        this.saveDraft(problem.id);
      });
      panel.querySelector(".save").addEventListener("click", () => {
        this.saveDraft(problem.id);
        status.textContent = `Draft saved on this computer at ${timeOfDay()}. Submit it to send it to the examiners.`;
      });
      panel.querySelector(".submit").addEventListener("click", () => this.submit(problem.id));
      if (entry.submitted) status.textContent = `Version ${entry.submitted.version} submitted.`;
      panels.append(panel);
    });
    if (this.problems.length) this.select(this.problems[0].id);
  }

  select(problemId, focus = false) {
    for (const [id, entry] of this.editors) {
      const selected = id === problemId;
      const tab = document.getElementById(`problem-tab-${id}`);
      tab.setAttribute("aria-selected", String(selected));
      tab.tabIndex = selected ? 0 : -1;
      entry.panel.hidden = !selected;
      if (selected && focus) tab.focus();
    }
  }

  tabKey(event, index) {
    const count = this.problems.length;
    let next = null;
    if (event.key === "ArrowRight") next = (index + 1) % count;
    if (event.key === "ArrowLeft") next = (index - 1 + count) % count;
    if (event.key === "Home") next = 0;
    if (event.key === "End") next = count - 1;
    if (next === null) return;
    event.preventDefault();
    this.select(this.problems[next].id, true);
  }

  async submit(problemId) {
    const entry = this.editors.get(problemId);
    const button = entry.panel.querySelector(".submit");
    button.disabled = true;
    clearTimeout(entry.saveTimer); // a pending "Draft saved" must not replace the result
    entry.status.textContent = "Submitting…";
    try {
      const result = await this.submitCode(entry);
      entry.status.textContent = `Version ${result.version} submitted at ${timeOfDay()}.`;
      return result;
    } catch (error) {
      entry.status.textContent = `Not submitted: ${error.message}`;
      throw error;
    } finally {
      button.disabled = false;
    }
  }

  async submitCode(entry) {
    // The changes that led to this code are queued before the submission, so the server has
    // them when it compares the submitted text with what was typed here.
    entry.editor.flushChanges();
    const code = entry.editor.value;
    const language = entry.language.value;
    const result = await this.api.post("/submissions/submit", {
      session_id: this.session.id,
      problem_id: entry.problem.id,
      language,
      code,
    });
    entry.submitted = {
      version: result.version,
      code,
      language,
      submitted_at: result.submitted_at || new Date().toISOString(),
    };
    this.saveDraft(entry.problem.id);
    return result;
  }

  // Problems whose current code was never submitted in this form.
  unsubmitted() {
    return [...this.editors.values()].filter(
      (entry) =>
        entry.editor.value.trim() &&
        (!entry.submitted ||
          entry.submitted.code !== entry.editor.value ||
          entry.submitted.language !== entry.language.value),
    );
  }

  async submitAllChanged() {
    for (const entry of this.unsubmitted()) {
      clearTimeout(entry.saveTimer);
      entry.status.textContent = "Submitting…";
      await this.submitCode(entry);
      entry.status.textContent = `Version ${entry.submitted.version} submitted at ${timeOfDay()}.`;
    }
  }

  startCountdown() {
    const element = document.getElementById("countdown");
    const endsAt = new Date(this.session.ends_at).getTime();
    element.hidden = false;
    const tick = () => {
      const left = endsAt - Date.now();
      element.textContent = `Time left: ${formatRemaining(left)}`;
      // Shortly before the end, what changed is submitted, so work done in the last minutes
      // is kept even if the candidate does not finish in time.
      if (left <= AUTO_SUBMIT_BEFORE_END_MS && left > 0 && !this.autoSubmitted) {
        this.autoSubmitted = true;
        this.submitAllChanged().catch(() => {});
      }
      // Screen readers hear the time only at a few moments, not every second.
      for (const minutes of [10, 5, 1]) {
        if (left <= minutes * 60000 && left > 0 && !this.announced.has(minutes)) {
          this.announced.add(minutes);
          const status = document.getElementById("monitor-status");
          status.textContent = `${minutes} minute${minutes > 1 ? "s" : ""} left.`;
          element.classList.add("countdown-low");
        }
      }
      if (left <= 0) {
        this.stopCountdown();
        this.onTimeUp();
      }
    };
    tick();
    this.countdownTimer = setInterval(tick, 1000);
  }

  stopCountdown() {
    clearInterval(this.countdownTimer);
    this.countdownTimer = null;
  }

  destroy() {
    this.stopCountdown();
    for (const entry of this.editors.values()) {
      clearTimeout(entry.saveTimer);
      entry.editor.destroy();
      entry.editor.setReadOnly(true);
    }
  }

  clearDrafts() {
    for (const problem of this.problems) localStorage.removeItem(this.draftKey(problem.id));
  }
}
