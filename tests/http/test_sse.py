"""`stream_sse`: events already waiting go out in one write, every event arrives, in order, and an
event alone is not held back waiting for company."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient

from chatkit_desktop.http.sse import error_event, stream_sse


def _event(n: int) -> bytes:
    return f'data: {{"n":{n}}}\n\n'.encode()


async def _client(
    aiohttp_client: Any,
    chunks: Callable[[], AsyncIterator[bytes]],
    transform: Callable[[bytes], bytes] | None = None,
) -> tuple[TestClient, list[int]]:
    """An app whose one route streams `chunks()`; also returns the sizes of the writes."""
    writes: list[int] = []

    async def handler(request: web.Request) -> web.StreamResponse:
        original = web.StreamResponse.write

        async def counted(self: web.StreamResponse, data: bytes) -> None:
            writes.append(len(data))
            await original(self, data)

        web.StreamResponse.write = counted  # type: ignore[method-assign]
        try:
            return await stream_sse(
                request,
                chunks(),
                registry=set(),
                early_error=lambda exc: web.HTTPNotFound(text=str(exc)),
                late_error=lambda exc: error_event("custom", str(exc)),
                transform=transform,
            )
        finally:
            web.StreamResponse.write = original  # type: ignore[method-assign]

    app = web.Application()
    app.router.add_get("/", handler)
    return await aiohttp_client(app), writes


async def test_a_burst_goes_out_in_few_writes_with_every_event_in_order(aiohttp_client):
    async def burst() -> AsyncIterator[bytes]:
        yield _event(0)  # the first event decides the status: it goes out alone
        await asyncio.sleep(0)
        for n in range(1, 200):  # no suspension in between: all are queued at once
            yield _event(n)

    client, writes = await _client(aiohttp_client, burst)
    resp = await client.get("/")
    assert resp.status == 200
    body = await resp.read()
    assert body == b"".join(_event(n) for n in range(200))
    assert len(writes) < 20, writes  # not one write per event


async def test_an_event_alone_is_sent_before_the_next_one_exists(aiohttp_client):
    release = asyncio.Event()

    async def slow() -> AsyncIterator[bytes]:
        yield _event(0)
        await release.wait()  # the stream pauses until the client has the first event
        yield _event(1)

    client, _ = await _client(aiohttp_client, slow)
    resp = await client.get("/")
    async with asyncio.timeout(10):
        assert await resp.content.readline() == b'data: {"n":0}\n'
    release.set()
    assert (await resp.read()).endswith(_event(1))


async def test_an_error_after_headers_is_the_last_event_after_everything_before_it(aiohttp_client):
    async def failing() -> AsyncIterator[bytes]:
        for n in range(50):
            yield _event(n)
        raise RuntimeError("provider went away")

    client, _ = await _client(aiohttp_client, failing)
    resp = await client.get("/")
    assert resp.status == 200
    body = await resp.read()
    expected = b"".join(_event(n) for n in range(50)) + error_event("custom", "provider went away")
    assert body == expected


async def test_an_error_before_the_first_event_is_an_http_error(aiohttp_client):
    async def missing() -> AsyncIterator[bytes]:
        raise LookupError("Thread thr_x not found")
        yield b""  # pragma: no cover - makes this an async generator

    client, writes = await _client(aiohttp_client, missing)
    resp = await client.get("/")
    assert resp.status == 404
    assert writes == []


async def test_transform_rewrites_each_event(aiohttp_client):
    async def three() -> AsyncIterator[bytes]:
        for n in range(3):
            yield _event(n)

    client, _ = await _client(aiohttp_client, three, transform=lambda chunk: chunk.upper())
    resp = await client.get("/")
    assert await resp.read() == b"".join(_event(n).upper() for n in range(3))
