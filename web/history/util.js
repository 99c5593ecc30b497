// Small helpers the history browser's modules share: elements, dates, downloads.

/** Link the stylesheet at `href` once, unless the page links it already (compared as absolute
 * addresses, so "/static/x.css" and a module-relative URL name the same file). */
export function ensureStylesheet(href) {
  const wanted = new URL(href, location.href).href;
  if ([...document.querySelectorAll('link[rel="stylesheet"]')].some((link) => link.href === wanted)) return;
  document.head.append(el("link", { rel: "stylesheet", href: wanted }));
}

/** `el("p", {className: "x", dataset: {id}}, "text", child)`: an element with text children only
 * (strings become text nodes: data from the server never goes through innerHTML). */
export function el(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null) continue;
    if (key === "dataset") Object.assign(element.dataset, value);
    else if (key === "attrs") for (const [name, v] of Object.entries(value)) element.setAttribute(name, v);
    else element[key] = value;
  }
  element.append(...children.filter((child) => child !== null && child !== undefined && child !== false));
  return element;
}

/** A Date from the protocol's ISO strings (or seconds since the epoch); null if unreadable. */
export function toDate(value) {
  if (value === null || value === undefined || value === "") return null;
  const date = typeof value === "number" ? new Date(value * 1000) : new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

const dateTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium" });

/** "27 Nov 2026, 10:00" in the user's locale ("" when unreadable). */
export function formatDateTime(value) {
  const date = toDate(value);
  return date ? dateTimeFormat.format(date) : "";
}

/** "27 Nov 2026" in the user's locale ("" when unreadable). */
export function formatDay(value) {
  const date = toDate(value);
  return date ? dateFormat.format(date) : "";
}

/** A `<time>` element showing `value` (date and time, or the day only). */
export function timeElement(value, { dayOnly = false, className = "" } = {}) {
  const date = toDate(value);
  return el(
    "time",
    { className, dateTime: date ? date.toISOString() : "" },
    dayOnly ? formatDay(value) : formatDateTime(value),
  );
}

/** A thread's title for display. */
export const titleOf = (thread) => (thread?.title && String(thread.title).trim()) || "Untitled";

/** “words” in typographic quotes, for messages. */
export const quoted = (text) => `\u201c${text}\u201d`;

/** The file name a `Content-Disposition` header gives, or null. */
export function filenameFrom(disposition) {
  if (!disposition) return null;
  const star = /filename\*\s*=\s*([^']*)'[^']*'([^;]+)/i.exec(disposition);
  if (star) {
    try {
      return decodeURIComponent(star[2].trim().replace(/^"|"$/g, ""));
    } catch {
      // fall through to the plain form
    }
  }
  const plain = /filename\s*=\s*("((?:\\.|[^"\\])*)"|[^;]+)/i.exec(disposition);
  if (!plain) return null;
  const name = plain[2] !== undefined ? plain[2].replace(/\\(.)/g, "$1") : plain[1].trim();
  return name || null;
}

/**
 * Fetches `url` from the local server (with the token) and saves the answer as a file, named by
 * its Content-Disposition (else `fallbackName`). Throws an Error whose message is in words.
 */
export async function download(api, url, fallbackName) {
  let res;
  try {
    res = await api.authFetch(url);
  } catch (err) {
    throw new Error(`Could not reach the local chatkit-desktop server (${err.message}).`);
  }
  if (!res.ok) {
    let message = `HTTP ${res.status}`;
    try {
      message = (await res.json())?.error?.message ?? message;
    } catch {
      // not JSON: keep the status
    }
    throw new Error(message);
  }
  const blob = await res.blob();
  const name = filenameFrom(res.headers.get("Content-Disposition")) ?? fallbackName;
  const href = URL.createObjectURL(blob);
  const link = el("a", { href, download: name, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(href), 60_000);
  return name;
}

/** True when keyboard input in `target` is text editing (so single-key shortcuts stay off). */
export function isEditable(target) {
  if (!(target instanceof Element)) return false;
  if (target.isContentEditable) return true;
  if (target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true;
  if (target instanceof HTMLInputElement) {
    return !["button", "checkbox", "radio", "submit", "reset", "range", "color", "file"].includes(target.type);
  }
  return false;
}

/**
 * Arrow-key navigation between the `selector` elements inside `container`: ArrowUp/ArrowDown
 * move focus to the previous/next one, Home/End to the first/last; ArrowUp on the first calls
 * `beforeFirst()` (e.g. back to the search box).
 */
export function arrowNavigation(container, selector, { beforeFirst = null } = {}) {
  container.addEventListener("keydown", (event) => {
    if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
    if (!["ArrowUp", "ArrowDown", "Home", "End"].includes(event.key)) return;
    const current = event.target.closest?.(selector);
    if (!current || !container.contains(current)) return;
    const all = [...container.querySelectorAll(selector)].filter((e) => !e.closest("[hidden]"));
    const index = all.indexOf(current);
    let next = null;
    if (event.key === "ArrowDown") next = all[index + 1];
    else if (event.key === "ArrowUp") next = all[index - 1];
    else if (event.key === "Home") next = all[0];
    else next = all[all.length - 1];
    event.preventDefault();
    if (next) next.focus();
    else if (event.key === "ArrowUp" && index === 0) beforeFirst?.();
  });
}
