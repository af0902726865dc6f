// The ai-music-backend HTTP API, as a browser talks to it: bearer token in a header (never in a
// URL or a cookie), errors as ApiError with the status, the server's message and Retry-After.

export class ApiError extends Error {
  constructor(status, message, retryAfterSeconds = null) {
    super(message);
    this.status = status;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

const TERMINAL = new Set(["succeeded", "failed", "canceled", "aborted"]);

export function isTerminal(job) {
  return TERMINAL.has(job.status);
}

export class Api {
  /** @param {string} baseUrl the API's origin ("" or null: this page's own origin) */
  constructor(baseUrl) {
    this.base = new URL(baseUrl || window.location.origin);
    this.token = null;
  }

  url(path) {
    return new URL(path, this.base).href;
  }

  async request(method, path, { body, headers = {}, auth = true } = {}) {
    const init = { method, headers: { ...headers } };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    if (auth && this.token) init.headers.Authorization = `Bearer ${this.token}`;
    let response;
    try {
      response = await fetch(this.url(path), init);
    } catch {
      throw new ApiError(0, "The server cannot be reached. Check your connection and try again.");
    }
    if (!response.ok) throw await errorOf(response);
    return response;
  }

  async json(method, path, options) {
    const response = await this.request(method, path, options);
    return { body: await response.json(), headers: response.headers, status: response.status };
  }

  signup(fields) {
    return this.json("POST", "/signup", { body: fields, auth: false });
  }

  async signin(username, password) {
    const { body } = await this.json("POST", "/signin", { body: { username, password }, auth: false });
    return body;
  }

  signout() {
    return this.request("POST", "/signout");
  }

  async me() {
    return (await this.json("GET", "/me")).body;
  }

  async limits() {
    return (await this.json("GET", "/me/limits")).body;
  }

  async history(cursor = null, limit = 10) {
    const query = new URLSearchParams({ limit: String(limit) });
    if (cursor) query.set("cursor", cursor);
    return (await this.json("GET", `/history?${query}`)).body;
  }

  async entry(id) {
    return (await this.json("GET", `/history/${id}`)).body;
  }

  deleteEntry(id) {
    return this.request("DELETE", `/history/${id}`);
  }

  /** Starts a job: 202 with the job (its events_url included) and the quota headers. */
  async createJob(params) {
    const headers = { "Idempotency-Key": crypto.randomUUID() };
    return this.json("POST", "/generations", { body: params, headers });
  }

  async job(id) {
    return (await this.json("GET", `/generations/${id}`)).body;
  }

  async cancelJob(id) {
    return (await this.json("POST", `/generations/${id}/cancel`)).body;
  }

  /** The audio's bytes: from the signed media URL when there is one, else with the token. */
  async audioBlob({ mediaUrl, audioUrl }) {
    const response = mediaUrl
      ? await this.request("GET", mediaUrl, { auth: false })
      : await this.request("GET", audioUrl);
    return response.blob();
  }
}

async function errorOf(response) {
  let message = `The server answered ${response.status}`;
  try {
    const body = await response.json();
    if (body && typeof body.error === "string") message = body.error;
  } catch {
    // Not JSON (a proxy's error page, say): keep the status line.
  }
  const retryAfter = Number.parseInt(response.headers.get("Retry-After") ?? "", 10);
  return new ApiError(response.status, message, Number.isFinite(retryAfter) ? retryAfter : null);
}

/**
 * Follows a job's progress through its signed events URL with a plain EventSource; when the
 * stream breaks (its URL expired, the network dropped) it asks for the job again, which brings
 * a fresh URL. Calls onUpdate(job) on every change; resolves with the finished job.
 */
export function followJob(api, job, onUpdate) {
  let source = null;
  let stopped = false;
  let retries = 0;
  const finished = new Promise((resolve, reject) => {
    const open = (current) => {
      onUpdate(current);
      if (isTerminal(current)) return resolve(current);
      source = new EventSource(api.url(current.events_url));
      source.onmessage = (event) => {
        retries = 0;
        const update = JSON.parse(event.data);
        onUpdate(update);
        if (isTerminal(update)) {
          source.close();
          resolve(update);
        }
      };
      source.onerror = async () => {
        if (stopped || source.readyState !== EventSource.CLOSED) return;
        if (++retries > 5) return reject(new ApiError(0, "Lost touch with the job's progress."));
        try {
          open(await api.job(current.id));
        } catch (error) {
          reject(error);
        }
      };
    };
    open(job);
  });
  return {
    finished,
    stop() {
      stopped = true;
      source?.close();
    },
  };
}
