// The offline history browser (`#history…`): the thread list and the search box on one side, a
// thread or the trash on the other (one or the other on narrow windows). It reads everything
// from the local server, so it works with no internet; see docs/history.md for the routes and
// the HTTP API.
//
// app.js calls `show(hash)` whenever the address is a history route and `hide()` otherwise.

import { setupConfirm } from "/static/history/confirm.js";
import { hashFor, isHistoryHash, parseRoute } from "/static/history/router.js";
import { SearchPanel } from "/static/history/search.js";
import { ThreadList } from "/static/history/thread-list.js";
import { ThreadView } from "/static/history/thread-view.js";
import { Toast } from "/static/history/toast.js";
import { TrashView } from "/static/history/trash.js";
import { download, isEditable } from "/static/history/util.js";

export { isHistoryHash };

const $ = (id) => document.getElementById(id);

/** True when the keyboard focus is nowhere useful: on the body, or inside something hidden. */
const lostFocus = () => {
  const active = document.activeElement;
  return !active || active === document.body || Boolean(active.closest("[hidden]"));
};

export class HistoryBrowser {
  constructor({ api }) {
    this.api = api;
    this.root = $("history-view");
    this.visible = false;
    this.hash = null;
    this.route = null;
    this.toast = new Toast($("history-toast"));
    setupConfirm();

    this.list = new ThreadList({
      api,
      toast: this.toast,
      elements: {
        list: $("history-threads"),
        status: $("history-list-status"),
        more: $("history-threads-more"),
        scrollRoot: $("history-nav"),
      },
      focusSearch: () => this.focusSearch(),
      onRenamed: (thread) => this.thread.setTitle(thread.id, thread.title),
      onDeleted: (threadId) => {
        if (this.route?.view === "thread" && this.route.threadId === threadId) this.navigate({ view: "list" });
      },
      onRestored: () => {},
    });
    this.search = new SearchPanel({
      api,
      elements: {
        form: $("history-search-form"),
        input: $("history-search-input"),
        section: $("history-results"),
        list: $("history-results-list"),
        status: $("history-results-status"),
        more: $("history-results-more"),
      },
      onQuery: (q) => this.searchFor(q),
      focusAbove: () => this.focusSearch(),
    });
    this.thread = new ThreadView({
      api,
      elements: {
        article: $("history-thread"),
        title: $("history-thread-title"),
        date: $("history-thread-date"),
        actions: $("history-thread-actions"),
        downloadMd: $("history-download-md"),
        downloadJson: $("history-download-json"),
        status: $("history-thread-status"),
        scroller: $("history-thread-scroll"),
        items: $("history-items"),
        older: $("history-older"),
        newer: $("history-newer"),
      },
    });
    this.trash = new TrashView({
      api,
      elements: {
        section: $("history-trash"),
        heading: $("history-trash-heading"),
        list: $("history-trash-list"),
        status: $("history-trash-status"),
        more: $("history-trash-more"),
        empty: $("history-empty-trash"),
      },
      onRestored: () => this.list.reload(),
    });

    $("history-export-all").addEventListener("click", (event) => this.exportAll(event.currentTarget));
    $("history-thread-back").addEventListener("click", (event) => {
      event.preventDefault();
      this.backToList();
    });
    $("history-search-input").addEventListener("keydown", (event) => {
      if (event.key === "ArrowDown" && !event.altKey && !event.ctrlKey && !event.metaKey) {
        const first = this.search.active ? this.search.first() : this.list.link();
        if (first) {
          event.preventDefault();
          first.focus();
        }
      }
    });
    document.addEventListener("keydown", (event) => this.onKey(event));
  }

  // ----- app.js's entry points -----

  /** Shows the history browser at `hash` (a history route); a repeat of the same hash is a no-op. */
  show(hash) {
    const entering = !this.visible;
    this.visible = true;
    if (entering) this.list.reload();
    if (!entering && hash === this.hash) return;
    this.apply(parseRoute(hash), hash, entering);
  }

  hide() {
    if (!this.visible) return;
    this.visible = false;
    this.hash = null;
    this.route = null;
    this.thread.close();
    this.trash.close();
    this.toast.hide();
  }

  // ----- routes -----

  /** Goes to `route`: a new history entry (`replace`: instead of the current one). */
  navigate(route, { replace = false } = {}) {
    const hash = hashFor(route);
    if (hash === location.hash) return;
    if (replace) history.replaceState(history.state, "", hash);
    else history.pushState(history.state, "", hash);
    this.apply(parseRoute(hash), hash, false);
  }

  /** The query box changed (debounced) or was submitted. */
  searchFor(q) {
    if (!q.trim()) {
      if (this.route?.view === "search") this.navigate({ view: "list" }, { replace: true });
      else this.search.clear();
      this.showSidebar();
      return;
    }
    // Typing refines one search entry in the history; Back leaves the search.
    this.navigate({ view: "search", q }, { replace: this.route?.view === "search" });
  }

  apply(route, hash, entering) {
    const previous = this.route;
    const focusWasInMain = $("history-main").contains(document.activeElement) || document.activeElement === document.body;
    this.route = route;
    this.hash = hash;
    const main = route.view === "thread" || route.view === "trash";
    this.root.dataset.pane = main ? "main" : "list";

    if (route.view === "search") this.search.show(route.q);
    else if (route.view === "list" && this.search.active) this.search.clear();
    this.showSidebar();

    $("history-placeholder").hidden = main;
    $("history-thread").hidden = route.view !== "thread";
    $("history-trash").hidden = route.view !== "trash";
    const trashLink = $("history-trash-link");
    if (route.view === "trash") trashLink.setAttribute("aria-current", "page");
    else trashLink.removeAttribute("aria-current");

    this.search.setCurrent(route.view === "thread" ? route.threadId : null, route.itemId ?? null);
    if (route.view === "thread") {
      this.list.setCurrent(route.threadId);
      if (!this.thread.shows(route.threadId, route.itemId)) {
        this.thread.open(route.threadId, route.itemId, { focus: true }).catch((err) => this.fail(err));
      }
    } else {
      this.list.setCurrent(null);
      this.thread.close();
    }
    if (route.view === "trash") {
      this.trash.open({ focus: true }).catch((err) => this.fail(err));
    } else {
      this.trash.close();
    }

    // Back from a thread or the trash: the focus returns to where the reader came from.
    if (!main && previous && (previous.view === "thread" || previous.view === "trash") && focusWasInMain) {
      this.focusEntry(previous);
    } else if (entering && !main && lostFocus()) {
      $("history-heading").focus(); // the link that led here is gone (the offline screen's)
    }
  }

  showSidebar() {
    const searching = this.search.active;
    $("history-results").hidden = !searching;
    $("history-list").hidden = searching;
  }

  /** Focus on the list entry (search result or thread) for `route`'s thread, else the search box. */
  focusEntry(route) {
    const target =
      route.view === "thread"
        ? (this.search.active ? this.search.resultFor(route.threadId, route.itemId) : null) ??
          this.list.link(route.threadId)
        : $("history-trash-link");
    (target ?? $("history-search-input")).focus();
  }

  /** Escape, or "Back to the list": the list (or the search results) this thread came from. */
  backToList() {
    const q = this.search.query;
    this.navigate(q ? { view: "search", q } : { view: "list" });
  }

  focusSearch() {
    const input = $("history-search-input");
    input.focus();
    input.select();
  }

  onKey(event) {
    if (!this.visible || event.defaultPrevented) return;
    if (document.querySelector("dialog[open]")) return; // settings or a confirmation has the keys
    const key = event.key;
    const plain = !event.altKey && !event.ctrlKey && !event.metaKey;
    if (key === "/" && plain && !isEditable(event.target)) {
      event.preventDefault();
      this.focusSearch();
    } else if ((key === "k" || key === "K") && (event.ctrlKey || event.metaKey) && !event.altKey) {
      event.preventDefault();
      this.focusSearch();
    } else if (key === "Escape" && plain && (this.route?.view === "thread" || this.route?.view === "trash")) {
      if (isEditable(event.target) && event.target.value) return; // first Escape clears a field
      event.preventDefault();
      this.backToList();
    }
  }

  async exportAll(button) {
    if (button.getAttribute("aria-disabled") === "true") return;
    button.setAttribute("aria-disabled", "true");
    const status = $("history-foot-status");
    status.textContent = "Preparing every thread as JSONL…";
    try {
      const name = await download(this.api, "/api/export?format=jsonl", "chatkit-desktop-threads.jsonl");
      status.textContent = `Downloaded \u201c${name}\u201d.`;
    } catch (err) {
      status.textContent = `Could not download the threads: ${err.message}`;
    } finally {
      button.removeAttribute("aria-disabled");
    }
  }

  fail(err) {
    $("history-thread-status").textContent = `Something went wrong: ${err?.message ?? err}`;
  }
}
