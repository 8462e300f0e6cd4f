// Live page: newest incidents from the proctor websocket, active sessions refreshed from the
// JSON snapshot on every status/risk event (and every few seconds as a fallback). No reload.
(function () {
  "use strict";
  const root = document.querySelector(".live-page");
  if (!root) return;
  const liveUrl = root.dataset.liveUrl;
  const reviewTemplate = root.dataset.reviewUrl;
  const refreshMs = Math.max(parseInt(root.dataset.refreshSeconds, 10) || 15, 2) * 1000;
  const kindLabels = JSON.parse(document.getElementById("kind-labels").textContent);
  const stateEl = document.getElementById("feed-state");
  const countEl = document.getElementById("session-count");
  const sessionsBody = document.querySelector("#live-sessions tbody");
  const incidentList = document.getElementById("live-incidents");
  const MAX_INCIDENTS = 100;
  let retryMs = 1000;
  let refreshTimer = null;

  function reviewUrl(sessionId) {
    return reviewTemplate.replace("00000000-0000-0000-0000-000000000000", sessionId);
  }

  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, value);
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function timeOf(iso) {
    return iso ? String(iso).slice(11, 19) : "";
  }

  function riskBadge(level, score) {
    const label = (level ? level[0].toUpperCase() + level.slice(1) : "Not scored") +
      " · " + (score === null || score === undefined ? "–" : Math.round(score));
    return el("span", { class: "risk-badge risk-" + (level || "none") }, label);
  }

  function renderSessions(sessions) {
    sessionsBody.replaceChildren();
    if (!sessions.length) {
      const row = el("tr", { class: "empty" });
      row.append(el("td", { colspan: "6", class: "quiet" }, "No active session."));
      sessionsBody.append(row);
    }
    for (const s of sessions) {
      const row = el("tr", { "data-session": s.id });
      const who = el("td");
      who.append(el("a", { href: reviewUrl(s.id) }, s.candidate));
      const risk = el("td");
      risk.append(riskBadge(s.risk_level, s.risk_score));
      row.append(who, el("td", {}, s.exam), risk, el("td", {}, s.incidents),
        el("td", {}, s.open_incidents), el("td", {}, timeOf(s.ends_at)));
      sessionsBody.append(row);
    }
    countEl.textContent = sessions.length;
  }

  function incidentItem(data, candidate) {
    const item = el("li", { "data-incident": data.id, class: "sev-" + data.severity + " fresh" });
    item.append(el("time", { datetime: data.started_at }, timeOf(data.started_at)), " ");
    item.append(el("a", { href: reviewUrl(data.session_id) + "#incident-" + data.id },
      kindLabels[data.kind] || data.kind), " ");
    item.append(el("span", { class: "who" }, candidate || ""), " ");
    item.append(el("span", { class: "sev-label" }, data.severity), " ");
    item.append(el("span", { class: "review-state review-" + data.review_status },
      data.review_status));
    return item;
  }

  function candidateOf(sessionId) {
    const row = sessionsBody.querySelector('tr[data-session="' + sessionId + '"] a');
    return row ? row.textContent : "";
  }

  function upsertIncident(data) {
    const existing = incidentList.querySelector('li[data-incident="' + data.id + '"]');
    const item = incidentItem(data, data.candidate || candidateOf(data.session_id) ||
      (existing && existing.querySelector(".who").textContent));
    if (existing) {
      existing.replaceWith(item);
    } else {
      const empty = incidentList.querySelector(".empty");
      if (empty) empty.remove();
      incidentList.prepend(item);
      while (incidentList.children.length > MAX_INCIDENTS) incidentList.lastElementChild.remove();
    }
  }

  async function refresh() {
    try {
      const response = await fetch(liveUrl, { credentials: "same-origin",
        headers: { Accept: "application/json" } });
      if (!response.ok) return;
      const body = await response.json();
      renderSessions(body.sessions);
      for (const incident of body.incidents.slice().reverse()) {
        if (!incidentList.querySelector('li[data-incident="' + incident.id + '"]')) {
          upsertIncident(incident);
        }
      }
    } catch (error) {
      /* offline for a moment: the next tick retries */
    }
  }

  function scheduleRefresh(delay) {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(function () {
      refresh().finally(function () { scheduleRefresh(refreshMs); });
    }, delay);
  }

  async function feedToken() {
    // The feed authenticates with a short-lived JWT, fetched with this admin session.
    const csrf = root.querySelector("input[name=csrfmiddlewaretoken]");
    const response = await fetch(root.dataset.tokenUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrf ? csrf.value : "", Accept: "application/json" },
    });
    if (!response.ok) throw new Error("token " + response.status);
    return (await response.json()).token;
  }

  function reconnectLater() {
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
      const event = payload.event;
      const data = payload.data || {};
      if (event === "ready") {
        retryMs = 1000;
        stateEl.textContent = "live";
        root.classList.add("connected");
        scheduleRefresh(0);  // catch up on anything between the page load and now
      } else if (event === "incident.created" || event === "incident.updated") {
        upsertIncident(data);
        scheduleRefresh(300);
      } else if (event === "session.status" || event === "risk.updated" ||
                 event === "session.warning") {
        scheduleRefresh(200);
      }
    });
    socket.addEventListener("close", reconnectLater);
  }

  scheduleRefresh(refreshMs);
  connect();
})();
