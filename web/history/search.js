// Search: `GET /api/search?q=…` as the user types (debounced), results with the matched words in
// <mark> (built from the snippet's segments as text, never as HTML), "Load more" by
// `next_offset`. The query lives in the address (`#history?q=…`), so Back returns to it.

import { threadHash } from "/static/history/router.js";
import { arrowNavigation, el, quoted, timeElement } from "/static/history/util.js";

export const RESULT_PAGE = 20;
const DEBOUNCE_MS = 200;

const KIND_WORDS = {
  title: "Title",
  user: "You",
  assistant: "Assistant",
  widget: "Widget",
  task: "Task",
  workflow: "Workflow",
};

export class SearchPanel {
  /**
   * `elements`: {form, input, section, list, status, more}; `onQuery(q)`: the user typed (after
   * the debounce) or submitted `q`; the browser then puts it in the address and calls `show(q)`.
   */
  constructor({ api, elements, onQuery, focusAbove }) {
    this.api = api;
    this.e = elements;
    this.onQuery = onQuery;
    this.query = null; // what the results on screen are for
    this.sequence = 0;
    this.timer = null;
    this.offset = null;
    this.loading = false;
    this.focusWhenReady = false;
    this.current = null;

    elements.input.addEventListener("input", () => {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.onQuery(this.e.input.value), DEBOUNCE_MS);
    });
    elements.form.addEventListener("submit", (event) => {
      event.preventDefault();
      clearTimeout(this.timer);
      // Enter: to the first result (once there are results for what is in the box).
      this.focusWhenReady = true;
      this.onQuery(this.e.input.value);
      if (!this.loading && this.query?.trim() === this.e.input.value.trim()) this.takeFocus();
    });
    elements.more.addEventListener("click", () => this.more());
    arrowNavigation(elements.list, ".history-result", { beforeFirst: focusAbove });
  }

  say(text) {
    this.e.status.textContent = text;
  }

  get active() {
    return this.query !== null;
  }

  first() {
    return this.e.list.querySelector(".history-result");
  }

  /** Marks the result that is open beside the results (aria-current). */
  setCurrent(threadId, itemId) {
    this.current = threadId ? { threadId, itemId } : null;
    for (const link of this.e.list.querySelectorAll(".history-result")) this.markCurrent(link);
  }

  markCurrent(link) {
    const current = this.current;
    const open =
      current && link.dataset.threadId === current.threadId && (link.dataset.itemId || null) === current.itemId;
    if (open) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }

  takeFocus() {
    this.focusWhenReady = false;
    this.first()?.focus();
  }

  /** The result linking to `threadId` (and `itemId`), for focus after Escape. */
  resultFor(threadId, itemId) {
    const results = [...this.e.list.querySelectorAll(".history-result")];
    return (
      results.find((a) => a.dataset.threadId === threadId && (a.dataset.itemId || null) === itemId) ??
      results.find((a) => a.dataset.threadId === threadId) ??
      null
    );
  }

  /** Shows the results for `q` (searching unless they are already on screen). */
  show(q) {
    clearTimeout(this.timer);
    if (this.e.input.value.trim() !== q.trim()) this.e.input.value = q;
    this.e.section.hidden = false;
    if (this.query === q) return;
    this.query = q;
    this.run(q, 0);
  }

  /** Leaves search: empties the box and the results. */
  clear() {
    clearTimeout(this.timer);
    this.sequence += 1;
    this.focusWhenReady = false;
    this.query = null;
    this.offset = null;
    this.loading = false;
    this.e.input.value = "";
    this.e.list.replaceChildren();
    this.e.section.hidden = true;
    this.e.more.hidden = true;
    this.say("");
  }

  more() {
    if (this.query !== null && this.offset !== null) this.run(this.query, this.offset);
  }

  async run(q, offset) {
    const sequence = ++this.sequence;
    this.loading = true;
    this.e.more.setAttribute("aria-disabled", "true");
    if (offset === 0) {
      this.e.list.replaceChildren();
      this.e.more.hidden = true;
    }
    this.say(`Searching for ${quoted(q)}…`);
    this.e.list.setAttribute("aria-busy", "true");
    let answer;
    try {
      const params = new URLSearchParams({ q, limit: String(RESULT_PAGE), offset: String(offset) });
      answer = await this.api.request("GET", `/api/search?${params}`);
    } catch (err) {
      if (sequence !== this.sequence) return;
      this.loading = false;
      this.e.list.removeAttribute("aria-busy");
      this.e.more.removeAttribute("aria-disabled");
      this.say(`The search did not work: ${err.message}`);
      return;
    }
    if (sequence !== this.sequence) return;
    this.loading = false;
    this.e.list.removeAttribute("aria-busy");
    const results = Array.isArray(answer?.results) ? answer.results : [];
    const fresh = results.map((result) => this.renderResult(result));
    for (const row of fresh) this.markCurrent(row.querySelector("a"));
    this.e.list.append(...fresh);
    if (document.activeElement === this.e.more && fresh.length) fresh[0].querySelector("a").focus();
    this.offset = answer?.has_more && answer.next_offset !== null ? answer.next_offset : null;
    this.e.more.hidden = this.offset === null;
    this.e.more.removeAttribute("aria-disabled");
    if (offset === 0 && this.focusWhenReady) this.takeFocus();
    const count = this.e.list.childElementCount;
    if (count === 0) {
      this.say(`Nothing found for ${quoted(q)}. Try other words, or fewer of them.`);
    } else {
      const shown = `${count} result${count === 1 ? "" : "s"} for ${quoted(q)}`;
      this.say(this.offset === null ? `${shown}.` : `${shown}, best first; more below.`);
    }
  }

  renderResult(result) {
    const kind = KIND_WORDS[result.kind] ?? String(result.kind ?? "");
    const snippet = el("span", { className: "history-result-snippet" });
    for (const segment of Array.isArray(result.snippet) ? result.snippet : []) {
      const text = String(segment?.text ?? "");
      snippet.append(segment?.match ? el("mark", {}, text) : document.createTextNode(text));
    }
    const link = el(
      "a",
      {
        className: "history-result",
        href: threadHash(result.thread_id, result.item_id || null),
        dataset: { threadId: result.thread_id, itemId: result.item_id || "" },
      },
      el("span", { className: "history-result-title" }, String(result.thread_title || "Untitled")),
      el(
        "span",
        { className: "history-result-meta" },
        el("span", { className: "history-result-kind" }, kind),
        " · ",
        timeElement(result.created_at),
      ),
      snippet.childNodes.length ? snippet : null,
    );
    return el("li", {}, link);
  }
}
