// The exam's description and its rules, written from the exam's policy (the exams API's
// `rules`), shown before the candidate consents.

const $ = (id) => document.getElementById(id);

export function plural(count, word) {
  return `${count} ${word}${count === 1 ? "" : "s"}`;
}

function rulesText(rules) {
  const items = [];
  const after = (seconds) => (seconds > 0 ? `for more than ${plural(seconds, "second")}` : "at all");
  items.push(`Stay in this tab: switching to another tab or program ${after(rules.tab_hidden_threshold_s)} is recorded as leaving the exam.`);
  items.push(`Keep this window in front: a window losing focus ${after(rules.window_blur_threshold_s)} is recorded too.`);
  items.push(`Stay in full screen: leaving it ${after(rules.fullscreen_exit_threshold_s)} is recorded.`);
  items.push(`Write your code here: pasting ${rules.paste_size_threshold_chars} characters or more from outside the exam is recorded, with the pasted text. Copying and pasting inside the exam's own editor is fine.`);
  const checks = [];
  if (rules.face_checks) checks.push("that your face is in view and you are alone");
  if (rules.gaze_checks) checks.push("where you are looking");
  if (rules.identity_checks) checks.push("that you are the person from the identity check");
  if (rules.voice_checks) checks.push("whether another voice is heard");
  if (checks.length) items.push(`The camera and microphone are used to check ${checks.join(", ")}.`);
  items.push("How your code is written (typing, pastes, changes) is recorded so examiners can replay it.");
  if (rules.violation_notices) items.push("When something is recorded, this page tells you at once and says what to do.");
  return items;
}

export function renderAbout(exam) {
  if (!exam) return;
  $("about-title").textContent = `About this exam: ${exam.title}`;
  $("about-facts").textContent = `${plural(exam.duration_minutes, "minute")}, ${plural(exam.problems.length, "problem")}.`;
  const description = $("about-description");
  description.replaceChildren();
  for (const paragraph of (exam.description || "").split(/\n{2,}/).filter((p) => p.trim())) {
    const p = document.createElement("p");
    p.textContent = paragraph;
    description.append(p);
  }
  const list = $("about-rules");
  list.replaceChildren();
  for (const rule of rulesText(exam.rules || {})) {
    const item = document.createElement("li");
    item.textContent = rule;
    list.append(item);
  }
}
