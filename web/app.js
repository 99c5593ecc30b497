// chatkit-desktop's page: OpenAI's ChatKit component when it loads, an offline screen (thread
// list, settings, history) when it does not, the settings dialog either way, and the offline
// history browser (`#history…`, web/history/) over either.
//
// Hook for the built-in client (a later issue): another module may call
//
//     import { registerFallbackClient } from "/static/app.js";
//     registerFallbackClient((slot, ctx) => { ... });
//
// `render(slot, ctx)` is called when the ChatKit component is unavailable (at once if the page
// is already on its offline screen). `slot` is an emptied element in the main area (it replaces
// the default thread list); `ctx` is `{api, settings, reason, openSettings}` where `api` has
// `request(method, path, body)`, `chatkit(type, params)`, `authFetch(input, init)` and
// `listThreads()`, all carrying the token. `render` may return a cleanup function, called if
// the page switches to ChatKit later.

import * as api from "/static/api.js";
import { ChatKitHost, loadChatKit, whenChatKitDefined } from "/static/chatkit-host.js";
import { HistoryBrowser, isHistoryHash } from "/static/history/history.js";
import { threadHash } from "/static/history/router.js";
import { SettingsDialog } from "/static/settings.js";

const $ = (id) => document.getElementById(id);

const state = {
  settings: null,
  mode: "loading", // loading | chatkit | offline | no-token
  reason: "",
  fallback: null, // the registered built-in client's render function
  fallbackCleanup: null,
};

// ----- status and errors -----

function setStatus(text) {
  const status = $("status");
  status.textContent = text;
  status.hidden = !text;
}

function showAlert(text) {
  $("alert-text").textContent = text;
  $("alert").hidden = false;
}

$("alert-close").addEventListener("click", () => {
  $("alert").hidden = true;
});

// ----- theme -----

const darkQuery = matchMedia("(prefers-color-scheme: dark)");

/** `light` or `dark`: the saved preference, or the system's when it is `system`. */
function colorScheme() {
  const theme = state.settings?.preferences?.theme;
  if (theme === "light" || theme === "dark") return theme;
  return darkQuery.matches ? "dark" : "light";
}

function applyTheme() {
  const theme = state.settings?.preferences?.theme;
  if (theme === "light" || theme === "dark") document.documentElement.dataset.theme = theme;
  else delete document.documentElement.dataset.theme;
  host.apply();
}

darkQuery.addEventListener("change", applyTheme);

// ----- settings -----

async function refreshSettings() {
  state.settings = await api.request("GET", "/api/settings");
  return state.settings;
}

const settingsDialog = new SettingsDialog({
  getSettings: () => state.settings,
  setSettings: (view) => {
    state.settings = view;
  },
  refresh: refreshSettings,
  onSaved: () => {
    applyTheme(); // also gives ChatKit its new options (domain key, models, theme)
    if (state.mode === "offline") renderThreads();
  },
  onClose: () => {
    if (location.hash === "#settings") history.replaceState(history.state, "", location.pathname + location.search);
  },
});

function openSettings(opener) {
  if (state.mode === "no-token") return;
  settingsDialog.open(opener);
}

$("settings-button").addEventListener("click", (event) => openSettings(event.currentTarget));

// ----- ChatKit -----

const host = new ChatKitHost({
  host: $("chat-view"),
  getSettings: () => state.settings,
  getColorScheme: colorScheme,
  onSettings: () => openSettings(),
  onHistory: () => {
    location.hash = "#history";
  },
  onError: (error) => {
    const message = error?.message ?? (typeof error === "string" ? error : "Something went wrong in the chat.");
    showAlert(`Chat error: ${message}`);
  },
  onReady: () => {
    document.body.dataset.chatkit = "ready";
  },
});

async function startChatKit() {
  await host.mount();
  if (state.fallbackCleanup) {
    state.fallbackCleanup();
    state.fallbackCleanup = null;
  }
  state.mode = "chatkit";
  setStatus("");
  route();
}

// ----- offline screen -----

function formatDate(value) {
  const date = typeof value === "number" ? new Date(value * 1000) : new Date(value);
  return Number.isNaN(date.getTime()) ? "" : date.toLocaleString();
}

/** Fills the offline screen's thread list, newest first; each title opens the thread in the
 * history browser. */
async function renderThreads() {
  const lists = document.querySelectorAll("[data-threads]");
  const statuses = document.querySelectorAll("[data-threads-status]");
  const say = (text) => statuses.forEach((s) => (s.textContent = text));
  say("Loading your threads…");
  let threads;
  try {
    threads = await api.listThreads(50);
  } catch (err) {
    say(`Could not list your threads: ${err.message}`);
    return;
  }
  say(
    threads.length === 0
      ? "No threads yet."
      : `${threads.length === 1 ? "1 thread" : `${threads.length} threads`}, newest first:`,
  );
  for (const list of lists) {
    list.replaceChildren(
      ...threads.map((thread) => {
        const item = document.createElement("li");
        item.className = "thread";
        item.dataset.threadId = thread.id;
        const title = document.createElement("a");
        title.className = "thread-title";
        title.href = threadHash(thread.id);
        title.textContent = thread.title || "Untitled";
        const time = document.createElement("time");
        time.className = "thread-date";
        time.dateTime = String(thread.created_at ?? "");
        time.textContent = formatDate(thread.created_at);
        item.append(title, " ", time);
        return item;
      }),
    );
  }
}

function renderFallback() {
  if (state.mode !== "offline" || !state.fallback) return;
  const slot = $("fallback-slot");
  slot.replaceChildren();
  const cleanup = state.fallback(slot, {
    api,
    settings: state.settings,
    reason: state.reason,
    openSettings: () => openSettings(),
  });
  state.fallbackCleanup = typeof cleanup === "function" ? cleanup : null;
}

function goOffline(reason) {
  state.mode = "offline";
  state.reason = reason;
  $("offline-reason").textContent = reason;
  setStatus("");
  route();
  renderThreads();
  renderFallback();
  // Should the script arrive after all (a slow network), offer to switch.
  whenChatKitDefined().then(() => {
    if (state.mode !== "offline") return;
    const retry = $("chatkit-retry");
    retry.hidden = false;
    setStatus("The chat interface has loaded now.");
  });
}

$("chatkit-retry").addEventListener("click", () => {
  $("chatkit-retry").hidden = true;
  startChatKit().catch((err) => showAlert(`The chat interface could not start: ${err.message}`));
});

/**
 * Hook for the built-in client: `render(slot, ctx)` draws into the main area whenever ChatKit is
 * unavailable (see the top of this file). Returns nothing.
 */
export function registerFallbackClient(render) {
  state.fallback = render;
  renderFallback();
}

// ----- routing: "" (chat or offline screen), #history… (the history browser), #settings -----

const historyBrowser = new HistoryBrowser({ api });

function route() {
  const hash = location.hash;
  if (hash === "#settings") {
    openSettings();
  }
  // The history browser needs only the token (not ChatKit), so it opens while the page loads too.
  const inHistory = isHistoryHash(hash) && state.mode !== "no-token";
  const views = {
    "chat-view": state.mode === "chatkit" && !inHistory,
    "offline-view": state.mode === "offline" && !inHistory,
    "history-view": inHistory,
    "no-token-view": state.mode === "no-token",
  };
  for (const [id, visible] of Object.entries(views)) $(id).hidden = !visible;
  document.body.dataset.mode = state.mode;
  document.body.dataset.view = inHistory ? "history" : "main";
  if (inHistory) historyBrowser.show(hash);
  else historyBrowser.hide();
}

addEventListener("hashchange", route);
addEventListener("popstate", route);

// ----- start -----

async function main() {
  if (!api.hasToken()) {
    state.mode = "no-token";
    setStatus("No access token in the address. Open the address chatkit-desktop printed at start.");
    route();
    return;
  }
  setStatus("Loading the chat interface…");
  // Settled at once (a rejection would otherwise go unhandled while the settings load).
  const loading = loadChatKit().then(
    () => null,
    (err) => err,
  );
  try {
    await refreshSettings();
    applyTheme();
  } catch (err) {
    showAlert(`Could not read the settings from the local server: ${err.message}`);
  }
  const failure = await loading;
  if (failure) {
    goOffline(failure.message);
    return;
  }
  try {
    await startChatKit();
  } catch (err) {
    goOffline(`The ChatKit interface loaded but could not start: ${err.message}`);
  }
}

// A failure nothing else caught still says something instead of leaving the page blank.
main().catch((err) => {
  showAlert(`chatkit-desktop's page failed to start: ${err.message}`);
  if (state.mode === "loading") goOffline("The chat interface could not be started.");
});
