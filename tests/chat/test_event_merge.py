"""The replacement for ChatKit's `_merge_generators`: same contract, pinned to the SDK it replaces.

If a test in the first group fails after an SDK upgrade, read the new `chatkit.agents`
`_merge_generators` and `stream_agent_response`, check that `event_merge.merge_generators` still
keeps their contract, then update the pins.
"""

from __future__ import annotations

import asyncio
import hashlib
import inspect
from collections.abc import AsyncIterator
from importlib.metadata import version

import chatkit.agents as sdk
import pytest

from chatkit_desktop.chat import event_merge
from chatkit_desktop.chat.event_merge import merge_generators

# --- pins -----------------------------------------------------------------------------------

SDK_VERSION = "1.6.5"
# sha256 of `inspect.getsource(chatkit.agents._merge_generators)` in that version.
SDK_MERGE_SOURCE = "29b1fa54aec412b9265d9c1c3a1b40c4f266d1b8b52437ef5b5ff06cc263a2de"
SDK_CALL = "_merge_generators(result.stream_events(), queue_iterator)"


def test_the_sdk_is_the_version_the_replacement_was_written_for():
    assert version("openai-chatkit") == SDK_VERSION


def test_the_sdk_function_replaced_is_unchanged():
    source = inspect.getsource(sdk).split("async def _merge_generators(", 1)[1]
    source = "async def _merge_generators(" + source.split("\nclass ", 1)[0].rstrip() + "\n"
    assert hashlib.sha256(source.encode()).hexdigest() == SDK_MERGE_SOURCE


def test_stream_agent_response_still_calls_it_by_name():
    assert SDK_CALL in inspect.getsource(sdk.stream_agent_response)


def test_install_replaces_it_and_is_idempotent():
    assert event_merge.install()
    assert sdk._merge_generators is merge_generators
    assert event_merge.install()


def test_install_leaves_an_unknown_function_alone(monkeypatch):
    async def different(a, b):  # type: ignore[no-untyped-def]
        yield None

    monkeypatch.setattr(sdk, "_merge_generators", different)
    assert not event_merge.install()
    assert sdk._merge_generators is different


# --- contract ---------------------------------------------------------------------------------


async def _items(*values: object, pause: asyncio.Event | None = None) -> AsyncIterator[object]:
    for value in values:
        if pause is not None and value == "pause":
            await pause.wait()
            continue
        yield value
        await asyncio.sleep(0)


class _Queue:
    """Like ChatKit's context queue (`_AsyncQueueIterator`): ends only when it gets None."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[object] = asyncio.Queue()

    def __aiter__(self) -> _Queue:
        return self

    async def __anext__(self) -> object:
        item = await self.queue.get()
        if item is None:
            raise StopAsyncIteration
        return item


async def test_items_of_both_sources_arrive_in_order_and_the_merge_ends_with_the_run():
    context = _Queue()
    context.queue.put_nowait("progress")
    merged = [item async for item in merge_generators(_items("a1", "a2", "a3"), context)]
    assert sorted(merged, key=str) == ["a1", "a2", "a3", "progress"]
    assert [m for m in merged if m != "progress"] == ["a1", "a2", "a3"]


async def test_items_the_other_source_already_gave_are_not_lost_when_the_run_ends():
    context = _Queue()

    async def run() -> AsyncIterator[str]:
        yield "a1"
        context.queue.put_nowait("late")  # handed over just before the run ends
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        yield "a2"

    merged = [item async for item in merge_generators(run(), context)]
    assert merged == ["a1", "late", "a2"]


async def test_items_left_in_the_context_queue_stay_there_for_the_sdk_to_drain():
    context = _Queue()
    merged = [item async for item in merge_generators(_items("a1"), context)]
    assert merged == ["a1"]
    context.queue.put_nowait("after")
    context.queue.put_nowait(None)
    assert [item async for item in context] == ["after"]


async def test_an_error_from_the_run_is_raised_in_its_place():
    async def failing() -> AsyncIterator[str]:
        yield "a1"
        yield "a2"
        raise ValueError("provider failed")

    seen: list[object] = []
    with pytest.raises(ValueError, match="provider failed"):
        async for item in merge_generators(failing(), _Queue()):
            seen.append(item)
    assert seen == ["a1", "a2"]


async def test_closing_the_merge_cancels_both_pumps():
    before = asyncio.all_tasks()
    never = asyncio.Event()
    merged = merge_generators(_items("a1", "pause", "a2", pause=never), _Queue())
    assert await merged.__anext__() == "a1"
    await merged.aclose()
    await asyncio.sleep(0)
    left = [task for task in asyncio.all_tasks() - before if not task.done()]
    assert left == []


async def test_a_burst_is_handed_over_without_suspending_per_item():
    """Items already waiting are taken in one go: the consumer does not wait a loop step each."""

    async def burst() -> AsyncIterator[int]:
        for n in range(100):
            yield n  # no await between items

    steps = 0
    stop = asyncio.Event()

    async def count_loop_steps() -> None:
        nonlocal steps
        while not stop.is_set():
            steps += 1
            await asyncio.sleep(0)

    counter = asyncio.create_task(count_loop_steps())
    merged = [item async for item in merge_generators(burst(), _Queue())]
    stop.set()
    await counter
    assert merged == list(range(100))
    assert steps < 20, steps  # the SDK's own merge takes several loop steps per item
