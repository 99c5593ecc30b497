// The settings dialog: the chat interface (ChatKit or built-in), provider, model, base URL,
// ChatKit domain key, theme, tracing, titles, and write-only API keys. Talks to /api/settings, /api/keys/{provider} and
// /api/providers/{provider}/check (see README "HTTP surface").

import { request, ApiError } from "/static/api.js";

const OTHER = "__other__";

const $ = (id) => document.getElementById(id);

/** Where a provider's key comes from, in words (never the key: the API never returns it). */
export function keySourceText(provider, keyring) {
  const key = provider.key ?? {};
  let text;
  switch (key.source) {
    case "keyring":
      text = `Key saved in ${keyring?.name && keyring.name !== "none" ? keyring.name : "the system keyring"}`;
      break;
    case "env":
      text = `Key from the environment variable ${provider.key_env}`;
      break;
    case "session":
      text = "Key kept for this session only (forgotten when chatkit-desktop stops)";
      break;
    default:
      text = provider.key_required ? "No key" : "No key (optional for this provider)";
  }
  if (key.error) text += `. ${key.error}`;
  return text;
}

/** The form field a settings error message names (`'providers.gemini.base_url': …`), if any. */
function fieldOfError(message) {
  const match = /'([^']+)'/.exec(message ?? "");
  if (!match) return null;
  const loc = match[1];
  const provider = /^providers\.([^.]+)\.(model|base_url)$/.exec(loc);
  if (provider) return { provider: provider[1], field: provider[2] === "model" ? "model" : "base-url" };
  if (loc.startsWith("chatkit_domain_key")) return { field: "domain-key" };
  if (loc.startsWith("theme")) return { field: "theme" };
  if (loc.startsWith("interface")) return { field: "interface" };
  if (loc.startsWith("provider")) return { field: "provider" };
  return null;
}

export class SettingsDialog {
  /**
   * getSettings(): the last GET /api/settings view; setSettings(view): store a newer one;
   * refresh(): GET it again; onSaved(view): after a successful save; onClose(): after closing.
   */
  constructor({ getSettings, setSettings, refresh, onSaved, onClose }) {
    this.getSettings = getSettings;
    this.setSettings = setSettings;
    this.refreshSettings = refresh;
    this.onSaved = onSaved;
    this.onClose = onClose;
    this.dialog = $("settings-dialog");
    this.form = $("settings-form");
    this.drafts = new Map(); // provider id -> {model, base_url} edited but not saved yet
    this.shownProvider = null;
    this.opener = null;
    this.keyRows = new Map();

    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.save();
    });
    for (const button of this.dialog.querySelectorAll("[data-close-settings]")) {
      button.addEventListener("click", () => this.close());
    }
    $("provider").addEventListener("change", () => {
      this.keepDraft();
      this.showProvider($("provider").value);
    });
    $("model").addEventListener("change", () => this.syncModelOther(true));
    for (const id of ["model", "model-custom", "base-url", "domain-key", "theme", "interface"]) {
      $(id).addEventListener("input", () => this.clearFieldError(id === "model-custom" ? "model" : id));
    }
    this.dialog.addEventListener("close", () => {
      const opener = this.opener;
      this.opener = null;
      if (opener?.isConnected && typeof opener.focus === "function") opener.focus();
      this.onClose?.();
    });
  }

  get isOpen() {
    return this.dialog.open;
  }

  /** Opens the dialog (fresh values from the server); focus returns to `opener` on close. */
  async open(opener = document.activeElement) {
    if (!this.dialog.open) {
      this.opener = opener instanceof HTMLElement && opener !== document.body ? opener : null;
      this.renderForm();
      this.renderKeys();
      this.dialog.showModal();
      $("provider").focus();
    }
    try {
      await this.refreshSettings();
      this.renderKeys();
    } catch (err) {
      this.message($("settings-message"), `Could not read the settings: ${err.message}`, "fail");
    }
  }

  close() {
    if (this.dialog.open) this.dialog.close();
  }

  provider(id) {
    return this.getSettings()?.providers?.find((p) => p.id === id);
  }

  // ----- the settings form -----

  renderForm() {
    const settings = this.getSettings();
    this.drafts.clear();
    this.clearAllErrors();
    $("settings-message").textContent = "";
    if (!settings) {
      this.message($("settings-message"), "The settings could not be read from the local server.", "fail");
      return;
    }
    const prefs = settings.preferences ?? {};
    const problem = $("settings-problem");
    const notes = [];
    if (settings.settings_error) notes.push(`${settings.settings_error} Saving here replaces the file.`);
    const names = { provider: "provider", model: "model", base_url: "base URL" };
    const overrides = Object.entries(settings.overrides ?? {});
    if (overrides.length) {
      notes.push(
        "chatkit-desktop was started with " +
          overrides.map(([name, value]) => `${names[name] ?? name} ${value}`).join(", ") +
          " (command line or environment): for the active provider, that wins over what you save here " +
          "until it is started without it.",
      );
    }
    problem.textContent = notes.join(" ");
    problem.hidden = notes.length === 0;

    const select = $("provider");
    select.replaceChildren(
      ...settings.providers.map((p) => new Option(p.label, p.id, false, p.id === prefs.provider)),
    );
    select.value = prefs.provider ?? settings.provider;
    this.showProvider(select.value);
    $("domain-key").value = prefs.chatkit_domain_key ?? "";
    $("theme").value = prefs.theme ?? "system";
    $("interface").value = prefs.interface === "builtin" ? "builtin" : "chatkit";
    $("tracing").checked = Boolean(prefs.tracing);
    $("generate-titles").checked = prefs.generate_titles !== false;
  }

  /** Fills model and base URL for provider `id` (its unsaved draft, else its saved values). */
  showProvider(id) {
    const info = this.provider(id);
    this.shownProvider = id;
    if (!info) return;
    const saved = this.getSettings().preferences?.providers?.[id] ?? {};
    const draft = this.drafts.get(id) ?? { model: saved.model ?? info.default_model, base_url: saved.base_url ?? "" };
    $("provider-help").textContent = info.help ?? "";
    const models = [...new Set([...info.models, draft.model].filter(Boolean))];
    $("model").replaceChildren(
      ...models.map((m) => new Option(m === info.default_model ? `${m} (default)` : m, m)),
      new Option("Other (type a model name)…", OTHER),
    );
    $("model").value = draft.model || info.default_model;
    $("model-custom").value = "";
    this.syncModelOther(false);
    $("base-url").value = draft.base_url ?? "";
    $("base-url").placeholder = info.default_base_url;
    $("base-url-hint").textContent = `Leave empty for the default, ${info.default_base_url}.`;
    this.clearFieldError("model");
    this.clearFieldError("base-url");
  }

  syncModelOther(focus) {
    const other = $("model").value === OTHER;
    $("model-custom").hidden = !other;
    $("model-custom-label").hidden = !other;
    if (other && focus) $("model-custom").focus();
  }

  currentModel() {
    return $("model").value === OTHER ? $("model-custom").value.trim() : $("model").value;
  }

  keepDraft() {
    if (this.shownProvider) {
      this.drafts.set(this.shownProvider, { model: this.currentModel(), base_url: $("base-url").value.trim() });
    }
  }

  /** The partial settings object for PUT /api/settings. */
  changes() {
    this.keepDraft();
    const providers = {};
    for (const [id, draft] of this.drafts) {
      const info = this.provider(id);
      if (!info) continue;
      providers[id] = {
        model: draft.model && draft.model !== info.default_model ? draft.model : null,
        base_url: draft.base_url || null,
      };
    }
    return {
      provider: $("provider").value,
      providers,
      chatkit_domain_key: $("domain-key").value.trim(),
      theme: $("theme").value,
      interface: $("interface").value,
      tracing: $("tracing").checked,
      generate_titles: $("generate-titles").checked,
    };
  }

  async save() {
    const status = $("settings-message");
    this.clearAllErrors();
    if ($("model").value === OTHER && !this.currentModel()) {
      this.fieldError("model", "Type the name of the model, or choose one from the list.");
      return;
    }
    const button = $("settings-save");
    button.disabled = true;
    this.message(status, "Saving…");
    try {
      const view = await request("PUT", "/api/settings", this.changes());
      this.setSettings(view);
      this.renderForm();
      this.renderKeys();
      this.message(status, "Settings saved.", "ok");
      this.onSaved?.(view);
    } catch (err) {
      const where = err instanceof ApiError && err.status === 400 ? fieldOfError(err.message) : null;
      if (where && where.field !== "provider") {
        if (where.provider && where.provider !== $("provider").value && this.provider(where.provider)) {
          this.keepDraft();
          $("provider").value = where.provider;
          this.showProvider(where.provider);
        }
        this.fieldError(where.field, err.message);
        this.message(status, "Not saved: see the highlighted field.", "fail");
      } else {
        this.message(status, `Not saved: ${err.message}`, "fail");
      }
    } finally {
      button.disabled = false;
    }
  }

  fieldError(field, text) {
    const input = field === "model" && $("model").value === OTHER ? $("model-custom") : $(field);
    const error = $(`${field}-error`);
    if (error) {
      error.textContent = text;
      error.hidden = false;
    }
    input.setAttribute("aria-invalid", "true");
    input.focus();
  }

  clearFieldError(field) {
    const error = $(`${field}-error`);
    if (error) {
      error.textContent = "";
      error.hidden = true;
    }
    $(field)?.removeAttribute("aria-invalid");
    if (field === "model") $("model-custom").removeAttribute("aria-invalid");
  }

  clearAllErrors() {
    for (const field of ["model", "base-url", "domain-key", "theme", "interface"]) this.clearFieldError(field);
  }

  message(element, text, kind = "") {
    element.textContent = text;
    element.dataset.kind = kind;
  }

  // ----- keys -----

  renderKeys() {
    const settings = this.getSettings();
    if (!settings) return;
    const keyring = settings.keyring ?? {};
    $("keyring-status").textContent = keyring.secure
      ? `Keys you save are kept in ${keyring.name}, never in a file. Saved keys are never shown again.`
      : `${keyring.message ?? "No secure keyring is available."} Saved keys are never shown again.`;
    for (const provider of settings.providers) {
      const row = this.keyRows.get(provider.id) ?? this.createKeyRow(provider);
      row.querySelector(".key-source").textContent = keySourceText(provider, keyring);
    }
  }

  createKeyRow(provider) {
    const template = $("key-row-template");
    const row = template.content.firstElementChild.cloneNode(true);
    const id = provider.id;
    row.dataset.provider = id;
    row.querySelector(".key-title").textContent = provider.label;
    row.querySelector(".key-title").id = `key-title-${id}`;
    row.setAttribute("aria-labelledby", `key-title-${id}`);
    const input = row.querySelector(".key-input");
    input.id = `key-${id}`;
    const label = row.querySelector(".key-label");
    label.htmlFor = input.id;
    label.textContent = `New ${provider.label} API key${provider.key_required ? "" : " (optional)"}`;
    row.querySelector(".key-source").id = `key-source-${id}`;
    input.setAttribute("aria-describedby", `key-source-${id}`);
    for (const [selector, verb] of [
      [".key-delete", "Delete"],
      [".key-check", "Check"],
    ]) {
      const what = verb === "Check" ? `${provider.label} connection` : `${provider.label} key`;
      row.querySelector(selector).setAttribute("aria-label", `${verb} the ${what}`);
    }
    row.querySelector(".key-save").setAttribute("aria-label", `Save the ${provider.label} key`);
    row.querySelector(".key-form").addEventListener("submit", (event) => {
      event.preventDefault();
      this.saveKey(id, false);
    });
    row.querySelector(".key-session").addEventListener("click", () => this.saveKey(id, true));
    row.querySelector(".key-offer-cancel").addEventListener("click", () => {
      row.querySelector(".key-offer").hidden = true;
      input.value = "";
      this.message(row.querySelector(".key-message"), "Not saved.");
      input.focus();
    });
    row.querySelector(".key-delete").addEventListener("click", () => this.deleteKey(id));
    row.querySelector(".key-check").addEventListener("click", () => this.check(id));
    $("key-rows").append(row);
    this.keyRows.set(id, row);
    return row;
  }

  async afterKeyChange() {
    try {
      await this.refreshSettings();
    } catch {
      // The row already says what happened; the status line updates on the next refresh.
    }
    this.renderKeys();
  }

  async saveKey(id, sessionOnly) {
    const row = this.keyRows.get(id);
    const input = row.querySelector(".key-input");
    const status = row.querySelector(".key-message");
    const offer = row.querySelector(".key-offer");
    if (!input.value.trim()) {
      this.message(status, "Type or paste the key first.", "fail");
      input.focus();
      return;
    }
    this.message(status, "Saving the key…");
    try {
      const answer = await request("PUT", `/api/keys/${encodeURIComponent(id)}`, {
        key: input.value,
        session_only: sessionOnly,
      });
      input.value = "";
      offer.hidden = true;
      const keyring = this.getSettings()?.keyring;
      const where =
        answer.saved_to === "session"
          ? "for this session only"
          : `in ${keyring?.name && keyring.name !== "none" ? keyring.name : "the system keyring"}`;
      this.message(status, `Key saved ${where}.`, "ok");
      await this.afterKeyChange();
      input.focus();
    } catch (err) {
      if (err instanceof ApiError && err.status === 409) {
        const info = this.provider(id);
        // The server's words say what is missing and what the ways on are; add them if not.
        row.querySelector(".key-offer-text").textContent = /session only/i.test(err.message)
          ? err.message
          : `${err.message} You can keep this key in memory for this session only (it is forgotten ` +
            `when chatkit-desktop stops), or set the ${info?.key_env ?? "provider's"} environment variable.`;
        offer.hidden = false;
        this.message(status, "Not saved yet: there is no secure keyring.", "fail");
        row.querySelector(".key-session").focus();
      } else if (err instanceof ApiError && err.status === 423) {
        this.message(
          status,
          `The keyring is locked: unlock it (log in to your desktop session), then save again. ${err.message}`,
          "fail",
        );
      } else {
        this.message(status, `Not saved: ${err.message}`, "fail");
      }
    }
  }

  async deleteKey(id) {
    const row = this.keyRows.get(id);
    const status = row.querySelector(".key-message");
    this.message(status, "Deleting the key…");
    try {
      const answer = await request("DELETE", `/api/keys/${encodeURIComponent(id)}`);
      this.message(status, answer.message ?? "Key deleted.", answer.message ? "fail" : "ok");
    } catch (err) {
      this.message(status, `Not deleted: ${err.message}`, "fail");
    }
    await this.afterKeyChange();
  }

  async check(id) {
    const row = this.keyRows.get(id);
    const status = row.querySelector(".key-message");
    const button = row.querySelector(".key-check");
    button.disabled = true;
    this.message(status, "Checking…");
    try {
      const answer = await request("POST", `/api/providers/${encodeURIComponent(id)}/check`);
      this.message(status, answer.message, answer.ok ? "ok" : "fail");
    } catch (err) {
      this.message(status, `Could not check: ${err.message}`, "fail");
    } finally {
      button.disabled = false;
    }
  }
}
