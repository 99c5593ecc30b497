// chatkit-desktop's page: one of two chat clients over the same protocol and the same store, the
// settings dialog, and the offline history browser (`#history…`, web/history/) over either.
//
// - "chatkit" (the default setting): OpenAI's ChatKit web component, loaded from OpenAI's CDN.
//   When it cannot load (an error, a time-out, a script that defines nothing) the page switches
//   to the built-in client by itself and says why, and offers ChatKit again should it arrive late.
// - "builtin": the app's own client (web/chat/chat.js, `mountChat(slot, ctx)`). The page then
//   never adds the CDN script: no request goes to any host but this app's server.
//
// Changing the setting takes effect in the open page (the token lives only in api.js's memory,
// so a reload would lose it). If the built-in client itself cannot load, the main area still
// lists the threads (they open in the history browser) and says what happened.

import * as api from "/static/api.js";
import { ChatKitHost, loadChatKit, whenChatKitDefined } from "/static/chatkit-host.js";
import { HistoryBrowser, isHistoryHash } from "/static/history/history.js";
import { threadHash } from "/static/history/router.js";
import { SettingsDialog } from "/static/settings.js";

const $ = (id) => document.getElementById(id);

const state = {
  settings: null,
  mode: "loading", // loading | chatkit | builtin | no-token
  reason: "", // why the built-in client shows although ChatKit was chosen ("" if chosen)
  builtinMounted: false,
  builtinCleanup: null, // what the mounted built-in client returned
  builtinKey: "", // the settings the built-in client was mounted with (see settingsKey)
  mounts: 0, // bumped by every switch, so that a slow start never lands in the wrong mode
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
    applyInterface();
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
  unmountBuiltin();
  state.mode = "chatkit";
  state.reason = "";
  document.body.dataset.interface = "chatkit";
  $("chatkit-retry").hidden = true;
  setStatus("");
  route();
}

/** The ChatKit interface: load the script (the only request to another host, and only here),
 * then mount it; on failure the built-in client, with the reason. */
async function useChatKit() {
  const mount = ++state.mounts;
  setStatus("Loading the chat interface…");
  try {
    await loadChatKit();
  } catch (err) {
    if (mount === state.mounts) useBuiltin(err.message);
    return;
  }
  if (mount !== state.mounts) return;
  try {
    await startChatKit();
  } catch (err) {
    if (mount === state.mounts) useBuiltin(`The ChatKit interface loaded but could not start: ${err.message}`);
  }
}

// ----- the built-in client -----

/** What the built-in client depends on from the settings: a change of it mounts it afresh (its
 * model picker lists the active provider's models). */
function settingsKey() {
  const s = state.settings;
  const provider = s?.providers?.find((p) => p.id === s.provider);
  return JSON.stringify([s?.provider, s?.model, provider?.models]);
}

function unmountBuiltin() {
  const cleanup = state.builtinCleanup;
  state.builtinCleanup = null;
  state.builtinMounted = false;
  state.builtinKey = "";
  if (cleanup) {
    try {
      cleanup();
    } catch (err) {
      console.error("The built-in client did not close cleanly.", err);
    }
  }
  $("builtin-slot").replaceChildren();
}

/**
 * The built-in client in the main area. `reason` is why, when ChatKit was chosen but is not
 * available ("" when the user chose the built-in client): the notice says it in words.
 */
function useBuiltin(reason) {
  const mount = ++state.mounts;
  // Already showing (ChatKit chosen again but unavailable, or the built-in client chosen while
  // it stood in for ChatKit): keep it, with its draft and its open thread; only the notice changes.
  const mounted = state.mode === "builtin" && state.builtinMounted;
  if (state.mode === "chatkit") host.unmount();
  state.mode = "builtin";
  state.reason = reason;
  document.body.dataset.interface = "builtin";
  delete document.body.dataset.chatkit;
  showNotice(reason);
  setStatus("");
  route();
  if (!mounted) mountBuiltin(mount);
  if (reason) {
    // Should the script arrive after all (a slow network), offer to switch to it.
    whenChatKitDefined().then(() => {
      if (state.mode !== "builtin" || !state.reason || state.settings?.preferences?.interface === "builtin") return;
      $("chatkit-retry").hidden = false;
      $("interface-notice").hidden = false;
      setStatus("The chat interface has loaded now.");
    });
  }
}

function showNotice(reason) {
  const notice = $("interface-notice");
  const text = $("interface-notice-text");
  $("chatkit-retry").hidden = true;
  notice.hidden = !reason;
  text.textContent = "";
  if (!reason) return;
  const words =
    `${reason} The built-in client is in use instead: it needs nothing from OpenAI's servers, ` +
    "and your conversations are the same in both.";
  // The notice is a live region: screen readers announce text that changes once it is shown,
  // not text that appears together with it.
  requestAnimationFrame(() =>
    setTimeout(() => {
      if (state.reason === reason) text.textContent = words;
    }, 50),
  );
}

async function mountBuiltin(mount) {
  unmountBuiltin();
  const slot = $("builtin-slot");
  $("builtin-fallback").hidden = true;
  slot.hidden = false;
  let mountChat;
  try {
    ({ mountChat } = await import("/static/chat/chat.js"));
    if (typeof mountChat !== "function") throw new Error("it has no mountChat");
  } catch (err) {
    if (mount === state.mounts) showFallback(`The built-in chat client could not be loaded (${err.message}).`);
    return;
  }
  if (mount !== state.mounts) return;
  try {
    const cleanup = mountChat(slot, {
      api,
      settings: state.settings,
      reason: state.reason,
      openSettings: () => openSettings(),
    });
    state.builtinCleanup = typeof cleanup === "function" ? cleanup : null;
    state.builtinMounted = true;
    state.builtinKey = settingsKey();
  } catch (err) {
    console.error(err);
    showFallback(`The built-in chat client could not start (${err.message}).`);
  }
}

/** The built-in client is missing or broken: the threads (opening in the history browser),
 * settings and history, and what happened. Never a blank page. */
function showFallback(reason) {
  $("builtin-slot").hidden = true;
  $("fallback-reason").textContent = reason;
  $("builtin-fallback").hidden = false;
  renderThreads();
}

/** After the settings are saved: switch the interface if it changed, else give the built-in
 * client the new settings if they matter to it. */
function applyInterface() {
  if (state.mode === "no-token") return;
  const chosen = state.settings?.preferences?.interface === "builtin" ? "builtin" : "chatkit";
  if (state.mode === "loading") {
    // Chosen while ChatKit was still loading: the built-in client at once (the load, when it
    // ends, is ignored); ChatKit is what is loading already.
    if (chosen === "builtin") useBuiltin("");
    return;
  }
  if (chosen === "builtin") {
    if (state.mode !== "builtin" || state.reason) useBuiltin("");
    else if (state.builtinMounted && settingsKey() !== state.builtinKey) mountBuiltin(++state.mounts);
    else if (!$("builtin-fallback").hidden) renderThreads();
  } else if (state.mode === "builtin" && !state.reason) {
    useChatKit();
  } else if (state.mode === "builtin" && state.builtinMounted && settingsKey() !== state.builtinKey) {
    mountBuiltin(++state.mounts);
  }
}

// ----- the fallback thread list -----

function formatDate(value) {
  const date = typeof value === "number" ? new Date(value * 1000) : new Date(value);
  return Number.isNaN(date.getTime()) ? "" : date.toLocaleString();
}

/** Fills the fallback's thread list, newest first; each title opens the thread in the history
 * browser. */
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

$("chatkit-retry").addEventListener("click", () => {
  $("chatkit-retry").hidden = true;
  const mount = ++state.mounts;
  startChatKit().catch((err) => {
    if (mount === state.mounts) showAlert(`The chat interface could not start: ${err.message}`);
  });
});

$("interface-settings").addEventListener("click", (event) => openSettings(event.currentTarget));

$("interface-notice-close").addEventListener("click", () => {
  $("interface-notice").hidden = true;
  $("main").focus();
});

// ----- routing: "" (the chat client), #history… (the history browser), #settings -----

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
    "builtin-view": state.mode === "builtin" && !inHistory,
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
  setStatus("Loading…");
  // The settings first: they say whether the CDN may be asked at all.
  try {
    await refreshSettings();
    applyTheme();
  } catch (err) {
    showAlert(`Could not read the settings from the local server: ${err.message}`);
    // Unknown choice: take the one that asks no other host.
    useBuiltin(
      `The settings could not be read from the local server (${err.message}), so the ChatKit ` +
        "interface was not loaded.",
    );
    return;
  }
  if (state.settings?.preferences?.interface === "builtin") useBuiltin("");
  else await useChatKit();
}

// A failure nothing else caught still says something instead of leaving the page blank.
main().catch((err) => {
  showAlert(`chatkit-desktop's page failed to start: ${err.message}`);
  if (state.mode === "loading") useBuiltin("The chat interface could not be started.");
});
