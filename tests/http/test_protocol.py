"""Every ChatKit request type the app supports, through real HTTP, checked as a client would."""

from __future__ import annotations

from datetime import datetime, timedelta

from chatkit.types import InferenceOptions, UserMessageItem, UserMessageTextContent

from chatkit_desktop.context import RequestContext
from chatkit_desktop.http.keys import SERVICES
from chatkit_desktop.testing.openai_server import Reply
from tests.support.assertions import (
    assert_json_error,
    error_events,
    items_of,
    new_thread,
    text_of,
)
from tests.support.chatkit_client import (
    assistant_text,
    call,
    post,
    stream,
    user_input,
)


def _history_texts(body: dict) -> list[tuple[str, str]]:
    """(role, text) of every message the model was given, in order."""
    out = []
    for item in body["input"]:
        content = item.get("content")
        if isinstance(content, str):
            text = content
        else:
            text = "".join(part.get("text", "") for part in content or [])
        out.append((item.get("role"), text))
    return out


async def test_threads_create_streams_thread_user_message_and_answer(client, openai_server):
    events = await stream(client, "threads.create", {"input": user_input("Hi there")})
    kinds = [e["type"] for e in events]
    assert kinds[0] == "thread.created"
    user_done = [
        e for e in events if e["type"] == "thread.item.done" and e["item"]["type"] == "user_message"
    ]
    assert [text_of(e["item"]) for e in user_done] == ["Hi there"]
    assert assistant_text(events) == "You said: Hi there"
    assert "thread.item.added" in kinds
    assert not error_events(events)
    # The first words become the title, announced to the client.
    updated = [e for e in events if e["type"] == "thread.updated"]
    assert updated and updated[-1]["thread"]["title"] == "Hi there"


async def test_two_turns_keep_order_distinct_ids_and_send_history(client, openai_server):
    scripted, _ = openai_server
    thread_id, _ = await new_thread(client, "First question")
    events = await stream(
        client,
        "threads.add_user_message",
        {"thread_id": thread_id, "input": user_input("Second question")},
    )
    assert assistant_text(events) == "You said: Second question"

    items = await items_of(client, thread_id)
    assert [(i["type"], text_of(i)) for i in items] == [
        ("user_message", "First question"),
        ("assistant_message", "You said: First question"),
        ("user_message", "Second question"),
        ("assistant_message", "You said: Second question"),
    ]
    assert len({i["id"] for i in items}) == 4
    assert items[1]["id"] != items[3]["id"]

    assert len(scripted.requests) == 2
    history = _history_texts(scripted.requests[1].body)
    assert history == [
        ("user", "First question"),
        ("assistant", "You said: First question"),
        ("user", "Second question"),
    ]


async def test_get_by_id_embeds_the_oldest_items_in_ascending_order(client):
    thread_id, _ = await new_thread(client, "Message 00")
    # 25 more items straight into the store: more than one page (20) of the SDK's embed.
    services = await client.app[SERVICES].get()
    context = RequestContext()
    thread = await services.store.load_thread(thread_id, context)
    start = datetime.now() + timedelta(seconds=1)
    for n in range(1, 26):
        await services.store.add_thread_item(
            thread_id,
            UserMessageItem(
                id=f"msg_extra_{n:02d}",
                thread_id=thread.id,
                created_at=start + timedelta(seconds=n),
                content=[UserMessageTextContent(text=f"Message {n:02d}")],
                attachments=[],
                inference_options=InferenceOptions(),
            ),
            context,
        )

    got = await call(client, "threads.get_by_id", {"thread_id": thread_id})
    assert got["id"] == thread_id
    assert got["title"] == "Message 00"
    texts = [text_of(i) for i in got["items"]["data"]]
    assert len(texts) == 20
    assert texts[:2] == ["Message 00", "You said: Message 00"]
    assert texts[2:] == [f"Message {n:02d}" for n in range(1, 19)]
    assert got["items"]["has_more"] is True


async def test_threads_list_pages_with_a_cursor_in_both_orders(client):
    ids = [(await new_thread(client, f"Thread {n}"))[0] for n in range(3)]

    first = await call(client, "threads.list", {"limit": 2, "order": "desc"})
    assert [t["id"] for t in first["data"]] == [ids[2], ids[1]]
    assert first["has_more"] is True
    assert first["after"] == ids[1]
    second = await call(
        client, "threads.list", {"limit": 2, "order": "desc", "after": first["after"]}
    )
    assert [t["id"] for t in second["data"]] == [ids[0]]
    assert second["has_more"] is False

    ascending = await call(client, "threads.list", {"order": "asc"})
    assert [t["id"] for t in ascending["data"]] == ids
    assert [t["title"] for t in ascending["data"]] == ["Thread 0", "Thread 1", "Thread 2"]
    # Listed threads carry no items.
    assert all(t["items"]["data"] == [] for t in ascending["data"])

    default = await call(client, "threads.list", {})
    assert [t["id"] for t in default["data"]] == ids[::-1], "newest first by default"


async def test_items_list_pages_with_a_cursor_in_both_orders(client):
    thread_id, _ = await new_thread(client, "one")
    await stream(
        client, "threads.add_user_message", {"thread_id": thread_id, "input": user_input("two")}
    )
    everything = await items_of(client, thread_id, "asc")
    ids = [i["id"] for i in everything]
    assert len(ids) == 4

    page1 = await call(client, "items.list", {"thread_id": thread_id, "order": "asc", "limit": 3})
    assert [i["id"] for i in page1["data"]] == ids[:3]
    assert page1["has_more"] is True
    page2 = await call(
        client,
        "items.list",
        {"thread_id": thread_id, "order": "asc", "limit": 3, "after": page1["after"]},
    )
    assert [i["id"] for i in page2["data"]] == ids[3:]
    assert page2["has_more"] is False

    desc1 = await call(client, "items.list", {"thread_id": thread_id, "order": "desc", "limit": 2})
    assert [i["id"] for i in desc1["data"]] == ids[::-1][:2]
    desc2 = await call(
        client,
        "items.list",
        {"thread_id": thread_id, "order": "desc", "limit": 2, "after": desc1["after"]},
    )
    assert [i["id"] for i in desc2["data"]] == ids[::-1][2:]


async def test_threads_update_persists_the_title(client):
    thread_id, _ = await new_thread(client, "Original words")
    updated = await call(client, "threads.update", {"thread_id": thread_id, "title": "Renamed"})
    assert updated["id"] == thread_id
    assert updated["title"] == "Renamed"
    got = await call(client, "threads.get_by_id", {"thread_id": thread_id})
    assert got["title"] == "Renamed"
    listed = await call(client, "threads.list", {})
    assert [t["title"] for t in listed["data"]] == ["Renamed"]
    # A later turn does not overwrite a title the user chose.
    await stream(
        client, "threads.add_user_message", {"thread_id": thread_id, "input": user_input("more")}
    )
    got = await call(client, "threads.get_by_id", {"thread_id": thread_id})
    assert got["title"] == "Renamed"


async def test_threads_delete_removes_the_thread_and_its_items(client):
    keep, _ = await new_thread(client, "keep me")
    gone, _ = await new_thread(client, "delete me")
    assert await call(client, "threads.delete", {"thread_id": gone}) == {}

    await assert_json_error(await post(client, "threads.get_by_id", {"thread_id": gone}), 404, gone)
    await assert_json_error(await post(client, "items.list", {"thread_id": gone}), 404, gone)
    listed = await call(client, "threads.list", {})
    assert [t["id"] for t in listed["data"]] == [keep]
    assert len(await items_of(client, keep)) == 2


async def test_retry_after_user_message_replaces_the_answer(client, openai_server):
    scripted, _ = openai_server
    thread_id, _ = await new_thread(client, "Tell me a joke")
    user, old_answer = await items_of(client, thread_id)
    assert text_of(old_answer) == "You said: Tell me a joke"

    scripted.queue(Reply(text="A better joke"))
    events = await stream(
        client, "threads.retry_after_item", {"thread_id": thread_id, "item_id": user["id"]}
    )
    assert assistant_text(events) == "A better joke"
    items = await items_of(client, thread_id)
    assert [(i["type"], text_of(i)) for i in items] == [
        ("user_message", "Tell me a joke"),
        ("assistant_message", "A better joke"),
    ]
    assert items[0]["id"] == user["id"]
    assert items[1]["id"] != old_answer["id"]
    # The model saw the question again, without the discarded answer.
    assert _history_texts(scripted.requests[-1].body) == [("user", "Tell me a joke")]


async def test_retry_after_a_non_user_item_is_a_400_and_changes_nothing(client):
    thread_id, _ = await new_thread(client, "Question")
    before = await items_of(client, thread_id)
    resp = await post(
        client, "threads.retry_after_item", {"thread_id": thread_id, "item_id": before[1]["id"]}
    )
    await assert_json_error(resp, 400, before[1]["id"], "not a user message")
    assert await items_of(client, thread_id) == before


async def test_items_feedback_is_stored(client):
    thread_id, _ = await new_thread(client, "Rate this")
    _user, answer = await items_of(client, thread_id)
    result = await call(
        client,
        "items.feedback",
        {"thread_id": thread_id, "item_ids": [answer["id"]], "kind": "negative"},
    )
    assert result == {}
    services = await client.app[SERVICES].get()
    assert await services.store.load_feedback(thread_id, RequestContext()) == {
        answer["id"]: "negative"
    }
    await call(
        client,
        "items.feedback",
        {"thread_id": thread_id, "item_ids": [answer["id"]], "kind": "positive"},
    )
    assert await services.store.load_feedback(thread_id, RequestContext()) == {
        answer["id"]: "positive"
    }


async def test_items_feedback_for_an_unknown_thread_is_a_404(client):
    resp = await post(
        client,
        "items.feedback",
        {"thread_id": "thr_missing", "item_ids": ["msg_x"], "kind": "positive"},
    )
    await assert_json_error(resp, 404, "thr_missing")


async def test_chosen_model_and_api_key_reach_the_model_server(client, openai_server):
    scripted, _ = openai_server
    thread_id, _ = await new_thread(client, "default model please")
    assert scripted.requests[-1].body["model"] == "gpt-4.1-mini"
    await stream(
        client,
        "threads.add_user_message",
        {"thread_id": thread_id, "input": user_input("use another", model="gpt-5-nano")},
    )
    request = scripted.requests[-1]
    assert request.path == "/v1/responses"
    assert request.body["model"] == "gpt-5-nano"
    assert request.body["stream"] is True
    assert request.authorization == "Bearer sk-test-FAKEKEY-0000000000000000"
