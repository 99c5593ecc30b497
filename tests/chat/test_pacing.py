"""`PacedModel`: the model's events pass unchanged, and the event loop gets a turn after each of
the first events, so a fast stream cannot hold the first words back."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from typing import Any

from agents.models.interface import Model

from chatkit_desktop.chat.pacing import PacedModel


class _Burst(Model):
    """A model whose stream never suspends (an answer already in the socket's buffer)."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.closed = False
        self.stream_closed = False
        self.extra = "probed with getattr"

    async def get_response(self, *args: Any, **kwargs: Any) -> Any:
        return ("response", args, kwargs)

    async def stream_response(self, *args: Any, **kwargs: Any) -> AsyncIterator[Any]:  # type: ignore[override]
        try:
            for n in range(self.count):
                yield n
        finally:
            self.stream_closed = True

    async def close(self) -> None:
        self.closed = True


async def test_events_pass_in_order_and_others_get_a_turn_after_the_first_ones():
    paced = PacedModel(_Burst(200))
    paced.eager_events = 10
    paced.slice_s = 3600.0  # no time slices in this test: only the eager start
    turns = 0
    stop = asyncio.Event()

    async def other_task() -> None:
        nonlocal turns
        while not stop.is_set():
            turns += 1
            await asyncio.sleep(0)

    other = asyncio.create_task(other_task())
    await asyncio.sleep(0)
    seen: list[tuple[int, int]] = []
    async for event in paced.stream_response():
        seen.append((event, turns))
    stop.set()
    await other
    assert [event for event, _ in seen] == list(range(200))
    # The other task ran between each of the first events ...
    first = [t for _, t in seen[:11]]
    assert all(later > earlier for earlier, later in itertools.pairwise(first))
    # ... and then the burst went on without handing the loop back after every event.
    assert seen[-1][1] - seen[10][1] <= 1


async def test_everything_else_is_the_wrapped_model(monkeypatch):
    inner = _Burst(3)
    paced = PacedModel(inner)
    assert await paced.get_response("instructions", x=1) == (
        "response",
        ("instructions",),
        {"x": 1},
    )
    assert paced.extra == "probed with getattr"
    await paced.close()
    assert inner.closed


async def test_closing_the_stream_early_closes_the_model_stream():
    inner = _Burst(100)
    stream = PacedModel(inner).stream_response()
    assert await stream.__anext__() == 0
    await stream.aclose()  # type: ignore[attr-defined]
    assert inner.stream_closed
