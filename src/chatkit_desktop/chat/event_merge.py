"""A replacement for one private function of the ChatKit SDK: `chatkit.agents._merge_generators`.

Why: `stream_agent_response` merges the Agents SDK's event stream with the events tools put on
the `AgentContext` by calling `_merge_generators(result.stream_events(), queue_iterator)`. The
SDK's version creates a Task for every `__anext__` and waits for it with `asyncio.wait`: three
event-loop steps per event, even when the next events are already waiting. When a model answers
in a burst, those steps dominate ChatKit's cost per event and hand control back after every event,
so the HTTP stream cannot write several events at once. Measured on a 500-delta answer replayed in
process (`DesktopChatKitServer.process` with the SQLite store): 28 ms of CPU per turn with the
SDK's merge, 15 ms with this one.

How: one pump task per source moves its items into one FIFO (a deque); the consumer takes every
item already there without suspending. The contract is the SDK's:
- items of both sources in the order they arrive;
- when one source ends, what the other already produced is still yielded, nothing more is taken
  from it (its pump is cancelled: for ChatKit's context queue that loses nothing, the SDK drains
  that queue itself afterwards), and the merge ends;
- an exception from a source is raised to the consumer in its place in the order.
Differences, harmless for the app: the run's events are taken from the Agents SDK's queue as
soon as they arrive rather than one at a time as the consumer asks (that queue is unbounded
anyway; the runner's wait for consumers between turns, which only `cancel(mode="after_turn")`
relies on and the app never uses, ends when the pump took the events rather than when ChatKit
handled them); and when the merge is closed or cancelled, the pumps are cancelled (the SDK's
version leaves its pending tasks behind; `respond()` cancels the run either way).

Pinned: `install()` replaces the SDK's function only when it is the one this was written against
(openai-chatkit 1.6.5: same argument, local and global names) and `stream_agent_response` still
calls it by that name; otherwise the SDK's own stays (slower, same behaviour) with a warning.
tests/chat/test_event_merge.py fails when the SDK's function or its call site changes, so that
whoever upgrades the SDK looks at this again.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import AsyncIterator
from typing import Any, TypeVar

log = logging.getLogger(__name__)

T1 = TypeVar("T1")
T2 = TypeVar("T2")

# What `chatkit.agents._merge_generators.__code__` looks like in openai-chatkit 1.6.5.
PINNED_VARNAMES = (
    "a",
    "b",
    "pending",
    "pending_tasks",
    "done",
    "_",
    "stop",
    "d",
    "result",
    "dg",
    "task",
)
PINNED_NAMES = (
    "len",
    "asyncio",
    "wait",
    "keys",
    "result",
    "ensure_future",
    "__anext__",
    "StopAsyncIteration",
    "cancel",
    "CancelledError",
    "InvalidStateError",
)

_END = object()


async def merge_generators(a: AsyncIterator[T1], b: AsyncIterator[T2]) -> AsyncIterator[T1 | T2]:
    """Items of `a` and `b` as they come, until either ends (see the module's docstring)."""
    # (source index, item or _END, exception) in arrival order; a deque and one future rather
    # than an asyncio.Queue: this runs once per streamed word.
    arrived: deque[tuple[int, Any, BaseException | None]] = deque()
    loop = asyncio.get_running_loop()
    waiting: asyncio.Future[None] | None = None

    def put(entry: tuple[int, Any, BaseException | None]) -> None:
        arrived.append(entry)
        if waiting is not None and not waiting.done():
            waiting.set_result(None)

    async def pump(index: int, source: AsyncIterator[Any]) -> None:
        try:
            async for item in source:
                put((index, item, None))
        except BaseException as exc:
            task = asyncio.current_task()
            if isinstance(exc, asyncio.CancelledError) and task is not None and task.cancelling():
                raise  # the merge is over: stop quietly
            put((index, None, exc))
            return
        put((index, _END, None))

    pumps = (
        asyncio.create_task(pump(0, a), name="chatkit-merge-run"),
        asyncio.create_task(pump(1, b), name="chatkit-merge-context"),
    )
    try:
        while True:
            while not arrived:
                waiting = loop.create_future()
                try:
                    await waiting
                finally:
                    waiting = None
            index, item, error = arrived.popleft()
            if error is not None:
                raise error
            if item is _END:
                break
            yield item
        # One source ended. The other gives up what it already handed over, then stops.
        pumps[1 - index].cancel()
        while arrived:
            _, item, error = arrived.popleft()
            if error is not None:
                raise error
            if item is not _END:
                yield item
    finally:
        for task in pumps:
            task.cancel()


def _matches(sdk: Any) -> bool:
    original = getattr(sdk, "_merge_generators", None)
    code = getattr(original, "__code__", None)
    caller = getattr(getattr(sdk, "stream_agent_response", None), "__code__", None)
    return (
        code is not None
        and caller is not None
        and code.co_argcount == 2
        and code.co_varnames == PINNED_VARNAMES
        and code.co_names == PINNED_NAMES
        and "_merge_generators" in caller.co_names
    )


def install() -> bool:
    """Use `merge_generators` inside ChatKit's `stream_agent_response`; True when in place."""
    import chatkit.agents as sdk

    if sdk._merge_generators is merge_generators:
        return True
    if not _matches(sdk):
        log.warning(
            "chatkit.agents._merge_generators is not the one chatkit-desktop knows; "
            "keeping the SDK's own (streaming costs more CPU per event)"
        )
        return False
    sdk._merge_generators = merge_generators
    return True
