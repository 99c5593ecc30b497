"""The reference: an in-memory `Store` of plain dicts and lists, as in the ChatKit samples.

Modelled on the samples' `MemoryStore` (openai-chatkit-advanced-samples, backend/app/
memory_store.py): a dict of thread states, each holding the thread's metadata and a list of its
items; `load_threads` and `load_thread_items` sort on every call by `created_at` and find the
`after` cursor through an id -> position map built for the call, then slice.

One difference, in the reference's favour: the sample deep-copies every thread (or every item of
the thread) on every call before sorting; this copies only the page it returns (still a deep
copy, so no caller can change what is stored). Copying all 10,000 threads per `threads.list`
would make the reference slow for a reason no one would keep, and the ratio meaningless.

It stores what the SDK gives it for everyone (the samples have no users); attachments are kept
in a dict. Search and the trash are the SQLite store's own features and are not here (the
server's trash janitor finds an empty trash).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from chatkit.store import NotFoundError, Store
from chatkit.types import Attachment, Page, Thread, ThreadItem, ThreadMetadata
from pydantic import TypeAdapter

from chatkit_desktop.context import RequestContext

_ITEM: TypeAdapter[ThreadItem] = TypeAdapter(ThreadItem)


@dataclass
class _ThreadState:
    thread: ThreadMetadata
    items: list[ThreadItem] = field(default_factory=list)


@dataclass
class _Purged:
    thread_ids: list[str] = field(default_factory=list)
    attachment_ids: list[str] = field(default_factory=list)


class _NoTrash:
    """What the server's hourly janitor calls (`store.trash.purge_expired()`)."""

    async def purge_expired(self) -> _Purged:
        return _Purged()


def _metadata(thread: ThreadMetadata) -> ThreadMetadata:
    """The thread without its items (`save_thread` is sometimes handed a full `Thread`)."""
    if isinstance(thread, Thread):
        data = thread.model_dump()
        data.pop("items", None)
        return ThreadMetadata(**data)
    return thread.model_copy(deep=True)


class MemoryStore(Store[RequestContext]):
    def __init__(self) -> None:
        self._threads: dict[str, _ThreadState] = {}
        self._attachments: dict[str, Attachment] = {}
        self.trash = _NoTrash()

    @classmethod
    def from_database(cls, path: Path) -> MemoryStore:
        """The threads and items of a SQLite database (as the app stores them), oldest first."""
        store = cls()
        with sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True) as db:
            for (data,) in db.execute(
                "SELECT data FROM threads WHERE deleted_us IS NULL ORDER BY created_us, seq"
            ):
                thread = ThreadMetadata.model_validate_json(data)
                store._threads[thread.id] = _ThreadState(thread)
            for thread_id, data in db.execute(
                "SELECT thread_id, data FROM items ORDER BY thread_id, created_us, seq"
            ):
                state = store._threads.get(thread_id)
                if state is not None:
                    state.items.append(_ITEM.validate_json(data))
        db.close()
        return store

    async def close(self) -> None:
        return None

    def clear(self) -> None:
        """Drop everything. A stopped server's aiohttp Application outlives it (aiohttp caches
        the middleware chain built for it, in an lru_cache), and with it this store: without
        this, 200,000 items would stay in memory for the rest of the run."""
        self._threads.clear()
        self._attachments.clear()

    @property
    def thread_count(self) -> int:
        return len(self._threads)

    @property
    def item_count(self) -> int:
        return sum(len(state.items) for state in self._threads.values())

    # threads ------------------------------------------------------------------------------

    async def load_thread(self, thread_id: str, context: RequestContext) -> ThreadMetadata:
        state = self._threads.get(thread_id)
        if state is None:
            raise NotFoundError(f"Thread {thread_id} not found")
        return state.thread.model_copy(deep=True)

    async def save_thread(self, thread: ThreadMetadata, context: RequestContext) -> None:
        metadata = _metadata(thread)
        state = self._threads.get(thread.id)
        if state is None:
            self._threads[thread.id] = _ThreadState(metadata)
        else:
            state.thread = metadata

    async def load_threads(
        self, limit: int, after: str | None, order: str, context: RequestContext
    ) -> Page[ThreadMetadata]:
        threads = sorted(
            (state.thread for state in self._threads.values()),
            key=lambda thread: thread.created_at,
            reverse=order == "desc",
        )
        start = 0
        if after:
            positions = {thread.id: index for index, thread in enumerate(threads)}
            start = positions.get(after, -1) + 1
        page = threads[start : start + limit + 1]
        has_more = len(page) > limit
        data = [thread.model_copy(deep=True) for thread in page[:limit]]
        return Page(data=data, has_more=has_more, after=data[-1].id if has_more else None)

    async def delete_thread(self, thread_id: str, context: RequestContext) -> None:
        self._threads.pop(thread_id, None)

    # items --------------------------------------------------------------------------------

    def _items(self, thread_id: str) -> list[ThreadItem]:
        state = self._threads.get(thread_id)
        if state is None:
            raise NotFoundError(f"Thread {thread_id} not found")
        return state.items

    async def load_thread_items(
        self,
        thread_id: str,
        after: str | None,
        limit: int,
        order: str,
        context: RequestContext,
    ) -> Page[ThreadItem]:
        items = sorted(
            self._items(thread_id), key=lambda item: item.created_at, reverse=order == "desc"
        )
        start = 0
        if after:
            positions = {item.id: index for index, item in enumerate(items)}
            start = positions.get(after, -1) + 1
        page = items[start : start + limit + 1]
        has_more = len(page) > limit
        data = [item.model_copy(deep=True) for item in page[:limit]]
        return Page(data=data, has_more=has_more, after=data[-1].id if has_more else None)

    async def add_thread_item(
        self, thread_id: str, item: ThreadItem, context: RequestContext
    ) -> None:
        await self.save_item(thread_id, item, context)

    async def save_item(self, thread_id: str, item: ThreadItem, context: RequestContext) -> None:
        items = self._items(thread_id)
        for index, existing in enumerate(items):
            if existing.id == item.id:
                items[index] = item.model_copy(deep=True)
                return
        items.append(item.model_copy(deep=True))

    async def load_item(self, thread_id: str, item_id: str, context: RequestContext) -> ThreadItem:
        for item in self._items(thread_id):
            if item.id == item_id:
                return item.model_copy(deep=True)
        raise NotFoundError(f"Item {item_id} not found in thread {thread_id}")

    async def delete_thread_item(
        self, thread_id: str, item_id: str, context: RequestContext
    ) -> None:
        state = self._threads.get(thread_id)
        if state is not None:
            state.items = [item for item in state.items if item.id != item_id]

    # attachments --------------------------------------------------------------------------

    async def save_attachment(self, attachment: Attachment, context: RequestContext) -> None:
        self._attachments[attachment.id] = attachment.model_copy(deep=True)

    async def load_attachment(self, attachment_id: str, context: RequestContext) -> Attachment:
        attachment = self._attachments.get(attachment_id)
        if attachment is None:
            raise NotFoundError(f"Attachment {attachment_id} not found")
        return attachment.model_copy(deep=True)

    async def delete_attachment(self, attachment_id: str, context: RequestContext) -> None:
        self._attachments.pop(attachment_id, None)
