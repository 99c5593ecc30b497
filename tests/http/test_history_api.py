"""The history API over real HTTP: search, previews, trash and exports (docs/history.md)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from chatkit_desktop.context import RequestContext
from chatkit_desktop.http.keys import SERVICES
from chatkit_desktop.http.services import empty_expired_trash
from chatkit_desktop.store.archive import parse_export
from chatkit_desktop.store.sqlite_store import SQLiteStore
from chatkit_desktop.testing.openai_server import Reply
from tests.support.assertions import assert_json_error, items_of, new_thread
from tests.support.chatkit_client import AUTH, call, stream, thread_id_of, user_input
from tests.support.held_sdk import hold_sdk


async def get_json(client: TestClient, path: str, status: int = 200) -> Any:
    resp = await client.get(path, headers=AUTH)
    assert resp.status == status, await resp.text()
    assert resp.content_type == "application/json"
    return await resp.json()


async def search(client: TestClient, query: str, **params: str) -> dict[str, Any]:
    resp = await client.get("/api/search", params={"q": query, **params}, headers=AUTH)
    assert resp.status == 200, await resp.text()
    return dict(await resp.json())


def matched_words(result: dict[str, Any]) -> list[str]:
    return [segment["text"] for segment in result["snippet"] if segment["match"]]


async def answered_thread(client: TestClient, scripted: Any, question: str, answer: str) -> str:
    scripted.queue(Reply(text=answer))
    events = await stream(client, "threads.create", {"input": user_input(question)})
    return thread_id_of(events)


# search -------------------------------------------------------------------------------------


async def test_search_finds_the_assistant_message_and_marks_the_word(client, openai_server):
    scripted, _ = openai_server
    thread_id = await answered_thread(
        client, scripted, "Where should I eat?", "Try the bouchon near Place Bellecour."
    )
    await answered_thread(client, scripted, "Something else", "Nothing about food here.")
    answer = [i for i in await items_of(client, thread_id) if i["type"] == "assistant_message"]

    found = await search(client, "BOUCHON")

    assert [(r["thread_id"], r["item_id"], r["kind"]) for r in found["results"]] == [
        (thread_id, answer[0]["id"], "assistant")
    ]
    result = found["results"][0]
    assert matched_words(result) == ["bouchon"]
    assert "Place Bellecour" in "".join(s["text"] for s in result["snippet"])
    assert result["thread_title"]  # the first words became the title
    assert found["has_more"] is False and found["next_offset"] is None


async def test_search_finds_user_text_and_pages(client, openai_server):
    scripted, _ = openai_server
    for n in range(5):
        await answered_thread(client, scripted, f"quokka question {n}", "ok")

    first = await search(client, "quokka", limit="2")
    assert len(first["results"]) == 2 and first["has_more"] is True
    assert {r["kind"] for r in first["results"]} <= {"user", "title"}
    seen = []
    offset: int | None = 0
    while offset is not None:
        page = await search(client, "quokka", limit="3", offset=str(offset))
        seen += [(r["thread_id"], r["item_id"]) for r in page["results"]]
        offset = page["next_offset"]
    assert len(seen) == len(set(seen)) == 10  # five user messages and five titles


@pytest.mark.parametrize(
    "query",
    ['"', '"unbalanced', "((", ")", "NEAR(", "*", "-x", "a OR", "col:x", "^", "'; DROP", "\\"],
)
async def test_hostile_queries_are_words_not_errors(client, openai_server, query):
    scripted, _ = openai_server
    await answered_thread(client, scripted, "plain words only", "fine")
    found = await search(client, query)
    assert isinstance(found["results"], list)


async def test_search_refuses_bad_parameters_in_words(client):
    await assert_json_error(
        await client.get("/api/search", params={"q": "x" * 501}, headers=AUTH), 400, "too long"
    )
    for params in (
        {"q": "a", "limit": "lots"},
        {"q": "a", "limit": "0"},
        {"q": "a", "offset": "-1"},
    ):
        resp = await client.get("/api/search", params=params, headers=AUTH)
        await assert_json_error(resp, 400)
    await assert_json_error(await client.get("/api/search", params={"q": "a"}), 401)


async def test_empty_search_has_no_results(client, openai_server):
    scripted, _ = openai_server
    await answered_thread(client, scripted, "hello", "hi")
    assert (await search(client, ""))["results"] == []
    assert (await search(client, "   "))["results"] == []


async def test_search_follows_a_retry(client, openai_server):
    scripted, _ = openai_server
    thread_id = await answered_thread(client, scripted, "Tell me a joke", "A wombat walks in.")
    user_item = (await items_of(client, thread_id))[0]
    scripted.queue(Reply(text="A platypus walks in."))
    await stream(
        client, "threads.retry_after_item", {"thread_id": thread_id, "item_id": user_item["id"]}
    )

    assert (await search(client, "wombat"))["results"] == []
    assert [r["thread_id"] for r in (await search(client, "platypus"))["results"]] == [thread_id]


# previews -----------------------------------------------------------------------------------


async def test_previews_give_the_latest_message_on_one_line(client, openai_server):
    scripted, _ = openai_server
    first = await answered_thread(client, scripted, "q1", "First answer\nwith two lines")
    second = await answered_thread(client, scripted, "q2", "x" * 400)

    previews = (await get_json(client, f"/api/threads/previews?ids={first},{second},thr_nope"))[
        "previews"
    ]
    assert previews[first] == "First answer with two lines"
    assert len(previews[second]) <= 160 and previews[second].endswith("…")
    assert "thr_nope" not in previews
    too_many = ",".join(f"thr_{n}" for n in range(101))
    await assert_json_error(
        await client.get(f"/api/threads/previews?ids={too_many}", headers=AUTH), 400, "at most"
    )


# trash --------------------------------------------------------------------------------------


async def test_delete_moves_to_trash_and_restore_brings_everything_back(client, openai_server):
    scripted, _ = openai_server
    thread_id = await answered_thread(client, scripted, "keep this safe", "the zebra answer")
    before = await items_of(client, thread_id)

    await call(client, "threads.delete", {"thread_id": thread_id})

    assert (await call(client, "threads.list", {}))["data"] == []
    assert (await search(client, "zebra"))["results"] == []
    trash = await get_json(client, "/api/trash")
    assert [entry["id"] for entry in trash["data"]] == [thread_id]
    entry = trash["data"][0]
    assert entry["title"] and entry["deleted_at"] and entry["purge_at"] > entry["deleted_at"]

    restored = await client.post(f"/api/trash/{thread_id}/restore", headers=AUTH)
    assert restored.status == 200
    assert (await restored.json())["thread"]["id"] == thread_id
    assert await items_of(client, thread_id) == before
    assert [r["thread_id"] for r in (await search(client, "zebra"))["results"]] == [thread_id]
    assert (await get_json(client, "/api/trash"))["data"] == []


async def test_trash_errors_are_json(client):
    await assert_json_error(
        await client.post("/api/trash/thr_nope/restore", headers=AUTH), 404, "thr_nope"
    )
    await assert_json_error(await client.delete("/api/trash/thr_nope", headers=AUTH), 404)
    await assert_json_error(await client.get("/api/trash?after=thr_nope", headers=AUTH), 404)
    await assert_json_error(await client.get("/api/trash?limit=x", headers=AUTH), 400)
    await assert_json_error(await client.delete("/api/trash"), 401)


async def test_a_live_thread_cannot_be_deleted_for_good_without_the_trash(client, openai_server):
    thread_id, _ = await new_thread(client, "still here")
    await assert_json_error(await client.delete(f"/api/trash/{thread_id}", headers=AUTH), 404)
    assert len(await items_of(client, thread_id)) == 2


async def test_expired_trash_is_emptied_with_its_files(client, openai_server, data_dir):
    thread_id, _ = await new_thread(client, "old news")
    kept, _ = await new_thread(client, "recent")
    await call(client, "threads.delete", {"thread_id": thread_id})
    await call(client, "threads.delete", {"thread_id": kept})
    services = await client.app[SERVICES].get()
    # Deleted 31 days ago, as far as the database knows.
    async with services.store.transaction() as db:
        await db.execute(
            "UPDATE threads SET deleted_us = deleted_us - ? WHERE id = ?",
            (31 * 86_400 * 1_000_000, thread_id),
        )

    assert await empty_expired_trash(services.store, services.chat.files) == 1

    remaining = await get_json(client, "/api/trash")
    assert [entry["id"] for entry in remaining["data"]] == [kept]
    with sqlite3.connect(data_dir / "chatkit-desktop.sqlite3") as db:
        assert db.execute(
            "SELECT COUNT(*) FROM items WHERE thread_id = ?", (thread_id,)
        ).fetchone() == (0,)


# export -------------------------------------------------------------------------------------


async def test_export_markdown_and_json_downloads(client, openai_server):
    scripted, _ = openai_server
    thread_id = await answered_thread(client, scripted, "Plan: a trip/to Lyon?", "Take the TGV.")

    md = await client.get(f"/api/export?thread_id={thread_id}&format=md", headers=AUTH)
    assert md.status == 200 and md.content_type == "text/markdown"
    assert md.headers["Content-Disposition"].startswith("attachment;")
    assert "/" not in md.headers["Content-Disposition"].split("filename=")[1].split(";")[0]
    text = await md.text()
    assert text.startswith("# ") and "Plan: a trip/to Lyon?" in text and "Take the TGV." in text
    assert text.index("Plan: a trip") < text.index("Take the TGV.")

    resp = await client.get(f"/api/export?thread_id={thread_id}&format=json", headers=AUTH)
    assert resp.status == 200 and resp.content_type == "application/json"
    exported = json.loads(await resp.text())
    assert exported["id"] == thread_id
    assert [i["id"] for i in exported["items"]["data"]][:2] == [
        i["id"] for i in await items_of(client, thread_id)
    ][:2]


async def test_export_errors_are_json(client):
    await assert_json_error(await client.get("/api/export?format=pdf", headers=AUTH), 400, "format")
    await assert_json_error(
        await client.get("/api/export?format=md", headers=AUTH), 400, "thread_id"
    )
    await assert_json_error(
        await client.get("/api/export?format=json&thread_id=thr_nope", headers=AUTH), 404
    )
    await assert_json_error(
        await client.get("/api/export?format=jsonl&thread_id=thr_x", headers=AUTH), 400
    )


async def test_jsonl_export_imports_into_a_fresh_app_identically(
    client, openai_server, make_client, tmp_path: Path
):
    scripted, _ = openai_server
    ids = [
        await answered_thread(client, scripted, f"question {n}", f"answer {n}") for n in range(3)
    ]
    await call(client, "threads.update", {"thread_id": ids[0], "title": "Renamed"})
    resp = await client.get("/api/export?format=jsonl", headers=AUTH)
    assert resp.status == 200
    assert "attachment" in resp.headers["Content-Disposition"]
    body = await resp.text()
    assert len(body.splitlines()) == 3

    fresh_dir = tmp_path / "fresh"
    store = await SQLiteStore.open(fresh_dir / "chatkit-desktop.sqlite3")
    try:
        report = await store.archive.import_threads(parse_export(body), RequestContext())
    finally:
        await store.close()
    assert report.threads_added == 3

    from chatkit_desktop.settings.paths import DataPaths

    other = await make_client(paths=DataPaths(fresh_dir))
    assert await call(other, "threads.list", {"limit": 10}) == await call(
        client, "threads.list", {"limit": 10}
    )
    for thread_id in ids:
        assert await items_of(other, thread_id) == await items_of(client, thread_id)
        assert await call(other, "threads.get_by_id", {"thread_id": thread_id}) == await call(
            client, "threads.get_by_id", {"thread_id": thread_id}
        )


# before the Agents SDK has loaded -----------------------------------------------------------


async def test_the_history_browser_answers_while_the_sdk_is_still_loading(
    client, openai_server, make_client, monkeypatch
):
    """Search, previews, the trash and exports need only the store, which opens first: a
    history browser opened in the app's first seconds does not wait for the Agents SDK.
    Deleting for good waits (it removes attachment files through ChatKit's server)."""
    import asyncio

    scripted, _ = openai_server
    kept = await answered_thread(client, scripted, "Lyon bouchons?", "Try the quenelles.")
    restorable = await answered_thread(client, scripted, "Old question", "Old answer.")
    doomed = await answered_thread(client, scripted, "Older question", "Older answer.")
    for thread_id in (doomed, restorable):
        await call(client, "threads.delete", {"thread_id": thread_id})

    # A second app on the same data whose ChatKit server (the Agents SDK) is held back.
    held = hold_sdk(monkeypatch)
    early = await make_client()

    async with asyncio.timeout(20):  # waiting for the held SDK would hang: fail instead
        found = await search(early, "quenelles")
        assert [r["thread_id"] for r in found["results"]] == [kept]
        previews = (await get_json(early, f"/api/threads/previews?ids={kept}"))["previews"]
        assert "quenelles" in json.dumps(previews)
        trash = (await get_json(early, "/api/trash"))["data"]
        assert [t["id"] for t in trash] == [restorable, doomed]
        exported = await early.get(f"/api/export?thread_id={kept}&format=md", headers=AUTH)
        assert exported.status == 200 and "Try the quenelles." in await exported.text()
        restored = await early.post(f"/api/trash/{restorable}/restore", headers=AUTH)
        assert restored.status == 200, await restored.text()
    assert held.building == [] and not early.app[SERVICES].chat_ready

    # Deleting for good needs ChatKit's server: it starts it, waits, then works as always.
    pending = asyncio.ensure_future(early.delete(f"/api/trash/{doomed}", headers=AUTH))
    await asyncio.sleep(0.2)
    assert held.building == ["held"] and not pending.done()
    held.release.set()
    purged = await asyncio.wait_for(pending, 30)
    assert purged.status == 200 and (await purged.json()) == {"deleted": 1}
    assert (await get_json(early, "/api/trash"))["data"] == []
