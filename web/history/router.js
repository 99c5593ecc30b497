// The history browser's address fragments (docs/history.md, "The page's routes"):
//
//   #history                          the thread list (and the search box)
//   #history?q=WORDS                  search results for WORDS
//   #history/t/THREAD_ID              one thread, newest messages at the bottom
//   #history/t/THREAD_ID/i/ITEM_ID    that thread, scrolled to that item
//   #history/trash                    the trash

/** True when `hash` (location.hash) is one of the history browser's routes. */
export function isHistoryHash(hash) {
  return hash === "#history" || /^#history[/?]/.test(hash);
}

function decode(part) {
  try {
    return decodeURIComponent(part);
  } catch {
    return null;
  }
}

/**
 * The route `hash` names: `{view: "list"}`, `{view: "search", q}`, `{view: "thread", threadId,
 * itemId}` (itemId null without `/i/…`) or `{view: "trash"}`. Anything unknown is the list.
 */
export function parseRoute(hash) {
  if (!isHistoryHash(hash)) return { view: "list" };
  const rest = hash.slice("#history".length);
  if (rest.startsWith("?")) {
    const q = new URLSearchParams(rest.slice(1)).get("q") ?? "";
    return q.trim() ? { view: "search", q } : { view: "list" };
  }
  if (rest === "/trash") return { view: "trash" };
  const match = /^\/t\/([^/?]+)(?:\/i\/([^/?]+))?\/?$/.exec(rest);
  if (match) {
    const threadId = decode(match[1]);
    const itemId = match[2] === undefined ? null : decode(match[2]);
    if (threadId && itemId !== "") return { view: "thread", threadId, itemId };
  }
  return { view: "list" };
}

/** The fragment for `route` (the inverse of parseRoute). */
export function hashFor(route) {
  switch (route.view) {
    case "search":
      return route.q ? `#history?q=${encodeURIComponent(route.q)}` : "#history";
    case "thread": {
      const thread = `#history/t/${encodeURIComponent(route.threadId)}`;
      return route.itemId ? `${thread}/i/${encodeURIComponent(route.itemId)}` : thread;
    }
    case "trash":
      return "#history/trash";
    default:
      return "#history";
  }
}

export const threadHash = (threadId, itemId = null) => hashFor({ view: "thread", threadId, itemId });
