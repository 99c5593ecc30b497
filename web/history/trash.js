// The trash: threads deleted in the last 30 days (`GET /api/trash`, most recently deleted
// first), each with when it was deleted and when it goes for good; Restore, "Delete forever"
// and "Empty trash" (both confirmed first).

import { confirmAction } from "/static/history/confirm.js";
import { el, formatDay, formatDateTime, quoted, titleOf } from "/static/history/util.js";

const PAGE = 50;

export class TrashView {
  /** `elements`: {section, heading, list, status, more, empty}; `onRestored(id)`. */
  constructor({ api, elements, onRestored, onPurged }) {
    this.api = api;
    this.e = elements;
    this.onRestored = onRestored;
    this.onPurged = onPurged;
    this.generation = 0;
    this.after = null;
    this.loading = false;
    elements.more.addEventListener("click", () => this.load(false));
    elements.empty.addEventListener("click", () => this.emptyTrash());
  }

  say(text) {
    this.e.status.textContent = text;
  }

  rows() {
    return [...this.e.list.querySelectorAll(".history-trash-entry")];
  }

  /** Shows the trash afresh; `focus` moves the keyboard focus to its heading. */
  async open({ focus = true } = {}) {
    if (focus) this.e.heading.focus();
    await this.load(true);
  }

  close() {
    this.generation += 1;
    this.loading = false;
  }

  async load(fresh) {
    if (this.loading && !fresh) return;
    const generation = fresh ? ++this.generation : this.generation;
    if (fresh) {
      this.after = null;
      this.e.list.replaceChildren();
      this.e.more.hidden = true;
      this.e.empty.disabled = true;
    }
    this.loading = true;
    this.e.more.setAttribute("aria-disabled", "true");
    this.say("Loading the trash…");
    let page;
    try {
      const params = new URLSearchParams({ limit: String(PAGE) });
      if (this.after) params.set("after", this.after);
      page = await this.api.request("GET", `/api/trash?${params}`);
    } catch (err) {
      if (generation !== this.generation) return;
      this.loading = false;
      this.e.more.removeAttribute("aria-disabled");
      this.say(`Could not read the trash: ${err.message}`);
      return;
    }
    if (generation !== this.generation) return;
    this.loading = false;
    const entries = Array.isArray(page?.data) ? page.data : [];
    const rows = entries.map((entry) => this.renderEntry(entry));
    this.e.list.append(...rows);
    if (document.activeElement === this.e.more && rows.length) rows[0].querySelector("button").focus();
    this.after = page?.has_more ? (page.after ?? entries[entries.length - 1]?.id ?? null) : null;
    this.e.more.hidden = this.after === null;
    this.e.more.removeAttribute("aria-disabled");
    this.updateCount();
  }

  updateCount() {
    const count = this.rows().length;
    this.e.empty.disabled = count === 0;
    if (count === 0) this.say("The trash is empty.");
    else this.say(`${count} thread${count === 1 ? "" : "s"} in the trash${this.after ? "; more below" : ""}.`);
  }

  renderEntry(entry) {
    const title = titleOf(entry);
    const headingId = `trash-title-${entry.id}`;
    const restore = el("button", { type: "button", className: "button small", textContent: "Restore" });
    const purge = el("button", { type: "button", className: "button small danger", textContent: "Delete forever" });
    restore.setAttribute("aria-label", `Restore ${quoted(title)}`);
    purge.setAttribute("aria-label", `Delete ${quoted(title)} forever`);
    const row = el(
      "li",
      { className: "history-trash-entry", dataset: { threadId: entry.id } },
      el("h3", { className: "history-trash-title", id: headingId }, title),
      el(
        "p",
        { className: "history-trash-dates" },
        el("span", {}, `Deleted ${formatDateTime(entry.deleted_at)}`),
        " · ",
        el("span", {}, `deleted for good on ${formatDay(entry.purge_at)}`),
      ),
      el("div", { className: "history-trash-actions" }, restore, purge),
    );
    row.setAttribute("aria-labelledby", headingId);
    restore.addEventListener("click", () => this.restore(row, title));
    purge.addEventListener("click", () => this.purge(row, title));
    return row;
  }

  /** Removes `row`, moving the focus (if it was there) to the next entry or the heading. */
  drop(row) {
    const hadFocus = row.contains(document.activeElement);
    const neighbour = row.nextElementSibling ?? row.previousElementSibling;
    row.remove();
    if (hadFocus) (neighbour?.querySelector("button") ?? this.e.heading).focus();
    this.updateCount();
  }

  async restore(row, title) {
    const threadId = row.dataset.threadId;
    try {
      await this.api.request("POST", `/api/trash/${encodeURIComponent(threadId)}/restore`);
    } catch (err) {
      this.say(`Could not restore ${quoted(title)}: ${err.message}`);
      return;
    }
    this.drop(row);
    this.say(`Restored ${quoted(title)}: it is back in your threads.`);
    this.onRestored?.(threadId);
  }

  async purge(row, title) {
    const ok = await confirmAction({
      title: `Delete ${quoted(title)} forever?`,
      text: "Its messages and attachments are removed from this computer. This cannot be undone.",
      confirmLabel: "Delete forever",
    });
    if (!ok) return;
    const threadId = row.dataset.threadId;
    try {
      await this.api.request("DELETE", `/api/trash/${encodeURIComponent(threadId)}`);
    } catch (err) {
      this.say(`Could not delete ${quoted(title)}: ${err.message}`);
      row.querySelector(".danger")?.focus();
      return;
    }
    this.drop(row);
    this.say(`Deleted ${quoted(title)} for good.`);
    this.onPurged?.(threadId);
  }

  async emptyTrash() {
    const count = this.rows().length;
    const ok = await confirmAction({
      title: "Empty the trash?",
      text: `Every thread in the trash${this.after ? "" : ` (${count})`} is deleted for good, with its messages and attachments. This cannot be undone.`,
      confirmLabel: "Empty trash",
    });
    if (!ok) return;
    let answer;
    try {
      answer = await this.api.request("DELETE", "/api/trash");
    } catch (err) {
      this.say(`Could not empty the trash: ${err.message}`);
      this.e.empty.focus();
      return;
    }
    this.generation += 1;
    this.after = null;
    this.e.list.replaceChildren();
    this.e.more.hidden = true;
    this.e.empty.disabled = true;
    this.e.heading.focus();
    const deleted = Number(answer?.deleted ?? count);
    this.say(`The trash is empty: ${deleted} thread${deleted === 1 ? "" : "s"} deleted for good.`);
    this.onPurged?.(null);
  }
}
