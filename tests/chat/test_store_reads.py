"""Reads before the Agents SDK has loaded (chat/store_reads.py): `threads.list`,
`threads.get_by_id` and `items.list` give the same bytes as ChatKit's own server (and the app's,
for the built-in client's item state), and the page gets its settings, its thread list and an old
thread while the SDK still loads."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

import chatkit_desktop.http.services as services_module
from chatkit_desktop.chat.item_state import ITEM_STATE_FLAG, with_stopped
from chatkit_desktop.chat.store_reads import DEFAULT_PAGE_SIZE, answer_read, parse_read
from chatkit_desktop.context import RequestContext
from chatkit_desktop.http.chatkit_api import EARLY_READS
from chatkit_desktop.http.keys import SERVICES
from tests.support.chatkit_client import AUTH, call, post, stream, thread_id_of, user_input
from tests.support.held_sdk import hold_sdk


async def _make_threads(client: Any, count: int) -> list[str]:
    ids = []
    for n in range(count):
        events = await stream(client, "threads.create", {"input": user_input(f"hello {n}")})
        ids.append(next(e["thread"]["id"] for e in events if e["type"] == "thread.created"))
    return ids


def test_the_default_page_size_is_chatkits():
    from chatkit.server import DEFAULT_PAGE_SIZE as CHATKIT_DEFAULT

    assert DEFAULT_PAGE_SIZE == CHATKIT_DEFAULT


async def _same_answer(services: Any, request: dict[str, Any]) -> bytes:
    """Ours and the app's ChatKit server's answer to `request`: equal, returned."""
    context = RequestContext(user_id="local")
    body = json.dumps(request).encode()
    theirs = (await services.chat.process(body, context)).json
    parsed = parse_read(body)
    assert parsed is not None, request
    ours = await answer_read(services.store, parsed, context)
    assert ours == theirs, request
    return ours


async def test_thread_lists_are_byte_for_byte_chatkits(client):
    ids = await _make_threads(client, 4)
    await call(client, "threads.update", {"thread_id": ids[1], "title": "Renamed — ünïcode"})
    services = await client.app[SERVICES].get()
    for params in (
        {},
        {"limit": 2},
        {"limit": 2, "after": ids[3]},
        {"order": "asc"},
        {"order": "asc", "limit": 3, "after": ids[0]},
        {"limit": 100},
    ):
        ours = await _same_answer(services, {"type": "threads.list", "params": params})
        assert json.loads(ours)["data"], params  # every case lists something


async def _long_thread(client: Any, openai_server: Any, turns: int) -> str:
    """A thread of `turns` questions and answers, with a hidden context item in the middle
    (what a stopped answer leaves for the model), one answer marked stopped and one rated."""
    from chatkit.types import SDKHiddenContextItem

    events = await stream(client, "threads.create", {"input": user_input("question 0")})
    thread_id = thread_id_of(events)
    for n in range(1, turns):
        await stream(
            client,
            "threads.add_user_message",
            {"thread_id": thread_id, "input": user_input(f"question {n}")},
        )
    services = await client.app[SERVICES].get()
    context = RequestContext(user_id="local")
    items = await services.store.load_thread_items(thread_id, None, 100, "asc", context)
    answers = [i.id for i in items.data if i.type == "assistant_message"]
    hidden = SDKHiddenContextItem(
        id="hid_0001",
        thread_id=thread_id,
        created_at=items.data[3].created_at,
        content="The user stopped the answer.",
    )
    await services.store.add_thread_item(thread_id, hidden, context)
    thread = await services.store.load_thread(thread_id, context)
    await services.store.save_thread(with_stopped(thread, [answers[1]]), context)
    await call(
        client,
        "items.feedback",
        {"thread_id": thread_id, "item_ids": [answers[2]], "kind": "positive"},
    )
    return thread_id


async def test_a_thread_and_its_items_are_byte_for_byte_chatkits(client, openai_server):
    thread_id = await _long_thread(client, openai_server, 12)  # 24 items and a hidden one
    services = await client.app[SERVICES].get()
    whole = await _same_answer(
        services, {"type": "threads.get_by_id", "params": {"thread_id": thread_id}}
    )
    first_page = json.loads(whole)["items"]["data"]
    assert len(first_page) == DEFAULT_PAGE_SIZE - 1  # the hidden item is left out
    assert all(item["type"] != "sdk_hidden_context" for item in first_page)
    last = first_page[-1]["id"]
    pages = 0
    for params in (
        {"thread_id": thread_id},
        {"thread_id": thread_id, "order": "asc", "limit": 5},
        {"thread_id": thread_id, "order": "asc", "after": last},
        {"thread_id": thread_id, "order": "desc", "limit": 7, "after": last},
        {"thread_id": thread_id, "limit": 100},
    ):
        for metadata in ({}, {ITEM_STATE_FLAG: True}):
            request = {"type": "items.list", "params": params, "metadata": metadata}
            page = json.loads(await _same_answer(services, request))
            assert page["data"], request
            pages += 1
            marked = [i for i in page["data"] if "stopped" in i or "feedback" in i]
            if metadata and params.get("limit") == 100:
                assert len(marked) == 2  # the stopped answer and the rated one
            if not metadata:
                assert marked == []
    assert pages == 10


def test_anything_else_is_left_to_the_sdk():
    for kind in EARLY_READS:
        params = {"limit": 2} if kind == "threads.list" else {"thread_id": "thr_1"}
        parsed = parse_read(json.dumps({"type": kind, "params": params}).encode())
        assert parsed is not None and parsed.type == kind
    assert parse_read(b'{"type": "threads.list", "params": {"limit": "many"}}') is None
    assert parse_read(b'{"type": "items.list", "params": {}}') is None
    assert parse_read(b'{"type": "threads.get_by_id", "params": {"thread_id": 3}}') is None
    assert parse_read(b'{"type": "threads.delete", "params": {"thread_id": "t"}}') is None
    assert parse_read(b"not json") is None


async def test_settings_and_threads_answer_while_the_sdk_is_still_loading(
    client, make_client, monkeypatch
):
    ids = await _make_threads(client, 2)
    # A second app on the same data, whose ChatKit server (the Agents SDK) is held back.
    held = hold_sdk(monkeypatch)
    early = await make_client()
    lazy = early.app[SERVICES]

    settings = await early.get("/api/settings", headers=AUTH)
    assert settings.status == 200
    assert "providers" in await settings.json()
    listed = await call(early, "threads.list", {"limit": 10})
    assert [t["id"] for t in listed["data"]] == ids[::-1]
    # An old thread opens too: the thread, a page of its items, and a missing one is a 404.
    thread = await call(early, "threads.get_by_id", {"thread_id": ids[0]})
    assert thread["id"] == ids[0]
    assert [i["type"] for i in thread["items"]["data"]] == ["user_message", "assistant_message"]
    page = await call(early, "items.list", {"thread_id": ids[0], "order": "desc", "limit": 1})
    assert page["data"][0]["type"] == "assistant_message" and page["has_more"] is True
    # A missing thread gets the same 404 as from the ready app, for both reads.
    for kind, params in (
        ("threads.get_by_id", {"thread_id": "thr_not_there"}),
        ("items.list", {"thread_id": "thr_not_there"}),
    ):
        missing = await post(early, kind, params)
        ready = await post(client, kind, params)
        assert (missing.status, await missing.json()) == (ready.status, await ready.json())
        assert missing.status == 404, kind
        assert "thr_not_there" in (await missing.json())["error"]["message"]
    # Answered from the store alone: the Agents SDK was not even asked for yet.
    assert held.building == [] and not lazy.chat_ready

    # A request that needs the SDK starts it, waits for it, then works as always.
    pending = asyncio.ensure_future(
        post(early, "threads.create", {"input": user_input("now with the SDK")})
    )
    await asyncio.sleep(0.2)
    assert held.building == ["held"] and not pending.done()
    held.release.set()
    resp = await asyncio.wait_for(pending, 30)
    assert resp.status == 200
    await resp.read()
    assert lazy.chat_ready
    after = await call(early, "threads.list", {"limit": 10})
    assert len(after["data"]) == 3


@pytest.mark.parametrize("params", [{"limit": "many"}, {"order": "sideways"}])
async def test_a_bad_threads_list_gets_the_sdks_400_even_while_it_loads(client, params):
    resp = await post(client, "threads.list", params)
    assert resp.status == 400
    body = await resp.json()
    assert body["error"]["code"]


async def test_an_app_stopped_before_the_sdk_loaded_closes_its_database(
    make_client, data_dir, monkeypatch
):
    async def never_built(config: Any, core: Any) -> Any:
        raise AssertionError("the Agents SDK stage should not start")

    monkeypatch.setattr(services_module, "build_chat", never_built)
    early = await make_client()
    assert (await call(early, "threads.list", {}))["data"] == []
    assert not early.app[SERVICES].chat_ready
    await early.close()  # the app's cleanup closes what the first stage opened
    wal = data_dir / "chatkit-desktop.sqlite3-wal"
    assert not wal.exists() or wal.stat().st_size == 0, "the database was not closed cleanly"
