// One ChatKit thread item (chatkit/types.py's ThreadItem, as `items.list` returns it) drawn
// readably for the offline history browser.
//
//   import { renderItem } from "/static/history/items.js";
//   list.append(renderItem(item, { api, threadId }));
//
// `renderItem` returns an <article class="item item-TYPE" data-item-type data-item-id> (for
// end_of_turn a <div> holding an <hr>) labelled "You, <date and time>", "Assistant, …" and so
// on, with a <time datetime>. It never throws: an unknown or broken item says so in words. It
// sets no `id` (the caller may), and it adds items.css to the page once.
//
// `ctx` is optional: `api` (web/api.js) and `threadId` let an image attachment whose signed
// preview address has expired ask the server for a fresh one, once.
//
// Nothing drawn here makes a request to any host but the local server: images come only from
// this page's origin or `data:` URLs; anything remote is a link to click.

import {
  codeBlock,
  el,
  externalLink,
  remoteImageStandIn,
  renderMarkdown,
  safeImageUrl,
  safeLinkUrl,
} from "./markdown.js";
import { ensureStylesheet } from "./util.js";
import { renderWidget } from "./widgets.js";

const STYLESHEET = new URL("./items.css", import.meta.url).href;

/** Adds items.css to the page (once), unless the page links it already. */
export function ensureStyles() {
  ensureStylesheet(STYLESHEET);
}

/** `item` as an element (see the top of this file). */
export function renderItem(item, ctx = {}) {
  ensureStyles();
  const type = typeof item?.type === "string" ? item.type : "";
  try {
    const render = Object.hasOwn(RENDER, type) ? RENDER[type] : unsupported;
    return render(item, ctx ?? {});
  } catch (err) {
    return broken(item, err);
  }
}

// ----- the frame every item shares -----

const DATE_FORMAT = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

/** A Date from an ISO string (naive means local time, as the server stores it) or epoch s. */
function dateOf(value) {
  const date = typeof value === "number" ? new Date(value * 1000) : new Date(String(value ?? ""));
  return Number.isNaN(date.getTime()) ? null : date;
}

function timeElement(value, className = "item-time") {
  const date = dateOf(value);
  return el(
    "time",
    { className, dateTime: date ? date.toISOString() : null },
    date ? DATE_FORMAT.format(date) : "unknown time",
  );
}

/**
 * `{article, body}`: the item's <article>, its header (who, when) and an empty body. `label`
 * names it for assistive technology when `who` alone says too little.
 */
function frame(item, who, { label = who } = {}) {
  const type = typeof item?.type === "string" ? item.type : "unknown";
  const time = timeElement(item?.created_at);
  const article = el("article", {
    className: `item item-${cssName(type)}`,
    dataset: { itemType: type, itemId: String(item?.id ?? "") },
    "aria-label": `${label}, ${time.textContent}`,
  });
  const head = el("header", { className: "item-head" }, el("span", { className: "item-who" }, who), time);
  const body = el("div", { className: "item-body" });
  article.append(head, body);
  return { article, body };
}

const cssName = (type) =>
  String(type)
    .replace(/[^A-Za-z0-9_-]/g, "_")
    .slice(0, 60) || "unknown";

function chip(text, className = "") {
  return el("span", { className: `chip ${className}`.trim() }, text);
}

function json(value) {
  try {
    const text = JSON.stringify(value, null, 2);
    return text === undefined ? String(value) : text;
  } catch {
    return String(value);
  }
}

/** A <details> with `summary` and `content` (closed unless `open`). */
function details(summary, content, { open = false, className = "" } = {}) {
  return el("details", { className, open }, el("summary", {}, summary), content);
}

// ----- user messages -----

function userMessage(item, ctx) {
  const { article, body } = frame(item, "You");
  if (item.quoted_text) {
    body.append(
      el(
        "blockquote",
        { className: "item-quote" },
        el("span", { className: "visually-hidden" }, "Quoting: "),
        String(item.quoted_text),
      ),
    );
  }
  const text = el("p", { className: "user-text" });
  for (const part of Array.isArray(item.content) ? item.content : []) {
    if (part?.type === "input_tag") {
      text.append(chip(String(part.text ?? part.id ?? "tag"), "tag-chip"));
    } else if (typeof part?.text === "string") {
      text.append(part.text);
    }
  }
  if (text.textContent.trim()) body.append(text);
  const attachments = Array.isArray(item.attachments) ? item.attachments : [];
  if (attachments.length) {
    body.append(
      el(
        "ul",
        { className: "attachments", "aria-label": "Attachments" },
        attachments.map((att) => el("li", {}, attachment(att, item, ctx))),
      ),
    );
  }
  return article;
}

function attachment(att, item, ctx) {
  const name = String(att?.name || "attachment");
  const mime = String(att?.mime_type || "");
  if (att?.type !== "image") {
    return el(
      "span",
      { className: "chip file-chip", title: mime ? `${name} (${mime})` : name },
      el("span", { className: "file-name" }, name),
      mime ? el("span", { className: "file-type" }, mime) : null,
    );
  }
  const figure = el("figure", { className: "attachment-image" });
  const caption = el("figcaption", {}, name);
  const src = safeImageUrl(att.preview_url);
  if (!src) {
    figure.append(missingImage(name), caption);
    return figure;
  }
  const img = el("img", { alt: name, loading: "lazy", decoding: "async" });
  let retried = false;
  img.addEventListener("error", async () => {
    // A signed preview address lives an hour: ask for a fresh one once, then give up in words.
    if (!retried) {
      retried = true;
      const fresh = await freshPreviewUrl(ctx, item, att.id).catch(() => null);
      if (fresh) {
        img.src = fresh;
        return;
      }
    }
    img.replaceWith(missingImage(name));
  });
  img.src = src;
  figure.append(img, caption);
  return figure;
}

function missingImage(name) {
  return el(
    "span",
    { className: "attachment-missing", role: "img", "aria-label": `${name}: image preview unavailable` },
    el("span", { className: "attachment-missing-note" }, "Preview unavailable"),
    el("span", { className: "file-name" }, name),
  );
}

/**
 * The attachment's current preview address, from the item as the server gives it now (the
 * server signs a new address on every answer). `items.list` cursors are exclusive, so: the item
 * just before this one (newest first), then the one after that (oldest first) is this one.
 */
async function freshPreviewUrl(ctx, item, attachmentId) {
  const threadId = ctx?.threadId ?? item?.thread_id;
  if (!ctx?.api?.chatkit || !threadId || !item?.id) return null;
  const before = await ctx.api.chatkit("items.list", { thread_id: threadId, order: "desc", after: item.id, limit: 1 });
  const params = { thread_id: threadId, order: "asc", limit: 1 };
  if (before?.data?.length) params.after = before.data[0].id;
  const page = await ctx.api.chatkit("items.list", params);
  const again = page?.data?.[0];
  if (again?.id !== item.id) return null;
  const found = (again.attachments ?? []).find((a) => a?.id === attachmentId);
  const url = safeImageUrl(found?.preview_url);
  return url && url !== safeImageUrl((item.attachments ?? []).find((a) => a?.id === attachmentId)?.preview_url)
    ? url
    : null;
}

// ----- assistant messages -----

function assistantMessage(item) {
  const { article, body } = frame(item, "Assistant");
  const parts = Array.isArray(item.content) ? item.content : [];
  const sources = [];
  for (const part of parts) {
    if (typeof part?.text === "string") body.append(renderMarkdown(part.text));
    for (const annotation of Array.isArray(part?.annotations) ? part.annotations : []) {
      if (annotation?.source) sources.push(annotation.source);
    }
  }
  if (sources.length) body.append(sourceList(sources, "Sources"));
  return article;
}

function sourceKey(source) {
  return `${source.type}|${source.url ?? source.filename ?? source.id ?? ""}|${source.title ?? ""}`;
}

/** url, file and entity sources (annotations, search results), each once. */
function sourceList(sources, heading) {
  const seen = new Set();
  const rows = [];
  for (const source of sources) {
    if (!source || typeof source !== "object") continue;
    const key = sourceKey(source);
    if (seen.has(key)) continue;
    seen.add(key);
    rows.push(el("li", { className: `source source-${cssName(source.type)}` }, sourceView(source)));
  }
  if (!rows.length) return null;
  return el(
    "section",
    { className: "sources", "aria-label": heading },
    el("h4", { className: "sources-title" }, heading),
    el("ol", {}, rows),
  );
}

function sourceView(source) {
  const title = String(source.title || "");
  const description = source.description ? el("span", { className: "source-note" }, String(source.description)) : null;
  if (source.type === "url") {
    const href = safeLinkUrl(source.url);
    let host = "";
    try {
      host = href ? new URL(href).host : "";
    } catch {
      host = "";
    }
    const note = String(source.attribution || host);
    return [
      href ? externalLink(href, title || href) : el("span", {}, title || String(source.url ?? "")),
      note ? el("span", { className: "source-note" }, ` — ${note}`) : null,
      description ? [" ", description] : null,
    ];
  }
  if (source.type === "file") {
    return [
      chip(String(source.filename || "file"), "file-chip"),
      title && title !== source.filename ? el("span", {}, ` ${title}`) : null,
      description ? [" ", description] : null,
    ];
  }
  if (source.type === "entity") {
    return [
      el("span", { className: "source-entity" }, title || String(source.label || source.id || "")),
      source.label && source.label !== title ? [" ", chip(String(source.label), "entity-chip")] : null,
      description ? [" ", description] : null,
    ];
  }
  return el("span", {}, title || json(source));
}

// ----- widgets -----

function widget(item) {
  const { article, body } = frame(item, "Widget");
  body.append(renderWidget(item.widget, { copyText: item.copy_text ?? null }));
  return article;
}

// ----- workflows and tasks -----

function duration(seconds) {
  const s = Math.max(0, Math.round(Number(seconds) || 0));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  return s % 60 ? `${m} min ${s % 60} s` : `${m} min`;
}

function workflowSummary(workflow) {
  const summary = workflow?.summary;
  if (summary && typeof summary.title === "string" && summary.title) return summary.title;
  if (summary && summary.duration !== undefined) return `Worked for ${duration(summary.duration)}`;
  return workflow?.type === "reasoning" ? "Reasoning" : "Workflow";
}

function workflowItem(item) {
  const { article, body } = frame(item, "Workflow");
  const workflow = item.workflow ?? {};
  const tasks = Array.isArray(workflow.tasks) ? workflow.tasks : [];
  const count = tasks.length === 1 ? "1 step" : `${tasks.length} steps`;
  body.append(
    details(
      [
        el("span", { className: "workflow-title" }, workflowSummary(workflow)),
        " ",
        el("span", { className: "workflow-count" }, `(${count})`),
      ],
      el(
        "ol",
        { className: "tasks" },
        tasks.map((task) => el("li", {}, renderTask(task))),
      ),
      { open: Boolean(workflow.expanded), className: "workflow" },
    ),
  );
  return article;
}

function taskItem(item) {
  const { article, body } = frame(item, "Task");
  body.append(renderTask(item.task, { open: true }));
  return article;
}

function taskTitle(task) {
  const title = typeof task?.title === "string" && task.title ? task.title : "";
  switch (task?.type) {
    case "custom":
      return title || "Step";
    case "web_search":
      return title || (task.title_query ? `Searched the web for “${task.title_query}”` : "Searched the web");
    case "thought":
      return title || "Thought";
    case "file":
      return title || "Read files";
    case "image":
      return title || "Made an image";
    default:
      return title || `Step (${String(task?.type ?? "unknown")})`;
  }
}

function taskBody(task) {
  switch (task?.type) {
    case "custom":
    case "thought":
      return typeof task.content === "string" && task.content ? renderMarkdown(task.content) : null;
    case "web_search": {
      const queries = (Array.isArray(task.queries) ? task.queries : []).filter((q) => typeof q === "string");
      const parts = [];
      if (queries.length) {
        parts.push(
          el("p", { className: "task-label" }, "Searched for:"),
          el(
            "ul",
            { className: "task-queries" },
            queries.map((q) => el("li", {}, chip(q, "query-chip"))),
          ),
        );
      }
      parts.push(sourceList(Array.isArray(task.sources) ? task.sources : [], "Results"));
      return parts.some(Boolean) ? el("div", {}, parts) : null;
    }
    case "file":
      return sourceList(Array.isArray(task.sources) ? task.sources : [], "Files");
    case "image":
      return null;
    default:
      return typeof task?.content === "string" && task.content ? el("p", {}, task.content) : null;
  }
}

/** One task (standalone or in a workflow): its title, and its content in a <details>. */
export function renderTask(task, { open = false } = {}) {
  const type = cssName(task?.type ?? "unknown");
  const title = el("span", { className: "task-title" }, taskTitle(task));
  const state =
    task?.status_indicator === "loading" ? "in progress" : task?.status_indicator === "complete" ? "done" : "";
  const status = state ? chip(state, `task-status task-status-${cssName(task.status_indicator)}`) : null;
  const body = taskBody(task);
  if (!body)
    return el(
      "div",
      { className: `task task-${type}`, dataset: { taskType: String(task?.type ?? "") } },
      title,
      status ? [" ", status] : null,
    );
  return el(
    "details",
    { className: `task task-${type}`, open, dataset: { taskType: String(task?.type ?? "") } },
    el("summary", {}, title, status ? [" ", status] : null),
    el("div", { className: "task-body" }, body),
  );
}

// ----- tool calls, images, questions -----

function clientToolCall(item) {
  const { article, body } = frame(item, "Tool call", { label: `Tool call ${String(item.name ?? "")}`.trim() });
  const completed = item.status === "completed";
  body.append(
    el(
      "p",
      { className: "tool-head" },
      el("code", { className: "tool-name" }, String(item.name ?? "tool")),
      " ",
      chip(
        completed ? "completed" : "waiting for the app",
        `tool-status tool-status-${completed ? "completed" : "pending"}`,
      ),
    ),
    details("Arguments", codeBlock(json(item.arguments ?? {}), "json"), { className: "tool-arguments" }),
    item.output === undefined || item.output === null
      ? el("p", { className: "muted" }, "No output.")
      : details("Output", codeBlock(json(item.output), "json"), { className: "tool-output" }),
  );
  return article;
}

function generatedImage(item) {
  const { article, body } = frame(item, "Generated image");
  const url = item.image?.url;
  const src = safeImageUrl(url);
  if (src) {
    body.append(
      el(
        "figure",
        { className: "generated-image" },
        el("img", { src, alt: "Generated image", loading: "lazy", decoding: "async" }),
      ),
    );
  } else if (url) {
    body.append(el("p", {}, remoteImageStandIn(String(url), "Open the generated image")));
  } else {
    body.append(el("p", { className: "muted" }, "No image (it was not finished)."));
  }
  return article;
}

function structuredInput(item) {
  const { article, body } = frame(item, "Questions");
  const status = { answered: "Answered", skipped: "Skipped" }[item.status] ?? "Waiting for an answer";
  body.append(
    el("p", { className: "questions-status" }, chip(status, `question-status-${cssName(item.status ?? "pending")}`)),
  );
  const inputs = Array.isArray(item.inputs) ? item.inputs : [];
  body.append(
    el(
      "ol",
      { className: "questions" },
      inputs.map((input) => el("li", { className: "question" }, questionView(input))),
    ),
  );
  return article;
}

function questionView(input) {
  const values = Array.isArray(input?.answer?.values) ? input.answer.values.map(String) : [];
  const parts = [el("p", { className: "question-text" }, String(input?.question ?? ""))];
  if (input?.type === "freeform" && input.description) {
    parts.push(el("p", { className: "question-description" }, String(input.description)));
  }
  if (Array.isArray(input?.options) && input.options.length) {
    parts.push(
      el("p", { className: "task-label" }, input.multiple ? "Options (several may be chosen):" : "Options:"),
      el(
        "ul",
        { className: "options" },
        input.options.map((option) => {
          const value = String(option?.value ?? "");
          const chosen = values.includes(value);
          return el(
            "li",
            { className: chosen ? "option chosen" : "option" },
            chosen ? el("span", { className: "option-mark", "aria-hidden": "true" }, "✓ ") : null,
            value,
            chosen ? el("span", { className: "visually-hidden" }, " (chosen)") : null,
          );
        }),
      ),
    );
  }
  let answer;
  if (input?.answer?.skipped) answer = "Skipped";
  else if (values.length) answer = `Answer: ${values.join(", ")}`;
  else answer = "Not answered";
  parts.push(el("p", { className: "question-answer" }, answer));
  return parts;
}

// ----- end of turn, unknown, broken -----

function endOfTurn(item) {
  const time = timeElement(item?.created_at, "visually-hidden");
  return el(
    "div",
    {
      className: "item item-end_of_turn",
      dataset: { itemType: "end_of_turn", itemId: String(item?.id ?? "") },
    },
    el("hr", { "aria-label": "End of turn" }),
    time,
  );
}

function unsupported(item) {
  const type = typeof item?.type === "string" && item.type ? item.type.slice(0, 80) : "(none)";
  const { article, body } = frame(item, "Unsupported item");
  body.append(
    el("p", { className: "muted" }, `Unsupported item type ${type}: the history browser cannot show it yet.`),
    details("What it holds", codeBlock(json(item), "json"), { className: "item-raw" }),
  );
  return article;
}

function broken(item, err) {
  const what = err?.message ? ` (${err.message})` : "";
  let article;
  let body;
  try {
    ({ article, body } = frame(item, "Item"));
  } catch {
    article = el("article", {
      className: "item item-broken",
      dataset: { itemType: "unknown", itemId: "" },
      "aria-label": "Item",
    });
    body = el("div", { className: "item-body" });
    article.append(body);
  }
  article.classList.add("item-broken");
  body.replaceChildren(el("p", { className: "muted" }, `This item could not be shown${what}.`));
  try {
    body.append(details("What it holds", codeBlock(json(item), "json"), { className: "item-raw" }));
  } catch {
    // The words above are enough.
  }
  return article;
}

const RENDER = {
  user_message: userMessage,
  assistant_message: assistantMessage,
  widget,
  workflow: workflowItem,
  task: taskItem,
  client_tool_call: clientToolCall,
  generated_image: generatedImage,
  structured_input: structuredInput,
  end_of_turn: endOfTurn,
};
