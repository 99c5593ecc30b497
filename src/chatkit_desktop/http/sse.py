"""Server-sent events for ChatKit's streaming requests.

The SDK's stream runs in its own task and hands chunks over a queue. Two reasons:
- the HTTP status is decided by the first event: a missing thread is a 404, not a 200 that breaks;
- when the client disconnects (aiohttp cancels the handler) or the app shuts down, cancelling that
  task delivers the cancellation *inside* the SDK's generator, where `handle_stream_cancelled`
  saves the partial answer. Cancelling the handler alone could land between chunks and skip it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterable, Callable

from aiohttp import web

log = logging.getLogger(__name__)

SSE_HEADERS = {
    "Content-Type": "text/event-stream",
    "Cache-Control": "no-cache",
    "X-Accel-Buffering": "no",
}

_END = object()


async def stream_sse(
    request: web.Request,
    chunks: AsyncIterable[bytes],
    *,
    registry: set[asyncio.Task[None]],
    early_error: Callable[[Exception], Exception],
    late_error: Callable[[Exception], bytes],
    transform: Callable[[bytes], bytes] | None = None,
) -> web.StreamResponse:
    """Send `chunks` as an event stream.

    `early_error` maps an exception raised before the first chunk to the error the handler
    raises (it becomes a JSON answer); `late_error` maps one raised after headers went out to a
    final SSE event. `transform`, if given, rewrites each chunk (one event) before it is sent.
    """
    queue: asyncio.Queue[object] = asyncio.Queue()

    async def produce() -> None:
        try:
            if transform is None:
                async for chunk in chunks:
                    queue.put_nowait(chunk)
            else:
                async for chunk in chunks:
                    queue.put_nowait(transform(chunk))
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # handed to the handler, which answers in words
            queue.put_nowait(exc)
        finally:
            queue.put_nowait(_END)

    task = asyncio.create_task(produce(), name=f"chatkit-stream {request.path}")
    registry.add(task)
    task.add_done_callback(registry.discard)
    try:
        first = await queue.get()
        if isinstance(first, Exception):
            raise early_error(first)
        response = web.StreamResponse(headers=SSE_HEADERS)
        await response.prepare(request)
        item = first
        while True:
            # Whatever else is already queued goes out with it, in one write: each write
            # costs a send and a read on the other side, which adds up when the model
            # answers faster than the page reads. One event alone still goes out at once.
            batch: list[bytes] = []
            while item is not _END:
                if isinstance(item, Exception):
                    batch.append(late_error(item))
                else:
                    assert isinstance(item, bytes)
                    batch.append(item)
                if queue.empty():
                    break
                item = queue.get_nowait()
            if batch:
                await response.write(batch[0] if len(batch) == 1 else b"".join(batch))
            if item is _END:
                break
            item = await queue.get()
        await response.write_eof()
        return response
    except (asyncio.CancelledError, ConnectionResetError):
        # The client went away: stop the turn where it is; the SDK saves what was said so far.
        task.cancel()
        await asyncio.wait({task})
        raise


def error_event(code: str, message: str, *, allow_retry: bool = False) -> bytes:
    payload = {"type": "error", "code": code, "message": message, "allow_retry": allow_retry}
    return b"data: " + json.dumps(payload).encode() + b"\n\n"


async def cancel_streams(registry: set[asyncio.Task[None]]) -> None:
    """At shutdown: cancel every turn in flight and wait until each saved its partial answer."""
    tasks = list(registry)
    for task in tasks:
        task.cancel()
    if tasks:
        with contextlib.suppress(Exception):
            await asyncio.wait(tasks, timeout=10)
