"""Hand the event loop back while the model streams, so the first words are not held back.

The Agents SDK parses the model's stream in a background task and queues each event for the
consumer (ChatKit's `stream_agent_response`, then the store and the HTTP stream). When the
provider answers in a burst (a local model, a cached answer), the whole answer is already in the
socket's buffer: the OpenAI client's reads then return without suspending (at most once per
64 KiB), so the parsing task runs through hundreds of events in one go and the consumer, which
needs a few event-loop steps per event, gets the first word only after the parser has seen the
last. Measured with 500 deltas in one burst: the first word reached the client ~70 ms late.

`PacedModel` wraps the run's model and yields to the loop after each of the first events (so the
first words go out as soon as they are parsed), then at most once per 10 ms time slice (so the
rest of a burst is handed over in batches: yielding after every event cost ~60 % more time in
total). At a provider's real pace this changes nothing: the reads suspend anyway.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import aclosing
from typing import Any

from agents.items import ModelResponse, TResponseStreamEvent
from agents.models.interface import Model
from agents.retry import ModelRetryAdvice, ModelRetryAdviceRequest


class PacedModel(Model):
    """`model`, with its streamed events paced by the event loop; everything else delegated."""

    def __init__(self, model: Model) -> None:
        self.inner = model

    async def get_response(self, *args: Any, **kwargs: Any) -> ModelResponse:
        return await self.inner.get_response(*args, **kwargs)

    # After each of the first events (the first words), then at most once per time slice.
    eager_events = 16
    slice_s = 0.010

    async def stream_response(  # type: ignore[override]
        self, *args: Any, **kwargs: Any
    ) -> AsyncIterator[TResponseStreamEvent]:
        eager = self.eager_events
        slice_s = self.slice_s
        last = time.perf_counter()
        async with aclosing(self.inner.stream_response(*args, **kwargs)) as events:  # type: ignore[type-var]
            async for event in events:
                yield event
                if eager > 0:
                    eager -= 1
                elif time.perf_counter() - last < slice_s:
                    continue
                await asyncio.sleep(0)
                last = time.perf_counter()

    def get_retry_advice(self, request: ModelRetryAdviceRequest) -> ModelRetryAdvice | None:
        return self.inner.get_retry_advice(request)

    async def _cleanup_on_run_end(self, owner: object) -> None:
        await self.inner._cleanup_on_run_end(owner)

    async def close(self) -> None:
        await self.inner.close()

    def __getattr__(self, name: str) -> Any:
        # Optional capabilities the SDK probes with getattr (e.g. prompt cache keys).
        return getattr(self.inner, name)
