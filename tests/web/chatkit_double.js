// TEST DOUBLE of OpenAI's <openai-chatkit> web component. It is NOT ChatKit.
//
// The real component loads from OpenAI's CDN, which no test machine can reach. The browser tests
// serve this file in its place (page.route on the CDN URL) to see what the page asks of ChatKit.
// It defines `openai-chatkit` and records on `window.__chatkitDouble`:
//   calls:   a JSON-safe copy of every setOptions(...) argument (functions become "[function]")
//   options: the last options object itself (functions callable, e.g. header.rightAction.onClick)
//   fetches: the result of a threads.list request made through the given `api.fetch`
// and fires `chatkit.ready` after the first setOptions, as the real component does once loaded.
(() => {
  const record = { calls: [], options: null, fetches: [] };
  window.__chatkitDouble = record;

  const jsonSafe = (value) =>
    JSON.parse(JSON.stringify(value, (key, v) => (typeof v === "function" ? "[function]" : v)));

  class ChatKitTestDouble extends HTMLElement {
    connectedCallback() {
      this.textContent = "ChatKit test double";
      this.setAttribute("data-test-double", "");
    }

    setOptions(options) {
      if (!options?.api?.domainKey) throw new Error("Invalid frame params: domainKey is required");
      record.options = options;
      record.calls.push(jsonSafe(options));
      this.exercise(options).catch((err) => record.fetches.push({ error: String(err) }));
    }

    async exercise(options) {
      // As ChatKit does: every backend request goes through the custom fetch, to api.url.
      const response = await options.api.fetch(options.api.url, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ type: "threads.list", params: { limit: 20, order: "desc" } }),
      });
      record.fetches.push({ status: response.status, body: await response.json() });
      if (record.calls.length === 1) this.dispatchEvent(new CustomEvent("chatkit.ready"));
    }
  }

  customElements.define("openai-chatkit", ChatKitTestDouble);
})();
