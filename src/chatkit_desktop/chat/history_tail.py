"""The store as the agent's run sees it, with the thread's newest items already known.

ChatKit's `stream_agent_response` begins by reading the thread's last two items (to continue a
workflow left open by the previous turn). It does so after the run has started, so with a fast
provider that read waits while the model's stream is being parsed (the database thread then
competes with the parser for the GIL): ~15 ms of the first word's delay in a 500-delta burst.
`respond()` has just loaded the whole history, so that one read is answered from it.

`HistoryTail` delegates everything to the real store except the first newest-first read of the
thread, and only while nothing was written through it since the history was loaded. The answer
is built as `SQLiteStore.load_thread_items` builds it (copies of the items, `has_more`, and
`after` = the last returned id when there is more).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from chatkit.store import Store, StoreItemType
from chatkit.types import Attachment, Page, ThreadItem, ThreadMetadata

from chatkit_desktop.context import RequestContext


class HistoryTail(Store[RequestContext]):
    def __init__(
        self, store: Store[RequestContext], thread_id: str, history: Sequence[ThreadItem]
    ) -> None:
        self.inner = store
        self._thread_id = thread_id
        self._history: Sequence[ThreadItem] | None = history

    async def load_thread_items(
        self,
        thread_id: str,
        after: str | None,
        limit: int,
        order: str,
        context: RequestContext,
    ) -> Page[ThreadItem]:
        history, self._history = self._history, None
        if (
            history is None
            or thread_id != self._thread_id
            or after is not None
            or order != "desc"
            or limit < 1
        ):
            return await self.inner.load_thread_items(thread_id, after, limit, order, context)
        newest = [item.model_copy(deep=True) for item in reversed(history[-limit:])]
        has_more = len(history) > limit
        return Page(data=newest, has_more=has_more, after=newest[-1].id if has_more else None)

    def _written(self) -> None:
        self._history = None

    # Everything else is the real store's.

    def generate_thread_id(self, context: RequestContext) -> str:
        return self.inner.generate_thread_id(context)

    def generate_item_id(
        self, item_type: StoreItemType, thread: ThreadMetadata, context: RequestContext
    ) -> str:
        return self.inner.generate_item_id(item_type, thread, context)

    async def load_thread(self, thread_id: str, context: RequestContext) -> ThreadMetadata:
        return await self.inner.load_thread(thread_id, context)

    async def save_thread(self, thread: ThreadMetadata, context: RequestContext) -> None:
        self._written()
        await self.inner.save_thread(thread, context)

    async def save_attachment(self, attachment: Attachment, context: RequestContext) -> None:
        await self.inner.save_attachment(attachment, context)

    async def load_attachment(self, attachment_id: str, context: RequestContext) -> Attachment:
        return await self.inner.load_attachment(attachment_id, context)

    async def delete_attachment(self, attachment_id: str, context: RequestContext) -> None:
        await self.inner.delete_attachment(attachment_id, context)

    async def load_threads(
        self, limit: int, after: str | None, order: str, context: RequestContext
    ) -> Page[ThreadMetadata]:
        return await self.inner.load_threads(limit, after, order, context)

    async def add_thread_item(
        self, thread_id: str, item: ThreadItem, context: RequestContext
    ) -> None:
        self._written()
        await self.inner.add_thread_item(thread_id, item, context)

    async def save_item(self, thread_id: str, item: ThreadItem, context: RequestContext) -> None:
        self._written()
        await self.inner.save_item(thread_id, item, context)

    async def load_item(self, thread_id: str, item_id: str, context: RequestContext) -> ThreadItem:
        return await self.inner.load_item(thread_id, item_id, context)

    async def delete_thread(self, thread_id: str, context: RequestContext) -> None:
        self._written()
        await self.inner.delete_thread(thread_id, context)

    async def delete_thread_item(
        self, thread_id: str, item_id: str, context: RequestContext
    ) -> None:
        self._written()
        await self.inner.delete_thread_item(thread_id, item_id, context)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)
