"""Keep what the model already said when the provider fails mid-answer.

The SDK saves unfinished assistant messages only when a stream is cancelled. When the provider
fails instead (a dropped connection, an error event), the text already shown to the user would
vanish on reload. This tracker follows the streamed messages so the caller can finish and store
them before reporting the error.
"""

from __future__ import annotations

from chatkit.types import (
    AssistantMessageContent,
    AssistantMessageContentPartAdded,
    AssistantMessageContentPartDone,
    AssistantMessageContentPartTextDelta,
    AssistantMessageItem,
    ThreadItemAddedEvent,
    ThreadItemDoneEvent,
    ThreadItemRemovedEvent,
    ThreadItemUpdatedEvent,
    ThreadStreamEvent,
)


class PartialAnswers:
    def __init__(self) -> None:
        self._pending: dict[str, AssistantMessageItem] = {}

    def observe(self, event: ThreadStreamEvent) -> None:
        if isinstance(event, ThreadItemAddedEvent) and isinstance(event.item, AssistantMessageItem):
            self._pending[event.item.id] = event.item.model_copy(deep=True)
        elif isinstance(event, ThreadItemDoneEvent | ThreadItemRemovedEvent):
            self._pending.pop(
                event.item.id if isinstance(event, ThreadItemDoneEvent) else event.item_id, None
            )
        elif isinstance(event, ThreadItemUpdatedEvent) and event.item_id in self._pending:
            item = self._pending[event.item_id]
            update = event.update
            if isinstance(
                update,
                AssistantMessageContentPartAdded
                | AssistantMessageContentPartTextDelta
                | AssistantMessageContentPartDone,
            ):
                while len(item.content) <= update.content_index:
                    item.content.append(AssistantMessageContent(text=""))
                if isinstance(update, AssistantMessageContentPartTextDelta):
                    item.content[update.content_index].text += update.delta
                else:
                    item.content[update.content_index] = update.content.model_copy(deep=True)

    def finish(self) -> list[ThreadItemDoneEvent]:
        """`done` events for every unfinished message that has text, in streaming order."""
        done = [
            ThreadItemDoneEvent(item=item)
            for item in self._pending.values()
            if any(part.text.strip() for part in item.content)
        ]
        self._pending.clear()
        return done
