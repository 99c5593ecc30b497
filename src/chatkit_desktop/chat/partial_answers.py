"""Keep what the model already said when the provider fails mid-answer.

The SDK saves unfinished assistant messages only when a stream is cancelled. When the provider
fails instead (a dropped connection, an error event), the text already shown to the user would
vanish on reload. This tracker follows the streamed messages so the caller can finish and store
them before reporting the error.

It sees every event of a turn, so a text delta (most events) costs one list append: the text of
each content part is kept as its pieces and joined only when a message has to be finished.
"""

from __future__ import annotations

from dataclasses import dataclass, field

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


@dataclass
class _Part:
    content: AssistantMessageContent  # annotations and the rest; `text` is in `pieces`
    pieces: list[str] = field(default_factory=list)


@dataclass
class _Pending:
    item: AssistantMessageItem
    parts: list[_Part]

    def part(self, index: int) -> _Part:
        while len(self.parts) <= index:
            self.parts.append(_Part(AssistantMessageContent(text="")))
        return self.parts[index]

    def finished(self) -> AssistantMessageItem:
        content = [
            part.content.model_copy(update={"text": "".join(part.pieces)}) for part in self.parts
        ]
        return self.item.model_copy(update={"content": content})


def _parts(content: list[AssistantMessageContent]) -> list[_Part]:
    return [_Part(part.model_copy(deep=True), [part.text]) for part in content]


class PartialAnswers:
    def __init__(self) -> None:
        self._pending: dict[str, _Pending] = {}

    def observe(self, event: ThreadStreamEvent) -> None:
        if type(event) is ThreadItemUpdatedEvent:
            pending = self._pending.get(event.item_id)
            if pending is None:
                return
            update = event.update
            if type(update) is AssistantMessageContentPartTextDelta:
                index = update.content_index
                parts = pending.parts
                part = parts[index] if index < len(parts) else pending.part(index)
                part.pieces.append(update.delta)
            elif isinstance(
                update, AssistantMessageContentPartAdded | AssistantMessageContentPartDone
            ):
                part = pending.part(update.content_index)
                part.content = update.content.model_copy(deep=True)
                part.pieces = [update.content.text]
            return
        if isinstance(event, ThreadItemAddedEvent) and isinstance(event.item, AssistantMessageItem):
            item = event.item.model_copy(deep=True)
            self._pending[item.id] = _Pending(item, _parts(item.content))
        elif isinstance(event, ThreadItemDoneEvent):
            self._pending.pop(event.item.id, None)
        elif isinstance(event, ThreadItemRemovedEvent):
            self._pending.pop(event.item_id, None)

    def finish(self) -> list[ThreadItemDoneEvent]:
        """`done` events for every unfinished message that has text, in streaming order."""
        items = [pending.finished() for pending in self._pending.values()]
        self._pending.clear()
        return [
            ThreadItemDoneEvent(item=item)
            for item in items
            if any(part.text.strip() for part in item.content)
        ]
