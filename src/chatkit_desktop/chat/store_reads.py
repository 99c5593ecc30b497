"""ChatKit's read-only answers straight from the store, byte for byte as ChatKit's server gives
them: `threads.list`, `threads.get_by_id` and `items.list`.

ChatKit's server module imports the Agents SDK, which takes seconds to load after the app starts,
while the thread list is the first thing the page shows and an old thread is often the first
thing the user opens. Until that server is ready, these three are answered from the store with
ChatKit's own types (which load in a fraction of the time), the way
`ChatKitServer._process_non_streaming` and the app's `DesktopChatKitServer.process` (the built-in
client's item state) do. `tests/chat/test_store_reads.py` holds the answers equal; anything this
does not understand goes to the SDK's server instead.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from chatkit.types import (
    HiddenContextItem,
    ItemsListReq,
    Page,
    SDKHiddenContextItem,
    Thread,
    ThreadItem,
    ThreadMetadata,
    ThreadsGetByIdReq,
    ThreadsListReq,
)
from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from chatkit_desktop.chat.item_state import annotate_page, stopped_ids, wants_item_state

if TYPE_CHECKING:
    from chatkit_desktop.context import RequestContext
    from chatkit_desktop.store.sqlite_store import SQLiteStore

# chatkit.server.DEFAULT_PAGE_SIZE (importing it would import the Agents SDK; a test pins it).
DEFAULT_PAGE_SIZE = 20

StoreRead = ThreadsListReq | ThreadsGetByIdReq | ItemsListReq

_REQUEST: TypeAdapter[StoreRead] = TypeAdapter(Annotated[StoreRead, Field(discriminator="type")])


def parse_read(body: bytes) -> StoreRead | None:
    """The request, if it is a well-formed read this module answers; None leaves it to the SDK
    (whose validation then names the problem)."""
    try:
        return _REQUEST.validate_json(body)
    except ValidationError:
        return None


async def answer_read(store: SQLiteStore, request: StoreRead, context: RequestContext) -> bytes:
    """The answer's JSON. A missing thread raises the store's NotFoundError, as in the SDK."""
    if isinstance(request, ThreadsListReq):
        return await _threads_list(store, request, context)
    if isinstance(request, ThreadsGetByIdReq):
        return await _thread_by_id(store, request, context)
    return await _items_list(store, request, context)


async def _threads_list(
    store: SQLiteStore, request: ThreadsListReq, context: RequestContext
) -> bytes:
    params = request.params
    threads = await store.load_threads(
        limit=params.limit or DEFAULT_PAGE_SIZE,
        after=params.after,
        order=params.order,
        context=context,
    )
    page: Page[Thread] = Page(
        has_more=threads.has_more,
        after=threads.after,
        data=[_thread(thread, Page()) for thread in threads.data],
    )
    return _serialize(page)


async def _thread_by_id(
    store: SQLiteStore, request: ThreadsGetByIdReq, context: RequestContext
) -> bytes:
    # ChatKit's `_load_full_thread`: the thread with its first page of items, oldest first.
    thread_id = request.params.thread_id
    metadata = await store.load_thread(thread_id, context=context)
    items = await store.load_thread_items(
        thread_id, after=None, limit=DEFAULT_PAGE_SIZE, order="asc", context=context
    )
    return _serialize(_thread(metadata, _visible(items)))


async def _items_list(store: SQLiteStore, request: ItemsListReq, context: RequestContext) -> bytes:
    params = request.params
    items = await store.load_thread_items(
        params.thread_id,
        limit=params.limit or DEFAULT_PAGE_SIZE,
        order=params.order,
        after=params.after,
        context=context,
    )
    page_json = _serialize(_visible(items))
    if not wants_item_state(request.metadata):
        return page_json
    # DesktopChatKitServer's `_with_item_state`, for the built-in client.
    thread = await store.load_thread(params.thread_id, context)
    feedback = await store.load_feedback(params.thread_id, context)
    return annotate_page(page_json, stopped_ids(thread), feedback)


def _visible(items: Page[ThreadItem]) -> Page[ThreadItem]:
    items.data = [
        item
        for item in items.data
        if not isinstance(item, HiddenContextItem | SDKHiddenContextItem)
    ]
    return items


def _thread(thread: ThreadMetadata, items: Page[ThreadItem]) -> Thread:
    # ChatKit's `_to_thread_response`.
    return Thread(
        id=thread.id,
        title=thread.title,
        created_at=thread.created_at,
        items=items,
        status=thread.status,
        allowed_image_domains=thread.allowed_image_domains,
    )


def _serialize(obj: BaseModel) -> bytes:
    return obj.model_dump_json(
        by_alias=True, exclude_none=True, context={"exclude_metadata": True}
    ).encode("utf-8")
