// The built-in client's model picker: which of the active provider's models answers the next
// message.
//
//   import { createModelPicker } from "/static/chat/model-picker.js";
//   const picker = createModelPicker(settings);   // the GET /api/settings view
//   composer.append(picker.element);
//   input.inference_options = picker.value() ? { model: picker.value() } : {};
//
// The list is the one the ChatKit widget offers (`modelOptions` in chatkit-host.js): the active
// provider's models from the settings view, the model set in Settings first, shown as
// "Default (<model>)". `value()` is null for that default, so the server's own choice (Settings,
// or a --model override) applies; another choice goes into the user message's
// `inference_options.model`, which the server honours for that turn (chat/server.py
// `_chosen_model`; a retry re-uses the stored message's choice).
//
// The choice is remembered per provider for as long as the page is open (another mount of the
// client, after a settings change, keeps it), never stored. A provider that lists no models
// leaves the select disabled, with the reason as its description.

import { modelOptions } from "/static/chatkit-host.js";
import { ensureStylesheet } from "/static/history/util.js";

const STYLESHEET = "/static/chat/composer-extras.css";
const chosen = new Map(); // provider id -> model id, for this page's lifetime
let pickers = 0;


/** `{ element, value() }` for the settings view `settings` (null/undefined: nothing to pick). */
export function createModelPicker(settings) {
  ensureStylesheet(STYLESHEET);
  const id = `chat-model-${++pickers}`;
  const provider = settings?.providers?.find((p) => p.id === settings.provider) ?? null;
  const options = modelOptions(settings);
  const current = options.find((o) => o.default)?.id ?? settings?.model ?? provider?.model ?? "";

  const element = document.createElement("div");
  element.className = "model-picker";
  element.dataset.chat = "model-picker";
  const label = document.createElement("label");
  label.htmlFor = id;
  label.className = "model-picker-label";
  label.textContent = "Model";
  const select = document.createElement("select");
  select.id = id;
  select.dataset.chat = "model";
  const note = document.createElement("span");
  note.id = `${id}-note`;
  note.className = "model-picker-note visually-hidden";
  select.setAttribute("aria-describedby", note.id);
  element.append(label, select, note);

  const fallback = document.createElement("option");
  fallback.value = "";
  fallback.textContent = current ? `Default (${current})` : "Default";
  select.append(fallback);
  for (const option of options) {
    if (option.id === current) continue;
    const item = document.createElement("option");
    item.value = option.id;
    item.textContent = option.label ?? option.id;
    select.append(item);
  }

  if (!provider) {
    // No settings (or an unknown provider): the server decides; nothing to show.
    element.hidden = true;
    select.disabled = true;
    note.textContent = "The model is chosen in Settings.";
  } else if (select.options.length < 2) {
    select.disabled = true;
    element.dataset.models = "none";
    const who = provider.label || provider.id;
    note.textContent = `${who} lists no other models: ${current || "the model set in Settings"} answers (Settings can change it).`;
    select.title = note.textContent;
  } else {
    note.textContent = `The model that answers your next message (${provider.label || provider.id}).`;
    select.title = "The model that answers your next message";
    const remembered = chosen.get(provider.id);
    if (remembered && remembered !== current && options.some((o) => o.id === remembered)) {
      select.value = remembered;
    }
  }
  element.dataset.model = select.value ? "chosen" : "default";
  select.addEventListener("change", () => {
    element.dataset.model = select.value ? "chosen" : "default";
    if (!provider) return;
    if (select.value) chosen.set(provider.id, select.value);
    else chosen.delete(provider.id);
  });

  return {
    element,
    /** The chosen model id, or null for the default. */
    value() {
      return !select.disabled && select.value ? select.value : null;
    },
  };
}
