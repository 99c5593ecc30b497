"""A stopped answer stays marked as stopped, and feedback is readable, for the built-in client
(`items.list` with `metadata: {"item_state": true}`, see chat/item_state.py); without the flag
the answer is the SDK's own."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiohttp.test_utils import TestClient

from chatkit_desktop.chat.item_state import MAX_STOPPED, annotate_page, stopped_ids, with_stopped
from chatkit_desktop.testing.openai_server import Reply
from tests.support.assertions import eventually, items_of, text_of
from tests.support.chatkit_client import AUTH, call, post, stream, thread_id_of, user_input

LONG = " ".join(f"word{n}" for n in range(60))


async def items_with_state(client: TestClient, thread_id: str) -> list[dict[str, Any]]:
    body = {
        "type": "items.list",
        "params": {"thread_id": thread_id, "order": "asc", "limit": 100},
        "metadata": {"item_state": True},
    }
    resp = await client.post(
        "/chatkit/api", data=json.dumps(body), headers={**AUTH, "Content-Type": "application/json"}
    )
    assert resp.status == 200, await resp.text()
    return list((await resp.json())["data"])


async def stop_after_deltas(client: TestClient, text: str, wanted: int) -> str:
    """Starts a thread whose answer streams slowly, hangs up after `wanted` deltas."""
    resp = await post(client, "threads.create", {"input": user_input(text)})
    thread_id = ""
    deltas = 0
    async with asyncio.timeout(10):
        while deltas < wanted:
            line = await resp.content.readline()
            assert line
            if not line.startswith(b"data: "):
                continue
            event = json.loads(line[6:])
            if event["type"] == "thread.created":
                thread_id = event["thread"]["id"]
            elif event["type"] == "thread.item.updated":
                deltas += event["update"]["type"].endswith("text_delta")
    resp.close()
    return thread_id


async def test_a_stopped_answer_is_marked_after_a_reload(client, openai_server):
    scripted, _ = openai_server
    scripted.queue(Reply(text=LONG, delay_s=0.05))
    thread_id = await stop_after_deltas(client, "Say a lot", 3)

    async def stopped_answer():
        items = await items_with_state(client, thread_id)
        return next((i for i in items if i["type"] == "assistant_message"), None)

    answer = await eventually(stopped_answer, timeout=10)
    assert answer.get("stopped") is True, answer
    assert LONG.startswith(text_of(answer)) and len(text_of(answer)) < len(LONG)

    # The next turn answers in full and is not marked; the stopped one stays marked.
    events = await stream(
        client, "threads.add_user_message", {"thread_id": thread_id, "input": user_input("more")}
    )
    assert any(e["type"] == "thread.item.done" for e in events)
    items = await items_with_state(client, thread_id)
    answers = [i for i in items if i["type"] == "assistant_message"]
    assert [a.get("stopped", False) for a in answers] == [True, False]


async def test_without_the_flag_items_list_is_the_sdks_own(client, openai_server):
    scripted, _ = openai_server
    scripted.queue(Reply(text=LONG, delay_s=0.05))
    thread_id = await stop_after_deltas(client, "Say a lot", 2)

    async def saved():
        return [i for i in await items_of(client, thread_id) if i["type"] == "assistant_message"]

    answers = await eventually(saved, timeout=10)
    assert "stopped" not in answers[0]
    assert "feedback" not in answers[0]
    # Nor does ChatKit's thread view carry the mark.
    thread = await call(client, "threads.get_by_id", {"thread_id": thread_id})
    assert not thread.get("metadata"), thread
    assert all("stopped" not in item for item in thread["items"]["data"])


async def test_feedback_comes_back_with_the_items(client):
    events = await stream(client, "threads.create", {"input": user_input("Rate this")})
    thread_id = thread_id_of(events)
    user, answer = await items_of(client, thread_id)
    await call(
        client,
        "items.feedback",
        {"thread_id": thread_id, "item_ids": [answer["id"]], "kind": "positive"},
    )
    items = await items_with_state(client, thread_id)
    assert [i.get("feedback") for i in items] == [None, "positive"]
    assert items[0]["id"] == user["id"]


def test_marks_are_kept_in_order_once_each_and_bounded():
    from datetime import datetime

    from chatkit.types import ThreadMetadata

    thread = ThreadMetadata(id="thr_1", created_at=datetime.now(), metadata={"other": 1})
    marked = with_stopped(with_stopped(thread, ["msg_a"]), ["msg_b", "msg_a"])
    assert marked.metadata == {"other": 1, "stopped_items": ["msg_a", "msg_b"]}
    assert thread.metadata == {"other": 1}
    many = with_stopped(thread, [f"msg_{n}" for n in range(MAX_STOPPED + 10)])
    assert len(stopped_ids(many)) == MAX_STOPPED
    assert "msg_0" not in stopped_ids(many)
    broken = ThreadMetadata(id="t", created_at=datetime.now(), metadata={"stopped_items": "x"})
    assert stopped_ids(broken) == set()


def test_annotate_marks_only_assistant_messages_and_leaves_a_plain_page_alone():
    page = {
        "data": [
            {"id": "msg_u", "type": "user_message"},
            {"id": "msg_a", "type": "assistant_message"},
        ],
        "has_more": False,
    }
    raw = json.dumps(page).encode()
    assert annotate_page(raw, set(), {}) is raw
    marked = json.loads(annotate_page(raw, {"msg_u", "msg_a"}, {"msg_a": "negative"}))
    assert marked["data"][0] == {"id": "msg_u", "type": "user_message"}
    assert marked["data"][1] == {
        "id": "msg_a",
        "type": "assistant_message",
        "stopped": True,
        "feedback": "negative",
    }
