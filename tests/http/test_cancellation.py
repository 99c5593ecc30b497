"""A client that goes away mid-answer: the partial answer is kept and the thread still works."""

from __future__ import annotations

import asyncio
import json

from chatkit_desktop.testing.openai_server import Reply
from tests.support.assertions import eventually, items_of, text_of
from tests.support.chatkit_client import TOKEN, assistant_text, post, stream, user_input

LONG = " ".join(f"word{n}" for n in range(40))


async def _read_until_deltas(resp, wanted: int) -> tuple[str, list[str]]:
    """Read events until `wanted` text deltas arrived; return the thread id and the deltas."""
    thread_id = ""
    deltas: list[str] = []
    async with asyncio.timeout(10):
        while len(deltas) < wanted:
            line = await resp.content.readline()
            assert line, "the stream ended before the client hung up"
            if not line.startswith(b"data: "):
                continue
            event = json.loads(line[len(b"data: ") :])
            if event["type"] == "thread.created":
                thread_id = event["thread"]["id"]
            elif event["type"] == "thread.item.updated":
                update = event["update"]
                if update["type"] == "assistant_message.content_part.text_delta":
                    deltas.append(update["delta"])
    return thread_id, deltas


async def test_disconnect_mid_stream_saves_the_partial_answer(client, openai_server):
    scripted, _ = openai_server
    scripted.queue(Reply(text=LONG, delay_s=0.05))

    resp = await post(client, "threads.create", {"input": user_input("Say a lot")})
    assert resp.status == 200
    assert resp.content_type == "text/event-stream"
    thread_id, deltas = await _read_until_deltas(resp, 3)
    assert thread_id
    resp.close()  # hang up, like a closed tab

    async def partial_answer():
        items = await items_of(client, thread_id)
        answers = [i for i in items if i["type"] == "assistant_message"]
        return answers[0] if answers else None

    answer = await eventually(partial_answer, timeout=10)
    saved = text_of(answer)
    received = "".join(deltas)
    assert saved.startswith(received), (saved, received)
    assert LONG.startswith(saved)
    assert len(saved) < len(LONG), "the answer was cut short, not completed"

    # The thread goes on: a new turn answers normally, after the partial one.
    events = await stream(
        client, "threads.add_user_message", {"thread_id": thread_id, "input": user_input("again")}
    )
    assert assistant_text(events) == "You said: again"
    items = await items_of(client, thread_id)
    assert [(i["type"], text_of(i)) for i in items] == [
        ("user_message", "Say a lot"),
        ("assistant_message", saved),
        ("user_message", "again"),
        ("assistant_message", "You said: again"),
    ]
    # The model was told about the partial answer as history.
    history = json.dumps(scripted.requests[-1].body["input"])
    assert received in history


async def test_shutdown_mid_stream_saves_the_partial_answer(make_client, openai_server, data_dir):
    from chatkit_desktop.context import RequestContext
    from chatkit_desktop.settings.paths import DataPaths
    from chatkit_desktop.store.sqlite_store import SQLiteStore

    scripted, _ = openai_server
    scripted.queue(Reply(text=LONG, delay_s=0.05))
    client = await make_client()
    resp = await post(client, "threads.create", {"input": user_input("Say a lot")})
    thread_id, deltas = await _read_until_deltas(resp, 3)

    async with asyncio.timeout(10):
        await client.server.close()  # the app stops while the answer is streaming
    resp.close()

    store = await SQLiteStore.open(DataPaths(data_dir).database)
    try:
        page = await store.load_thread_items(thread_id, None, 100, "asc", RequestContext())
    finally:
        await store.close()
    answers = [i for i in page.data if i.type == "assistant_message"]
    assert len(answers) == 1
    saved = "".join(part.text for part in answers[0].content)
    assert saved.startswith("".join(deltas))
    assert len(saved) < len(LONG)


async def test_a_cancelled_partial_answer_is_searchable_and_nothing_more(client, openai_server):
    scripted, _ = openai_server
    scripted.queue(Reply(text=LONG, delay_s=0.05))
    resp = await post(client, "threads.create", {"input": user_input("Count for me")})
    thread_id, _ = await _read_until_deltas(resp, 3)
    resp.close()

    async def partial_answer():
        items = await items_of(client, thread_id)
        return next((i for i in items if i["type"] == "assistant_message"), None)

    saved = text_of(await eventually(partial_answer, timeout=10)).split()
    headers = {"Authorization": f"Bearer {TOKEN}"}
    found = await client.get("/api/search", params={"q": saved[0]}, headers=headers)
    hits = (await found.json())["results"]
    assert [(h["thread_id"], h["kind"]) for h in hits] == [(thread_id, "assistant")]
    # Words the model never got to say are not in the index.
    unsaid = f"word{len(saved) + 5}"
    missed = await client.get("/api/search", params={"q": f'"{unsaid}"'}, headers=headers)
    assert (await missed.json())["results"] == []
