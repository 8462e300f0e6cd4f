// A careful textarea code editor: Tab / Shift+Tab indent and outdent (lines or selection),
// Enter keeps the indentation, and Escape releases Tab so keyboard users can leave the editor
// (no keyboard trap). Reports typing bursts (for paste-versus-typing checks) and changes.

const INDENT = "    ";

export class CodeEditor {
  constructor(textarea, { onTyping = () => {}, onChange = () => {} } = {}) {
    this.textarea = textarea;
    this.tabReleased = false;
    this.onChange = onChange;
    this.typed = 0;
    this.inserted = 0;
    this.burstStart = null;
    this.onTyping = onTyping;
    textarea.addEventListener("keydown", (event) => this.keydown(event));
    textarea.addEventListener("blur", () => {
      this.tabReleased = false;
      this.flushTyping();
    });
    textarea.addEventListener("input", (event) => {
      const type = event.inputType || "";
      if (type === "insertText" || type === "insertLineBreak" || type === "insertCompositionText") {
        this.typed += (event.data || "").length || 1;
      } else if (type.startsWith("insert") && type !== "insertFromPaste") {
        // Drops and other insertions that are not typing (pastes are reported on their own).
        this.inserted += (event.data || "").length;
      }
      if ((this.typed || this.inserted) && this.burstStart === null) this.burstStart = Date.now();
      this.onChange(textarea.value);
    });
    this.burstTimer = setInterval(() => this.flushTyping(), 10000);
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
    return this.textarea.value;
  }

  set value(text) {
    this.textarea.value = text;
  }

  destroy() {
    clearInterval(this.burstTimer);
    this.flushTyping();
  }

  // Replaces [start, end) with text through execCommand when possible so the browser's undo
  // history keeps working; falls back to setRangeText.
  replace(start, end, text, selectStart, selectEnd) {
    const area = this.textarea;
    area.setSelectionRange(start, end);
    if (!document.execCommand || !document.execCommand("insertText", false, text)) {
      area.setRangeText(text, start, end, "end");
      area.dispatchEvent(new Event("input", { bubbles: true }));
    }
    area.setSelectionRange(selectStart, selectEnd);
  }

  keydown(event) {
    const area = this.textarea;
    if (event.key === "Escape") {
      this.tabReleased = true;
      return;
    }
    if (event.key === "Tab" && !this.tabReleased && !event.ctrlKey && !event.altKey && !event.metaKey) {
      event.preventDefault();
      const { selectionStart: start, selectionEnd: end, value } = area;
      const lineStart = value.lastIndexOf("\n", start - 1) + 1;
      if (start === end && !event.shiftKey) {
        this.replace(start, end, INDENT, start + INDENT.length, start + INDENT.length);
        return;
      }
      const blockEnd = end > start && value[end - 1] === "\n" ? end - 1 : end;
      const lines = value.slice(lineStart, blockEnd).split("\n");
      const changed = lines.map((line) => {
        if (!event.shiftKey) return INDENT + line;
        const strip = line.match(/^( {1,4}|\t)/);
        return strip ? line.slice(strip[0].length) : line;
      });
      const text = changed.join("\n");
      const firstDelta = changed[0].length - lines[0].length;
      this.replace(
        lineStart,
        blockEnd,
        text,
        start === end ? Math.max(lineStart, start + firstDelta) : lineStart,
        start === end ? Math.max(lineStart, start + firstDelta) : lineStart + text.length,
      );
      return;
    }
    if (event.key === "Enter" && !event.ctrlKey && !event.metaKey && !event.altKey) {
      const { selectionStart: start, selectionEnd: end, value } = area;
      const lineStart = value.lastIndexOf("\n", start - 1) + 1;
      const line = value.slice(lineStart, start);
      let indent = line.match(/^[ \t]*/)[0];
      if (/[:{[(]\s*$/.test(line)) indent += INDENT;
      event.preventDefault();
      const text = "\n" + indent;
      this.replace(start, end, text, start + text.length, start + text.length);
    }
  }
}
