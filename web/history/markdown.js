// Markdown for the history browser: rendered by marked, sanitised by DOMPurify, then made safe
// and readable for an offline page.
//
//   renderMarkdown(text) -> HTMLElement (a <div class="md">)
//
// What it guarantees:
// - Raw HTML in the Markdown is shown as text, never parsed (`<script>` reads as `<script>`);
//   DOMPurify then removes anything unsafe that marked itself could produce.
// - The HTML is parsed into an inert document (DOMParser): nothing in it loads or runs until
//   it has been checked. Images whose address is not this page's own origin (or a `data:`
//   image) are replaced by a link carrying their alt text: a remote image is never fetched.
// - Links open in a new window with `rel="noopener noreferrer"`; only http(s) and mailto
//   addresses stay links.
// - Code blocks get a language label and a Copy button (its result is announced in words);
//   long lines scroll inside the block, wide tables inside their own box.
//
// Also exported: the URL checks and the small DOM builder the item and widget renderers share.

import { Marked } from "../vendor/marked/marked.esm.js";
import createDOMPurify from "../vendor/dompurify/purify.es.mjs";

// ----- small shared helpers -----

/**
 * `el("p", {className: "x", "aria-label": "y"}, "text", child)`: an element in this document.
 * Properties given as `on<event>` are listeners; `dataset` is an object; `null`/`undefined`
 * attributes and children are skipped. Text is always set as text, never as HTML.
 */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "className") node.className = value;
    else if (name === "dataset") Object.assign(node.dataset, value);
    else if (name === "text") node.textContent = String(value);
    else if (name.startsWith("on") && typeof value === "function") {
      node.addEventListener(name.slice(2), value);
    } else if (name in node && typeof value !== "string") node[name] = value;
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
}

/** The URL `raw` names, resolved against the page, or null. */
function parseUrl(raw) {
  if (typeof raw !== "string" || raw.trim() === "") return null;
  try {
    return new URL(raw.trim(), location.href);
  } catch {
    return null;
  }
}

const DATA_IMAGE = /^data:image\/(?:png|jpeg|jpg|gif|webp|avif|bmp|x-icon|svg\+xml)[;,]/i;

/**
 * `raw` if an `<img src>` may hold it: this page's own origin (the local server), a `data:`
 * image or a `blob:` URL of this page. Anything else (a remote host, another port) is null:
 * the history browser never makes a request that leaves the machine.
 */
export function safeImageUrl(raw) {
  const url = parseUrl(raw);
  if (!url) return null;
  if (url.protocol === "data:") return DATA_IMAGE.test(raw.trim()) ? raw.trim() : null;
  if (url.protocol === "blob:") return url.origin === location.origin ? url.href : null;
  if ((url.protocol === "http:" || url.protocol === "https:") && url.origin === location.origin) {
    return url.href;
  }
  return null;
}

/** `raw` if it may be a link (`http:`, `https:`, `mailto:`), else null. */
export function safeLinkUrl(raw) {
  const url = parseUrl(raw);
  if (!url) return null;
  return ["http:", "https:", "mailto:"].includes(url.protocol) ? url.href : null;
}

/** A link that opens in a new window without giving it this page (or its address). */
export function externalLink(href, text, attrs = {}) {
  return el("a", { ...attrs, href, target: "_blank", rel: "noopener noreferrer" }, text);
}

/**
 * What stands in for an image that is not loaded (a remote address): its alt text as a link to
 * it when the address may be a link, plain text otherwise.
 */
export function remoteImageStandIn(src, alt) {
  const label = (alt ?? "").trim() || "image";
  const href = safeLinkUrl(src);
  return el(
    "span",
    { className: "remote-image", title: href ? `Remote image, not loaded: ${href}` : null },
    el("span", { className: "remote-image-note" }, "Image (not loaded): "),
    href ? externalLink(href, label) : label,
  );
}

// ----- Markdown -----

const ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
const escapeHtml = (text) => String(text).replace(/[&<>"']/g, (c) => ESCAPES[c]);

const markdown = new Marked({
  gfm: true,
  breaks: false,
  renderer: {
    // Raw HTML is shown as the text it is: a message about `<img onerror=…>` stays readable,
    // and nothing the model wrote can become markup.
    html({ text, block }) {
      const escaped = escapeHtml(text);
      return block ? `<p class="md-raw-html">${escaped}</p>\n` : escaped;
    },
  },
});

const purify = createDOMPurify(window);
const PURIFY_CONFIG = {
  USE_PROFILES: { html: true },
  FORBID_TAGS: [
    "style",
    "form",
    "button",
    "textarea",
    "select",
    "option",
    "dialog",
    "template",
    "video",
    "audio",
    "source",
    "track",
    "picture",
    "iframe",
    "frame",
    "object",
    "embed",
    "link",
    "meta",
    "base",
    "svg",
    "math",
  ],
  FORBID_ATTR: ["style", "srcset", "sizes", "id", "name", "action", "formaction", "background", "poster", "ping"],
  ALLOW_DATA_ATTR: false,
  ALLOW_ARIA_ATTR: false,
};

/** Markdown text as a sanitised, safe `<div class="md">` of this document. */
export function renderMarkdown(text) {
  const container = el("div", { className: "md" });
  const source = typeof text === "string" ? text : String(text ?? "");
  let html;
  try {
    html = markdown.parse(source, { async: false });
  } catch {
    container.append(el("p", { className: "md-plain" }, source));
    return container;
  }
  const clean = purify.sanitize(html, PURIFY_CONFIG);
  // An inert document: nothing loads or runs here while it is being checked.
  const inert = new DOMParser().parseFromString(`<!doctype html><body>${clean}`, "text/html");
  neutralise(inert);
  for (const node of [...inert.body.childNodes]) container.append(document.adoptNode(node));
  enhanceCodeBlocks(container);
  return container;
}

/** Remote images out, links safe, tables boxed, task-list boxes inert (in the inert doc). */
function neutralise(doc) {
  for (const img of [...doc.querySelectorAll("img")]) {
    const src = img.getAttribute("src") ?? "";
    const alt = img.getAttribute("alt") ?? "";
    const safe = safeImageUrl(src);
    if (safe) {
      img.setAttribute("src", safe);
      img.setAttribute("loading", "lazy");
      img.setAttribute("decoding", "async");
      img.setAttribute("alt", alt);
      continue;
    }
    img.replaceWith(doc.adoptNode(remoteImageStandIn(src, alt)));
  }
  for (const link of [...doc.querySelectorAll("a")]) {
    const href = safeLinkUrl(link.getAttribute("href"));
    if (!href) {
      // Not a web or mail address: keep the words, drop the link.
      link.replaceWith(...link.childNodes);
      continue;
    }
    link.setAttribute("href", href);
    link.setAttribute("target", "_blank");
    link.setAttribute("rel", "noopener noreferrer");
  }
  for (const input of [...doc.querySelectorAll("input")]) {
    if (input.getAttribute("type") !== "checkbox") {
      input.remove();
      continue;
    }
    input.setAttribute("disabled", "");
  }
  for (const table of [...doc.querySelectorAll("table")]) {
    const box = doc.createElement("div");
    box.className = "md-table";
    box.setAttribute("tabindex", "0");
    box.setAttribute("role", "region");
    box.setAttribute("aria-label", "Table");
    table.replaceWith(box);
    box.append(table);
  }
}

/** The language a `<code class="language-x">` names, or "". */
function languageOf(code) {
  for (const name of code.classList) {
    if (name.startsWith("language-")) return name.slice("language-".length).replace(/[^\w#+.-]/g, "");
  }
  return "";
}

function enhanceCodeBlocks(container) {
  for (const pre of [...container.querySelectorAll("pre")]) {
    const code = pre.querySelector("code") ?? pre;
    const text = (code.textContent ?? "").replace(/\n$/, "");
    const spot = document.createComment("code");
    pre.replaceWith(spot); // the block below takes `pre` inside itself
    spot.replaceWith(codeBlock(text, languageOf(code), pre));
  }
}

/**
 * A code block: a header with its language and a Copy button (the result is said in words in
 * a live region), then the code, scrolling sideways inside its own box. `pre` may be given
 * (from Markdown) or is made from `text`.
 */
export function codeBlock(text, language = "", pre = null) {
  const body = pre ?? el("pre", {}, el("code", {}, text));
  body.setAttribute("tabindex", "0");
  body.setAttribute("aria-label", language ? `${language} code` : "Code");
  const status = el("span", { className: "code-status", role: "status", "aria-live": "polite" });
  let clear = 0;
  const say = (words, kind) => {
    clearTimeout(clear);
    status.textContent = words;
    status.dataset.kind = kind;
    if (kind === "ok") clear = setTimeout(() => (status.textContent = ""), 4000);
  };
  const copy = el(
    "button",
    {
      type: "button",
      className: "code-copy",
      title: language ? `Copy the ${language} code` : "Copy the code",
      onclick: async () => {
        status.textContent = "";
        try {
          if (!navigator.clipboard?.writeText) throw new Error("this window has no clipboard access");
          await navigator.clipboard.writeText(text);
          say("Copied", "ok");
        } catch (err) {
          const why =
            err?.name === "NotAllowedError" ? "the clipboard was not allowed" : err?.message || "unknown error";
          say(`Could not copy (${why}). Select the code and copy it by hand.`, "fail");
        }
      },
    },
    "Copy",
  );
  return el(
    "figure",
    { className: "code-block" },
    el(
      "figcaption",
      { className: "code-head" },
      el("span", { className: "code-lang" }, language || "code"),
      copy,
      status,
    ),
    body,
  );
}
