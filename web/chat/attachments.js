// The built-in client's attachments: the files picked for the next message, uploaded at once.
//
//   import { AttachmentTray } from "/static/chat/attachments.js";
//   const tray = new AttachmentTray({ api, onChange: (tray) => updateSendButton() });
//   composer.append(tray.element);           // the chips, a hidden file input, a message line
//   attachButton.onclick = () => tray.pick();
//   tray.watch(composerBox);                  // optional: drop and paste files there too
//   // on send: if (tray.busy()) wait; input.attachments = tray.attachments().map((a) => a.id);
//   // once the server accepted the message: tray.clear() (the files now belong to it)
//
// The same upload flow as the ChatKit widget with this server (http/uploads.py): the widget's
// "direct" strategy. `GET /api/uploads/url` gives a signed, short-lived upload address and the
// limits (`max_bytes`, `allowed_types`); each file is POSTed to that address as multipart form data
// with one field `file`, and the answer is the SDK's Attachment JSON (`{id, type: "image"|"file",
// name, mime_type, preview_url?}`), stored with no thread until a message uses it. The signed
// address authorises the upload by itself, so no token is involved here (it stays in api.js), and
// XMLHttpRequest can report the upload's progress. Removing an uploaded file before sending asks
// the server to delete it (`attachments.delete`). Two-phase uploads (`attachments.create`) are
// not offered by this server (501).
//
// Limits are checked before anything is sent, with the widget's numbers (`attachmentsOption` in
// chatkit-host.js): at most `maxCount` files per message, `maxSize` bytes each, only the types the
// server takes (by the browser's type, or the name's ending when the browser gives none). The
// server checks again (it sniffs the content); its refusals are shown in its own words.

import { attachmentsOption } from "/static/chatkit-host.js";
import { el, ensureStylesheet } from "/static/history/util.js";

const STYLESHEET = "/static/chat/composer-extras.css";
const TYPES_IN_WORDS =
  "PNG, JPEG, GIF or WebP images, PDF documents, and plain text, Markdown, CSV or JSON files";
// Ask for a new upload address when the one we hold has less than this left (ms).
const GRANT_MARGIN_MS = 60_000;
const BUSY_WORDS = "Files can be added once the answer is finished.";

const TYPE_ALIASES = {
  "image/jpg": "image/jpeg",
  "image/pjpeg": "image/jpeg",
  "text/x-markdown": "text/markdown",
  "text/md": "text/markdown",
  "text/x-csv": "text/csv",
  "application/csv": "text/csv",
  "text/json": "application/json",
};

const TYPE_LABELS = {
  "image/png": ["PNG", "PNG image"],
  "image/jpeg": ["JPG", "JPEG image"],
  "image/gif": ["GIF", "GIF image"],
  "image/webp": ["WEBP", "WebP image"],
  "application/pdf": ["PDF", "PDF document"],
  "text/plain": ["TXT", "Text file"],
  "text/markdown": ["MD", "Markdown file"],
  "text/csv": ["CSV", "CSV file"],
  "application/json": ["JSON", "JSON file"],
};

let trays = 0;

/** "812 bytes", "12 KB", "3.4 MB" (1 KB = 1024 bytes, as the server's "20 MiB" limit). */
export function formatSize(bytes) {
  if (!(bytes >= 0)) return "";
  if (bytes < 1024) return `${bytes} byte${bytes === 1 ? "" : "s"}`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  const mb = bytes / (1024 * 1024);
  return `${mb < 10 ? mb.toFixed(1).replace(/\.0$/, "") : Math.round(mb)} MB`;
}

function extensionOf(name) {
  const match = /\.[^./\\]+$/.exec(String(name || "").toLowerCase());
  return match ? match[0] : "";
}

/** An upload the server (or the network) refused, in words. */
class UploadError extends Error {
  constructor(message, { status = 0, code = "" } = {}) {
    super(message);
    this.name = "UploadError";
    this.status = status;
    this.code = code;
  }
}

/** The signed upload address and the limits, from `GET /api/uploads/url`, kept fresh. */
class UploadGrant {
  constructor(api) {
    this.api = api;
    this.value = null; // {url, expiresAt (ms), maxBytes, allowedTypes}
    this.pending = null;
    this.unsupported = false;
  }

  fresh() {
    return this.value && this.value.expiresAt - Date.now() > GRANT_MARGIN_MS ? this.value : null;
  }

  /** The current grant; asks the server when there is none or it is about to expire. */
  async get({ renew = false } = {}) {
    if (this.unsupported) throw new UploadError("This server does not take attachments.", { status: 404 });
    if (!renew && this.fresh()) return this.value;
    this.pending ??= this.fetch().finally(() => {
      this.pending = null;
    });
    return this.pending;
  }

  async fetch() {
    let data;
    try {
      data = await this.api.request("GET", "/api/uploads/url");
    } catch (err) {
      if (err?.status === 404 || err?.status === 405) {
        this.unsupported = true;
        throw new UploadError("This server does not take attachments.", { status: err.status });
      }
      throw new UploadError(`Could not get an upload address from the app's server: ${err?.message ?? err}`, {
        status: err?.status ?? 0,
      });
    }
    const url = new URL(String(data?.url ?? ""), location.origin);
    if (url.origin !== location.origin) throw new UploadError("The upload address is not on this app's server.");
    const expiresAt = (Number(data.expires_at) || 0) * 1000 || Date.now() + 5 * 60_000;
    this.value = {
      url: url.href,
      expiresAt,
      maxBytes: Number(data.max_bytes) || 0,
      allowedTypes: Array.isArray(data.allowed_types) ? data.allowed_types.map(String) : null,
    };
    return this.value;
  }
}

/** The limits the widget uses, for a grant (or the defaults before one arrived). */
function limitsOf(grant) {
  const option = attachmentsOption({
    url: "x",
    maxBytes: grant?.maxBytes ?? 0,
    allowedTypes: grant?.allowedTypes ?? null,
  });
  const byExtension = new Map();
  for (const [type, extensions] of Object.entries(option.accept)) {
    for (const ext of extensions) byExtension.set(ext, type);
  }
  return {
    maxSize: option.maxSize,
    maxCount: option.maxCount,
    types: Object.keys(option.accept),
    byExtension,
    accept: Object.entries(option.accept)
      .flatMap(([type, extensions]) => [type, ...extensions])
      .join(","),
  };
}

/** POSTs `blob` (named `name`) to the signed `url`; resolves to the Attachment JSON. */
function postFile(url, blob, name, onProgress) {
  const xhr = new XMLHttpRequest();
  const promise = new Promise((resolve, reject) => {
    xhr.open("POST", url);
    xhr.responseType = "text";
    xhr.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    });
    xhr.addEventListener("load", () => {
      let data = null;
      try {
        data = JSON.parse(xhr.responseText);
      } catch {
        // Not JSON: handled below.
      }
      if (xhr.status === 200 && data && typeof data.id === "string") {
        resolve(data);
        return;
      }
      const error = data?.error ?? {};
      reject(
        new UploadError(error.message || `The server answered HTTP ${xhr.status}.`, {
          status: xhr.status,
          code: error.code ?? "",
        }),
      );
    });
    xhr.addEventListener("error", () =>
      reject(new UploadError("The upload did not reach the app's server (it may have stopped).")),
    );
    xhr.addEventListener("abort", () => reject(new DOMException("The upload was cancelled.", "AbortError")));
    const form = new FormData();
    form.append("file", blob, name);
    xhr.send(form);
  });
  return { promise, abort: () => xhr.abort() };
}

/**
 * The files picked for the next message: chips (name, thumbnail or type badge, progress, errors in
 * words, a remove button) and a hidden file input, in `element`.
 */
export class AttachmentTray {
  constructor({ api, onChange } = {}) {
    ensureStylesheet(STYLESHEET);
    this.api = api;
    this.onChange = typeof onChange === "function" ? onChange : () => {};
    this.grant = new UploadGrant(api);
    this.entries = []; // {key, file, name, type, state: uploading|done|error, attachment, error, chip, ...}
    this.enabled = true;
    this.unavailable = ""; // why attachments are off altogether ("" while they work)
    this.watchers = new Set();
    this.nextKey = 0;
    const id = `chat-attachments-${++trays}`;

    this.input = el("input", {
      type: "file",
      multiple: true,
      hidden: true,
      tabIndex: -1,
      accept: limitsOf(null).accept,
      attrs: { "aria-hidden": "true" },
      dataset: { chat: "attachment-input" },
    });
    this.input.addEventListener("change", () => {
      const files = Array.from(this.input.files ?? []);
      this.input.value = "";
      if (files.length) this.addFiles(files);
    });
    this.list = el("ul", {
      className: "attachment-chips",
      hidden: true,
      attrs: { "aria-label": "Files to send with the message" },
    });
    this.message = el("p", {
      className: "attachment-message",
      id: `${id}-message`,
      hidden: true,
      attrs: { role: "alert" },
      dataset: { chat: "attachment-message" },
    });
    this.live = el("p", { className: "attachment-live visually-hidden", attrs: { "aria-live": "polite" } });
    this.element = el(
      "div",
      { className: "attachment-tray", id, dataset: { chat: "attachments", empty: "true" } },
      this.input,
      this.list,
      this.message,
      this.live,
    );
    this.watch(this.element);

    // The limits and the first upload address, before the first file is picked.
    this.grant
      .get()
      .then((grant) => {
        this.input.accept = limitsOf(grant).accept;
      })
      .catch((err) => {
        if (this.grant.unsupported) {
          this.unavailable = err.message;
          this.setEnabled(false);
          this.say(err.message);
          this.onChange(this);
        }
      });
  }

  // ----- the contract -----

  /** Opens the browser's file picker (nothing while disabled). */
  pick() {
    if (!this.enabled) {
      if (this.unavailable) this.say(this.unavailable);
      return;
    }
    this.input.click();
  }

  /**
   * Adds files (a FileList or an array of File): each is checked against the limits, then
   * uploaded. Resolves when every upload it started has ended (uploaded or refused).
   */
  addFiles(fileList) {
    const files = Array.from(fileList ?? []).filter((file) => file instanceof Blob);
    if (!files.length) return Promise.resolve();
    if (!this.enabled) {
      this.say(this.unavailable || BUSY_WORDS);
      return Promise.resolve();
    }
    this.say("");
    const limits = limitsOf(this.grant.value);
    const room = limits.maxCount - this.entries.filter((e) => e.state !== "error").length;
    const accepted = files.slice(0, Math.max(0, room));
    const left = files.slice(accepted.length);
    if (left.length) {
      const names = left.map((f) => `\u201c${f.name || "pasted file"}\u201d`).join(", ");
      this.say(
        `At most ${limits.maxCount} files can go with one message: ${names} ` +
          `${left.length === 1 ? "was" : "were"} not added.`,
      );
    }
    const uploads = accepted.map((file) => this.add(file, limits));
    this.render();
    this.onChange(this);
    return Promise.all(uploads).then(() => undefined);
  }

  /** True while a file is being uploaded: the message must wait (or go without it). */
  busy() {
    return this.entries.some((e) => e.state === "uploading");
  }

  /** The uploaded attachments as the server returned them, in the order they were added. */
  attachments() {
    return this.entries.filter((e) => e.state === "done").map((e) => e.attachment);
  }

  /** Empties the tray without deleting anything on the server (the message was sent with them). */
  clear() {
    for (const entry of this.entries) this.dispose(entry);
    this.entries = [];
    this.say("");
    this.render();
    this.onChange(this);
  }

  /** Enables or disables picking, dropping and removing (while a message is being sent). */
  setEnabled(enabled) {
    this.enabled = Boolean(enabled) && !this.unavailable;
    this.input.disabled = !this.enabled;
    this.element.dataset.disabled = String(!this.enabled);
    for (const button of this.list.querySelectorAll("button")) button.disabled = !this.enabled;
  }

  // ----- extras -----

  /** Removes every file, deleting the uploaded ones on the server (a draft thrown away). */
  discard() {
    const uploaded = this.attachments();
    this.clear();
    for (const attachment of uploaded) this.deleteOnServer(attachment);
  }

  /**
   * Accepts files dropped on or pasted into `target` too (the composer, say). Returns a function
   * that stops it. While files are dragged over it, `target` has `data-attach-drop="active"`.
   */
  watch(target) {
    if (!target || this.watchers.has(target)) return () => {};
    let depth = 0;
    const carriesFiles = (event) => Array.from(event.dataTransfer?.types ?? []).includes("Files");
    const setActive = (active) => {
      if (active) target.dataset.attachDrop = "active";
      else delete target.dataset.attachDrop;
    };
    const handlers = {
      dragenter: (event) => {
        if (!carriesFiles(event)) return;
        event.preventDefault();
        depth += 1;
        setActive(this.enabled);
      },
      dragover: (event) => {
        if (!carriesFiles(event)) return;
        // Always taken (a file dropped where nobody takes it would replace the page).
        event.preventDefault();
        event.dataTransfer.dropEffect = this.enabled ? "copy" : "none";
      },
      dragleave: (event) => {
        if (!carriesFiles(event)) return;
        depth = Math.max(0, depth - 1);
        if (depth === 0) setActive(false);
      },
      drop: (event) => {
        if (!carriesFiles(event)) return;
        depth = 0;
        setActive(false);
        // Handled already (an inner drop target of this tray, or the client's own code).
        if (event.defaultPrevented) return;
        event.preventDefault();
        if (this.enabled) this.addFiles(event.dataTransfer.files);
        else this.say(this.unavailable || BUSY_WORDS);
      },
      paste: (event) => {
        const files = Array.from(event.clipboardData?.files ?? []);
        if (!files.length || event.defaultPrevented) return;
        event.preventDefault();
        this.addFiles(files);
      },
    };
    for (const [type, handler] of Object.entries(handlers)) target.addEventListener(type, handler);
    const stop = () => {
      for (const [type, handler] of Object.entries(handlers)) target.removeEventListener(type, handler);
      setActive(false);
      this.watchers.delete(target);
    };
    this.watchers.add(target);
    return stop;
  }

  // ----- one file -----

  add(file, limits) {
    const name = file.name || "pasted file";
    const type = this.typeOf(file, limits);
    const entry = {
      key: ++this.nextKey,
      file,
      name,
      type,
      state: "uploading",
      progress: 0,
      attachment: null,
      error: "",
      abort: null,
      objectUrl: null,
      chip: null,
    };
    this.entries.push(entry);
    const problem = this.check(file, name, type, limits);
    if (problem) {
      this.fail(entry, problem, { quiet: true });
      this.announce(`${name} was not added: ${problem}`);
      return Promise.resolve();
    }
    if (type.startsWith("image/")) entry.objectUrl = URL.createObjectURL(file);
    this.announce(`Uploading ${name}.`);
    return this.upload(entry);
  }

  /** The type the file is sent as: the browser's (canonical) or, if it gave none we take,
   * the one the name's ending implies; "" when neither is allowed. */
  typeOf(file, limits) {
    const declared = String(file.type || "").split(";")[0].trim().toLowerCase();
    const canonical = TYPE_ALIASES[declared] ?? declared;
    if (limits.types.includes(canonical)) return canonical;
    const byName = limits.byExtension.get(extensionOf(file.name));
    // Images and PDF are recognised by their content on the server; a text type by the ending
    // only when the browser gave no type of its own we could use (e.g. .md, or Windows' type
    // for .csv files).
    if (byName && (!declared || declared === "application/octet-stream" || byName.startsWith("text/") || byName === "application/json")) {
      return byName;
    }
    return "";
  }

  check(file, name, type, limits) {
    if (!type) {
      const what = file.type || "a file of an unknown type";
      return `This type of file cannot be attached (${what}). You can attach ${TYPES_IN_WORDS}.`;
    }
    if (file.size === 0) return "The file is empty.";
    if (file.size > limits.maxSize) {
      const limit = formatSize(limits.maxSize);
      const size = formatSize(file.size) === limit ? `more than ${limit}` : formatSize(file.size);
      return `Too large: ${size}; the limit is ${limit} per file.`;
    }
    return "";
  }

  async upload(entry, { renewed = false } = {}) {
    let grant;
    try {
      grant = await this.grant.get({ renew: renewed });
    } catch (err) {
      if (this.entries.includes(entry)) this.fail(entry, err.message);
      return;
    }
    if (!this.entries.includes(entry)) return; // removed meanwhile
    // Sent with the type we decided on (Blob.slice shares the bytes): the server checks it
    // against the content.
    const blob = entry.file.slice(0, entry.file.size, entry.type);
    const request = postFile(grant.url, blob, entry.name, (fraction) => this.progress(entry, fraction));
    entry.abort = request.abort;
    try {
      entry.attachment = await request.promise;
    } catch (err) {
      entry.abort = null;
      if (err?.name === "AbortError" || !this.entries.includes(entry)) return;
      if (!renewed && err.status === 403 && /signature/.test(err.code)) {
        // The address expired (a computer asleep): once more with a new one.
        return this.upload(entry, { renewed: true });
      }
      this.fail(entry, this.refusal(err));
      return;
    }
    entry.abort = null;
    if (!this.entries.includes(entry)) {
      // Removed while the answer was on its way: it exists on the server now, so delete it.
      this.deleteOnServer(entry.attachment);
      return;
    }
    entry.state = "done";
    entry.progress = 1;
    this.renderChip(entry);
    this.announce(`${entry.name} is attached.`);
    this.onChange(this);
  }

  refusal(err) {
    const words = err.message || "no reason given";
    if (err.status === 413) return `Too large for the server: ${words}`;
    if (err.status === 415) return `The server does not take this file: ${words}`;
    if (err.status === 0) return words;
    return `The server refused the file: ${words}`;
  }

  fail(entry, message, { quiet = false } = {}) {
    entry.state = "error";
    entry.error = message;
    entry.abort = null;
    this.renderChip(entry);
    if (!quiet) {
      this.announce(`${entry.name} could not be attached: ${message}`);
      this.onChange(this);
    }
  }

  progress(entry, fraction) {
    entry.progress = Math.max(0, Math.min(1, fraction));
    const bar = entry.chip?.querySelector("progress");
    if (bar) bar.value = Math.round(entry.progress * 100);
    const detail = entry.chip?.querySelector(".attachment-detail");
    if (detail && entry.state === "uploading") detail.textContent = `Uploading… ${Math.round(entry.progress * 100)}%`;
  }

  remove(entry) {
    const index = this.entries.indexOf(entry);
    if (index < 0) return;
    this.entries.splice(index, 1);
    if (entry.state === "done" && entry.attachment) this.deleteOnServer(entry.attachment);
    this.dispose(entry);
    // Focus stays in the tray: the next chip's remove button, else the previous one, else the
    // composer (DOM contract: [data-chat=composer] in [data-chat=root]).
    const chip = entry.chip;
    const next = chip?.nextElementSibling ?? chip?.previousElementSibling;
    const hadFocus = chip?.contains(document.activeElement);
    chip?.remove();
    this.render();
    this.announce(`${entry.name} removed.`);
    if (hadFocus) {
      const target =
        next?.querySelector("button") ??
        this.element.closest("[data-chat=root]")?.querySelector("[data-chat=composer]") ??
        null;
      target?.focus();
    }
    this.onChange(this);
  }

  deleteOnServer(attachment) {
    if (!attachment?.id || typeof this.api?.chatkit !== "function") return;
    this.api.chatkit("attachments.delete", { attachment_id: attachment.id }).catch((err) => {
      console.warn(`The server kept the removed attachment ${attachment.id}:`, err?.message ?? err);
    });
  }

  dispose(entry) {
    if (entry.abort) {
      const abort = entry.abort;
      entry.abort = null;
      abort();
    }
    if (entry.objectUrl) {
      URL.revokeObjectURL(entry.objectUrl);
      entry.objectUrl = null;
    }
  }

  // ----- drawing -----

  render() {
    const chips = this.entries.map((entry) => entry.chip ?? this.renderChip(entry));
    this.list.replaceChildren(...chips);
    this.list.hidden = chips.length === 0;
    this.element.dataset.empty = String(chips.length === 0 && this.message.hidden);
  }

  renderChip(entry) {
    const [badge, kind] = TYPE_LABELS[entry.type] ?? ["FILE", "File"];
    let thumb;
    if (entry.objectUrl && entry.state !== "error") {
      const img = el("img", { alt: "", src: entry.objectUrl, decoding: "async" });
      img.addEventListener("error", () => img.replaceWith(el("span", { className: "attachment-badge" }, badge)));
      thumb = el("span", { className: "attachment-thumb", attrs: { "aria-hidden": "true" } }, img);
    } else {
      thumb = el(
        "span",
        { className: "attachment-thumb", attrs: { "aria-hidden": "true" } },
        el("span", { className: "attachment-badge" }, entry.state === "error" ? "!" : badge),
      );
    }
    let detail;
    if (entry.state === "uploading") detail = `Uploading… ${Math.round(entry.progress * 100)}%`;
    else if (entry.state === "done") detail = `${kind}, ${formatSize(entry.file.size)}`;
    else detail = entry.error;
    const detailId = `${this.element.id}-detail-${entry.key}`;
    const remove = el(
      "button",
      {
        type: "button",
        className: "attachment-remove",
        disabled: !this.enabled,
        title: entry.state === "uploading" ? "Cancel the upload" : "Remove",
        attrs: {
          "aria-label": `${entry.state === "uploading" ? "Cancel" : "Remove"} ${entry.name}`,
          "aria-describedby": detailId,
        },
        dataset: { chat: "attachment-remove" },
      },
      el("span", { attrs: { "aria-hidden": "true" } }, "\u00d7"),
    );
    remove.addEventListener("click", () => this.remove(entry));
    const chip = el(
      "li",
      {
        className: "attachment-chip",
        title: entry.name,
        dataset: { attachmentState: entry.state, ...(entry.attachment ? { attachmentId: entry.attachment.id } : {}) },
      },
      thumb,
      el(
        "span",
        { className: "attachment-text" },
        el("span", { className: "attachment-name" }, entry.name),
        el("span", { className: "attachment-detail", id: detailId }, detail),
      ),
      entry.state === "uploading"
        ? el("progress", {
            max: 100,
            value: Math.round(entry.progress * 100),
            attrs: { "aria-label": `Uploading ${entry.name}` },
          })
        : null,
      remove,
    );
    const hadFocus = entry.chip?.contains(document.activeElement);
    if (entry.chip?.isConnected) entry.chip.replaceWith(chip);
    entry.chip = chip;
    if (hadFocus) remove.focus();
    return chip;
  }

  /** A message under the chips (role=alert); "" hides it. */
  say(text) {
    this.message.textContent = text;
    this.message.hidden = !text;
    this.element.dataset.empty = String(this.entries.length === 0 && !text);
  }

  announce(text) {
    // Screen readers: progress and outcomes, politely (errors are also in the chip).
    this.live.textContent = text;
  }
}
