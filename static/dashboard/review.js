// Session review page: click a frame to see it full size; "select all" for bulk verdicts;
// verdicts recorded in place (the proctor keeps their place on a long page); raw events open
// when a link points into them; while the session runs, the page follows the proctor feed.
(function () {
  "use strict";
  const page = document.querySelector(".review-page");
  const dialog = document.getElementById("lightbox");
  document.addEventListener("click", function (event) {
    const link = event.target.closest("a[data-lightbox]");
    if (!link || !dialog || typeof dialog.showModal !== "function") return;
    event.preventDefault();
    const image = dialog.querySelector("img");
    image.src = link.href;
    image.alt = link.querySelector("img") ? link.querySelector("img").alt : "";
    dialog.showModal();
  });
  if (dialog) {
    dialog.addEventListener("click", function (event) {
      if (event.target === dialog) dialog.close();
    });
  }
  const all = document.getElementById("select-all-incidents");
  if (all) {
    all.addEventListener("change", function () {
      for (const box of document.querySelectorAll("input.incident-select")) {
        box.checked = all.checked;
      }
    });
  }
  const terminate = document.querySelector("form.terminate-form");
  if (terminate) {
    terminate.addEventListener("submit", function (event) {
      if (!window.confirm("Terminate this session now? The candidate's exam ends at once.")) {
        event.preventDefault();
      }
    });
  }

  if (!page) return;

  function csrf(form) {
    const input = (form || document).querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  // Raw browser events are collapsed: open them when a link (or the address) points inside.
  function revealHash(hash) {
    if (!hash || hash.length < 2) return;
    const target = document.getElementById(decodeURIComponent(hash.slice(1)));
    const details = target && target.closest("details.raw-events");
    if (details && !details.open) details.open = true;
  }
  document.addEventListener("click", function (event) {
    const link = event.target.closest('a[href^="#"]');
    if (link) revealHash(link.getAttribute("href"));
  });
  window.addEventListener("hashchange", function () { revealHash(location.hash); });
  revealHash(location.hash);

  // Replace the parts of the page that changed with the server's fresh rendering, keeping
  // the scroll position and leaving alone whatever the proctor is typing in.
  const PARTS = ["#review-header", "#risk-section", "#timeline-section", "#verdict-section"];
  let refreshing = null;
  // A status said next to a form survives the form being redrawn.
  function keepStatus(from, to) {
    const status = from.querySelector(".form-status");
    const form = status && to.querySelector("form." + status.parentElement.classList[0]);
    if (form) form.append(status);
  }

  async function refreshParts(force) {
    // One at a time; a refresh asked for during another runs after it (it may know more).
    if (refreshing) return refreshing.then(() => refreshParts(force));
    refreshing = (async function () {
      const response = await fetch(location.pathname, { credentials: "same-origin" });
      if (!response.ok) return;
      const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
      const y = window.scrollY;
      // Whatever the proctor is typing in stays (a just-submitted form may be replaced).
      const active = force ? null : document.activeElement;
      for (const selector of PARTS) {
        const mine = document.querySelector(selector), theirs = fresh.querySelector(selector);
        if (mine && theirs && !mine.contains(active)) {
          keepStatus(mine, theirs);
          mine.replaceWith(theirs);
        }
      }
      const list = document.querySelector("#events-section > ol.timeline-list");
      const freshList = fresh.querySelector("#events-section > ol.timeline-list");
      if (list && freshList) {
        const mineById = new Map([...list.children].filter((li) => li.id).map((li) => [li.id, li]));
        let previous = null;
        for (const li of [...freshList.children]) {
          const old = li.id ? mineById.get(li.id) : null;
          let node = li;
          if (old && old.contains(active)) node = old;
          else if (old && old.outerHTML === li.outerHTML) node = old;
          else if (old) keepStatus(old, li);
          if (previous) previous.after(node); else list.prepend(node);
          previous = node;
          if (old && node !== old) old.remove();
          if (li.id) mineById.delete(li.id);
        }
        for (const stale of mineById.values()) stale.remove();
      }
      const raw = document.getElementById("raw-events");
      const freshRaw = fresh.getElementById("raw-events");
      if (freshRaw) {
        freshRaw.open = raw ? raw.open : false;
        if (raw) raw.replaceWith(freshRaw); else document.getElementById("events-section").append(freshRaw);
      }
      window.scrollTo(0, y);
    })().finally(function () { refreshing = null; });
    return refreshing;
  }

  function say(text, isError) {
    const note = document.getElementById("live-note");
    if (!note) return;
    note.textContent = text;
    note.classList.toggle("errornote", Boolean(isError));
  }

  // Verdicts: posted in the background, answered with a message, the page updated in place.
  document.addEventListener("submit", async function (event) {
    const form = event.target;
    if (!form.matches("form.incident-verdict, form.session-verdict, form#bulk-verdict")) return;
    event.preventDefault();
    const body = new URLSearchParams(new FormData(form));
    if (event.submitter && event.submitter.name) body.set(event.submitter.name, event.submitter.value);
    let answer = {};
    const response = await fetch(form.action, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrf(form), Accept: "application/json" },
      body,
    });
    try { answer = await response.json(); } catch (error) { answer = {}; }
    const message = response.ok ? answer.message : (answer.error ? answer.error.message : "Not recorded.");
    const entry = form.closest("li.entry");
    const where = entry ? "#" + entry.id + " form.incident-verdict" :
      form.id === "bulk-verdict" ? "form#bulk-verdict" : "#verdict-section form.session-verdict";
    if (response.ok) await refreshParts(true);
    const target = document.querySelector(where) || form;
    const status = target.querySelector(".form-status") || target.appendChild(
      Object.assign(document.createElement("span"), { className: "form-status", role: "status" }));
    status.textContent = message;
    status.classList.toggle("errornote", !response.ok);
    status.classList.toggle("success", response.ok);
  });

  // Live: the proctor feed of this exam; events of this session refresh the page's parts.
  if (page.dataset.live !== "1") return;
  const sessionId = page.dataset.session;
  let retryMs = 2000;
  let pending = null;
  function soon() {
    clearTimeout(pending);
    pending = setTimeout(function () {
      refreshParts().then(function () { say("Updated " + new Date().toLocaleTimeString([], { hour12: false }) + "."); });
    }, 400);
  }
  async function connect() {
    let token;
    try {
      const response = await fetch(page.dataset.tokenUrl, { method: "POST", credentials: "same-origin",
        headers: { "X-CSRFToken": csrf(), Accept: "application/json" } });
      if (!response.ok) throw new Error(String(response.status));
      token = (await response.json()).token;
    } catch (error) {
      setTimeout(connect, retryMs);
      retryMs = Math.min(retryMs * 2, 30000);
      return;
    }
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const socket = new WebSocket(scheme + location.host + "/ws/proctor/?exam=" + page.dataset.exam);
    socket.addEventListener("open", function () {
      socket.send(JSON.stringify({ type: "auth", token: token }));
    });
    socket.addEventListener("message", function (message) {
      let payload;
      try { payload = JSON.parse(message.data); } catch (error) { return; }
      const data = payload.data || {};
      if (payload.event === "ready") { retryMs = 2000; page.classList.add("connected"); return; }
      if (data.session_id === sessionId && payload.event !== "session.state" &&
          payload.event !== "frame.analyzed") soon();
    });
    socket.addEventListener("close", function () {
      page.classList.remove("connected");
      setTimeout(connect, retryMs);
      retryMs = Math.min(retryMs * 2, 30000);
    });
  }
  connect();
  window.reviewPage = { refresh: refreshParts };
})();
