// The built-in chat client: the whole chat, with no script or request from anywhere but the
// local server. It speaks the same ChatKit protocol as OpenAI's widget to the same endpoint
// (/chatkit/api), so a thread continues in either interface.
//
//   import { mountChat } from "/static/chat/chat.js";
//   const cleanup = mountChat(slot, { api, settings, reason, openSettings });
//
// `slot` is an emptied element; `api` is /static/api.js (the token never leaves it). The DOM
// carries `data-chat` attributes other code and the tests rely on (see the shared contract):
// root, threads (li[data-thread-id], aria-current on the open one), new-thread, messages (each
// item [data-item-id][data-item-type]), text (the assistant's words, streamed or finished),
// composer, send, stop, attach, model, retry, thumbs-up/-down, error, notice, status.
//
// Streaming: a POST read as server-sent events (stream.js). Text deltas are appended to a text
// node of the message being written; the Markdown is rendered once, when the item is done, by
// the history browser's renderer (items.js, markdown.js, widgets.js), as every finished item is.
// Stop (or Escape) aborts the request: the server stores what was said so far and records it as
// stopped (chat/item_state.py), which `items.list` with `metadata.item_state` reports after a
// reload, together with the thumbs up/down given.
//
// Attachments (AttachmentTray from ./attachments.js) and the model picker (./model-picker.js)
// are loaded when present: without them the chat still works, with text only and the default
// model.

import { el, renderMarkdown } from "/static/history/markdown.js";
import { ensureStyles, renderItem } from "/static/history/items.js";
import { arrowNavigation, formatDateTime, isEditable, titleOf } from "/static/history/util.js";
import { streamRequest } from "./stream.js";

const THREAD_PAGE = 30;
const ITEM_PAGE = 40;
const STYLESHEET = new URL("./chat.css", import.meta.url).href;
const KEYS_HELP = "Enter sends, Shift+Enter starts a new line, Escape stops an answer, Ctrl+L or / comes back to this box, the arrow keys move through the thread list.";

/** Adds chat.css to the page once, unless the page links it already. */
function ensureChatStyles() {
  ensureStyles();
  const present = [...document.querySelectorAll('link[rel="stylesheet"]')].some((link) => link.href === STYLESHEET);
  if (!present) document.head.append(el("link", { rel: "stylesheet", href: STYLESHEET }));
}

/** Words for an `error` event of the stream. */
function errorWords(event) {
  if (typeof event?.message === "string" && event.message.trim()) return event.message.trim();
  if (event?.code === "stream.error") return "The answer failed on the local server. Retry, or look in chatkit-desktop's log.";
  return `The answer failed (${String(event?.code ?? "unknown error")}).`;
}

const nowIso = () => new Date().toISOString();

// Material Icons' "thumb_up" (Apache License 2.0); thumbs down is the same, turned over. Drawn
// as SVG: an emoji would depend on the fonts of the machine.
const THUMB =
  "M1 21h4V9H1v12zm22-11c0-1.1-.9-2-2-2h-6.31l.95-4.57.03-.32c0-.41-.17-.79-.44-1.06L14.17 1 7.59 7.59C7.22 7.95 7 8.45 7 9v10c0 1.1.9 2 2 2h9c.83 0 1.54-.5 1.84-1.22l3.02-7.05c.09-.23.14-.47.14-.73v-2z";

function thumbIcon(down) {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("width", "16");
  svg.setAttribute("height", "16");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  svg.classList.add("chat-icon");
  const path = document.createElementNS(ns, "path");
  path.setAttribute("d", THUMB);
  path.setAttribute("fill", "currentColor");
  if (down) path.setAttribute("transform", "rotate(180 12 12)");
  svg.append(path);
  return svg;
}

export function mountChat(slot, ctx) {
  const { api } = ctx;
  ensureChatStyles();

  // ----- the elements -----

  const ids = `chat-${Math.random().toString(36).slice(2, 8)}`;
  const threadList = el("ol", { className: "chat-threads", dataset: { chat: "threads" }, "aria-labelledby": `${ids}-threads` });
  const threadStatus = el("p", { className: "chat-threads-status", role: "status" });
  const moreThreads = el("button", { type: "button", className: "button small", hidden: true }, "Load more threads");
  const newThread = el("button", { type: "button", className: "button primary chat-new", dataset: { chat: "new-thread" } }, "New thread");
  const sidebar = el(
    "nav",
    { className: "chat-sidebar", "aria-label": "Chat threads", id: `${ids}-sidebar` },
    el("div", { className: "chat-sidebar-head" }, el("h2", { id: `${ids}-threads`, className: "chat-sidebar-title" }, "Threads"), newThread),
    threadStatus,
    threadList,
    el("p", { className: "chat-more-row" }, moreThreads),
  );

  const sidebarToggle = el(
    "button",
    { type: "button", className: "button small chat-sidebar-toggle", "aria-controls": `${ids}-sidebar`, "aria-expanded": "false" },
    "Threads",
  );
  const title = el("h2", { className: "chat-title", tabindex: "-1", id: `${ids}-title` }, "New thread");
  // Why this client is shown (ctx.reason) is said by the page around it (app.js's notice).
  const renameInput = el("input", {
    type: "text",
    className: "chat-rename-input",
    "aria-label": "Thread title",
    maxLength: 200,
    autocomplete: "off",
    hidden: true,
    dataset: { chat: "rename-input" },
  });
  const rename = el("button", { type: "button", className: "button small chat-rename", dataset: { chat: "rename" }, hidden: true }, "Rename");
  const head = el(
    "header",
    { className: "chat-head" },
    sidebarToggle,
    el("div", { className: "chat-head-text" }, title, renameInput),
    rename,
  );

  const older = el("button", { type: "button", className: "button small", hidden: true }, "Load older messages");
  const messages = el("div", { className: "chat-messages", dataset: { chat: "messages" } });
  const empty = el("p", { className: "chat-empty" }, "Start a conversation: type a message below.");
  const scroller = el(
    "div",
    { className: "chat-scroll", role: "region", "aria-label": "Messages", tabindex: "0" },
    el("p", { className: "chat-more-row" }, older),
    empty,
    messages,
  );

  const status = el("p", { className: "chat-status", dataset: { chat: "status" }, role: "status", "aria-live": "polite" });
  const notices = el("div", { className: "chat-notices" });
  const errorText = el("p", { className: "chat-error-text" });
  const errorRetry = el("button", { type: "button", className: "button small", dataset: { chat: "retry" }, hidden: true }, "Retry");
  const errorDismiss = el("button", { type: "button", className: "button small" }, "Dismiss");
  const errorBox = el(
    "div",
    { className: "chat-error", dataset: { chat: "error" }, role: "alert", hidden: true },
    errorText,
    el("div", { className: "chat-error-actions" }, errorRetry, errorDismiss),
  );

  const composer = el("textarea", {
    id: `${ids}-composer`,
    className: "chat-composer",
    dataset: { chat: "composer" },
    rows: 1,
    placeholder: "Message",
    autocomplete: "off",
    "aria-describedby": `${ids}-keys`,
    "aria-keyshortcuts": "Control+L /",
    enterkeyhint: "send",
  });
  const attach = el(
    "button",
    { type: "button", className: "button chat-attach", dataset: { chat: "attach" }, hidden: true, "aria-label": "Attach files" },
    "Attach",
  );
  const trayHolder = el("div", { className: "chat-tray" });
  const modelHolder = el("div", { className: "chat-model" });
  const send = el("button", { type: "submit", className: "button primary chat-send", dataset: { chat: "send" } }, "Send");
  const stop = el(
    "button",
    { type: "button", className: "button chat-stop", dataset: { chat: "stop" }, hidden: true, "aria-keyshortcuts": "Escape" },
    "Stop",
  );
  const form = el(
    "form",
    { className: "chat-form", novalidate: true, "aria-label": "Write a message" },
    trayHolder,
    el("label", { className: "visually-hidden", for: composer.id }, "Message"),
    composer,
    el("div", { className: "chat-form-row" }, attach, modelHolder, el("span", { className: "chat-spacer" }), stop, send),
    el("p", { className: "chat-keys", id: `${ids}-keys` }, KEYS_HELP),
  );

  const main = el(
    "section",
    { className: "chat-main", "aria-labelledby": title.id },
    head,
    scroller,
    status,
    notices,
    errorBox,
    form,
  );
  const root = el("div", { className: "chat", dataset: { chat: "root", sidebar: "closed" } }, sidebar, main);
  slot.replaceChildren(root);

  // ----- state -----

  const state = {
    threads: new Map(), // id -> thread (as threads.list gives it)
    threadsAfter: null,
    threadId: null,
    view: 0, // bumped whenever another thread (or a new one) is shown
    oldestItemId: null,
    hasOlder: false,
    turn: null, // the answer streaming now (one at a time)
    tray: null,
    picker: null,
    disposed: false,
  };

  // ----- small helpers -----

  const say = (text) => {
    status.textContent = text;
  };
  const visible = () => root.isConnected && !root.closest("[hidden]") && root.getClientRects().length > 0;
  const nearBottom = () => scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 80;
  const toBottom = () => {
    scroller.scrollTop = scroller.scrollHeight;
  };
  let stickFrame = 0;
  /** Keeps the newest words in view while they arrive, unless the reader scrolled up. */
  const stick = (wasNear) => {
    if (!wasNear || stickFrame) return;
    stickFrame = requestAnimationFrame(() => {
      stickFrame = 0;
      toBottom();
    });
  };
  const updateEmpty = () => {
    empty.hidden = messages.childElementCount > 0 || state.hasOlder;
  };

  // ----- the thread list -----

  function threadRow(thread) {
    const button = el(
      "button",
      { type: "button", className: "chat-thread-button", tabindex: "-1" },
      el("span", { className: "chat-thread-title" }, titleOf(thread)),
      el("time", { className: "chat-thread-date", dateTime: String(thread.created_at ?? "") }, formatDateTime(thread.created_at)),
    );
    button.addEventListener("click", () => {
      const fromPanel = root.dataset.sidebar === "open";
      openThread(thread.id);
      closeSidebar();
      // On a narrow window the list closes: the focus goes to the thread, not to the body.
      if (fromPanel) title.focus();
    });
    return el("li", { className: "chat-thread", dataset: { threadId: thread.id } }, button);
  }

  function rowOf(threadId) {
    return [...threadList.children].find((li) => li.dataset.threadId === threadId) ?? null;
  }

  /** Marks the open thread in the list; the roving tab stop sits on it (or on the first). */
  function markCurrent() {
    for (const li of threadList.children) {
      const current = li.dataset.threadId === state.threadId;
      if (current) li.setAttribute("aria-current", "true");
      else li.removeAttribute("aria-current");
    }
    if (renameInput.hidden) rename.hidden = !state.threadId;
    const stopAt = rowOf(state.threadId) ?? threadList.firstElementChild;
    for (const button of threadList.querySelectorAll(".chat-thread-button")) {
      button.tabIndex = button.closest("li") === stopAt ? 0 : -1;
    }
  }

  function rememberThread(thread) {
    const known = state.threads.get(thread.id);
    const merged = { ...known, ...thread };
    state.threads.set(thread.id, merged);
    return merged;
  }

  /** A thread the stream created or renamed: at the top of the list (new) or retitled. */
  function showThread(thread, { top = false } = {}) {
    const merged = rememberThread(thread);
    const row = rowOf(thread.id);
    if (row) {
      row.querySelector(".chat-thread-title").textContent = titleOf(merged);
    } else if (top) {
      threadList.prepend(threadRow(merged));
    }
    if (state.threadId === thread.id) title.textContent = titleOf(merged);
    threadStatus.textContent = "";
    markCurrent();
  }

  let threadsLoading = 0;
  async function loadThreads({ more = false } = {}) {
    const token = ++threadsLoading;
    if (!more) threadStatus.textContent = "Loading your threads…";
    let page;
    try {
      const params = { limit: THREAD_PAGE, order: "desc" };
      if (more && state.threadsAfter) params.after = state.threadsAfter;
      page = await api.chatkit("threads.list", params);
    } catch (err) {
      if (token === threadsLoading) threadStatus.textContent = `Could not list your threads: ${err.message}`;
      return;
    }
    if (token !== threadsLoading || state.disposed) return;
    const threads = Array.isArray(page?.data) ? page.data : [];
    if (!more) {
      // Threads this page made are kept when a refresh comes back without them (none now).
      threadList.replaceChildren();
    }
    for (const thread of threads) {
      const merged = rememberThread(thread);
      if (!rowOf(thread.id)) threadList.append(threadRow(merged));
    }
    state.threadsAfter = page?.has_more ? (page.after ?? threads[threads.length - 1]?.id ?? null) : null;
    moreThreads.hidden = !state.threadsAfter;
    threadStatus.textContent = threadList.childElementCount ? "" : "No threads yet.";
    markCurrent();
    if (state.threadId && state.threads.has(state.threadId)) title.textContent = titleOf(state.threads.get(state.threadId));
  }

  moreThreads.addEventListener("click", () => loadThreads({ more: true }));
  arrowNavigation(threadList, ".chat-thread-button");

  // ----- items -----

  /** `items.list` with the stopped marks and feedback (chat/item_state.py). */
  function listItems(params) {
    return api.request("POST", "/chatkit/api", {
      type: "items.list",
      params: { limit: ITEM_PAGE, ...params },
      metadata: { item_state: true },
    });
  }

  /** A finished item, drawn as the history browser draws it, plus the chat's own controls. */
  function renderDone(item) {
    const element = renderItem(item, { api, threadId: item.thread_id ?? state.threadId });
    element.dataset.itemId = String(item.id ?? "");
    element.dataset.itemType = String(item.type ?? "");
    if (item.type === "assistant_message") decorateAnswer(element, item);
    return element;
  }

  function markStopped(element) {
    if (element.dataset.stopped === "true") return;
    element.dataset.stopped = "true";
    element.querySelector(".item-head")?.append(el("span", { className: "chip chat-stopped" }, "Stopped"));
    const label = element.getAttribute("aria-label");
    if (label) element.setAttribute("aria-label", `${label}, stopped`);
  }

  function decorateAnswer(element, item) {
    const body = element.querySelector(".item-body");
    if (body) body.dataset.chat = "text";
    if (item.stopped) markStopped(element);
    element.append(answerActions(item));
  }

  function answerActions(item) {
    const up = el(
      "button",
      { type: "button", className: "chat-action", dataset: { chat: "thumbs-up" }, "aria-pressed": String(item.feedback === "positive"), title: "Good answer" },
      thumbIcon(false),
      el("span", { className: "visually-hidden" }, "Good answer"),
    );
    const down = el(
      "button",
      { type: "button", className: "chat-action", dataset: { chat: "thumbs-down" }, "aria-pressed": String(item.feedback === "negative"), title: "Bad answer" },
      thumbIcon(true),
      el("span", { className: "visually-hidden" }, "Bad answer"),
    );
    const rate = async (kind) => {
      const chosen = kind === "positive" ? up : down;
      const other = kind === "positive" ? down : up;
      if (chosen.getAttribute("aria-pressed") === "true") return; // the protocol has no "unrate"
      const before = [up.getAttribute("aria-pressed"), down.getAttribute("aria-pressed")];
      chosen.setAttribute("aria-pressed", "true");
      other.setAttribute("aria-pressed", "false");
      try {
        await api.chatkit("items.feedback", { thread_id: item.thread_id ?? state.threadId, item_ids: [item.id], kind });
        say(kind === "positive" ? "Saved: good answer." : "Saved: bad answer.");
      } catch (err) {
        up.setAttribute("aria-pressed", before[0]);
        down.setAttribute("aria-pressed", before[1]);
        say(`Could not save your feedback: ${err.message}`);
      }
    };
    up.addEventListener("click", () => rate("positive"));
    down.addEventListener("click", () => rate("negative"));
    return el("div", { className: "chat-actions", role: "group", "aria-label": "This answer" }, up, down);
  }

  /** Items as they arrive from `items.list`, in reading order. */
  function renderList(items) {
    return items.filter((item) => item && typeof item === "object").map((item) => renderDone(item));
  }

  /** The Retry of the last answer (or of a question left without one). */
  function updateRetry() {
    for (const old of root.querySelectorAll(".chat-retry-answer, .chat-retry-row")) old.remove();
    if (state.turn || !state.threadId) return;
    const items = [...messages.children].filter((e) => e.dataset.itemId && e.dataset.itemType);
    let lastUser = -1;
    let lastAnswer = -1;
    items.forEach((e, i) => {
      if (e.dataset.itemType === "user_message") lastUser = i;
      if (e.dataset.itemType === "assistant_message") lastAnswer = i;
    });
    if (lastUser < 0) return;
    const userId = items[lastUser].dataset.itemId;
    const button = el(
      "button",
      { type: "button", className: "chat-action chat-retry-answer", dataset: { chat: "retry" }, title: "Answer again" },
      "Retry",
    );
    button.addEventListener("click", () => retry(userId));
    if (lastAnswer > lastUser) {
      items[lastAnswer].querySelector(".chat-actions")?.append(button);
    } else if (errorBox.hidden) {
      button.classList.replace("chat-retry-answer", "button");
      button.classList.add("small");
      const row = el("div", { className: "chat-retry-row" }, el("span", {}, "This message has no answer yet."), button);
      messages.append(row);
    }
  }

  // ----- opening threads -----

  function resetView() {
    if (!renameInput.hidden) endRename({ focus: false });
    state.view += 1;
    state.oldestItemId = null;
    state.hasOlder = false;
    older.hidden = true;
    messages.replaceChildren();
    notices.replaceChildren();
    hideError();
    updateEmpty();
  }

  /** The live elements of the answer streaming now, if it belongs to the thread on screen. */
  function reattachTurn() {
    const turn = state.turn;
    if (!turn || turn.threadId !== state.threadId) return;
    for (const element of turn.elements()) {
      const id = element.dataset.itemId;
      if (id) for (const same of messages.querySelectorAll(`[data-item-id="${CSS.escape(id)}"]`)) if (same !== element) same.remove();
      messages.append(element);
    }
  }

  async function openThread(threadId, { focus = false } = {}) {
    if (state.disposed) return;
    resetView();
    const view = state.view;
    state.threadId = threadId;
    const known = state.threads.get(threadId);
    title.textContent = known ? titleOf(known) : "Loading…";
    markCurrent();
    say("Loading the thread…");
    messages.setAttribute("aria-busy", "true");
    let page;
    try {
      page = await listItems({ thread_id: threadId, order: "desc" });
      if (!known) {
        const thread = await api.chatkit("threads.get_by_id", { thread_id: threadId });
        if (view === state.view) title.textContent = titleOf(rememberThread(thread));
      }
    } catch (err) {
      if (view !== state.view) return;
      messages.removeAttribute("aria-busy");
      say("");
      showError(err.status === 404 ? "This thread no longer exists (it may be in the trash)." : `Could not open this thread: ${err.message}`);
      return;
    }
    if (view !== state.view) return;
    const items = [...(page?.data ?? [])].reverse();
    messages.replaceChildren(...renderList(items));
    messages.removeAttribute("aria-busy");
    state.oldestItemId = items[0]?.id ?? null;
    state.hasOlder = Boolean(page?.has_more);
    older.hidden = !state.hasOlder;
    reattachTurn();
    updateEmpty();
    updateRetry();
    if (!state.turn) say("");
    else say(state.turn.threadId === threadId ? "Answering…" : "An answer is still being written in another thread.");
    toBottom();
    if (focus) composer.focus();
  }

  async function loadOlder() {
    if (!state.threadId || !state.hasOlder || older.getAttribute("aria-disabled") === "true") return;
    const view = state.view;
    older.setAttribute("aria-disabled", "true");
    older.textContent = "Loading older messages…";
    let page;
    try {
      page = await listItems({ thread_id: state.threadId, order: "desc", after: state.oldestItemId });
    } catch (err) {
      if (view !== state.view) return;
      older.removeAttribute("aria-disabled");
      older.textContent = "Try loading older messages again";
      say(`Could not load older messages: ${err.message}`);
      return;
    }
    if (view !== state.view) return;
    const items = [...(page?.data ?? [])].reverse();
    const fromBottom = scroller.scrollHeight - scroller.scrollTop;
    const elements = renderList(items);
    messages.prepend(...elements);
    scroller.scrollTop = scroller.scrollHeight - fromBottom; // the reader stays where they were
    state.oldestItemId = items[0]?.id ?? state.oldestItemId;
    state.hasOlder = Boolean(page?.has_more);
    older.hidden = !state.hasOlder;
    older.removeAttribute("aria-disabled");
    older.textContent = "Load older messages";
    if (document.activeElement === older || !state.hasOlder) {
      const first = elements[elements.length - 1];
      if (first && (document.activeElement === older || document.activeElement === document.body)) {
        first.tabIndex = -1;
        first.focus();
      }
    }
    say(`Loaded ${items.length} older message${items.length === 1 ? "" : "s"}.`);
    updateEmpty();
  }

  older.addEventListener("click", loadOlder);

  function startNewThread() {
    resetView();
    state.threadId = null;
    title.textContent = "New thread";
    markCurrent();
    say("");
    closeSidebar();
    composer.focus();
  }

  newThread.addEventListener("click", startNewThread);

  // ----- renaming the open thread (threads.update, as ChatKit's history does) -----

  function endRename({ focus = true } = {}) {
    const hadFocus = renameInput.contains(document.activeElement);
    renameInput.hidden = true;
    title.hidden = false;
    rename.hidden = !state.threadId;
    if (focus && hadFocus) rename.focus();
  }

  async function saveRename() {
    if (renameInput.hidden) return;
    const threadId = state.threadId;
    const value = renameInput.value.trim();
    const current = state.threads.get(threadId);
    if (!threadId || !value || value === titleOf(current)) {
      endRename();
      return;
    }
    endRename();
    title.textContent = value;
    try {
      const thread = await api.chatkit("threads.update", { thread_id: threadId, title: value });
      showThread(thread?.id ? thread : { ...current, id: threadId, title: value });
      say(`Renamed to ${value}.`);
    } catch (err) {
      if (state.threadId === threadId) title.textContent = titleOf(current);
      say(`Could not rename the thread: ${err.message}`);
    }
  }

  rename.addEventListener("click", () => {
    if (!state.threadId) return;
    renameInput.value = titleOf(state.threads.get(state.threadId));
    title.hidden = true;
    rename.hidden = true;
    renameInput.hidden = false;
    renameInput.focus();
    renameInput.select();
  });
  renameInput.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      saveRename();
    } else if (event.key === "Escape") {
      event.preventDefault(); // not "stop the answer": this Escape leaves the field
      endRename();
    }
  });
  renameInput.addEventListener("blur", () => saveRename());

  // ----- errors and notices -----

  function showError(words, { retryOf = null } = {}) {
    errorText.textContent = words;
    errorRetry.hidden = !retryOf;
    errorRetry.onclick = retryOf ? () => retry(retryOf) : null;
    errorBox.hidden = false;
    updateRetry();
  }

  function hideError() {
    errorBox.hidden = true;
    errorText.textContent = "";
    errorRetry.hidden = true;
    errorRetry.onclick = null;
  }

  errorDismiss.addEventListener("click", () => {
    hideError();
    updateRetry();
    composer.focus();
  });

  function addNotice(event) {
    const level = ["info", "warning", "danger"].includes(event.level) ? event.level : "info";
    const words = [event.title, event.message].filter((w) => typeof w === "string" && w.trim()).join(": ");
    const dismiss = el("button", { type: "button", className: "button small" }, "Dismiss");
    const notice = el(
      "div",
      { className: `chat-notice chat-notice-${level}`, dataset: { chat: "notice", level }, role: "note" },
      event.title ? el("strong", { className: "chat-notice-title" }, String(event.title)) : null,
      // The protocol allows Markdown here; it goes through the same sanitiser as messages.
      el("div", { className: "chat-notice-text" }, renderMarkdown(String(event.message ?? ""))),
      dismiss,
    );
    dismiss.addEventListener("click", () => {
      notice.remove();
      composer.focus();
    });
    notices.append(notice);
    say(words);
  }

  // ----- one answer: a streaming request and its events -----

  class Turn {
    constructor(threadId, view) {
      this.controller = new AbortController();
      this.threadId = threadId;
      this.view = view;
      this.live = new Map(); // item id -> {item, element, parts?, textBox?}
      this.pendingUser = null;
      this.userMessageId = null;
      this.started = false;
      this.stopped = false;
      this.failed = false;
      this.progress = null;
    }

    /** True while the thread this answer belongs to is on screen. */
    shown() {
      if (this.threadId) return state.threadId === this.threadId;
      return state.view === this.view && state.threadId === null;
    }

    elements() {
      const list = [];
      if (this.pendingUser) list.push(this.pendingUser);
      for (const entry of this.live.values()) list.push(entry.element);
      if (this.progress) list.push(this.progress);
      return list.filter(Boolean);
    }

    place(element) {
      if (!this.shown()) return;
      const wasNear = nearBottom();
      if (this.progress?.isConnected) messages.insertBefore(element, this.progress);
      else messages.append(element);
      updateEmpty();
      stick(wasNear);
    }

    handle(event) {
      this.started = true;
      switch (event?.type) {
        case "thread.created":
          return this.created(event.thread);
        case "thread.updated":
          if (event.thread?.id) showThread(event.thread);
          return;
        case "thread.item.added":
          return this.added(event.item);
        case "thread.item.updated":
          return this.updated(event.item_id, event.update);
        case "thread.item.done":
          return this.done(event.item);
        case "thread.item.replaced":
          return this.done(event.item);
        case "thread.item.removed":
          return this.removed(event.item_id);
        case "stream_options":
          stop.disabled = event.stream_options?.allow_cancel === false;
          return;
        case "progress_update":
          return this.showProgress(String(event.text ?? ""));
        case "notice":
          if (this.shown()) addNotice(event);
          return;
        case "error":
          this.failed = true;
          this.clearProgress();
          if (this.shown()) showError(errorWords(event), { retryOf: event.allow_retry ? (this.userMessageId ?? lastUserId()) : null });
          return;
        default:
          return; // client_effect and anything newer: nothing to draw
      }
    }

    created(thread) {
      if (!thread?.id) return;
      const wasShown = this.shown();
      this.threadId = thread.id;
      if (wasShown) {
        state.threadId = thread.id;
        title.textContent = titleOf(thread);
      }
      showThread(thread, { top: true });
    }

    added(item) {
      if (!item?.id) return;
      this.clearProgress();
      let entry;
      if (item.type === "assistant_message") entry = this.liveAnswer(item);
      else entry = { item: structuredClone(item), element: renderDone(item) };
      this.live.set(item.id, entry);
      this.place(entry.element);
    }

    liveAnswer(item) {
      const textBox = el("div", { className: "chat-stream-text", dataset: { chat: "text" } });
      const element = el(
        "article",
        {
          className: "item item-assistant_message chat-live",
          dataset: { itemId: item.id, itemType: "assistant_message" },
          "aria-label": "Assistant, answering",
          "aria-busy": "true",
        },
        el("header", { className: "item-head" }, el("span", { className: "item-who" }, "Assistant"), el("span", { className: "chat-typing" }, "answering…")),
        el("div", { className: "item-body" }, textBox),
      );
      const entry = { item: structuredClone(item), element, textBox, parts: [] };
      for (const [index, part] of (item.content ?? []).entries()) this.part(entry, index).appendData(String(part?.text ?? ""));
      return entry;
    }

    /** The text node of content part `index` (made, with the ones before it, if missing). */
    part(entry, index) {
      while (entry.parts.length <= index) {
        if (entry.parts.length) entry.textBox.append("\n\n");
        const node = document.createTextNode("");
        entry.textBox.append(node);
        entry.parts.push(node);
      }
      return entry.parts[index];
    }

    updated(itemId, update) {
      const entry = this.live.get(itemId);
      if (!entry || !update) return;
      const item = entry.item;
      switch (update.type) {
        case "assistant_message.content_part.text_delta": {
          if (!entry.parts) return;
          const wasNear = this.shown() && nearBottom();
          this.part(entry, update.content_index ?? 0).appendData(String(update.delta ?? ""));
          stick(wasNear);
          return;
        }
        case "assistant_message.content_part.added":
        case "assistant_message.content_part.done": {
          if (!entry.parts) return;
          const node = this.part(entry, update.content_index ?? 0);
          const text = String(update.content?.text ?? "");
          if (text && text !== node.data) node.data = text;
          return;
        }
        case "assistant_message.content_part.annotation_added":
          return; // shown with the finished message
        case "workflow.task.added":
          item.workflow?.tasks?.push(update.task);
          return this.redraw(entry);
        case "workflow.task.updated":
          if (item.workflow?.tasks) item.workflow.tasks[update.task_index] = update.task;
          return this.redraw(entry);
        case "widget.root.updated":
          item.widget = update.widget;
          return this.redraw(entry);
        case "generated_image.updated":
          item.image = update.image;
          return this.redraw(entry);
        default:
          return; // widget text deltas and the like: drawn when the item is done
      }
    }

    redraw(entry) {
      const fresh = renderDone(entry.item);
      const wasOpen = entry.element.querySelector("details")?.open;
      if (wasOpen) fresh.querySelector("details")?.setAttribute("open", "");
      entry.element.replaceWith(fresh);
      entry.element = fresh;
    }

    done(item) {
      if (!item?.id || item.type === "sdk_hidden_context" || item.type === "hidden_context_item") return;
      const element = renderDone(item);
      const entry = this.live.get(item.id);
      if (item.type === "user_message") {
        this.userMessageId = item.id;
        if (this.pendingUser) {
          this.pendingUser.replaceWith(element);
          this.pendingUser = null;
          this.live.set(item.id, { item, element });
          return;
        }
      }
      if (entry) {
        const focused = entry.element.contains(document.activeElement);
        entry.element.replaceWith(element);
        entry.element = element;
        entry.item = item;
        entry.finished = true;
        if (focused) composer.focus();
      } else {
        this.live.set(item.id, { item, element, finished: true });
        this.place(element);
      }
    }

    removed(itemId) {
      const entry = this.live.get(itemId);
      entry?.element.remove();
      this.live.delete(itemId);
      if (!entry) for (const e of messages.querySelectorAll(`[data-item-id="${CSS.escape(String(itemId))}"]`)) e.remove();
    }

    showProgress(text) {
      if (!this.progress) {
        this.progress = el("p", { className: "chat-progress", dataset: { chat: "progress" } });
        if (this.shown()) {
          messages.append(this.progress);
          stick(nearBottom());
        }
      }
      this.progress.textContent = text;
      if (this.shown()) say(text ? `Answering… ${text}` : "Answering…");
    }

    clearProgress() {
      this.progress?.remove();
      this.progress = null;
      if (this.shown() && state.turn === this) say("Answering…");
    }

    /** After Stop: what was said stays, drawn finished and marked; nothing said, nothing left. */
    stopHere() {
      this.clearProgress();
      for (const entry of this.live.values()) {
        if (entry.finished || !entry.parts) continue;
        const text = entry.parts.map((node) => node.data);
        if (!text.join("").trim()) {
          entry.element.remove();
          continue;
        }
        const item = {
          ...entry.item,
          content: text.map((t, i) => ({ ...(entry.item.content?.[i] ?? {}), type: "output_text", text: t, annotations: [] })),
          stopped: true,
        };
        const element = renderDone(item);
        entry.element.replaceWith(element);
        entry.element = element;
        entry.finished = true;
      }
    }
  }

  function setBusy(busy) {
    root.dataset.busy = busy ? "true" : "false";
    send.disabled = busy;
    stop.hidden = !busy;
    stop.disabled = false;
    if (!busy && document.activeElement === stop) composer.focus();
    state.tray?.setEnabled?.(!busy);
  }

  /** The id of the open thread's last user message on screen, or null. */
  function lastUserId() {
    const users = [...messages.children].filter((e) => e.dataset.itemType === "user_message" && e.dataset.itemId);
    return users.length ? users[users.length - 1].dataset.itemId : null;
  }

  async function run(body, { pendingUser = null, text = "", userMessageId = null } = {}) {
    const turn = new Turn(state.threadId, state.view);
    turn.userMessageId = userMessageId; // a retry answers a message already stored
    state.turn = turn;
    turn.pendingUser = pendingUser;
    if (pendingUser) turn.place(pendingUser);
    hideError();
    updateRetry();
    setBusy(true);
    say("Answering…");
    try {
      await streamRequest(api, body, {
        signal: turn.controller.signal,
        onOpen: () => state.tray?.clear?.(),
        onEvent: (event) => {
          try {
            turn.handle(event);
          } catch (err) {
            console.warn("chatkit-desktop: an event could not be drawn", event?.type, err);
          }
        },
      });
      turn.clearProgress();
      if (turn.shown()) say(turn.failed ? "The answer failed." : "Answer complete.");
    } catch (err) {
      turn.clearProgress();
      if (err?.name === "AbortError") {
        turn.stopHere();
        if (!turn.started) {
          // Stopped before the server said anything: the draft comes back; a thread the
          // server may have made meanwhile shows up in the list.
          giveDraftBack(turn, text);
          if (!state.disposed) loadThreads();
        }
        if (turn.shown()) say(turn.started ? "Stopped. What was said so far is kept." : "Stopped before the answer began.");
      } else {
        // Nothing reached the server's thread: the message goes back into the box.
        if (!turn.started) giveDraftBack(turn, text);
        if (turn.shown()) {
          const words =
            err?.status === 404 ? "This thread no longer exists (it may be in the trash)." : err?.message || "The answer failed.";
          showError(words, { retryOf: turn.started ? turn.userMessageId : null });
          say("The answer failed.");
        }
      }
    } finally {
      if (state.turn === turn) state.turn = null;
      setBusy(false);
      updateEmpty();
      updateRetry();
    }
  }

  function stopAnswer() {
    const turn = state.turn;
    if (!turn || stop.disabled) return false;
    turn.stopped = true;
    turn.controller.abort();
    return true;
  }

  stop.addEventListener("click", () => {
    stopAnswer();
    composer.focus();
  });

  async function sendMessage() {
    if (state.turn) return;
    const text = composer.value;
    const tray = state.tray;
    const attachments = tray ? (tray.attachments?.() ?? []) : [];
    if (!text.trim() && !attachments.length) {
      composer.focus();
      return;
    }
    if (tray?.busy?.()) {
      say("Wait until the files have finished uploading.");
      return;
    }
    const model = state.picker?.value?.() ?? null;
    const input = {
      content: text.trim() ? [{ type: "input_text", text }] : [],
      attachments: attachments.map((a) => a.id),
      inference_options: model ? { model } : {},
    };
    const body = state.threadId
      ? { type: "threads.add_user_message", params: { thread_id: state.threadId, input } }
      : { type: "threads.create", params: { input } };
    const pending = renderItem(
      { type: "user_message", id: "", thread_id: state.threadId ?? "", created_at: nowIso(), content: input.content, attachments, inference_options: {} },
      { api },
    );
    pending.classList.add("chat-pending");
    pending.dataset.itemType = "user_message";
    pending.dataset.itemId = "";
    composer.value = "";
    autosize();
    toBottom();
    await run(body, { pendingUser: pending, text });
  }

  async function retry(userMessageId) {
    if (state.turn || !state.threadId || !userMessageId) return;
    // The server drops everything after that message and answers it again.
    const elements = [...messages.children];
    const at = elements.findIndex((e) => e.dataset.itemId === userMessageId);
    if (at >= 0) for (const e of elements.slice(at + 1)) e.remove();
    notices.replaceChildren();
    const view = state.view;
    await run(
      { type: "threads.retry_after_item", params: { thread_id: state.threadId, item_id: userMessageId } },
      { userMessageId },
    );
    if (view === state.view && state.turn === null) updateRetry();
  }

  /** A turn that never reached the server: its pending bubble goes, its text returns to the
   * message box (unless something new was typed there meanwhile). */
  function giveDraftBack(turn, text) {
    turn.pendingUser?.remove();
    turn.pendingUser = null;
    if (text && !composer.value) {
      composer.value = text;
      autosize();
    }
  }

  // ----- the composer -----

  function autosize() {
    composer.style.height = "auto";
    const max = Math.max(120, Math.round(window.innerHeight * 0.35));
    composer.style.height = `${Math.min(composer.scrollHeight + 2, max)}px`;
  }

  composer.addEventListener("input", autosize);
  composer.addEventListener("keydown", (event) => {
    if (event.key !== "Enter" || event.shiftKey || event.altKey || event.ctrlKey || event.metaKey) return;
    if (event.isComposing || event.keyCode === 229) return; // an input method is still composing
    event.preventDefault();
    if (state.turn) {
      say(
        state.turn.shown()
          ? "Wait for the answer to finish, or stop it with Escape."
          : "An answer is still being written in another thread: wait for it, or stop it with Escape.",
      );
      return;
    }
    sendMessage();
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    sendMessage();
  });
  attach.addEventListener("click", () => state.tray?.pick());

  // ----- the narrow window: the thread list is a panel the Threads button opens -----

  function closeSidebar() {
    if (root.dataset.sidebar !== "open") return;
    root.dataset.sidebar = "closed";
    sidebarToggle.setAttribute("aria-expanded", "false");
  }

  root.addEventListener("click", (event) => {
    if (root.dataset.sidebar === "open" && !sidebar.contains(event.target) && !sidebarToggle.contains(event.target)) closeSidebar();
  });

  sidebarToggle.addEventListener("click", () => {
    const open = root.dataset.sidebar !== "open";
    root.dataset.sidebar = open ? "open" : "closed";
    sidebarToggle.setAttribute("aria-expanded", String(open));
    if (open) (threadList.querySelector('[tabindex="0"]') ?? newThread).focus();
  });

  // ----- keys that work anywhere in the chat -----

  function onKey(event) {
    if (state.disposed || !visible() || event.defaultPrevented) return;
    if (document.querySelector("dialog[open]")) return; // settings or a confirmation has the keys
    const plain = !event.altKey && !event.ctrlKey && !event.metaKey;
    if (event.key === "Escape" && plain && !event.shiftKey) {
      if (stopAnswer()) {
        event.preventDefault();
        say("Stopping…");
        return;
      }
      if (root.dataset.sidebar === "open") {
        closeSidebar();
        sidebarToggle.focus();
        event.preventDefault();
      }
      return;
    }
    if ((event.key === "l" || event.key === "L") && event.ctrlKey && !event.altKey && !event.shiftKey && !event.metaKey) {
      event.preventDefault();
      composer.focus();
      return;
    }
    if (event.key === "/" && plain && !isEditable(event.target)) {
      event.preventDefault();
      composer.focus();
    }
  }

  document.addEventListener("keydown", onKey);

  // Another window or interface may have added or renamed threads meanwhile.
  const onFocus = () => {
    if (!state.turn && visible() && !threadList.contains(document.activeElement)) loadThreads();
  };
  window.addEventListener("focus", onFocus);

  // ----- attachments and the model picker (helper modules, when present) -----

  import("./attachments.js")
    .then((module) => {
      if (state.disposed || typeof module.AttachmentTray !== "function") return;
      const tray = new module.AttachmentTray({
        api,
        onChange: () => {
          if (!state.turn) send.disabled = Boolean(tray.busy?.());
        },
      });
      state.tray = tray;
      tray.watch?.(form); // files dropped on or pasted into the composer
      trayHolder.replaceChildren(tray.element);
      attach.hidden = false;
      tray.setEnabled?.(!state.turn);
    })
    .catch(() => {
      // Not there (yet): text only.
    });

  import("./model-picker.js")
    .then((module) => {
      if (state.disposed || typeof module.createModelPicker !== "function") return;
      const picker = module.createModelPicker(ctx.settings);
      if (!picker?.element) return;
      state.picker = picker;
      const select = picker.element.matches?.("select") ? picker.element : picker.element.querySelector?.("select");
      if (select && !select.dataset.chat) select.dataset.chat = "model";
      modelHolder.replaceChildren(picker.element);
    })
    .catch(() => {
      // Not there (yet): the default model.
    });

  // ----- start -----

  updateEmpty();
  loadThreads();
  autosize();

  return function cleanup() {
    state.disposed = true;
    state.turn?.controller.abort();
    document.removeEventListener("keydown", onKey);
    window.removeEventListener("focus", onFocus);
    if (stickFrame) cancelAnimationFrame(stickFrame);
    root.remove();
  };
}
