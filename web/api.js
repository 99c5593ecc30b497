// The session token and every request the page makes to the local server.
//
// The token arrives in the address fragment (`#token=…`). It is removed from the address bar at
// once and kept only in this module's variable: never in localStorage, sessionStorage, a cookie
// or the DOM. It is sent only as `Authorization: Bearer …` to this page's own origin.

const fragment = new URLSearchParams(location.hash.slice(1));
let token = fragment.get("token") || null;
if (fragment.has("token")) {
  // `#token=…&to=history/t/THREAD/i/ITEM` opens straight at a place in the history browser
  // (a link printed by the command line, a bookmark of this launch): only routes of the page.
  const to = fragment.get("to") ?? "";
  const route = /^history([/?]|$)/.test(to) ? `#${to}` : "";
  history.replaceState(history.state, "", location.pathname + location.search + route);
}

/** True when the page was opened with a token (the address chatkit-desktop printed). */
export function hasToken() {
  return token !== null;
}

/** The URL `input` names, resolved against the page. */
function urlOf(input) {
  if (input instanceof Request) return new URL(input.url);
  return new URL(String(input), location.href);
}

/** True when `input` goes to this page's own origin (the local server). */
export function isSameOrigin(input) {
  try {
    return urlOf(input).origin === location.origin;
  } catch {
    return false;
  }
}

/**
 * `fetch` with the bearer token added, for same-origin requests only; anything else goes out
 * exactly as given (without the token). This is also ChatKit's `api.fetch`.
 */
export function authFetch(input, init = {}) {
  if (!token || !isSameOrigin(input)) return fetch(input, init);
  const headers = new Headers(input instanceof Request ? input.headers : undefined);
  new Headers(init.headers).forEach((value, name) => headers.set(name, value));
  headers.set("Authorization", `Bearer ${token}`);
  return fetch(input, { ...init, headers });
}

/** An error from the server, with its HTTP status and JSON error code. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
  }
}

/** A JSON request to the local server; resolves to the parsed body or throws `ApiError`. */
export async function request(method, path, body) {
  const init = { method, headers: {} };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await authFetch(path, init);
  } catch (err) {
    throw new ApiError(0, "network", `Could not reach the local chatkit-desktop server (${err.message}).`);
  }
  let data = null;
  try {
    data = await res.json();
  } catch {
    // Not JSON: handled below.
  }
  if (!res.ok) {
    const error = data?.error ?? {};
    throw new ApiError(res.status, error.code ?? "http_error", error.message ?? `HTTP ${res.status}`);
  }
  return data;
}

/** A non-streaming ChatKit protocol request (`threads.list`, `items.list`, …). */
export function chatkit(type, params = {}) {
  return request("POST", "/chatkit/api", { type, params });
}

/** The threads, newest first (one page). */
export async function listThreads(limit = 50) {
  const page = await chatkit("threads.list", { limit, order: "desc" });
  return page.data ?? [];
}
