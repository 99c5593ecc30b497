"""Assistant messages get our ids, even when the provider gives every message the same one."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

from chatkit.types import (
    AssistantMessageContent,
    AssistantMessageContentPartTextDelta,
    AssistantMessageItem,
    ThreadItemAddedEvent,
    ThreadItemDoneEvent,
    ThreadItemRemovedEvent,
    ThreadItemUpdatedEvent,
)

from chatkit_desktop.chat.item_ids import AssistantIdRemapper

FAKE = "__fake_id__"  # what Chat Completions models report for every message


def _message(item_id: str, text: str, at: datetime) -> AssistantMessageItem:
    return AssistantMessageItem(
        id=item_id, thread_id="thr_1", created_at=at, content=[AssistantMessageContent(text=text)]
    )


def test_two_messages_with_the_same_provider_id_get_distinct_ids_consistently():
    counter = itertools.count(1)
    remapper = AssistantIdRemapper(lambda: f"msg_{next(counter):016x}")
    t0 = datetime(2026, 1, 1, 12, 0, 0)
    out = [
        remapper.remap(ThreadItemAddedEvent(item=_message(FAKE, "", t0))),
        remapper.remap(
            ThreadItemUpdatedEvent(
                item_id=FAKE,
                update=AssistantMessageContentPartTextDelta(content_index=0, delta="Hi"),
            )
        ),
        remapper.remap(ThreadItemDoneEvent(item=_message(FAKE, "Hi", t0 + timedelta(seconds=3)))),
        remapper.remap(ThreadItemAddedEvent(item=_message(FAKE, "", t0 + timedelta(seconds=4)))),
        remapper.remap(
            ThreadItemDoneEvent(item=_message(FAKE, "Again", t0 + timedelta(seconds=5)))
        ),
    ]
    first, update, done, second_added, second_done = out
    assert isinstance(first, ThreadItemAddedEvent)
    assert isinstance(update, ThreadItemUpdatedEvent)
    assert isinstance(done, ThreadItemDoneEvent)
    assert isinstance(second_added, ThreadItemAddedEvent)
    assert isinstance(second_done, ThreadItemDoneEvent)
    assert first.item.id == update.item_id == done.item.id == "msg_0000000000000001"
    assert second_added.item.id == second_done.item.id == "msg_0000000000000002"
    # The stored message keeps the moment it started streaming.
    assert done.item.created_at == t0
    assert done.item.content[0].text == "Hi"


def test_removed_events_follow_the_mapping_and_other_events_pass_untouched():
    remapper = AssistantIdRemapper(lambda: "msg_00000000000000aa")
    remapper.remap(ThreadItemAddedEvent(item=_message("msg_provider", "", datetime.now())))
    removed = remapper.remap(ThreadItemRemovedEvent(item_id="msg_provider"))
    assert isinstance(removed, ThreadItemRemovedEvent)
    assert removed.item_id == "msg_00000000000000aa"
    other = ThreadItemRemovedEvent(item_id="wf_0123")
    assert remapper.remap(other) is other


def test_updates_for_other_items_pass_untouched():
    remapper = AssistantIdRemapper(lambda: "msg_00000000000000aa")
    remapper.remap(ThreadItemAddedEvent(item=_message("msg_provider", "", datetime.now())))
    update = ThreadItemUpdatedEvent(
        item_id="wf_0123",
        update=AssistantMessageContentPartTextDelta(content_index=0, delta="x"),
    )
    assert remapper.remap(update) is update
    assert update.item_id == "wf_0123"
