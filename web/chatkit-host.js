// OpenAI's ChatKit web component: loading it from the CDN, its options, and its events.
//
// The component is a script on OpenAI's CDN that cannot be self-hosted; it needs the internet on
// every load. When it does not define `<openai-chatkit>` in time, `loadChatKit` rejects with a
// reason in words and the page switches to the built-in client instead (never a blank page).
// Nothing here runs unless the user's interface setting is "chatkit": with "builtin" the page
// never adds the script.

import { authFetch, request, ApiError } from "/static/api.js";

export const CHATKIT_SCRIPT = "https://cdn.platform.openai.com/deployments/chatkit/chatkit.js";
export const LOAD_TIMEOUT_MS = 4000;
const MiB = 1024 * 1024;

// File types the server takes (GET /api/uploads/url says which: `allowed_types`) and the file
// name endings the file picker offers for each.
const EXTENSIONS = {
  "image/png": [".png"],
  "image/jpeg": [".jpg", ".jpeg"],
  "image/gif": [".gif"],
  "image/webp": [".webp"],
  "application/pdf": [".pdf"],
  "text/plain": [".txt", ".text", ".log"],
  "text/markdown": [".md", ".markdown"],
  "text/csv": [".csv"],
  "application/json": [".json"],
};
export const ATTACHMENT_DEFAULTS = { maxSize: 20 * MiB, maxCount: 5, types: Object.keys(EXTENSIONS) };

/** The composer's `attachments` option for an upload URL answer (or off without one). */
export function attachmentsOption(upload) {
  if (!upload?.url) return { enabled: false };
  const types = upload.allowedTypes?.length ? upload.allowedTypes : ATTACHMENT_DEFAULTS.types;
  const accept = Object.fromEntries(types.map((type) => [type, EXTENSIONS[type] ?? []]));
  const maxSize = upload.maxBytes > 0 ? Math.min(upload.maxBytes, ATTACHMENT_DEFAULTS.maxSize) : ATTACHMENT_DEFAULTS.maxSize;
  return { enabled: true, maxSize, maxCount: ATTACHMENT_DEFAULTS.maxCount, accept };
}

export const START_PROMPTS = [
  { label: "Explain something", prompt: "Explain how public-key cryptography works, simply.", icon: "book-open" },
  { label: "Improve my writing", prompt: "Improve the wording of this text: ", icon: "write" },
  { label: "Summarise a document", prompt: "Summarise the attached document in five bullet points.", icon: "document" },
  { label: "Plan my day", prompt: "Help me plan my day. Here is what I need to do: ", icon: "calendar" },
];

class ChatKitUnavailable extends Error {
  constructor(message) {
    super(message);
    this.name = "ChatKitUnavailable";
  }
}

let scriptPromise = null;

/**
 * Adds the CDN script (once) and resolves when `<openai-chatkit>` is defined. Rejects with a
 * `ChatKitUnavailable` whose message says what happened: the script failed to load (offline,
 * firewall), it loaded but defined nothing (the CDN changed), or nothing happened in time.
 */
export function loadChatKit(timeoutMs = LOAD_TIMEOUT_MS) {
  if (customElements.get("openai-chatkit")) return Promise.resolve();
  scriptPromise ??= new Promise((resolve, reject) => {
    const defined = customElements.whenDefined("openai-chatkit");
    let timer = setTimeout(() => {
      reject(
        new ChatKitUnavailable(
          `The ChatKit interface did not arrive from OpenAI's servers within ${timeoutMs / 1000} seconds ` +
            "(you may be offline, or the connection is very slow).",
        ),
      );
    }, timeoutMs);
    const finish = (fn, value) => {
      clearTimeout(timer);
      fn(value);
    };
    defined.then(() => finish(resolve));
    const script = document.createElement("script");
    script.src = CHATKIT_SCRIPT;
    script.async = true;
    script.addEventListener("error", () => {
      // A later attempt (the interface chosen again in Settings) adds a fresh script.
      script.remove();
      scriptPromise = null;
      finish(
        reject,
        new ChatKitUnavailable(
          "The ChatKit interface could not be loaded from OpenAI's servers " +
            "(you may be offline, or a firewall blocks cdn.platform.openai.com).",
        ),
      );
    });
    script.addEventListener("load", () => {
      if (customElements.get("openai-chatkit")) return;
      // Loaded but nothing defined yet: give it a moment, then give up.
      clearTimeout(timer);
      timer = setTimeout(
        () =>
          reject(
            new ChatKitUnavailable(
              "OpenAI's ChatKit script loaded but did not provide the chat interface " +
                "(OpenAI may have changed it; an update of chatkit-desktop may be needed).",
            ),
          ),
        1000,
      );
    });
    // Added after the page's own `load` event, so that a hanging CDN never holds that event
    // (and whatever waits for it, such as the desktop window's "page loaded") back.
    if (document.readyState === "complete") document.head.append(script);
    else addEventListener("load", () => document.head.append(script), { once: true });
  });
  return scriptPromise;
}

/** Resolves when `<openai-chatkit>` gets defined, however late (for the "switch now" offer). */
export function whenChatKitDefined() {
  return customElements.whenDefined("openai-chatkit");
}

/** The composer's model picker: the active provider's models, its current model the default. */
export function modelOptions(settings) {
  const provider = settings?.providers?.find((p) => p.id === settings.provider);
  if (!provider) return [];
  const current = settings.model || provider.model;
  const ids = [...new Set([current, ...provider.models].filter(Boolean))];
  return ids.map((id) => ({ id, label: id, ...(id === current ? { default: true } : {}) }));
}

/**
 * The signed upload URL, kept fresh. `GET /api/uploads/url` answers
 * `{"url": "...", "expires_at": <unix seconds>, "max_bytes"?, "allowed_types"?}`; a 404 means
 * this server has no upload endpoint, and attachments stay off.
 */
class UploadUrl {
  constructor(onChange) {
    this.onChange = onChange;
    this.url = null;
    this.expiresAt = 0;
    this.timer = null;
    this.maxBytes = 0;
    this.allowedTypes = null;
    this.unsupported = false;
    document.addEventListener("visibilitychange", () => {
      // Timers sleep in hidden windows: on return, refresh at once if the URL is (nearly) stale.
      if (document.visibilityState === "visible" && this.url && this.expiresAt * 1000 - Date.now() < 30000) {
        this.refresh();
      }
    });
  }

  async refresh() {
    clearTimeout(this.timer);
    if (this.unsupported) return;
    const before = this.url;
    try {
      const data = await request("GET", "/api/uploads/url");
      const url = new URL(data.url, location.origin);
      if (url.origin !== location.origin) throw new Error("the upload URL is not on this server");
      this.url = url.href;
      this.expiresAt = Number(data.expires_at) || 0;
      this.maxBytes = Number(data.max_bytes) || 0;
      this.allowedTypes = Array.isArray(data.allowed_types) ? data.allowed_types.map(String) : null;
      const lifetime = Math.max(0, this.expiresAt * 1000 - Date.now());
      const delay = Math.max(1000, lifetime - Math.min(60000, lifetime / 5));
      this.timer = setTimeout(() => this.refresh(), delay);
    } catch (err) {
      this.url = null;
      if (err instanceof ApiError && (err.status === 404 || err.status === 405)) {
        this.unsupported = true;
      } else {
        console.warn("Attachments are off for now: no upload URL.", err.message);
        this.timer = setTimeout(() => this.refresh(), 60000);
      }
    }
    if (this.url !== before) this.onChange();
  }
}

/**
 * Mounts `<openai-chatkit>` in `host` and keeps its options current. Options come from one
 * builder (`setOptions` replaces them all), rebuilt whenever the settings, the colour scheme or
 * the upload URL change.
 */
export class ChatKitHost {
  constructor({ host, getSettings, getColorScheme, onSettings, onHistory, onError, onReady }) {
    this.host = host;
    this.getSettings = getSettings;
    this.getColorScheme = getColorScheme;
    this.onSettings = onSettings;
    this.onHistory = onHistory;
    this.onError = onError;
    this.onReady = onReady;
    this.element = null;
    this.upload = new UploadUrl(() => this.apply());
  }

  /** Everything ChatKit is told; rebuilt in full on every change. */
  buildOptions() {
    const settings = this.getSettings();
    const uploadUrl = this.upload.url;
    const api = {
      url: new URL("/chatkit/api", location.origin).href,
      domainKey: settings?.preferences?.chatkit_domain_key || "domain_pk_localhost_dev",
      fetch: (input, init) => authFetch(input, init),
    };
    if (uploadUrl) api.uploadStrategy = { type: "direct", uploadUrl };
    const models = modelOptions(settings);
    return {
      api,
      theme: { colorScheme: this.getColorScheme() },
      history: { enabled: true, showDelete: true, showRename: true },
      header: {
        enabled: true,
        title: { enabled: true, text: "ChatKit Desktop" },
        leftAction: { icon: "book-open", onClick: () => this.onHistory() },
        rightAction: { icon: "settings-cog", onClick: () => this.onSettings() },
      },
      startScreen: { greeting: "What can I help with today?", prompts: START_PROMPTS },
      composer: {
        placeholder: "Message your assistant",
        attachments: attachmentsOption(this.upload),
        ...(models.length ? { models } : {}),
      },
      threadItemActions: { feedback: true, retry: true },
      frameTitle: "Chat",
    };
  }

  /** Creates the element (once), after fetching the upload URL, and gives it its options. */
  async mount() {
    if (this.element) return this.element;
    await this.upload.refresh();
    const element = document.createElement("openai-chatkit");
    element.addEventListener("chatkit.error", (event) => this.onError(event.detail?.error));
    element.addEventListener("chatkit.ready", () => this.onReady());
    this.host.replaceChildren(element);
    this.element = element;
    this.apply();
    return element;
  }

  /** Removes the element (the user chose the built-in client); `mount` makes a new one. */
  unmount() {
    this.element?.remove();
    this.element = null;
  }

  /** Gives the element the current options (no-op before `mount`). */
  apply() {
    if (!this.element) return;
    this.element.setOptions(this.buildOptions());
  }
}
