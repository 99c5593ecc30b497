// ChatKit's streaming requests over fetch: a POST to /chatkit/api whose answer is a
// text/event-stream, read as it arrives.
//
//   import { streamRequest } from "/static/chat/stream.js";
//   await streamRequest(api, { type: "threads.create", params }, { signal, onEvent });
//
// `onEvent(event)` gets each event's JSON, in order. The promise resolves when the stream ends,
// rejects with `StreamError` (words in `message`, the HTTP `status`, 0 for no answer at all)
// when the server refuses the request, and with the fetch's AbortError when `signal` aborts.
//
// `SSEParser` is the event-stream parser (WHATWG "server-sent events" rules: events end at a
// blank line, `data:` lines of one event join with "\n", CR, LF and CRLF all end a line, a
// leading BOM and comment lines are ignored). It takes text in any pieces: an event split across
// chunks, or several in one chunk, come out the same.

export class StreamError extends Error {
  constructor(message, { status = 0, code = "" } = {}) {
    super(message);
    this.name = "StreamError";
    this.status = status;
    this.code = code;
  }
}

export class SSEParser {
  constructor() {
    this.buffer = "";
    this.data = [];
    this.event = "";
    this.started = false;
    this.pendingCR = false;
  }

  /** Feeds `text`; returns the events it completed: `{event, data}` (data a string). */
  push(text) {
    if (!this.started && text) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    // A CR at the end of the previous piece may be the first half of a CRLF.
    if (this.pendingCR && text.startsWith("\n")) text = text.slice(1);
    this.pendingCR = false;
    this.buffer += text;
    const out = [];
    let start = 0;
    const buffer = this.buffer;
    for (let i = 0; i < buffer.length; i += 1) {
      const c = buffer.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      this.line(buffer.slice(start, i), out);
      if (c === 13) {
        if (i + 1 < buffer.length) {
          if (buffer.charCodeAt(i + 1) === 10) i += 1;
        } else {
          this.pendingCR = true;
        }
      }
      start = i + 1;
    }
    this.buffer = buffer.slice(start);
    return out;
  }

  /** At the end of the stream: an unterminated last event is dropped, as the standard says. */
  end() {
    this.buffer = "";
    this.data = [];
    this.event = "";
    return [];
  }

  line(line, out) {
    if (line === "") {
      if (this.data.length) out.push({ event: this.event || "message", data: this.data.join("\n") });
      this.data = [];
      this.event = "";
      return;
    }
    if (line.startsWith(":")) return;
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") this.data.push(value);
    else if (field === "event") this.event = value;
    // `id` and `retry` mean nothing for a POST answer read once.
  }
}

/** The words of a JSON error answer (`{"error": {"message"}}`), or of the status. */
async function refusal(res) {
  let message = "";
  let code = "";
  try {
    const body = await res.json();
    message = body?.error?.message ?? "";
    code = body?.error?.code ?? "";
  } catch {
    // not JSON
  }
  if (!message) {
    message =
      res.status === 401
        ? "The local server refused the page's access token (reload the app from its address)."
        : `The local server answered HTTP ${res.status}.`;
  }
  return new StreamError(message, { status: res.status, code });
}

/**
 * Sends `body` (a streaming ChatKit request) and hands each event to `onEvent` as it arrives.
 * See the top of this file.
 */
export async function streamRequest(api, body, { signal, onEvent, onOpen } = {}) {
  let res;
  try {
    res = await api.authFetch("/chatkit/api", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "text/event-stream" },
      body: JSON.stringify(body),
      signal,
      cache: "no-store",
    });
  } catch (err) {
    if (err?.name === "AbortError") throw err;
    throw new StreamError(`Could not reach the local chatkit-desktop server (${err?.message ?? err}).`);
  }
  if (!res.ok) throw await refusal(res);
  const type = res.headers.get("Content-Type") ?? "";
  if (!type.startsWith("text/event-stream") || !res.body) {
    throw new StreamError(`The local server answered with ${type || "no content type"}, not an event stream.`, {
      status: res.status,
    });
  }
  onOpen?.();
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  const parser = new SSEParser();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      for (const message of parser.push(value)) {
        let event;
        try {
          event = JSON.parse(message.data);
        } catch {
          continue; // not an event of the protocol: nothing to show
        }
        onEvent?.(event);
      }
    }
    parser.end();
  } catch (err) {
    if (err?.name === "AbortError" || signal?.aborted) {
      throw signal?.reason instanceof Error && signal.reason.name === "AbortError"
        ? signal.reason
        : new DOMException("The answer was stopped.", "AbortError");
    }
    throw new StreamError(`The connection to the local server broke during the answer (${err?.message ?? err}).`);
  } finally {
    reader.releaseLock?.();
  }
}
