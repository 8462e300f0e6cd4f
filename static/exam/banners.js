// What the candidate sees when something goes wrong or is recorded: one trouble banner (the
// most basic trouble first, with a button that puts it right) and violation notices.

import { plural } from "./rules.js";

const $ = (id) => document.getElementById(id);
let ended = () => false;

// The page says when the exam is over: no banner is shown after that.
export function bannersWhenEnded(check) {
  ended = check;
}

// Several troubles may be true at once; the banner shows the most basic one first.
const TROUBLE_ORDER = ["exam", "connection", "server", "camera", "microphone"];
const troubles = new Map();

export function showTrouble(kind, text, actionLabel = "", action = null) {
  troubles.set(kind, { text, actionLabel, action });
  renderTrouble();
}

export function hideTrouble(kind) {
  if (troubles.delete(kind)) renderTrouble();
}

function renderTrouble() {
  const kind = TROUBLE_ORDER.find((name) => troubles.has(name));
  const banner = $("trouble-banner");
  if (!kind || ended()) {
    banner.hidden = true;
    delete banner.dataset.kind;
    return;
  }
  const { text, actionLabel, action } = troubles.get(kind);
  const changed = banner.dataset.kind !== kind || $("trouble-text").textContent !== text;
  banner.dataset.kind = kind;
  $("trouble-text").textContent = text;
  const button = $("trouble-action");
  button.hidden = !action;
  button.textContent = actionLabel;
  button.onclick = action
    ? async () => {
        button.disabled = true;
        try {
          await action();
        } finally {
          button.disabled = false;
        }
      }
    : null;
  if (changed) banner.hidden = false;
}

export function clearTroubles() {
  troubles.clear();
  renderTrouble();
}

const VIOLATION_TEXT = {
  tab_hidden: (d) => `You left the exam tab for ${plural(d.seconds, "second")}. This was recorded and your proctor will see it. Stay in this tab until you finish.`,
  window_blur: (d) => `This window was not in front for ${plural(d.seconds, "second")}. This was recorded. Keep the exam window in front and other programs closed.`,
  fullscreen_exit: () => "You left full screen. This was recorded. Use the \u201cReturn to full screen\u201d button to go back.",
  large_paste: (d) => `You pasted ${plural(d.length, "character")} from outside the exam. This was recorded with the pasted text. Write your answers in the exam's editor.`,
};

export function showViolation(kind, details) {
  if (ended()) return;
  const text = VIOLATION_TEXT[kind];
  if (!text) return;
  $("notice-text").textContent = text(details);
  $("notice-banner").dataset.kind = kind;
  $("notice-banner").hidden = false;
}
