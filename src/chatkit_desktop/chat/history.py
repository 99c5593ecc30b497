"""The thread's stored history as Agents SDK input."""

from __future__ import annotations

from agents import TResponseInputItem
from chatkit.agents import ThreadItemConverter
from chatkit.store import Store
from chatkit.types import AssistantMessageItem, Attachment, ThreadItem, UserMessageTagContent
from openai.types.responses import EasyInputMessageParam, ResponseInputTextParam

from chatkit_desktop.context import RequestContext

PAGE = 200


class DesktopItemConverter(ThreadItemConverter):
    """Never fails on content the model cannot take yet: it says what was there instead."""

    async def attachment_to_message_content(self, attachment: Attachment) -> ResponseInputTextParam:
        return ResponseInputTextParam(
            type="input_text",
            text=f"[The user attached {attachment.name!r} ({attachment.mime_type}); "
            "its content is not available to you.]",
        )

    async def assistant_message_to_input(
        self, item: AssistantMessageItem
    ) -> TResponseInputItem | list[TResponseInputItem] | None:
        # The SDK sends earlier answers as `output_text` parts, which the Agents SDK's Chat
        # Completions converter rejects ("Unknown content") on turn 2 with Gemini and local
        # servers. Plain text is accepted by both APIs.
        text = "".join(part.text for part in item.content)
        return EasyInputMessageParam(type="message", role="assistant", content=text)

    async def tag_to_message_content(self, tag: UserMessageTagContent) -> ResponseInputTextParam:
        return ResponseInputTextParam(type="input_text", text=f"@{tag.text}: {tag.data}")


async def load_history(
    store: Store[RequestContext], thread_id: str, context: RequestContext
) -> list[ThreadItem]:
    items: list[ThreadItem] = []
    after: str | None = None
    while True:
        page = await store.load_thread_items(thread_id, after, PAGE, "asc", context)
        items.extend(page.data)
        if not page.has_more:
            return items
        after = page.after
