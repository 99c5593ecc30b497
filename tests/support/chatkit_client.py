"""Helpers for speaking the ChatKit protocol to the app over real HTTP in tests."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient

TOKEN = "test-token-0123456789abcdef0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def user_input(
    text: str, *, model: str | None = None, attachments: list[str] | None = None
) -> dict[str, Any]:
    options: dict[str, Any] = {}
    if model:
        options["model"] = model
    return {
        "content": [{"type": "input_text", "text": text}],
        "attachments": attachments or [],
        "inference_options": options,
    }


def parse_sse(raw: str) -> list[dict[str, Any]]:
    """Every `data:` event of a ChatKit stream, in order."""
    events = []
    for block in raw.split("\n\n"):
        for line in block.splitlines():
            if line.startswith("data: "):
                events.append(json.loads(line[len("data: ") :]))
    return events


async def post(
    client: TestClient, type_: str, params: dict[str, Any] | None = None, **kw: Any
) -> ClientResponse:
    body = {"type": type_, "params": params or {}}
    headers = {**AUTH, "Content-Type": "application/json", **kw.pop("headers", {})}
    return await client.post("/chatkit/api", data=json.dumps(body), headers=headers, **kw)


async def call(client: TestClient, type_: str, params: dict[str, Any] | None = None) -> Any:
    """A non-streaming request that must succeed; returns its JSON."""
    resp = await post(client, type_, params)
    assert resp.status == 200, await resp.text()
    assert resp.content_type == "application/json"
    return await resp.json()


async def stream(
    client: TestClient, type_: str, params: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """A streaming request that must succeed; returns all its events."""
    resp = await post(client, type_, params)
    assert resp.status == 200, await resp.text()
    assert resp.content_type == "text/event-stream"
    return parse_sse(await resp.text())


def assistant_text(events: list[dict[str, Any]]) -> str:
    done = [
        e["item"]
        for e in events
        if e["type"] == "thread.item.done" and e["item"]["type"] == "assistant_message"
    ]
    assert done, f"no finished assistant message in {events}"
    return "".join(part["text"] for part in done[-1]["content"])


def thread_id_of(events: list[dict[str, Any]]) -> str:
    created = [e for e in events if e["type"] == "thread.created"]
    assert created, events
    return str(created[0]["thread"]["id"])
