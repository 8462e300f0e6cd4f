// Live page: a tile per active session, kept current by the proctor websocket.
// Each feed event changes one tile's data; changed tiles are redrawn once per animation frame
// and re-sorted only when a sort key moved. The JSON snapshot is fetched at start-up, for a
// session the page does not know yet, and as a slow fallback while the socket is down.
(function () {
  "use strict";
  const root = document.querySelector(".live-page");
  if (!root) return;
  const liveUrl = root.dataset.liveUrl;
  const reviewTemplate = root.dataset.reviewUrl;
  const warnTemplate = root.dataset.warnUrl;
  const terminateTemplate = root.dataset.terminateUrl;
  const thumbTemplate = root.dataset.thumbUrl;
  const canWarn = root.dataset.canWarn === "1";
  const canTerminate = root.dataset.canTerminate === "1";
  const canViewEvidence = root.dataset.canViewEvidence === "1";
  const refreshMs = Math.max(parseInt(root.dataset.refreshSeconds, 10) || 15, 2) * 1000;
  const silentMs = Math.max(parseInt(root.dataset.silentSeconds, 10) || 30, 5) * 1000;
  const kindLabels = JSON.parse(document.getElementById("kind-labels").textContent);
  const stateEl = document.getElementById("feed-state");
  const countEl = document.getElementById("session-count");
  const grid = document.getElementById("live-tiles");
  const incidentList = document.getElementById("live-incidents");
  const NIL = "00000000-0000-0000-0000-000000000000";
  const MAX_INCIDENTS = 100;
  const ACTIVE = new Set(["created", "in_progress"]);
  const FACE_ABSENT = new Set(["no_face"]);
  const tiles = new Map(); // session id -> {data, el, parts, openIncidents: Map(id -> kind)}
  const dirty = new Set();
  let orderDirty = false;
  let frameQueued = false;
  let flushWaiters = [];
  let retryMs = 1000;
  let refreshTimer = null;
  let socketUp = false;
  const stats = { applied: 0, renders: 0, refreshes: 0, lastFlushMs: 0 };

  const url = (template, id) => template.replace(NIL, id);

  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, value);
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function timeOf(iso) {
    if (!iso) return "";
    const date = new Date(iso);
    return isNaN(date) ? "" : date.toLocaleTimeString([], { hour12: false });
  }

  function csrf() {
    const input = root.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  // ------------------------------------------------------------------ tiles

  function connectionNow(data) {
    if (data.connection === "offline") return "offline";
    if (data.connection === "connected" && data.seenAt && Date.now() - data.seenAt > silentMs) {
      return "reconnecting";
    }
    return data.connection || "reconnecting";
  }

  function alarm(data) {
    const connection = connectionNow(data);
    return (connection === "offline" ? 2 : connection === "reconnecting" ? 1 : 0) +
      (data.tab_hidden ? 1 : 0) + (data.camera_off ? 1 : 0) + (data.face_absent ? 1 : 0);
  }

  function known(value) {
    return value === null || value === undefined ? -1 : value;
  }

  // As review/dashboard/live.py::tile_sort_key: expected confirmed violations, then score.
  function sortKey(data) {
    return [known(data.risk_expected), known(data.risk_score), alarm(data), data.candidate || ""];
  }

  function compare(a, b) {
    const ka = sortKey(a.data), kb = sortKey(b.data);
    for (let i = 0; i < 3; i += 1) {
      if (ka[i] !== kb[i]) return kb[i] - ka[i];
    }
    return ka[3] < kb[3] ? -1 : ka[3] > kb[3] ? 1 : 0;
  }

  function button(label, cls) {
    return el("button", { type: "button", class: "tile-action " + cls }, label);
  }

  function buildTile(data) {
    const article = el("article", { class: "tile", "data-session": data.id });
    const thumb = el("a", { class: "tile-thumb", href: url(reviewTemplate, data.id) });
    const img = el("img", { alt: "Latest analysed camera frame of " + data.candidate,
      loading: "lazy", decoding: "async", width: "240", height: "180" });
    img.hidden = true;
    const noFrame = el("span", { class: "tile-noframe" }, "No analysed frame yet");
    thumb.append(img, noFrame);
    const head = el("header");
    const name = el("a", { class: "tile-name", href: url(reviewTemplate, data.id) }, data.candidate);
    head.append(name, el("span", { class: "tile-exam quiet" }, data.exam));
    const states = el("ul", { class: "tile-states", "aria-label": "Right now" });
    const connection = el("li", { class: "state-connection" });
    const tab = el("li", { class: "state-flag state-tab" }, "Tab hidden now");
    const face = el("li", { class: "state-flag state-face" }, "Face absent now");
    const camera = el("li", { class: "state-flag state-camera" }, "Camera off");
    states.append(connection, tab, face, camera);
    const facts = el("p", { class: "tile-facts" });
    const risk = el("span", { class: "risk-badge" });
    const open = el("span", { class: "tile-open" });
    const seen = el("span", { class: "tile-seen quiet" });
    facts.append(risk, " ", open, " ", seen);
    const actions = el("p", { class: "tile-actions" });
    const review = el("a", { class: "tile-action open-review", href: url(reviewTemplate, data.id) },
      "Open review");
    actions.append(review);
    let warn = null, terminate = null;
    if (canWarn) { warn = button("Warn", "warn"); actions.append(warn); }
    if (canTerminate) { terminate = button("Terminate", "terminate"); actions.append(terminate); }
    const note = el("p", { class: "tile-note", role: "status", "aria-live": "polite" });
    article.append(thumb, head, states, facts, actions, note);
    if (warn) warn.addEventListener("click", () => warnFromTile(data.id));
    if (terminate) terminate.addEventListener("click", () => terminateFromTile(data.id));
    return { el: article, parts: { img, noFrame, connection, tab, face, camera, risk, open, seen,
      note } };
  }

  const CONNECTION_LABEL = { connected: "Connected", reconnecting: "Reconnecting",
    offline: "Offline" };

  function renderTile(tile) {
    const d = tile.data, p = tile.parts;
    const connection = connectionNow(d);
    p.connection.textContent = CONNECTION_LABEL[connection] || connection;
    p.connection.className = "state-connection connection-" + connection;
    p.tab.hidden = !d.tab_hidden;
    p.face.hidden = !d.face_absent;
    p.camera.hidden = !d.camera_off;
    const level = d.risk_level || "";
    p.risk.className = "risk-badge risk-" + (level || "none");
    p.risk.textContent = (level ? level[0].toUpperCase() + level.slice(1) : "Not scored") + " · " +
      (d.risk_score === null || d.risk_score === undefined ? "–" : Math.round(d.risk_score));
    const openCount = tile.openIncidents.size;
    p.open.textContent = openCount === 1 ? "1 open incident" : openCount + " open incidents";
    p.open.className = "tile-open" + (openCount ? " has-open" : "");
    p.seen.textContent = d.last_event_at ? "last heard " + timeOf(d.last_event_at) : "";
    if (d.frame_id && canViewEvidence) {
      const src = url(thumbTemplate, d.id) + "?v=" + d.frame_id;
      if (p.img.dataset.src !== src) {
        p.img.dataset.src = src;
        p.img.src = src;
      }
      p.img.hidden = false;
      p.noFrame.hidden = true;
    } else {
      p.img.hidden = true;
      p.noFrame.hidden = false;
    }
    tile.el.classList.toggle("alarm", alarm(d) > 0);
    stats.renders += 1;
  }

  function upsertTile(data) {
    let tile = tiles.get(data.id);
    if (!tile) {
      const built = buildTile(data);
      tile = { data: {}, el: built.el, parts: built.parts, openIncidents: new Map() };
      tiles.set(data.id, tile);
      orderDirty = true;
    }
    Object.assign(tile.data, data);
    if (data.connection !== undefined) tile.data.seenAt = Date.now();
    if (Array.isArray(data.open_incident_ids)) {
      tile.openIncidents = new Map(data.open_incident_ids.map((pair) => [pair[0], pair[1]]));
    }
    markDirty(tile, true);
    return tile;
  }

  function removeTile(id) {
    const tile = tiles.get(id);
    if (!tile) return;
    tile.el.remove();
    tiles.delete(id);
    dirty.delete(id);
    updateCount();
  }

  function markDirty(tile, reorder) {
    dirty.add(tile.data.id);
    if (reorder) orderDirty = true;
    if (!frameQueued) {
      frameQueued = true;
      requestAnimationFrame(flush);
    }
  }

  function updateCount() {
    countEl.textContent = tiles.size;
    const empty = document.getElementById("live-empty");
    if (empty) empty.hidden = tiles.size > 0;
  }

  function flush() {
    const started = performance.now();
    frameQueued = false;
    for (const id of dirty) {
      const tile = tiles.get(id);
      if (tile) renderTile(tile);
    }
    dirty.clear();
    if (orderDirty) {
      orderDirty = false;
      const sorted = [...tiles.values()].sort(compare);
      let previous = null;
      for (const tile of sorted) {
        // Move only tiles that are out of place: a re-sort of 200 tiles touches few nodes.
        const expected = previous ? previous.el.nextElementSibling : grid.firstElementChild;
        if (expected !== tile.el) {
          if (previous) previous.el.after(tile.el); else grid.prepend(tile.el);
        }
        previous = tile;
      }
    }
    updateCount();
    stats.lastFlushMs = performance.now() - started;
    const waiters = flushWaiters;
    flushWaiters = [];
    for (const resolve of waiters) resolve();
  }

  function flushed() {
    if (!frameQueued) return Promise.resolve();
    return new Promise((resolve) => flushWaiters.push(resolve));
  }

  // ------------------------------------------------------------------ feed events

  function incidentItem(data, candidate) {
    const item = el("li", { "data-incident": data.id, "data-started": data.started_at || "",
      class: "sev-" + data.severity + " fresh" });
    item.append(el("time", { datetime: data.started_at }, timeOf(data.started_at)), " ");
    item.append(el("a", { href: url(reviewTemplate, data.session_id) + "#incident-" + data.id },
      kindLabels[data.kind] || data.kind), " ");
    item.append(el("span", { class: "who" }, candidate || ""), " ");
    item.append(el("span", { class: "sev-label" }, data.severity), " ");
    item.append(el("span", { class: "review-state review-" + data.review_status },
      data.review_status));
    return item;
  }

  function upsertIncident(data) {
    const existing = incidentList.querySelector('li[data-incident="' + data.id + '"]');
    const tile = tiles.get(data.session_id);
    const candidate = data.candidate || (tile && tile.data.candidate) ||
      (existing && existing.querySelector(".who").textContent);
    const item = incidentItem(data, candidate);
    if (existing) existing.remove();
    const empty = incidentList.querySelector(".empty");
    if (empty) empty.remove();
    // Newest start first, wherever the event comes in.
    let before = null;
    for (const li of incidentList.children) {
      if ((li.dataset.started || "") < (data.started_at || "")) { before = li; break; }
    }
    incidentList.insertBefore(item, before);
    while (incidentList.children.length > MAX_INCIDENTS) incidentList.lastElementChild.remove();
  }

  function applyIncident(data) {
    const tile = tiles.get(data.session_id);
    if (!tile) return false;
    if (data.ended_at) tile.openIncidents.delete(data.id);
    else tile.openIncidents.set(data.id, data.kind);
    const kinds = new Set(tile.openIncidents.values());
    tile.data.face_absent = [...kinds].some((kind) => FACE_ABSENT.has(kind));
    if (data.kind === "camera_off") tile.data.camera_off = !data.ended_at;
    if (data.kind === "offline") {
      tile.data.connection = data.ended_at ? "connected" : "offline";
      tile.data.seenAt = Date.now();
    }
    markDirty(tile, true);
    return true;
  }

  // Applies one feed message; true when a tile or the incident list changed.
  function receive(payload) {
    const event = payload.event;
    const data = payload.data || {};
    stats.applied += 1;
    if (event === "incident.created" || event === "incident.updated") {
      upsertIncident(data);
      return applyIncident(data);
    }
    if (event === "risk.updated") {
      const tile = tiles.get(data.session_id);
      if (!tile) return false;
      tile.data.risk_score = data.score;
      tile.data.risk_level = data.level;
      // The engine always sends E; an event without it (an older server) sorts by its score,
      // read back as the E it stands for (score = 100 E / (E + 1)).
      tile.data.risk_expected = typeof data.expected_violations === "number"
        ? data.expected_violations
        : (data.score >= 100 ? Infinity : data.score / (100 - data.score));
      markDirty(tile, true);
      return true;
    }
    if (event === "session.state") {
      const tile = tiles.get(data.session_id);
      if (!tile) { scheduleRefresh(300); return false; }
      for (const key of ["connection", "tab_hidden", "camera_off", "last_event_at"]) {
        if (key in data) tile.data[key] = data[key];
      }
      tile.data.seenAt = Date.now();
      markDirty(tile, true);
      return true;
    }
    if (event === "frame.analyzed") {
      const tile = tiles.get(data.session_id);
      if (!tile) return false;
      tile.data.frame_id = data.result_id;
      tile.data.face_absent = data.face_count === 0 ? true : tile.data.face_absent;
      markDirty(tile, false);
      return true;
    }
    if (event === "session.status") {
      if (!ACTIVE.has(data.status)) { removeTile(data.session_id); return true; }
      if (!tiles.has(data.session_id)) scheduleRefresh(200);
      return false;
    }
    if (event === "session.warning") {
      const tile = tiles.get(data.session_id);
      if (!tile) return false;
      tile.parts.note.textContent = "Warned " + timeOf(data.sent_at) + ": " + data.message;
      return true;
    }
    return false;
  }

  // ------------------------------------------------------------------ actions

  async function post(urlPath, fields) {
    const body = new URLSearchParams(fields);
    const response = await fetch(urlPath, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrf(), Accept: "application/json" },
      body,
    });
    let answer = {};
    try { answer = await response.json(); } catch (error) { answer = {}; }
    if (!response.ok) {
      const message = answer.error ? answer.error.message : "Refused (" + response.status + ")";
      throw new Error(message);
    }
    return answer;
  }

  async function warnFromTile(id) {
    const tile = tiles.get(id);
    const message = window.prompt("Warning shown at once on " + tile.data.candidate +
      "'s exam page:", "Please keep your face in view of the camera.");
    if (!message) return;
    try {
      await post(url(warnTemplate, id), { message });
      // The feed's session.warning may have come first: it says more, keep it.
      if (!tile.parts.note.textContent.startsWith("Warned")) {
        tile.parts.note.textContent = "Warning sent.";
      }
    } catch (error) {
      tile.parts.note.textContent = "Not sent: " + error.message;
    }
  }

  async function terminateFromTile(id) {
    const tile = tiles.get(id);
    const reason = window.prompt("Why is " + tile.data.candidate + "'s exam terminated?", "");
    if (!reason) return;
    if (!window.confirm("Terminate " + tile.data.candidate + "'s exam now? This cannot be undone.")) {
      return;
    }
    try {
      await post(url(terminateTemplate, id), { reason, confirm: "on" });
      tile.parts.note.textContent = "Terminated.";
      removeTile(id);
    } catch (error) {
      tile.parts.note.textContent = "Not terminated: " + error.message;
    }
  }

  // ------------------------------------------------------------------ snapshot and socket

  function applySnapshot(body) {
    const seen = new Set();
    for (const data of body.sessions) {
      seen.add(data.id);
      upsertTile(data);
    }
    for (const id of [...tiles.keys()]) if (!seen.has(id)) removeTile(id);
    for (const incident of body.incidents.slice().reverse()) {
      if (!incidentList.querySelector('li[data-incident="' + incident.id + '"]')) {
        upsertIncident(incident);
      }
    }
  }

  async function refresh() {
    try {
      const response = await fetch(liveUrl, { credentials: "same-origin",
        headers: { Accept: "application/json" } });
      if (!response.ok) return;
      applySnapshot(await response.json());
      stats.refreshes += 1;
    } catch (error) {
      /* offline for a moment: the next tick retries */
    }
  }

  function scheduleRefresh(delay) {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(function () {
      refresh().finally(function () {
        // With the socket up the feed carries every change; the snapshot is only a fallback.
        scheduleRefresh(socketUp ? refreshMs * 4 : refreshMs);
      });
    }, delay);
  }

  async function feedToken() {
    // The feed authenticates with a short-lived JWT, fetched with this admin session.
    const response = await fetch(root.dataset.tokenUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrf(), Accept: "application/json" },
    });
    if (!response.ok) throw new Error("token " + response.status);
    return (await response.json()).token;
  }

  function reconnectLater() {
    socketUp = false;
    root.classList.remove("connected");
    stateEl.textContent = "reconnecting… (refreshing every " + refreshMs / 1000 + " s)";
    setTimeout(connect, retryMs);
    retryMs = Math.min(retryMs * 2, 30000);
  }

  async function connect() {
    let token;
    try {
      token = await feedToken();
    } catch (error) {
      reconnectLater();
      return;
    }
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const socket = new WebSocket(scheme + location.host + root.dataset.wsPath);
    socket.addEventListener("open", function () {
      // In the first message, not the URL: tokens stay out of access logs.
      socket.send(JSON.stringify({ type: "auth", token: token }));
    });
    socket.addEventListener("message", function (message) {
      let payload;
      try { payload = JSON.parse(message.data); } catch (error) { return; }
      if (payload.event === "ready") {
        retryMs = 1000;
        socketUp = true;
        stateEl.textContent = "live";
        root.classList.add("connected");
        scheduleRefresh(0); // catch up on anything between the page load and now
        return;
      }
      receive(payload);
    });
    socket.addEventListener("close", reconnectLater);
  }

  // A tile whose candidate went quiet turns "reconnecting" without a message: re-check the
  // connected ones now and then (a local clock, no request).
  setInterval(function () {
    for (const tile of tiles.values()) {
      if (tile.data.connection === "connected" && tile.data.seenAt &&
          Date.now() - tile.data.seenAt > silentMs) markDirty(tile, true);
    }
  }, 5000);

  grid.replaceChildren(); // the server's plain list, redrawn as tiles
  applySnapshot(JSON.parse(document.getElementById("live-snapshot").textContent));
  window.liveTiles = { receive, flushed, stats, count: () => tiles.size };
  scheduleRefresh(refreshMs);
  connect();
})();
