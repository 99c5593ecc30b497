// One thread: its title, date, downloads (Markdown, JSON) and its items, paged in both
// directions with `items.list`. A plain open shows the newest page at the bottom and loads older
// pages as the reader scrolls up (the view stays where it was); a link to an item
// (`#history/t/T/i/ITEM`) loads the items around it, scrolls it into view, highlights it and
// gives it the focus, and loads newer pages as the reader scrolls down.
//
// Items are drawn by `renderItem(item, ctx)` from /static/history/items.js when that module is
// there; otherwise by the minimal renderer below (the text of each message).

import { download, el, formatDateTime, quoted, timeElement, titleOf } from "/static/history/util.js";

export const ITEM_PAGE = 50;

const TYPE_WORDS = {
  user_message: "You",
  assistant_message: "Assistant",
  client_tool_call: "Tool call",
  widget: "Widget",
  task: "Task",
  workflow: "Workflow",
  end_of_turn: "End of turn",
  hidden_context_item: "Hidden context",
};

const words = (type) => TYPE_WORDS[type] ?? String(type ?? "item").replace(/_/g, " ");

/** The minimal renderer: who said it, when, and the text in a `<pre>`. */
export function fallbackRender(item) {
  const parts = Array.isArray(item.content) ? item.content : [];
  const text = parts.map((part) => (typeof part?.text === "string" ? part.text : "")).join("");
  return el(
    "article",
    { className: `history-fallback-item is-${item.type}` },
    el(
      "p",
      { className: "history-fallback-who" },
      el("strong", {}, words(item.type)),
      " ",
      timeElement(item.created_at, { className: "history-fallback-date" }),
    ),
    text ? el("pre", {}, text) : el("p", { className: "hint" }, `(${words(item.type).toLowerCase()})`),
  );
}

let rendererPromise = null;

/** `renderItem` from items.js, or the minimal renderer while that module is not there. */
function loadRenderer() {
  rendererPromise ??= import("/static/history/items.js").then(
    (module) => (typeof module.renderItem === "function" ? module.renderItem : fallbackRender),
    () => fallbackRender,
  );
  return rendererPromise;
}

export class ThreadView {
  /** `elements`: the thread view's parts (see index.html); `api`: the page's api module. */
  constructor({ api, elements }) {
    this.api = api;
    this.e = elements;
    this.token = 0;
    this.threadId = null;
    this.itemId = null;
    this.thread = null;
    this.hasOlder = false;
    this.hasNewer = false;
    this.loadingOlder = false;
    this.loadingNewer = false;
    this.render = fallbackRender;

    this.e.older.addEventListener("click", () => this.loadOlder());
    this.e.newer.addEventListener("click", () => this.loadNewer());
    this.e.downloadMd.addEventListener("click", () => this.download("md"));
    this.e.downloadJson.addEventListener("click", () => this.download("json"));
    // Until the reader scrolls, the view stays pinned to where it opened (the bottom, or the
    // linked item) while the items still settle (styles, images, fonts).
    this.pin = null;
    new ResizeObserver(() => this.keepPinned()).observe(this.e.items);
    for (const type of ["wheel", "pointerdown", "touchstart", "keydown"]) {
      this.e.scroller.addEventListener(type, () => (this.pin = null), { passive: true });
    }
    this.observer = new IntersectionObserver(
      (entries) => {
        for (const entry of entries) {
          if (!entry.isIntersecting) continue;
          if (entry.target === this.e.older) this.loadOlder();
          if (entry.target === this.e.newer) this.loadNewer();
        }
      },
      { root: this.e.scroller, rootMargin: "300px 0px" },
    );
  }

  keepPinned() {
    const pin = this.pin;
    if (!pin) return;
    const scroller = this.e.scroller;
    if (pin === "bottom") scroller.scrollTop = scroller.scrollHeight;
    else if (pin.isConnected) pin.scrollIntoView({ block: "center" });
  }

  say(text) {
    this.e.status.textContent = text;
  }

  list(params) {
    return this.api.chatkit("items.list", { thread_id: this.threadId, limit: ITEM_PAGE, ...params });
  }

  /** True when the view shows `threadId` (at `itemId`, when given). */
  shows(threadId, itemId) {
    return this.threadId === threadId && this.itemId === itemId;
  }

  close() {
    this.token += 1;
    this.pin = null;
    this.threadId = null;
    this.itemId = null;
    this.thread = null;
    this.observer.disconnect();
  }

  reset() {
    this.observer.disconnect();
    this.pin = null;
    this.hasOlder = false;
    this.hasNewer = false;
    this.loadingOlder = false;
    this.loadingNewer = false;
    this.e.items.replaceChildren();
    this.e.title.textContent = "Loading…";
    this.e.date.textContent = "";
    this.e.date.dateTime = "";
    this.e.actions.hidden = true;
    this.e.scroller.hidden = false;
    this.updateButtons();
  }

  /** Opens `threadId` (at `itemId` when given); `focus` moves the keyboard focus into it. */
  async open(threadId, itemId = null, { focus = true } = {}) {
    const token = ++this.token;
    // The focus moves in only if the reader has not moved it elsewhere while the thread loaded.
    const focusAtStart = document.activeElement;
    const mayFocus = () =>
      focus &&
      (document.activeElement === focusAtStart ||
        document.activeElement === document.body ||
        Boolean(document.activeElement?.closest("[hidden]")));
    this.threadId = threadId;
    this.itemId = itemId;
    this.thread = null;
    this.reset();
    this.say("Loading the thread…");
    this.e.items.setAttribute("aria-busy", "true");
    this.render = await loadRenderer();
    if (token !== this.token) return;

    let thread;
    try {
      thread = await this.api.chatkit("threads.get_by_id", { thread_id: threadId });
    } catch (err) {
      if (token !== this.token) return;
      this.problem(
        err.status === 404
          ? "This thread no longer exists (it may be in the trash)."
          : `Could not open this thread: ${err.message}`,
        mayFocus(),
      );
      return;
    }
    if (token !== this.token) return;
    this.setThread(thread);

    let older = { data: [], has_more: false };
    let newer = { data: [], has_more: false };
    let note = "";
    let target = itemId;
    try {
      if (target) {
        try {
          older = await this.list({ order: "desc", after: target });
          const newest = older.data[0]?.id;
          newer = await this.list({ order: "asc", ...(newest ? { after: newest } : {}) });
        } catch (err) {
          if (err.status !== 404) throw err;
          note = "The message this link points to is not in this thread any more; here are the newest messages.";
          target = null;
        }
      }
      if (!target) {
        older = await this.list({ order: "desc" });
        newer = { data: [], has_more: false };
      }
    } catch (err) {
      if (token !== this.token) return;
      this.e.items.removeAttribute("aria-busy");
      this.say(`Could not load the messages of this thread: ${err.message}`);
      if (mayFocus()) this.e.title.focus();
      return;
    }
    if (token !== this.token) return;
    const elements = await this.renderAll([...[...older.data].reverse(), ...newer.data]);
    if (token !== this.token) return;

    this.e.items.replaceChildren(...elements);
    this.e.items.removeAttribute("aria-busy");
    this.hasOlder = Boolean(older.has_more);
    this.hasNewer = Boolean(target && newer.has_more);
    this.updateButtons();
    this.say(elements.length ? note : "This thread has no messages yet.");

    const scroller = this.e.scroller;
    const item = target ? elements.find((element) => element.dataset.itemId === target) : null;
    if (item) {
      item.tabIndex = -1;
      item.setAttribute("aria-current", "true"); // the item the link points to keeps a marker
      this.pin = item;
      item.scrollIntoView({ block: "center" });
      item.classList.add("is-target");
      item.addEventListener("animationend", () => item.classList.remove("is-target"), { once: true });
      if (mayFocus()) item.focus({ preventScroll: true });
    } else {
      this.pin = "bottom";
      scroller.scrollTop = scroller.scrollHeight;
      if (mayFocus()) scroller.focus({ preventScroll: true });
    }
    // Observed only now, so the first report is about where the reader actually is.
    this.observe();
  }

  setThread(thread) {
    this.thread = thread;
    this.e.title.textContent = titleOf(thread);
    const date = this.e.date;
    const stamp = timeElement(thread.created_at);
    date.dateTime = stamp.dateTime;
    date.textContent = thread.created_at ? `Started ${formatDateTime(thread.created_at)}` : "";
    this.e.actions.hidden = false;
  }

  /** After a rename elsewhere (the list). */
  setTitle(threadId, title) {
    if (this.threadId !== threadId || !this.thread) return;
    this.thread = { ...this.thread, title };
    this.e.title.textContent = title;
  }

  problem(text, focus) {
    this.e.items.removeAttribute("aria-busy");
    this.e.title.textContent = "Thread not available";
    this.e.actions.hidden = true;
    this.e.scroller.hidden = true;
    this.say(text);
    if (focus) this.e.title.focus();
  }

  observe() {
    this.observer.disconnect();
    if (this.hasOlder) this.observer.observe(this.e.older);
    if (this.hasNewer) this.observer.observe(this.e.newer);
  }

  updateButtons() {
    this.e.older.hidden = !this.hasOlder;
    this.e.newer.hidden = !this.hasNewer;
  }

  async renderOne(item) {
    let element = null;
    try {
      element = await this.render(item, { api: this.api, threadId: this.threadId });
    } catch {
      element = null; // the minimal renderer still shows its text
    }
    if (!(element instanceof HTMLElement)) element = fallbackRender(item);
    element.id = item.id;
    element.dataset.itemId = item.id;
    element.dataset.itemType = item.type;
    element.classList.add("history-item");
    return element;
  }

  renderAll(items) {
    return Promise.all(items.map((item) => this.renderOne(item)));
  }

  /** A keyboard user on a "Load …" button goes on to the first item that arrived next to it. */
  focusArrival(button, element) {
    if (document.activeElement !== button || !element) return;
    element.tabIndex = -1;
    element.focus();
  }

  async loadOlder() {
    if (this.loadingOlder || !this.hasOlder) return;
    const token = this.token;
    const first = this.e.items.firstElementChild?.dataset.itemId;
    const button = this.e.older;
    this.loadingOlder = true;
    button.setAttribute("aria-disabled", "true");
    button.textContent = "Loading older messages…";
    let page;
    let elements;
    try {
      page = await this.list({ order: "desc", ...(first ? { after: first } : {}) });
      if (token !== this.token) return;
      elements = await this.renderAll([...page.data].reverse());
    } catch (err) {
      if (token !== this.token) return;
      this.loadingOlder = false;
      button.removeAttribute("aria-disabled");
      button.textContent = "Try loading older messages again";
      this.say(`Could not load older messages: ${err.message}`);
      return;
    }
    if (token !== this.token) return;
    const scroller = this.e.scroller;
    const fromBottom = scroller.scrollHeight - scroller.scrollTop;
    this.e.items.prepend(...elements);
    this.hasOlder = Boolean(page.has_more);
    this.updateButtons();
    scroller.scrollTop = scroller.scrollHeight - fromBottom; // the reader stays where they were
    this.focusArrival(button, elements[elements.length - 1]);
    this.loadingOlder = false;
    button.removeAttribute("aria-disabled");
    button.textContent = "Load older messages";
    this.say(`Loaded ${elements.length} older message${elements.length === 1 ? "" : "s"}.`);
    this.observe();
  }

  async loadNewer() {
    if (this.loadingNewer || !this.hasNewer) return;
    const token = this.token;
    const last = this.e.items.lastElementChild?.dataset.itemId;
    const button = this.e.newer;
    this.loadingNewer = true;
    button.setAttribute("aria-disabled", "true");
    button.textContent = "Loading newer messages…";
    let page;
    let elements;
    try {
      page = await this.list({ order: "asc", ...(last ? { after: last } : {}) });
      if (token !== this.token) return;
      elements = await this.renderAll(page.data);
    } catch (err) {
      if (token !== this.token) return;
      this.loadingNewer = false;
      button.removeAttribute("aria-disabled");
      button.textContent = "Try loading newer messages again";
      this.say(`Could not load newer messages: ${err.message}`);
      return;
    }
    if (token !== this.token) return;
    this.e.items.append(...elements);
    this.hasNewer = Boolean(page.has_more);
    this.updateButtons();
    this.focusArrival(button, elements[0]);
    this.loadingNewer = false;
    button.removeAttribute("aria-disabled");
    button.textContent = "Load newer messages";
    this.say(`Loaded ${elements.length} newer message${elements.length === 1 ? "" : "s"}.`);
    this.observe();
  }

  async download(format) {
    const threadId = this.threadId;
    if (!threadId) return;
    const button = format === "md" ? this.e.downloadMd : this.e.downloadJson;
    if (button.getAttribute("aria-disabled") === "true") return;
    button.setAttribute("aria-disabled", "true");
    this.say(`Preparing the ${format === "md" ? "Markdown" : "JSON"} file…`);
    try {
      const name = await download(
        this.api,
        `/api/export?thread_id=${encodeURIComponent(threadId)}&format=${format}`,
        `${threadId}.${format}`,
      );
      this.say(`Downloaded ${quoted(name)}.`);
    } catch (err) {
      this.say(`Could not download this thread: ${err.message}`);
    } finally {
      button.removeAttribute("aria-disabled");
    }
  }
}
