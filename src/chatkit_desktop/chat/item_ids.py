"""Our own ids for assistant messages, whatever the provider calls them.

`stream_agent_response` reuses the provider's message id. Chat Completions models report the
same `__fake_id__` for every message, so turn 2 would overwrite turn 1 in the store; and provider
ids are not guaranteed to carry 64 random bits. Each streamed message therefore gets a fresh id
from the store, consistently across its added/updated/done events.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from chatkit.types import (
    AssistantMessageItem,
    ThreadItemAddedEvent,
    ThreadItemDoneEvent,
    ThreadItemRemovedEvent,
    ThreadItemUpdatedEvent,
    ThreadStreamEvent,
)


class AssistantIdRemapper:
    def __init__(self, new_id: Callable[[], str]) -> None:
        self._new_id = new_id
        self._live: dict[str, tuple[str, datetime]] = {}

    def remap(self, event: ThreadStreamEvent) -> ThreadStreamEvent:
        if type(event) is ThreadItemUpdatedEvent:
            # Most events (one per streamed word). The SDK builds a new event for each and keeps
            # none, so it is renamed in place: a copy per word was a measurable share of a turn.
            live = self._live.get(event.item_id)
            if live is not None:
                event.item_id = live[0]
            return event
        if isinstance(event, ThreadItemAddedEvent) and isinstance(event.item, AssistantMessageItem):
            ours = self._new_id()
            self._live[event.item.id] = (ours, event.item.created_at)
            return ThreadItemAddedEvent(item=event.item.model_copy(update={"id": ours}))
        if isinstance(event, ThreadItemUpdatedEvent) and event.item_id in self._live:
            return event.model_copy(update={"item_id": self._live[event.item_id][0]})
        if isinstance(event, ThreadItemDoneEvent) and isinstance(event.item, AssistantMessageItem):
            known = self._live.pop(event.item.id, None)
            ours, started = known if known else (self._new_id(), event.item.created_at)
            # Keep the moment the answer started, so it sorts where the user saw it begin.
            return ThreadItemDoneEvent(
                item=event.item.model_copy(update={"id": ours, "created_at": started})
            )
        if isinstance(event, ThreadItemRemovedEvent) and event.item_id in self._live:
            return ThreadItemRemovedEvent(item_id=self._live.pop(event.item_id)[0])
        return event
