// The exam's code editor: CodeMirror 6 (static/exam/vendor/codemirror.js, built from
// frontend/) with line numbers, highlighting and indentation for every exam language. Tab
// indents; Escape then Tab moves focus on (CodeMirror's tab-focus mode), so the keyboard is
// never trapped. Besides the text, the editor records every change (position, deleted and
// inserted text, time, kind) for the reviewers' replay, and reports typing bursts.

import { createEditor } from "./vendor/codemirror.js";

// Change records travel inside monitoring events, whose payload is limited (4096 bytes by
// default, MONITORING_PAYLOAD_MAX_BYTES): long texts are split into pieces that replay to the
// same result, and a batch is sent before it would grow past the budget.
const PIECE_CHARS = 600;
const BATCH_BYTES = 3000;
const BATCH_MAX_WAIT_MS = 5000;
const encoder = new TextEncoder();
const bytes = (value) => encoder.encode(JSON.stringify(value)).length;

// What CodeMirror says caused a change -> the short kind stored with each record.
function changeKind(tr) {
  if (tr.isUserEvent("input.paste")) return "paste";
  if (tr.isUserEvent("input.drop")) return "drop";
  if (tr.isUserEvent("input.type")) return "type";
  if (tr.isUserEvent("input.complete")) return "complete";
  if (tr.isUserEvent("input")) return "input"; // indentation, new lines, auto brackets
  if (tr.isUserEvent("delete.cut")) return "cut";
  if (tr.isUserEvent("delete")) return "delete";
  if (tr.isUserEvent("undo")) return "undo";
  if (tr.isUserEvent("redo")) return "redo";
  if (tr.isUserEvent("move")) return "move";
  return "other";
}

// One change becomes records of at most PIECE_CHARS deleted plus inserted characters: a short
// replacement stays one record; otherwise deleting [from, to) becomes repeated deletions at
// `from`, and inserting becomes consecutive insertions. Replayed in order they give the same
// text. (600 characters stay under the payload limit even if each one is escaped as \uXXXX.)
export function splitChange({ from, deleted, inserted, ...rest }) {
  if (deleted.length + inserted.length <= PIECE_CHARS) {
    return [{ ...rest, from, to: from + deleted.length, del: deleted, ins: inserted }];
  }
  const pieces = [];
  for (let at = 0; at < deleted.length; at += PIECE_CHARS) {
    const part = deleted.slice(at, at + PIECE_CHARS);
    pieces.push({ ...rest, from, to: from + part.length, del: part, ins: "" });
  }
  for (let at = 0; at < inserted.length; at += PIECE_CHARS) {
    const part = inserted.slice(at, at + PIECE_CHARS);
    pieces.push({ ...rest, from: from + at, to: from + at, del: "", ins: part });
  }
  return pieces.map((piece, index) => (index ? { ...piece, cont: true } : piece));
}

export class CodeEditor {
  /**
   * `onTyping(burst)` gets {typed_chars, inserted_chars, seconds} every 10 s of typing;
   * `onChanges(changes)` gets batches of change records, in order; `onChange(text)` follows the
   * text; `pasteOrigin(text)` says "exam" for text copied in this exam's editors.
   */
  constructor(
    parent,
    {
      doc = "",
      language = "python",
      label = "Code",
      nonce = "",
      onTyping = () => {},
      onChange = () => {},
      onChanges = () => {},
      pasteOrigin = () => "outside",
      storageKey = "",
    } = {},
  ) {
    this.parent = parent;
    this.onTyping = onTyping;
    this.onChange = onChange;
    this.onChanges = onChanges;
    this.pasteOrigin = pasteOrigin;
    this.typed = 0;
    this.inserted = 0;
    this.burstStart = null;
    this.batch = [];
    this.batchTimer = null;
    // The batch not yet handed to the event queue lives in localStorage as well, so a reload
    // loses no change; the draft is saved on every change too, so the reloaded editor starts
    // exactly where the recorded changes left it.
    this.storageKey = storageKey;
    this.editor = createEditor(parent, {
      doc,
      language,
      label,
      nonce,
      onTransaction: (tr) => this.transaction(tr),
    });
    this.view = this.editor.view;
    this.view.contentDOM.addEventListener("blur", () => {
      this.flushTyping();
      this.flushChanges();
    });
    this.burstTimer = setInterval(() => this.flushTyping(), 10000);
    this.recordOpen(doc);
  }

  // The first time this browser opens the problem, the starting text is recorded as a "base"
  // (the replay starts from it); later opens record only the length the text should have.
  recordOpen(doc) {
    if (!this.storageKey) return;
    const left = localStorage.getItem(`${this.storageKey}.batch`);
    if (left) {
      try {
        this.batch = JSON.parse(left);
      } catch {
        this.batch = [];
      }
      this.flushChanges();
    }
    const t = Date.now();
    if (localStorage.getItem(`${this.storageKey}.opened`)) {
      this.record({ t, kind: "open", from: 0, to: 0, del: "", ins: "", len: doc.length });
    } else {
      for (const piece of splitChange({ t, kind: "base", from: 0, deleted: "", inserted: doc })) this.record(piece);
      localStorage.setItem(`${this.storageKey}.opened`, "1");
    }
    this.flushChanges();
  }

  transaction(tr) {
    const kind = changeKind(tr);
    const t = Date.now();
    const records = [];
    tr.changes.iterChanges((fromA, toA, _fromB, _toB, text) => {
      const inserted = text.toString();
      const deleted = tr.startState.doc.sliceString(fromA, toA);
      if (kind === "type" || (kind === "input" && inserted.length <= 8)) this.typed += inserted.length;
      else if (kind !== "paste" && inserted.length) this.inserted += inserted.length;
      const record = { t, kind, from: fromA, deleted, inserted };
      if (kind === "paste" || kind === "drop") record.origin = this.pasteOrigin(inserted);
      records.push(record);
    });
    if ((this.typed || this.inserted) && this.burstStart === null) this.burstStart = t;
    // iterChanges gives positions in the old document; applied one by one, each later change
    // must be shifted by what the earlier ones of this transaction added or removed.
    let shift = 0;
    for (const record of records) {
      record.from += shift;
      shift += record.inserted.length - record.deleted.length;
      for (const piece of splitChange(record)) this.record(piece);
    }
    this.onChange(this.value);
  }

  record(change) {
    if (this.batch.length && bytes([...this.batch, change]) > BATCH_BYTES) this.flushChanges();
    this.batch.push(change);
    if (this.storageKey) localStorage.setItem(`${this.storageKey}.batch`, JSON.stringify(this.batch));
    if (!this.batchTimer) this.batchTimer = setTimeout(() => this.flushChanges(), BATCH_MAX_WAIT_MS);
  }

  // Sends the recorded changes now (on blur, before a submission, at the end).
  flushChanges() {
    clearTimeout(this.batchTimer);
    this.batchTimer = null;
    if (!this.batch.length) return;
    const changes = this.batch;
    this.batch = [];
    this.onChanges(changes);
    if (this.storageKey) localStorage.removeItem(`${this.storageKey}.batch`);
  }

  // Reports the typing since the last report; called every 10 s, on blur and before a paste
  // is reported, so a paste is always judged against the typing that came before it.
  flushTyping() {
    if (!this.typed && !this.inserted) return;
    const seconds = Math.max(1, Math.round((Date.now() - this.burstStart) / 1000));
    this.onTyping({ typed_chars: this.typed, inserted_chars: this.inserted, seconds });
    this.typed = 0;
    this.inserted = 0;
    this.burstStart = null;
  }

  get value() {
    return this.view.state.doc.toString();
  }

  get selectedText() {
    const { state } = this.view;
    return state.selection.ranges.map((range) => state.sliceDoc(range.from, range.to)).join("\n");
  }

  setLanguage(name) {
    this.editor.setLanguage(name);
  }

  setReadOnly(flag) {
    this.editor.setReadOnly(flag);
  }

  focus() {
    this.view.focus();
  }

  destroy() {
    clearInterval(this.burstTimer);
    this.flushTyping();
    this.flushChanges();
  }
}
