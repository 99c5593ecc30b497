"""A real local HTTP server that speaks OpenAI's protocols with scripted answers.

It is not OpenAI: it answers `POST /v1/responses` (the Responses API) and
`POST /v1/chat/completions` (Chat Completions) on 127.0.0.1, streamed (`"stream": true`: Responses
events, or chunks ending in `data: [DONE]`) or as one JSON object (no `stream`, or `false`), plus
`GET /v1/models`, so tests, benchmarks and demos can drive the real OpenAI client and the Agents
SDK end to end with no internet. A `Reply` can answer with text or with function (tool) calls,
streamed the way the real APIs stream them; a tool call can carry a Gemini thought signature in
the place Google's OpenAI-compatible endpoint puts it. Every request is recorded (method, path,
headers and JSON body) for assertions.

Run it by hand for a demo:  python -m chatkit_desktop.testing.openai_server --port 8765
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Literal

from aiohttp import web

RequestKind = Literal["responses", "chat_completions", "models"]

DEFAULT_MODELS: tuple[str, ...] = (
    "gpt-4.1-mini",
    "gpt-4.1",
    "gpt-4o-mini",
    "gpt-5-nano",
    "gemini-2.5-flash",
)


@dataclass
class ToolCall:
    """One function call the model makes.

    `arguments` is the JSON string the model produces (streamed in pieces). `call_id` defaults to
    a fresh `call_…` id. `thought_signature` (Gemini) is sent, in Chat Completions only, as
    `tool_calls[i].extra_content.google.thought_signature`, as Google's OpenAI-compatible endpoint
    does; the Agents SDK sends it back in the next request when the model name contains "gemini".
    """

    name: str
    arguments: str = "{}"
    call_id: str | None = None
    thought_signature: str | None = None


@dataclass
class Reply:
    """How the server answers one request.

    `text=None` echoes the last user message ("You said: …"), unless `tool_calls` are given: then
    the answer is those function calls only (with `text` set, a message with that text comes
    first, then the calls). `status` other than 200 answers with OpenAI's JSON error shape.
    `fail_after` sends that many deltas (text or argument pieces), then an error event (a 500
    JSON error when the request is not streamed). `hang` never answers (for client time-outs).
    `chunks` splits the text (and each call's arguments) into that many pieces; by default text
    is split into words and arguments into three pieces. `delay_s` is slept before each delta.
    """

    text: str | None = None
    chunks: int | None = None
    delay_s: float = 0.0
    status: int = 200
    error_message: str = "Scripted failure"
    fail_after: int | None = None
    hang: bool = False
    tool_calls: list[ToolCall] = field(default_factory=list)


@dataclass
class RecordedRequest:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    method: str = "POST"

    @property
    def authorization(self) -> str | None:
        return self.headers.get("Authorization")

    @property
    def kind(self) -> RequestKind:
        if self.path.endswith("/chat/completions"):
            return "chat_completions"
        if self.path.endswith("/responses"):
            return "responses"
        return "models"

    @property
    def model(self) -> str | None:
        """The model asked for (for `GET /v1/models/{id}`, that id)."""
        model = self.body.get("model")
        if isinstance(model, str):
            return model
        if self.kind == "models" and self.path.rstrip("/") != "/v1/models":
            return self.path.rsplit("/", 1)[-1]
        return None

    @property
    def stream(self) -> bool:
        return self.body.get("stream") is True

    def user_texts(self) -> list[str]:
        """The texts of the user messages, in order (parts of one message joined by spaces)."""
        if self.kind == "responses":
            items = self.body.get("input")
            if isinstance(items, str):
                return [items]
            return [
                _content_text(item.get("content"))
                for item in items or []
                if isinstance(item, dict)
                and item.get("role") == "user"
                and item.get("type", "message") == "message"
            ]
        if self.kind == "chat_completions":
            return [
                _content_text(m.get("content"))
                for m in self.body.get("messages") or []
                if isinstance(m, dict) and m.get("role") == "user"
            ]
        return []

    def tool_outputs(self) -> dict[str, str]:
        """The function call outputs sent back to the model: `call_id` → output text."""
        outputs: dict[str, str] = {}
        if self.kind == "responses":
            items = self.body.get("input")
            for item in items if isinstance(items, list) else []:
                if isinstance(item, dict) and item.get("type") == "function_call_output":
                    outputs[str(item.get("call_id"))] = _output_text(item.get("output"))
        elif self.kind == "chat_completions":
            for message in self.body.get("messages") or []:
                if isinstance(message, dict) and message.get("role") == "tool":
                    call_id = str(message.get("tool_call_id"))
                    outputs[call_id] = _output_text(message.get("content"))
        return outputs

    def thought_signatures(self) -> list[str]:
        """Gemini thought signatures echoed back on earlier tool calls, in order.

        Read from `messages[].tool_calls[].extra_content.google.thought_signature` (Chat
        Completions, as Google's OpenAI-compatible endpoint expects them).
        """
        signatures: list[str] = []
        for message in self.body.get("messages") or []:
            if not isinstance(message, dict):
                continue
            for call in message.get("tool_calls") or []:
                extra = call.get("extra_content") if isinstance(call, dict) else None
                google = extra.get("google") if isinstance(extra, dict) else None
                signature = google.get("thought_signature") if isinstance(google, dict) else None
                if isinstance(signature, str):
                    signatures.append(signature)
        return signatures


_ERROR_TYPES = {
    400: ("invalid_request_error", None),
    401: ("invalid_request_error", "invalid_api_key"),
    403: ("invalid_request_error", "unsupported_country_region_territory"),
    404: ("invalid_request_error", "model_not_found"),
    429: ("requests", "rate_limit_exceeded"),
    500: ("server_error", None),
}


@dataclass
class _Call:
    """A `ToolCall` with its ids settled for one answer."""

    item_id: str
    call_id: str
    name: str
    arguments: str
    thought_signature: str | None


@dataclass
class _Answer:
    """What one request is answered with: optional text, then function calls."""

    text: str | None
    calls: list[_Call]

    def output_tokens(self) -> int:
        words = len(self.text.split()) if self.text else 0
        return words + sum(max(1, len(c.arguments) // 4) for c in self.calls)


@dataclass
class _Budget:
    """Counts deltas for `Reply.fail_after`."""

    fail_after: int | None
    sent: int = 0

    def spend(self) -> bool:
        """Takes one delta; False when the reply should fail instead."""
        if self.fail_after is not None and self.sent >= self.fail_after:
            return False
        self.sent += 1
        return True


@dataclass
class ScriptedOpenAIServer:
    """Owns the aiohttp app; queue `Reply`s in `replies`, or set `default`.

    `models` is what `GET /v1/models` lists. With `require_key` set, a request whose
    `Authorization` is not `Bearer <require_key>` gets a 401 (it is recorded, but takes no reply).
    """

    default: Reply = field(default_factory=Reply)
    replies: deque[Reply] = field(default_factory=deque)
    requests: list[RecordedRequest] = field(default_factory=list)
    models: list[str] = field(default_factory=lambda: list(DEFAULT_MODELS))
    require_key: str | None = None
    _ids: itertools.count[int] = field(default_factory=itertools.count)

    def queue(self, *replies: Reply) -> None:
        self.replies.extend(replies)

    def make_app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v1/responses", self._responses)
        app.router.add_post("/v1/chat/completions", self._chat_completions)
        app.router.add_get("/v1/models", self._models)
        app.router.add_get("/v1/models/{model}", self._model)
        return app

    # helpers ------------------------------------------------------------------------------

    async def _record(self, request: web.Request) -> tuple[RecordedRequest, web.Response | None]:
        """Records the request; returns an error response for bad JSON or a wrong key."""
        body: dict[str, Any] = {}
        problem: web.Response | None = None
        if request.method == "POST":
            try:
                parsed = await request.json()
            except ValueError:
                parsed = None
            if isinstance(parsed, dict):
                body = parsed
            else:
                problem = _error_response(
                    400,
                    "We could not parse the JSON body of your request.",
                )
        recorded = RecordedRequest(request.path, dict(request.headers), body, request.method)
        self.requests.append(recorded)
        if self.require_key is not None:
            sent = request.headers.get("Authorization")
            if not sent:
                return recorded, _error_response(
                    401,
                    "You didn't provide an API key. You need to provide your API key in an "
                    "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
                    with_code=False,
                )
            if sent != f"Bearer {self.require_key}":
                return recorded, _error_response(401, "Incorrect API key provided.")
        return recorded, problem

    async def _begin(self, request: web.Request) -> tuple[Reply, dict[str, Any]] | web.Response:
        recorded, problem = await self._record(request)
        if problem is not None:
            return problem
        reply = self.replies.popleft() if self.replies else self.default
        if reply.hang:
            await asyncio.sleep(3600)
        if reply.status != 200:
            return self._error(reply)
        return reply, recorded.body

    @staticmethod
    def _error(reply: Reply) -> web.Response:
        return _error_response(reply.status, reply.error_message)

    @staticmethod
    def _pieces(reply: Reply, text: str) -> list[str]:
        if reply.chunks is None:
            words = text.split(" ")
            return [w if i == 0 else " " + w for i, w in enumerate(words)]
        return _split(text, reply.chunks)

    @staticmethod
    def _argument_pieces(reply: Reply, arguments: str) -> list[str]:
        return _split(arguments, reply.chunks if reply.chunks is not None else 3)

    def _answer(self, reply: Reply, user_text: str) -> _Answer:
        if reply.tool_calls:
            text = reply.text
        else:
            text = reply.text if reply.text is not None else _echo(user_text)
        calls = []
        for call in reply.tool_calls:
            n = next(self._ids)
            calls.append(
                _Call(
                    item_id=f"fc_{n:024x}",
                    call_id=call.call_id or f"call_{n:024x}",
                    name=call.name,
                    arguments=call.arguments,
                    thought_signature=call.thought_signature,
                )
            )
        return _Answer(text, calls)

    async def _non_streamed_delay(self, reply: Reply, answer: _Answer) -> web.Response | None:
        """Sleeps as long as streaming would have; the 500 a `fail_after` reply ends with."""
        deltas = len(self._pieces(reply, answer.text)) if answer.text is not None else 0
        deltas += sum(len(self._argument_pieces(reply, c.arguments)) for c in answer.calls)
        if reply.fail_after is not None and reply.fail_after < deltas:
            if reply.delay_s:
                await asyncio.sleep(reply.delay_s * reply.fail_after)
            return _error_response(500, reply.error_message)
        if reply.delay_s:
            await asyncio.sleep(reply.delay_s * deltas)
        return None

    async def _sse_start(self, request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await resp.prepare(request)
        return resp

    # Responses API ------------------------------------------------------------------------

    async def _responses(self, request: web.Request) -> web.StreamResponse:
        begun = await self._begin(request)
        if isinstance(begun, web.Response):
            return begun
        reply, body = begun
        answer = self._answer(reply, _last_user_text_responses(body))
        model = body.get("model", "unknown")
        n = next(self._ids)
        resp_id, msg_id = f"resp_{n:016x}", f"msg_{n:016x}"
        if body.get("stream") is not True:
            failed = await self._non_streamed_delay(reply, answer)
            if failed is not None:
                return failed
            output: list[dict[str, Any]] = []
            if answer.text is not None:
                output.append(_message_item(msg_id, answer.text, "completed"))
            output.extend(_function_call_item(c, "completed", c.arguments) for c in answer.calls)
            final = _response_object(
                resp_id, model, "completed", output, _responses_usage(answer), body
            )
            return web.json_response(final)

        resp = await self._sse_start(request)
        seq = itertools.count()
        budget = _Budget(reply.fail_after)

        async def send(event: dict[str, Any]) -> None:
            event["sequence_number"] = next(seq)
            await resp.write(f"event: {event['type']}\ndata: {json.dumps(event)}\n\n".encode())

        async def delta(event: dict[str, Any]) -> bool:
            if not budget.spend():
                await send(
                    {
                        "type": "error",
                        "code": "server_error",
                        "message": reply.error_message,
                        "param": None,
                    }
                )
                return False
            if reply.delay_s:
                await asyncio.sleep(reply.delay_s)
            await send(event)
            return True

        base = _response_object(resp_id, model, "in_progress", [], None, body)
        await send({"type": "response.created", "response": base})
        await send({"type": "response.in_progress", "response": base})
        outputs: list[dict[str, Any]] = []

        if answer.text is not None:
            text = answer.text
            message = _message_item(msg_id, None, "in_progress")
            await send({"type": "response.output_item.added", "output_index": 0, "item": message})
            part = {"type": "output_text", "text": "", "annotations": [], "logprobs": []}
            await send(
                {
                    "type": "response.content_part.added",
                    "item_id": msg_id,
                    "output_index": 0,
                    "content_index": 0,
                    "part": part,
                }
            )
            for piece in self._pieces(reply, text):
                sent = await delta(
                    {
                        "type": "response.output_text.delta",
                        "item_id": msg_id,
                        "output_index": 0,
                        "content_index": 0,
                        "delta": piece,
                        "logprobs": [],
                    }
                )
                if not sent:
                    return resp
            done_part = {"type": "output_text", "text": text, "annotations": [], "logprobs": []}
            await send(
                {
                    "type": "response.output_text.done",
                    "item_id": msg_id,
                    "output_index": 0,
                    "content_index": 0,
                    "text": text,
                    "logprobs": [],
                }
            )
            await send(
                {
                    "type": "response.content_part.done",
                    "item_id": msg_id,
                    "output_index": 0,
                    "content_index": 0,
                    "part": done_part,
                }
            )
            message = _message_item(msg_id, text, "completed")
            await send({"type": "response.output_item.done", "output_index": 0, "item": message})
            outputs.append(message)

        for call in answer.calls:
            index = len(outputs)
            await send(
                {
                    "type": "response.output_item.added",
                    "output_index": index,
                    "item": _function_call_item(call, "in_progress", ""),
                }
            )
            for piece in self._argument_pieces(reply, call.arguments):
                sent = await delta(
                    {
                        "type": "response.function_call_arguments.delta",
                        "item_id": call.item_id,
                        "output_index": index,
                        "delta": piece,
                    }
                )
                if not sent:
                    return resp
            await send(
                {
                    "type": "response.function_call_arguments.done",
                    "item_id": call.item_id,
                    "output_index": index,
                    "name": call.name,
                    "arguments": call.arguments,
                }
            )
            item = _function_call_item(call, "completed", call.arguments)
            await send({"type": "response.output_item.done", "output_index": index, "item": item})
            outputs.append(item)

        final = _response_object(
            resp_id, model, "completed", outputs, _responses_usage(answer), body
        )
        await send({"type": "response.completed", "response": final})
        return resp

    # Chat Completions ---------------------------------------------------------------------

    async def _chat_completions(self, request: web.Request) -> web.StreamResponse:
        begun = await self._begin(request)
        if isinstance(begun, web.Response):
            return begun
        reply, body = begun
        answer = self._answer(reply, _last_user_text_chat(body))
        model = body.get("model", "unknown")
        chat_id = f"chatcmpl-{next(self._ids):016x}"
        created = int(time.time())
        finish = "tool_calls" if answer.calls else "stop"
        usage = _chat_usage(answer)

        if body.get("stream") is not True:
            failed = await self._non_streamed_delay(reply, answer)
            if failed is not None:
                return failed
            message: dict[str, Any] = {
                "role": "assistant",
                "content": answer.text,
                "refusal": None,
                "annotations": [],
            }
            if answer.calls:
                message["tool_calls"] = [_chat_tool_call(c) for c in answer.calls]
            completion = {
                "id": chat_id,
                "object": "chat.completion",
                "created": created,
                "model": model,
                "choices": [
                    {"index": 0, "message": message, "finish_reason": finish, "logprobs": None}
                ],
                "usage": usage,
                "system_fingerprint": None,
            }
            return web.json_response(completion)

        resp = await self._sse_start(request)
        budget = _Budget(reply.fail_after)

        async def send(delta: dict[str, Any], finish: str | None = None) -> None:
            chunk = {
                "id": chat_id,
                "object": "chat.completion.chunk",
                "created": created,
                "model": model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            }
            await resp.write(f"data: {json.dumps(chunk)}\n\n".encode())

        async def delta(delta: dict[str, Any]) -> bool:
            if not budget.spend():
                error = {"error": {"message": reply.error_message, "type": "server_error"}}
                await resp.write(f"data: {json.dumps(error)}\n\n".encode())
                return False
            if reply.delay_s:
                await asyncio.sleep(reply.delay_s)
            await send(delta)
            return True

        if answer.text is not None:
            await send({"role": "assistant", "content": ""})
            for piece in self._pieces(reply, answer.text):
                if not await delta({"content": piece}):
                    return resp
        for index, call in enumerate(answer.calls):
            head = _chat_tool_call(call, arguments="")
            head["index"] = index
            first: dict[str, Any] = {"tool_calls": [head]}
            if index == 0 and answer.text is None:
                first = {"role": "assistant", "content": None, **first}
            await send(first)
            for piece in self._argument_pieces(reply, call.arguments):
                if not await delta(
                    {"tool_calls": [{"index": index, "function": {"arguments": piece}}]}
                ):
                    return resp
        await send({}, finish=finish)
        if (body.get("stream_options") or {}).get("include_usage"):
            usage_chunk = {
                "id": chat_id,
                "object": "chat.completion.chunk",
                "created": created,
                "model": model,
                "choices": [],
                "usage": usage,
            }
            await resp.write(f"data: {json.dumps(usage_chunk)}\n\n".encode())
        await resp.write(b"data: [DONE]\n\n")
        return resp

    # Models -------------------------------------------------------------------------------

    async def _models(self, request: web.Request) -> web.Response:
        _, problem = await self._record(request)
        if problem is not None:
            return problem
        return web.json_response({"object": "list", "data": [_model(m) for m in self.models]})

    async def _model(self, request: web.Request) -> web.Response:
        _, problem = await self._record(request)
        if problem is not None:
            return problem
        name = request.match_info["model"]
        if name not in self.models:
            return _error_response(
                404,
                f"The model `{name}` does not exist or you do not have access to it.",
                param="model",
            )
        return web.json_response(_model(name))


def _error_response(
    status: int,
    message: str,
    *,
    with_code: bool = True,
    param: str | None = None,
) -> web.Response:
    kind, default_code = _ERROR_TYPES.get(status, ("server_error", None))
    return web.json_response(
        {
            "error": {
                "message": message,
                "type": kind,
                "param": param,
                "code": default_code if with_code else None,
            }
        },
        status=status,
    )


def _split(text: str, n: int) -> list[str]:
    if not text:
        return []
    size = max(1, -(-len(text) // max(1, n)))
    return [text[i : i + size] for i in range(0, len(text), size)]


def _model(name: str) -> dict[str, Any]:
    return {"id": name, "object": "model", "created": 0, "owned_by": "scripted"}


def _message_item(msg_id: str, text: str | None, status: str) -> dict[str, Any]:
    content = (
        []
        if text is None
        else [{"type": "output_text", "text": text, "annotations": [], "logprobs": []}]
    )
    return {
        "id": msg_id,
        "type": "message",
        "role": "assistant",
        "status": status,
        "content": content,
    }


def _function_call_item(call: _Call, status: str, arguments: str) -> dict[str, Any]:
    return {
        "id": call.item_id,
        "type": "function_call",
        "status": status,
        "call_id": call.call_id,
        "name": call.name,
        "arguments": arguments,
    }


def _chat_tool_call(call: _Call, arguments: str | None = None) -> dict[str, Any]:
    tool_call: dict[str, Any] = {
        "id": call.call_id,
        "type": "function",
        "function": {
            "name": call.name,
            "arguments": call.arguments if arguments is None else arguments,
        },
    }
    if call.thought_signature is not None:
        # Where Google's OpenAI-compatible endpoint puts Gemini's thought signatures.
        tool_call["extra_content"] = {"google": {"thought_signature": call.thought_signature}}
    return tool_call


def _responses_usage(answer: _Answer) -> dict[str, Any]:
    output = answer.output_tokens()
    return {
        "input_tokens": 10,
        "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
        "output_tokens": output,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": 10 + output,
    }


def _chat_usage(answer: _Answer) -> dict[str, Any]:
    output = answer.output_tokens()
    return {"prompt_tokens": 10, "completion_tokens": output, "total_tokens": 10 + output}


def _response_object(
    resp_id: str,
    model: str,
    status: str,
    output: list[Any],
    usage: dict[str, Any] | None,
    body: dict[str, Any] | None = None,
) -> dict[str, Any]:
    body = body or {}
    return {
        "id": resp_id,
        "object": "response",
        "created_at": int(time.time()),
        "status": status,
        "model": model,
        "output": output,
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "tools": [],
        "error": None,
        "incomplete_details": None,
        "instructions": body.get("instructions")
        if isinstance(body.get("instructions"), str)
        else None,
        "metadata": {},
        "temperature": 1.0,
        "top_p": 1.0,
        "text": {"format": {"type": "text"}},
        "usage": usage,
    }


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    texts = [c.get("text", "") for c in content or [] if isinstance(c, dict)]
    return " ".join(t for t in texts if isinstance(t, str) and t)


def _output_text(output: Any) -> str:
    if isinstance(output, str):
        return output
    if isinstance(output, list):
        return _content_text(output)
    return json.dumps(output)


def _echo(user_text: str) -> str:
    return f"You said: {user_text}" if user_text else "Hello from the scripted server."


def _last_user_text_responses(body: dict[str, Any]) -> str:
    items = body.get("input")
    if isinstance(items, str):
        return items
    for item in reversed(items or []):
        if isinstance(item, dict) and item.get("role") == "user":
            content = item.get("content")
            if isinstance(content, str):
                return content
            texts = [c.get("text", "") for c in content or [] if isinstance(c, dict)]
            joined = " ".join(t for t in texts if t)
            if joined and not joined.startswith("Hidden context"):
                return joined
    return ""


def _last_user_text_chat(body: dict[str, Any]) -> str:
    for message in reversed(body.get("messages") or []):
        if message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, str):
                return content
            return " ".join(c.get("text", "") for c in content or [] if isinstance(c, dict))
    return ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--delay", type=float, default=0.05, help="seconds between deltas")
    parser.add_argument("--require-key", default=None, help="answer 401 unless this key is sent")
    args = parser.parse_args()
    server = ScriptedOpenAIServer(default=Reply(delay_s=args.delay), require_key=args.require_key)
    print(f"Scripted OpenAI-protocol server on http://127.0.0.1:{args.port}/v1", flush=True)
    web.run_app(server.make_app(), host="127.0.0.1", port=args.port, print=None)


if __name__ == "__main__":
    main()
