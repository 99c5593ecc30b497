// The thread list: newest first (ChatKit protocol `threads.list`), each with its title, date and
// a one-line preview (`GET /api/threads/previews`), paged in as the list scrolls (an
// IntersectionObserver on the "Load more threads" button, which keyboard users can press), and
// renamed (`threads.update`) or deleted (`threads.delete`: to the trash, with Undo) in place.

import { threadHash } from "/static/history/router.js";
import { arrowNavigation, el, quoted, timeElement, titleOf } from "/static/history/util.js";

export const THREAD_PAGE = 30;

const plural = (n, one, many) => `${n} ${n === 1 ? one : many}`;

export class ThreadList {
  /**
   * `elements`: {list, status, more, scrollRoot}; `api`: the page's api module; `toast`: a Toast;
   * `onRenamed(thread)`, `onDeleted(threadId)`, `onRestored(threadId)`: tell the rest of the
   * browser; `focusSearch()`: ArrowUp above the first thread.
   */
  constructor({ api, elements, toast, onRenamed, onDeleted, onRestored, focusSearch }) {
    this.api = api;
    this.listEl = elements.list;
    this.statusEl = elements.status;
    this.moreButton = elements.more;
    this.toast = toast;
    this.onRenamed = onRenamed;
    this.onDeleted = onDeleted;
    this.onRestored = onRestored;
    this.generation = 0;
    this.loading = false;
    this.hasMore = false;
    this.failed = false;
    this.loaded = false;
    this.currentId = null;

    this.moreButton.addEventListener("click", () => this.loadMore());
    this.observer = new IntersectionObserver(
      (entries) => {
        // A keyboard user on the button presses it themselves (and the focus then follows).
        if (document.activeElement === this.moreButton) return;
        if (entries.some((entry) => entry.isIntersecting) && this.hasMore && !this.failed) this.loadMore();
      },
      { root: elements.scrollRoot, rootMargin: "0px 0px 200px 0px" },
    );
    this.observer.observe(this.moreButton);
    arrowNavigation(this.listEl, ".history-thread-link", { beforeFirst: focusSearch });
    this.listEl.addEventListener("keydown", (event) => {
      const link = event.target.closest?.(".history-thread-link");
      if (!link || event.altKey || event.ctrlKey || event.metaKey) return;
      const row = link.closest(".history-thread");
      if (event.key === "F2") {
        event.preventDefault();
        this.startRename(row);
      } else if (event.key === "Delete") {
        event.preventDefault();
        this.remove(row);
      }
    });
  }

  say(text) {
    this.statusEl.textContent = text;
  }

  rows() {
    return [...this.listEl.querySelectorAll(".history-thread")];
  }

  row(threadId) {
    return this.rows().find((row) => row.dataset.threadId === threadId) ?? null;
  }

  /** The link of `threadId`'s row (or the first row's), for focus. */
  link(threadId = null) {
    const row = (threadId && this.row(threadId)) || this.rows()[0];
    return row?.querySelector(".history-thread-link") ?? null;
  }

  /** Marks the open thread's row (aria-current). */
  setCurrent(threadId) {
    this.currentId = threadId;
    for (const row of this.rows()) {
      const link = row.querySelector(".history-thread-link");
      if (row.dataset.threadId === threadId) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    }
  }

  /** Starts again from the newest thread; resolves when the first page is shown. */
  async reload() {
    this.generation += 1;
    this.loading = false;
    this.hasMore = false;
    this.failed = false;
    this.loaded = false;
    await this.loadMore({ replace: true });
  }

  async loadMore({ replace = false } = {}) {
    if (this.loading) return;
    if (!replace && this.loaded && !this.hasMore && !this.failed) return;
    const generation = this.generation;
    const rows = replace ? [] : this.rows();
    const after = rows.length ? rows[rows.length - 1].dataset.threadId : null;
    this.loading = true;
    this.failed = false;
    this.moreButton.setAttribute("aria-disabled", "true");
    this.moreButton.textContent = "Loading…";
    if (!rows.length) this.say("Loading your threads…");
    this.listEl.setAttribute("aria-busy", "true");
    let page;
    try {
      page = await this.api.chatkit("threads.list", {
        limit: THREAD_PAGE,
        order: "desc",
        ...(after ? { after } : {}),
      });
    } catch (err) {
      if (generation !== this.generation) return;
      this.loading = false;
      this.failed = true;
      this.listEl.removeAttribute("aria-busy");
      this.say(`Could not list your threads: ${err.message}`);
      this.moreButton.removeAttribute("aria-disabled");
      this.moreButton.textContent = "Try again";
      this.moreButton.hidden = false;
      return;
    }
    if (generation !== this.generation) return;
    const threads = (page?.data ?? []).filter((thread) => !this.row(thread.id) || replace);
    const fresh = threads.map((thread) => this.renderRow(thread));
    if (replace) this.listEl.replaceChildren(...fresh);
    else this.listEl.append(...fresh);
    // The focus was on the button (pressed from the keyboard, or reached while it loaded): on to
    // the first new thread, not a button about to move down or hide.
    if (document.activeElement === this.moreButton && fresh.length) fresh[0].querySelector(".history-thread-link").focus();
    this.loading = false;
    this.loaded = true;
    this.hasMore = Boolean(page?.has_more);
    this.listEl.removeAttribute("aria-busy");
    this.setCurrent(this.currentId);
    this.updateCount();
    this.moreButton.removeAttribute("aria-disabled");
    this.moreButton.textContent = "Load more threads";
    this.moreButton.hidden = !this.hasMore;
    this.fillPreviews(threads.map((thread) => thread.id), generation);
    // Still in view (a tall window, a short page)? Observing again reports it at once.
    this.observer.unobserve(this.moreButton);
    this.observer.observe(this.moreButton);
  }

  updateCount() {
    const count = this.rows().length;
    if (count === 0) {
      this.say("No threads yet. Conversations you have in the chat appear here.");
    } else {
      this.say(`${plural(count, "thread", "threads")}, newest first${this.hasMore ? "; more below" : ""}.`);
    }
  }

  async fillPreviews(ids, generation) {
    if (!ids.length) return;
    let answer;
    try {
      answer = await this.api.request("GET", `/api/threads/previews?ids=${ids.map(encodeURIComponent).join(",")}`);
    } catch {
      return; // a preview is a nicety: the titles and dates are there
    }
    if (generation !== this.generation) return;
    for (const [id, text] of Object.entries(answer?.previews ?? {})) {
      const preview = this.row(id)?.querySelector(".history-thread-preview");
      if (preview) {
        preview.textContent = String(text);
        preview.hidden = !text;
      }
    }
  }

  renderRow(thread) {
    const title = titleOf(thread);
    const link = el(
      "a",
      { className: "history-thread-link", href: threadHash(thread.id) },
      el("span", { className: "history-thread-title" }, title),
      timeElement(thread.created_at, { className: "history-thread-date" }),
      el("span", { className: "history-thread-preview", hidden: true }),
    );
    const rename = el("button", { type: "button", className: "button small", textContent: "Rename" });
    const remove = el("button", { type: "button", className: "button small", textContent: "Delete" });
    const row = el(
      "li",
      { className: "history-thread", dataset: { threadId: thread.id } },
      link,
      el("div", { className: "history-thread-actions" }, rename, remove),
    );
    this.labelActions(row, title);
    rename.addEventListener("click", () => this.startRename(row));
    remove.addEventListener("click", () => this.remove(row));
    return row;
  }

  labelActions(row, title) {
    const [rename, remove] = row.querySelectorAll(".history-thread-actions button");
    rename.setAttribute("aria-label", `Rename ${quoted(title)}`);
    remove.setAttribute("aria-label", `Delete ${quoted(title)}`);
  }

  /** Updates a row after a rename made elsewhere (or here). */
  setTitle(threadId, title) {
    const row = this.row(threadId);
    if (!row) return;
    row.querySelector(".history-thread-title").textContent = title;
    this.labelActions(row, title);
  }

  // ----- rename: an inline form in place of the row's link -----

  startRename(row) {
    if (!row || row.querySelector(".history-rename")) return;
    const link = row.querySelector(".history-thread-link");
    const actions = row.querySelector(".history-thread-actions");
    const current = row.querySelector(".history-thread-title").textContent;
    const inputId = `history-rename-${row.dataset.threadId}`;
    const input = el("input", { type: "text", id: inputId, value: current === "Untitled" ? "" : current });
    input.setAttribute("autocomplete", "off");
    const message = el("p", { className: "field-error", hidden: true });
    message.id = `${inputId}-error`;
    input.setAttribute("aria-describedby", message.id);
    const save = el("button", { type: "submit", className: "button small primary", textContent: "Save" });
    const cancel = el("button", { type: "button", className: "button small", textContent: "Cancel" });
    const form = el(
      "form",
      { className: "history-rename", noValidate: true },
      el("label", { htmlFor: inputId }, `New title for ${quoted(current)}`),
      el("div", { className: "history-rename-row" }, input, save, cancel),
      message,
    );
    let busy = false;
    const close = (focusLink = true) => {
      form.remove();
      link.hidden = false;
      actions.hidden = false;
      if (focusLink) link.focus();
    };
    cancel.addEventListener("click", () => close());
    form.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        event.preventDefault();
        event.stopPropagation();
        close();
      }
    });
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (busy) return;
      const title = input.value.trim();
      if (!title) {
        message.textContent = "Type a title (it cannot be empty).";
        message.hidden = false;
        input.setAttribute("aria-invalid", "true");
        input.focus();
        return;
      }
      busy = true;
      save.disabled = true;
      try {
        const thread = await this.api.chatkit("threads.update", { thread_id: row.dataset.threadId, title });
        const saved = titleOf(thread?.title ? thread : { title });
        this.setTitle(row.dataset.threadId, saved);
        close();
        this.say(`Renamed to ${quoted(saved)}.`);
        this.onRenamed?.({ ...(thread ?? {}), id: row.dataset.threadId, title: saved });
      } catch (err) {
        message.textContent = `Not renamed: ${err.message}`;
        message.hidden = false;
        input.focus();
      } finally {
        busy = false;
        save.disabled = false;
      }
    });
    link.hidden = true;
    actions.hidden = true;
    row.prepend(form);
    input.focus();
    input.select();
  }

  // ----- delete (to the trash) and undo -----

  async remove(row) {
    if (!row || row.dataset.deleting) return;
    const threadId = row.dataset.threadId;
    const title = row.querySelector(".history-thread-title").textContent;
    row.dataset.deleting = "true";
    try {
      await this.api.chatkit("threads.delete", { thread_id: threadId });
    } catch (err) {
      delete row.dataset.deleting;
      this.say(`Could not delete ${quoted(title)}: ${err.message}`);
      return;
    }
    const hadFocus = row.contains(document.activeElement);
    const neighbour = row.nextElementSibling ?? row.previousElementSibling;
    row.remove();
    this.updateCount();
    if (hadFocus) neighbour?.querySelector(".history-thread-link")?.focus();
    this.onDeleted?.(threadId);
    this.toast.show(`Moved to trash: ${quoted(title)}`, {
      actionLabel: "Undo",
      action: () => this.restore(threadId, title),
    });
    if (hadFocus && !neighbour) this.toast.button.focus();
  }

  async restore(threadId, title) {
    try {
      await this.api.request("POST", `/api/trash/${encodeURIComponent(threadId)}/restore`);
    } catch (err) {
      this.toast.show(`Could not restore ${quoted(title)}: ${err.message}`);
      return;
    }
    const focusBack = this.toast.root.contains(document.activeElement);
    this.toast.show(`${quoted(title)} is back.`);
    await this.reload();
    this.onRestored?.(threadId);
    if (focusBack) this.link(threadId)?.focus();
  }
}
