"""`threads.list` answered straight from the store, byte for byte as ChatKit's server answers it.

ChatKit's server module imports the Agents SDK, which takes seconds to load after the app starts;
the thread list is the first thing the page shows. Until that server is ready, this answers the
request from the store with ChatKit's own types (which load in a fraction of the time), the
way `ChatKitServer._process_non_streaming` does. `tests/chat/test_thread_list.py` holds the two
answers equal; anything this does not understand goes to the SDK's server instead.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chatkit.types import Page, Thread, ThreadMetadata, ThreadsListReq
from pydantic import TypeAdapter, ValidationError

if TYPE_CHECKING:
    from chatkit.store import Store

    from chatkit_desktop.context import RequestContext

# chatkit.server.DEFAULT_PAGE_SIZE (importing it would import the Agents SDK; a test pins it).
DEFAULT_PAGE_SIZE = 20

_REQUEST: TypeAdapter[ThreadsListReq] = TypeAdapter(ThreadsListReq)


def parse_threads_list(body: bytes) -> ThreadsListReq | None:
    """The request, if it is a well-formed `threads.list`; None leaves it to the SDK."""
    try:
        return _REQUEST.validate_json(body)
    except ValidationError:
        return None


async def list_threads(
    store: Store[RequestContext], request: ThreadsListReq, context: RequestContext
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
        data=[_thread(thread) for thread in threads.data],
    )
    return page.model_dump_json(
        by_alias=True, exclude_none=True, context={"exclude_metadata": True}
    ).encode("utf-8")


def _thread(thread: ThreadMetadata) -> Thread:
    # ChatKit's `_to_thread_response` for a thread's metadata: no items.
    return Thread(
        id=thread.id,
        title=thread.title,
        created_at=thread.created_at,
        items=Page(),
        status=thread.status,
        allowed_image_domains=thread.allowed_image_domains,
    )
