"""Assertions and small protocol helpers shared by the HTTP tests."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient

from tests.support.chatkit_client import call, stream, thread_id_of, user_input

T = TypeVar("T")


def assert_clean_body(text: str) -> None:
    """No response may leak a Python traceback or an HTML error page."""
    assert "Traceback" not in text, text
    assert "<html" not in text.lower(), text


async def assert_json_error(resp: ClientResponse, status: int, *words: str) -> dict[str, Any]:
    """The response is `status` with the JSON error shape, and its message names `words`."""
    text = await resp.text()
    assert resp.status == status, text
    assert resp.content_type == "application/json", (resp.content_type, text)
    assert_clean_body(text)
    error = (await resp.json())["error"]
    assert isinstance(error["code"], str) and error["code"]
    assert isinstance(error["message"], str) and error["message"]
    for word in words:
        assert word.lower() in error["message"].lower(), (word, error["message"])
    return dict(error)


async def eventually(
    probe: Callable[[], Awaitable[T | None]], *, timeout: float = 5.0, interval: float = 0.02
) -> T:
    """Poll `probe` until it returns something truthy, or fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = await probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s (last: {value!r})")
        await asyncio.sleep(interval)


async def items_of(client: TestClient, thread_id: str, order: str = "asc") -> list[dict[str, Any]]:
    page = await call(client, "items.list", {"thread_id": thread_id, "order": order, "limit": 100})
    return list(page["data"])


def text_of(item: dict[str, Any]) -> str:
    return "".join(part.get("text", "") for part in item["content"])


async def new_thread(client: TestClient, text: str = "Hello") -> tuple[str, list[dict[str, Any]]]:
    events = await stream(client, "threads.create", {"input": user_input(text)})
    return thread_id_of(events), events


def error_events(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in events if e["type"] == "error"]
