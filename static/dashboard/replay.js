// Code playback on the review pages: rebuilds a problem's code from the editor's recorded
// changes at any moment (the same rules as submissions/authorship.py: positions in UTF-16
// code units, a "base" record restarts from its text), plays them at 1x-16x, marks pastes
// with their text and origin, and draws the typing rhythm.

const data = JSON.parse(document.getElementById("replay-data").textContent);
const CHECKPOINT_EVERY = 200;
const MAX_GAP_MS = 2000; // idle time is shortened while playing
// The rhythm chart has about 60 bars: bins of 1 s for a short stretch, up to 1 min.
const rhythmBinMs = (spanMs) => Math.min(60000, Math.max(1000, Math.round(spanMs / 60 / 1000) * 1000));

function apply(text, change) {
  if (change.kind === "open") return text;
  if (change.kind === "base" && !change.cont) text = "";
  const from = Math.min(change.from, text.length);
  return text.slice(0, from) + change.ins + text.slice(from + change.del.length);
}

class Replay {
  constructor(section, problem) {
    this.section = section;
    this.changes = problem.changes;
    this.checkpoints = [""];
    let text = "";
    this.changes.forEach((change, index) => {
      text = apply(text, change);
      if ((index + 1) % CHECKPOINT_EVERY === 0) this.checkpoints.push(text);
    });
    this.slider = section.querySelector(".replay-slider");
    this.code = section.querySelector(".replay-code code");
    this.clock = section.querySelector(".replay-clock");
    this.playButton = section.querySelector(".replay-play");
    this.speed = section.querySelector(".replay-speed");
    this.timer = null;
    this.slider.addEventListener("input", () => this.show(Number(this.slider.value)));
    this.playButton.addEventListener("click", () => (this.timer ? this.pause() : this.play()));
    this.marks();
    this.pastes();
    this.rhythm();
    this.show(this.changes.length);
  }

  // The text after the first `count` changes.
  textAt(count) {
    const checkpoint = Math.floor(count / CHECKPOINT_EVERY);
    let text = this.checkpoints[checkpoint];
    for (let index = checkpoint * CHECKPOINT_EVERY; index < count; index += 1) text = apply(text, this.changes[index]);
    return text;
  }

  show(count) {
    this.position = count;
    this.slider.value = String(count);
    this.code.textContent = this.textAt(count);
    const change = this.changes[count - 1];
    const when = change ? new Date(change.t).toLocaleTimeString() : "start";
    const what = change ? ` · ${change.kind}${change.origin ? ` from ${change.origin === "exam" ? "this exam" : "outside"}` : ""}` : "";
    this.clock.textContent = `Change ${count} of ${this.changes.length} · ${when}${what}`;
    this.section.dataset.position = String(count);
  }

  play() {
    if (this.position >= this.changes.length) this.show(0);
    this.playButton.textContent = "Pause";
    const step = () => {
      if (this.position >= this.changes.length) return this.pause();
      this.show(this.position + 1);
      const next = this.changes[this.position];
      const gap = next ? Math.min(MAX_GAP_MS, Math.max(0, next.t - this.changes[this.position - 1].t)) : 0;
      this.timer = setTimeout(step, gap / Number(this.speed.value));
    };
    this.timer = setTimeout(step, 0);
  }

  pause() {
    clearTimeout(this.timer);
    this.timer = null;
    this.playButton.textContent = "Play";
  }

  marks() {
    const strip = this.section.querySelector(".replay-marks");
    const total = Math.max(1, this.changes.length);
    this.changes.forEach((change, index) => {
      if ((change.kind !== "paste" && change.kind !== "drop") || change.cont) return;
      const mark = document.createElement("span");
      mark.className = `replay-mark ${change.origin === "exam" ? "exam" : "outside"}`;
      mark.style.left = `${(100 * (index + 1)) / total}%`;
      mark.title = `${change.kind} from ${change.origin === "exam" ? "this exam's editor" : "outside the exam"}: ${change.ins.slice(0, 200)}`;
      strip.append(mark);
    });
  }

  pastes() {
    const list = this.section.querySelector(".replay-pastes");
    this.changes.forEach((change, index) => {
      if (change.kind !== "paste" && change.kind !== "drop") return;
      if (change.cont) {
        // The later pieces of a long paste belong to the item before.
        const last = list.lastElementChild;
        if (last) {
          last.querySelector("pre").textContent += change.ins;
          last.dataset.end = String(index + 1);
        }
        return;
      }
      const item = document.createElement("li");
      item.className = "replay-paste";
      item.dataset.end = String(index + 1);
      const origin = change.origin === "exam" ? "copied inside this exam's editor" : "from outside the exam";
      const head = document.createElement("p");
      const strong = document.createElement("span");
      strong.className = change.origin === "exam" ? "origin-exam" : "origin-outside";
      strong.textContent = origin;
      const jump = document.createElement("button");
      jump.type = "button";
      jump.className = "button";
      jump.textContent = `Show the code after this ${change.kind}`;
      jump.addEventListener("click", () => this.show(Number(item.dataset.end)));
      head.append(`${new Date(change.t).toLocaleTimeString()} · ${change.kind}, `, strong, " ", jump);
      const text = document.createElement("pre");
      text.textContent = change.ins;
      item.append(head, text);
      list.append(item);
    });
    if (!list.children.length) {
      const none = document.createElement("li");
      none.textContent = "No pastes.";
      list.append(none);
    }
  }

  // Typed characters per time bin, as bars over the time the problem was worked on.
  rhythm() {
    const box = this.section.querySelector(".replay-rhythm");
    const typed = this.changes.filter((c) => c.kind === "type" || (c.kind === "input" && c.ins.length <= 8));
    if (!typed.length) {
      box.textContent = "No typing recorded.";
      return;
    }
    const start = typed[0].t;
    const binMs = rhythmBinMs(typed[typed.length - 1].t - start);
    const seconds = binMs / 1000;
    const bins = new Array(Math.floor((typed[typed.length - 1].t - start) / binMs) + 1).fill(0);
    for (const change of typed) bins[Math.floor((change.t - start) / binMs)] += change.ins.length || 1;
    const width = 640;
    const height = 120;
    const barWidth = Math.min(40, width / bins.length);
    const peak = Math.max(...bins);
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", `0 0 ${width} ${height + 14}`);
    svg.setAttribute("role", "img");
    const total = bins.reduce((a, b) => a + b, 0);
    svg.setAttribute(
      "aria-label",
      `Typing rhythm: ${total} characters typed over ${bins.length * seconds} seconds, at most ${peak} in ${seconds} seconds.`,
    );
    bins.forEach((count, index) => {
      const bar = document.createElementNS(ns, "rect");
      const barHeight = (height * count) / peak;
      bar.setAttribute("class", "bar");
      bar.setAttribute("x", String(index * barWidth));
      bar.setAttribute("y", String(height - barHeight));
      bar.setAttribute("width", String(Math.max(1, barWidth - 1)));
      bar.setAttribute("height", String(barHeight));
      const title = document.createElementNS(ns, "title");
      title.textContent = `${index * seconds}-${(index + 1) * seconds} s: ${count} characters`;
      bar.append(title);
      svg.append(bar);
    });
    const label = document.createElementNS(ns, "text");
    label.setAttribute("x", "0");
    label.setAttribute("y", String(height + 12));
    label.textContent = `characters typed per ${seconds} s (peak ${peak})`;
    svg.append(label);
    box.append(svg);
  }
}

for (const problem of data) {
  const section = document.querySelector(`.replay[data-problem-id="${problem.problem_id}"]`);
  if (section && problem.changes.length) section.replay = new Replay(section, problem);
}
