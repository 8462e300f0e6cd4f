// The JSON API client: JWT in sessionStorage (this tab only, survives a reload), refreshed once
// on a 401, and every error turned into an ApiError carrying the server's stable code.

const TOKENS_KEY = "exam.tokens";

export class ApiError extends Error {
  constructor(status, code, message, details = {}, retryAfter = null) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details || {};
    this.retryAfter = retryAfter;
  }
}

export class Api {
  constructor(base) {
    this.base = base;
    this.refreshing = null;
  }

  get tokens() {
    try {
      return JSON.parse(sessionStorage.getItem(TOKENS_KEY)) || null;
    } catch {
      return null;
    }
  }

  set tokens(value) {
    if (value) sessionStorage.setItem(TOKENS_KEY, JSON.stringify(value));
    else sessionStorage.removeItem(TOKENS_KEY);
  }

  get accessToken() {
    return this.tokens ? this.tokens.access : null;
  }

  async login(username, password) {
    const pair = await this.request("POST", "/auth/login", { username, password }, { auth: false });
    this.tokens = pair;
    return pair;
  }

  async logout() {
    const tokens = this.tokens;
    this.tokens = null;
    if (tokens && tokens.refresh) {
      try {
        await fetch(this.base + "/auth/logout", {
          method: "POST",
          headers: { "Content-Type": "application/json", Authorization: "Bearer " + tokens.access },
          body: JSON.stringify({ refresh: tokens.refresh }),
        });
      } catch {
        // Signing out locally is what matters; the refresh token expires on its own.
      }
    }
  }

  async refresh() {
    // One refresh at a time: concurrent 401s wait for the same new pair (the refresh token
    // rotates, so a second refresh with the old one would fail).
    if (!this.refreshing) {
      const tokens = this.tokens;
      this.refreshing = (async () => {
        if (!tokens || !tokens.refresh) return false;
        const response = await fetch(this.base + "/auth/refresh", {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ refresh: tokens.refresh }),
        });
        if (!response.ok) return false;
        const pair = await response.json();
        this.tokens = { access: pair.access, refresh: pair.refresh || tokens.refresh };
        return true;
      })().finally(() => {
        this.refreshing = null;
      });
    }
    return this.refreshing;
  }

  // body: a plain object (sent as JSON), a FormData (multipart) or a Blob (sent as it is, with
  // its own type: the raw-body media upload). keepalive lets a request outlive the page (used
  // when the tab is closed or reloaded).
  async request(method, path, body = undefined, { auth = true, keepalive = false, retried = false } = {}) {
    const headers = { Accept: "application/json" };
    let payload;
    if (body instanceof FormData) {
      payload = body;
    } else if (body instanceof Blob) {
      headers["Content-Type"] = body.type || "application/octet-stream";
      payload = body;
    } else if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      payload = JSON.stringify(body);
    }
    if (auth && this.accessToken) headers.Authorization = "Bearer " + this.accessToken;
    let response;
    try {
      response = await fetch(this.base + path, { method, headers, body: payload, keepalive });
    } catch (error) {
      throw new ApiError(0, "network_error", "The server could not be reached. Check your connection.");
    }
    if (response.status === 401 && auth && !retried && (await this.refresh())) {
      return this.request(method, path, body, { auth, keepalive, retried: true });
    }
    const text = await response.text();
    let data = null;
    if (text) {
      try {
        data = JSON.parse(text);
      } catch {
        data = null;
      }
    }
    if (!response.ok) {
      const error = (data && data.error) || {};
      const retryAfter = Number(response.headers.get("Retry-After")) || null;
      throw new ApiError(
        response.status,
        error.code || "http_" + response.status,
        error.message || `The server answered ${response.status}.`,
        error.details,
        retryAfter,
      );
    }
    return data;
  }

  get(path) {
    return this.request("GET", path);
  }

  post(path, body, options) {
    return this.request("POST", path, body, options);
  }
}
