"""`threads.list` before the Agents SDK has loaded (chat/thread_list.py): the same bytes as
ChatKit's own server, and the page gets its settings and thread list while the SDK still loads."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

import chatkit_desktop.http.services as services_module
from chatkit_desktop.chat.thread_list import DEFAULT_PAGE_SIZE, list_threads, parse_threads_list
from chatkit_desktop.context import RequestContext
from chatkit_desktop.http.keys import SERVICES
from tests.support.chatkit_client import AUTH, call, post, stream, user_input


async def _make_threads(client: Any, count: int) -> list[str]:
    ids = []
    for n in range(count):
        events = await stream(client, "threads.create", {"input": user_input(f"hello {n}")})
        ids.append(next(e["thread"]["id"] for e in events if e["type"] == "thread.created"))
    return ids


def test_the_default_page_size_is_chatkits():
    from chatkit.server import DEFAULT_PAGE_SIZE as CHATKIT_DEFAULT

    assert DEFAULT_PAGE_SIZE == CHATKIT_DEFAULT


async def test_the_answer_is_byte_for_byte_chatkits(client):
    ids = await _make_threads(client, 4)
    await call(client, "threads.update", {"thread_id": ids[1], "title": "Renamed — ünïcode"})
    services = await client.app[SERVICES].get()
    context = RequestContext(user_id="local")
    for params in (
        {},
        {"limit": 2},
        {"limit": 2, "after": ids[3]},
        {"order": "asc"},
        {"order": "asc", "limit": 3, "after": ids[0]},
        {"limit": 100},
    ):
        body = json.dumps({"type": "threads.list", "params": params}).encode()
        theirs = (await services.chat.process(body, context)).json
        parsed = parse_threads_list(body)
        assert parsed is not None
        ours = await list_threads(services.store, parsed, context)
        assert ours == theirs, params
        assert json.loads(ours)["data"], params  # every case lists something


def test_anything_but_a_well_formed_threads_list_is_left_to_the_sdk():
    assert parse_threads_list(b'{"type": "threads.list", "params": {}}') is not None
    assert parse_threads_list(b'{"type": "threads.list", "params": {"limit": "many"}}') is None
    assert (
        parse_threads_list(b'{"type": "threads.get_by_id", "params": {"thread_id": "t"}}') is None
    )
    assert parse_threads_list(b"not json") is None


async def test_settings_and_threads_answer_while_the_sdk_is_still_loading(
    client, make_client, monkeypatch
):
    ids = await _make_threads(client, 2)
    # A second app on the same data, whose ChatKit server (the Agents SDK) is held back.
    release = asyncio.Event()
    building: list[str] = []
    real_build_chat = services_module.build_chat

    async def held_build_chat(config: Any, core: Any) -> Any:
        building.append("held")
        await release.wait()
        return await real_build_chat(config, core)

    monkeypatch.setattr(services_module, "build_chat", held_build_chat)
    early = await make_client()
    lazy = early.app[SERVICES]

    settings = await early.get("/api/settings", headers=AUTH)
    assert settings.status == 200
    assert "providers" in await settings.json()
    listed = await call(early, "threads.list", {"limit": 10})
    assert [t["id"] for t in listed["data"]] == ids[::-1]
    # Answered from the store alone: the Agents SDK was not even asked for yet.
    assert building == [] and not lazy.chat_ready

    # A request that needs the SDK starts it, waits for it, then works as always.
    pending = asyncio.ensure_future(
        post(early, "threads.create", {"input": user_input("now with the SDK")})
    )
    await asyncio.sleep(0.2)
    assert building == ["held"] and not pending.done()
    release.set()
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
