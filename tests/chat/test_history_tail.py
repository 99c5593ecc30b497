"""`HistoryTail` answers ChatKit's first read of the newest items from the history `respond()`
loaded, exactly as the store would, and leaves everything else to the store."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from agents.stream_events import RawResponsesStreamEvent
from chatkit.agents import AgentContext, stream_agent_response
from chatkit.types import ThreadItem, ThreadItemAddedEvent, ThreadItemDoneEvent, WorkflowItem
from openai.types.responses import ResponseOutputItemAddedEvent, ResponseOutputMessage

from chatkit_desktop.chat.history import load_history
from chatkit_desktop.chat.history_tail import HistoryTail
from chatkit_desktop.store.sqlite_store import SQLiteStore
from tests.store.helpers import ALICE, assistant_message, at, every_item_kind, thread, user_message


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SQLiteStore]:
    opened = await SQLiteStore.open(tmp_path / "chatkit-desktop.sqlite3")
    try:
        yield opened
    finally:
        await opened.close()


async def _thread_with(store: SQLiteStore, thread_id: str, items: list[ThreadItem]) -> None:
    await store.save_thread(thread(thread_id), ALICE)
    for item in items:
        await store.add_thread_item(thread_id, item, ALICE)


def _messages(thread_id: str, n: int) -> list[ThreadItem]:
    return [user_message(thread_id, f"msg_{i}", f"message {i}", at(i)) for i in range(n)]


@pytest.mark.parametrize("count", [0, 1, 2, 3, 7])
@pytest.mark.parametrize("limit", [1, 2, 5])
async def test_the_first_newest_first_read_is_what_the_store_answers(store, count, limit):
    items = every_item_kind("thr_a") if count == 7 else _messages("thr_a", count)
    await _thread_with(store, "thr_a", items)
    history = await load_history(store, "thr_a", ALICE)

    tail = HistoryTail(store, "thr_a", history)
    answered = await tail.load_thread_items("thr_a", None, limit, "desc", ALICE)
    expected = await store.load_thread_items("thr_a", None, limit, "desc", ALICE)
    assert answered.model_dump() == expected.model_dump()
    # Copies: ChatKit may change the item it continues; the history stays as loaded.
    assert all(a is not h for a in answered.data for h in history)


async def test_only_the_first_read_is_answered_from_memory(store):
    await _thread_with(store, "thr_a", _messages("thr_a", 2))
    tail = HistoryTail(store, "thr_a", await load_history(store, "thr_a", ALICE))
    await tail.load_thread_items("thr_a", None, 2, "desc", ALICE)
    await store.add_thread_item("thr_a", assistant_message("thr_a", "msg_new", "hi", at(9)), ALICE)
    again = await tail.load_thread_items("thr_a", None, 2, "desc", ALICE)
    assert again.data[0].id == "msg_new"


async def test_a_write_through_it_ends_the_answers_from_memory(store):
    await _thread_with(store, "thr_a", _messages("thr_a", 2))
    tail = HistoryTail(store, "thr_a", await load_history(store, "thr_a", ALICE))
    await tail.add_thread_item("thr_a", assistant_message("thr_a", "msg_new", "hi", at(9)), ALICE)
    page = await tail.load_thread_items("thr_a", None, 2, "desc", ALICE)
    assert page.data[0].id == "msg_new"


async def test_other_reads_go_to_the_store(store):
    await _thread_with(store, "thr_a", _messages("thr_a", 3))
    await _thread_with(store, "thr_b", _messages("thr_b", 1))
    calls: list[tuple[Any, ...]] = []

    original = store.load_thread_items

    async def recorded(*args: Any) -> Any:
        calls.append(args[:4])
        return await original(*args)

    store.load_thread_items = recorded  # type: ignore[method-assign]
    tail = HistoryTail(store, "thr_a", [])
    await tail.load_thread_items("thr_a", None, 2, "asc", ALICE)
    await tail.load_thread_items("thr_a", "msg_2", 2, "desc", ALICE)
    await tail.load_thread_items("thr_b", None, 2, "desc", ALICE)
    assert calls == [
        ("thr_a", None, 2, "asc"),
        ("thr_a", "msg_2", 2, "desc"),
        ("thr_b", None, 2, "desc"),
    ]
    assert tail.generate_item_id("message", thread("thr_a"), ALICE).startswith("msg_")


class _Run:
    """A run result that streams one assistant message starting."""

    async def stream_events(self) -> AsyncIterator[RawResponsesStreamEvent]:
        message = ResponseOutputMessage(
            id="msg_model", type="message", role="assistant", status="in_progress", content=[]
        )
        yield RawResponsesStreamEvent(
            data=ResponseOutputItemAddedEvent(
                type="response.output_item.added", item=message, output_index=0, sequence_number=0
            )
        )


async def test_chatkit_continues_a_workflow_left_open_by_the_last_turn(store):
    items = [
        *_messages("thr_a", 1),
        WorkflowItem.model_validate(
            {
                "id": "wf_open",
                "thread_id": "thr_a",
                "created_at": at(1),
                "workflow": {"type": "custom", "tasks": []},
            }
        ),
    ]
    await _thread_with(store, "thr_a", items)
    history = await load_history(store, "thr_a", ALICE)
    context = AgentContext(
        thread=thread("thr_a"), store=HistoryTail(store, "thr_a", history), request_context=ALICE
    )
    events = [event async for event in stream_agent_response(context, _Run())]  # type: ignore[arg-type]
    # The answer starting closes the workflow ChatKit found as the thread's last item.
    assert isinstance(events[0], ThreadItemDoneEvent) and events[0].item.id == "wf_open"
    assert isinstance(events[1], ThreadItemAddedEvent) and events[1].item.id == "msg_model"
