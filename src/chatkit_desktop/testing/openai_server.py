"""A real local HTTP server that speaks OpenAI's streaming protocols with scripted answers.

It is not OpenAI: it answers `POST /v1/responses` (the Responses API event stream) and
`POST /v1/chat/completions` (Chat Completions chunks ending in `data: [DONE]`) on 127.0.0.1, so
tests, benchmarks and demos can drive the real OpenAI client end to end with no internet. Every
request is recorded (headers and JSON body) for assertions.

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
from typing import Any

from aiohttp import web


@dataclass
class Reply:
    """How the server answers one request.

    `text=None` echoes the last user message ("You said: …"). `status` other than 200 answers
    with OpenAI's JSON error shape. `fail_after` sends that many deltas, then an error event.
    `hang` never answers (for client time-outs).
    """

    text: str | None = None
    chunks: int | None = None
    delay_s: float = 0.0
    status: int = 200
    error_message: str = "Scripted failure"
    fail_after: int | None = None
    hang: bool = False


@dataclass
class RecordedRequest:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]

    @property
    def authorization(self) -> str | None:
        return self.headers.get("Authorization")


_ERROR_TYPES = {
    400: ("invalid_request_error", None),
    401: ("invalid_request_error", "invalid_api_key"),
    403: ("invalid_request_error", "unsupported_country_region_territory"),
    404: ("invalid_request_error", "model_not_found"),
    429: ("requests", "rate_limit_exceeded"),
    500: ("server_error", None),
}


@dataclass
class ScriptedOpenAIServer:
    """Owns the aiohttp app; queue `Reply`s in `replies`, or set `default`."""

    default: Reply = field(default_factory=Reply)
    replies: deque[Reply] = field(default_factory=deque)
    requests: list[RecordedRequest] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=itertools.count)

    def queue(self, *replies: Reply) -> None:
        self.replies.extend(replies)

    def make_app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v1/responses", self._responses)
        app.router.add_post("/v1/chat/completions", self._chat_completions)
        app.router.add_get("/v1/models", self._models)
        return app

    # helpers ------------------------------------------------------------------------------

    async def _begin(self, request: web.Request) -> tuple[Reply, dict[str, Any]]:
        body = await request.json()
        self.requests.append(RecordedRequest(request.path, dict(request.headers), body))
        reply = self.replies.popleft() if self.replies else self.default
        if reply.hang:
            await asyncio.sleep(3600)
        return reply, body

    @staticmethod
    def _error(reply: Reply) -> web.Response:
        kind, code = _ERROR_TYPES.get(reply.status, ("server_error", None))
        return web.json_response(
            {"error": {"message": reply.error_message, "type": kind, "param": None, "code": code}},
            status=reply.status,
        )

    @staticmethod
    def _pieces(reply: Reply, text: str) -> list[str]:
        if reply.chunks is None:
            words = text.split(" ")
            return [w if i == 0 else " " + w for i, w in enumerate(words)]
        n = max(1, reply.chunks)
        size = max(1, -(-len(text) // n))
        return [text[i : i + size] for i in range(0, len(text), size)]

    async def _sse_start(self, request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await resp.prepare(request)
        return resp

    # Responses API ------------------------------------------------------------------------

    async def _responses(self, request: web.Request) -> web.StreamResponse:
        reply, body = await self._begin(request)
        if reply.status != 200:
            return self._error(reply)
        text = reply.text if reply.text is not None else _echo(_last_user_text_responses(body))
        model = body.get("model", "unknown")
        n = next(self._ids)
        resp_id, msg_id = f"resp_{n:016x}", f"msg_{n:016x}"
        resp = await self._sse_start(request)
        seq = itertools.count()

        async def send(event: dict[str, Any]) -> None:
            event["sequence_number"] = next(seq)
            await resp.write(f"event: {event['type']}\ndata: {json.dumps(event)}\n\n".encode())

        base = _response_object(resp_id, model, "in_progress", [], None)
        await send({"type": "response.created", "response": base})
        await send({"type": "response.in_progress", "response": base})
        message: dict[str, Any] = {
            "id": msg_id,
            "type": "message",
            "role": "assistant",
            "status": "in_progress",
            "content": [],
        }
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
        for i, piece in enumerate(self._pieces(reply, text)):
            if reply.fail_after is not None and i >= reply.fail_after:
                await send(
                    {
                        "type": "error",
                        "code": "server_error",
                        "message": reply.error_message,
                        "param": None,
                    }
                )
                return resp
            if reply.delay_s:
                await asyncio.sleep(reply.delay_s)
            await send(
                {
                    "type": "response.output_text.delta",
                    "item_id": msg_id,
                    "output_index": 0,
                    "content_index": 0,
                    "delta": piece,
                    "logprobs": [],
                }
            )
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
        message = {**message, "status": "completed", "content": [done_part]}
        await send({"type": "response.output_item.done", "output_index": 0, "item": message})
        usage = {
            "input_tokens": 10,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": len(text.split()),
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": 10 + len(text.split()),
        }
        final = _response_object(resp_id, model, "completed", [message], usage)
        await send({"type": "response.completed", "response": final})
        return resp

    # Chat Completions ---------------------------------------------------------------------

    async def _chat_completions(self, request: web.Request) -> web.StreamResponse:
        reply, body = await self._begin(request)
        if reply.status != 200:
            return self._error(reply)
        text = reply.text if reply.text is not None else _echo(_last_user_text_chat(body))
        model = body.get("model", "unknown")
        chat_id = f"chatcmpl-{next(self._ids):016x}"
        created = int(time.time())
        resp = await self._sse_start(request)

        async def send(delta: dict[str, Any], finish: str | None = None) -> None:
            chunk = {
                "id": chat_id,
                "object": "chat.completion.chunk",
                "created": created,
                "model": model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            }
            await resp.write(f"data: {json.dumps(chunk)}\n\n".encode())

        await send({"role": "assistant", "content": ""})
        for i, piece in enumerate(self._pieces(reply, text)):
            if reply.fail_after is not None and i >= reply.fail_after:
                error = {"error": {"message": reply.error_message, "type": "server_error"}}
                await resp.write(f"data: {json.dumps(error)}\n\n".encode())
                return resp
            if reply.delay_s:
                await asyncio.sleep(reply.delay_s)
            await send({"content": piece})
        await send({}, finish="stop")
        if (body.get("stream_options") or {}).get("include_usage"):
            usage_chunk = {
                "id": chat_id,
                "object": "chat.completion.chunk",
                "created": created,
                "model": model,
                "choices": [],
                "usage": {
                    "prompt_tokens": 10,
                    "completion_tokens": len(text.split()),
                    "total_tokens": 10 + len(text.split()),
                },
            }
            await resp.write(f"data: {json.dumps(usage_chunk)}\n\n".encode())
        await resp.write(b"data: [DONE]\n\n")
        return resp

    async def _models(self, request: web.Request) -> web.Response:
        return web.json_response({"object": "list", "data": []})


def _response_object(
    resp_id: str, model: str, status: str, output: list[Any], usage: dict[str, Any] | None
) -> dict[str, Any]:
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
        "instructions": None,
        "metadata": {},
        "temperature": 1.0,
        "top_p": 1.0,
        "text": {"format": {"type": "text"}},
        "usage": usage,
    }


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
    args = parser.parse_args()
    server = ScriptedOpenAIServer(default=Reply(delay_s=args.delay))
    print(f"Scripted OpenAI-protocol server on http://127.0.0.1:{args.port}/v1", flush=True)
    web.run_app(server.make_app(), host="127.0.0.1", port=args.port, print=None)


if __name__ == "__main__":
    main()
