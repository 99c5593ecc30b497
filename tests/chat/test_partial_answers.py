"""`PartialAnswers` rebuilds unfinished messages from their streamed events."""

from __future__ import annotations

from datetime import datetime

from chatkit.types import (
    Annotation,
    AssistantMessageContent,
    AssistantMessageContentPartAdded,
    AssistantMessageContentPartDone,
    AssistantMessageContentPartTextDelta,
    AssistantMessageItem,
    ThreadItemAddedEvent,
    ThreadItemDoneEvent,
    ThreadItemRemovedEvent,
    ThreadItemUpdatedEvent,
    URLSource,
)

from chatkit_desktop.chat.partial_answers import PartialAnswers

T0 = datetime(2026, 1, 1, 12, 0, 0)


def _added(item_id: str, *texts: str) -> ThreadItemAddedEvent:
    return ThreadItemAddedEvent(
        item=AssistantMessageItem(
            id=item_id,
            thread_id="thr_1",
            created_at=T0,
            content=[AssistantMessageContent(text=t) for t in texts],
        )
    )


def _delta(item_id: str, text: str, index: int = 0) -> ThreadItemUpdatedEvent:
    return ThreadItemUpdatedEvent(
        item_id=item_id,
        update=AssistantMessageContentPartTextDelta(content_index=index, delta=text),
    )


def test_deltas_are_joined_into_the_finished_message():
    partial = PartialAnswers()
    partial.observe(_added("msg_1"))
    partial.observe(
        ThreadItemUpdatedEvent(
            item_id="msg_1",
            update=AssistantMessageContentPartAdded(
                content_index=0, content=AssistantMessageContent(text="")
            ),
        )
    )
    for word in ("Hello", ", ", "world"):
        partial.observe(_delta("msg_1", word))
    (done,) = partial.finish()
    assert isinstance(done, ThreadItemDoneEvent)
    assert done.item.id == "msg_1" and done.item.created_at == T0
    assert [part.text for part in done.item.content] == ["Hello, world"]
    assert partial.finish() == []


def test_text_already_in_the_added_item_and_later_parts_are_kept():
    partial = PartialAnswers()
    partial.observe(_added("msg_1", "Start"))
    partial.observe(_delta("msg_1", " more"))
    partial.observe(_delta("msg_1", "second part", index=1))
    (done,) = partial.finish()
    assert [part.text for part in done.item.content] == ["Start more", "second part"]


def test_a_finished_part_replaces_the_pieces_and_keeps_its_annotations():
    partial = PartialAnswers()
    partial.observe(_added("msg_1"))
    partial.observe(_delta("msg_1", "draf"))
    cited = AssistantMessageContent(
        text="final text",
        annotations=[Annotation(source=URLSource(url="https://example.org", title="Example"))],
    )
    partial.observe(
        ThreadItemUpdatedEvent(
            item_id="msg_1",
            update=AssistantMessageContentPartDone(content_index=0, content=cited),
        )
    )
    (done,) = partial.finish()
    assert done.item.content[0].text == "final text"
    assert done.item.content[0].annotations == cited.annotations


def test_done_removed_and_empty_messages_are_not_finished():
    partial = PartialAnswers()
    partial.observe(_added("msg_done"))
    partial.observe(_delta("msg_done", "complete"))
    partial.observe(ThreadItemDoneEvent(item=_added("msg_done", "complete").item))
    partial.observe(_added("msg_removed"))
    partial.observe(_delta("msg_removed", "gone"))
    partial.observe(ThreadItemRemovedEvent(item_id="msg_removed"))
    partial.observe(_added("msg_blank"))
    partial.observe(_delta("msg_blank", "  "))
    partial.observe(_added("msg_kept"))
    partial.observe(_delta("msg_kept", "kept"))
    partial.observe(_delta("msg_unknown", "ignored"))
    assert [done.item.id for done in partial.finish()] == ["msg_kept"]
