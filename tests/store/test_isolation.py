"""Two local users share one database file; neither can see or touch the other's data."""

from __future__ import annotations

import contextlib
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import pytest
from chatkit.store import NotFoundError
from chatkit.types import Page, Thread

from chatkit_desktop.store.sqlite_store import SQLiteStore
from tests.store.helpers import (
    ALICE,
    BOB,
    T0,
    all_item_ids,
    all_thread_ids,
    assistant_message,
    at,
    file_attachment,
    raw,
    text_of,
    thread,
    user_message,
)


@dataclass
class Snapshot:
    threads: list[tuple[str, ...]]
    items: list[tuple[str, ...]]
    attachments: list[tuple[str, ...]]


def snapshot(path: Path) -> Snapshot:
    with raw(path) as db:
        db.row_factory = None

        def rows(sql: str) -> list[tuple[str, ...]]:
            return [tuple(map(str, r)) for r in db.execute(sql).fetchall()]

        return Snapshot(
            threads=rows("SELECT id, user_id, created_us, data FROM threads ORDER BY id"),
            items=rows("SELECT thread_id, id, data, feedback FROM items ORDER BY thread_id, id"),
            attachments=rows("SELECT id, user_id, thread_id, data FROM attachments ORDER BY id"),
        )


@pytest.fixture
async def alice_data(store: SQLiteStore, db_path: Path) -> Snapshot:
    await store.save_thread(thread("thr_alice", at(0), title="Alice's diary"), ALICE)
    await store.add_thread_item(
        "thr_alice", user_message("thr_alice", "msg_1", "secret", at(1)), ALICE
    )
    await store.add_thread_item(
        "thr_alice", assistant_message("thr_alice", "msg_2", "noted", at(2)), ALICE
    )
    await store.save_attachment(file_attachment("atc_alice", thread_id="thr_alice"), ALICE)
    await store.save_attachment(file_attachment("atc_loose"), ALICE)
    await store.set_feedback("thr_alice", ["msg_2"], "positive", ALICE)
    return snapshot(db_path)


async def assert_alice_intact(store: SQLiteStore, db_path: Path, before: Snapshot) -> None:
    assert snapshot(db_path) == before
    assert (await store.load_thread("thr_alice", ALICE)).title == "Alice's diary"
    assert await all_item_ids(store, "thr_alice", ALICE, limit=10, order="asc") == [
        "msg_1",
        "msg_2",
    ]
    assert text_of(await store.load_item("thr_alice", "msg_1", ALICE)) == "secret"
    assert (await store.load_attachment("atc_alice", ALICE)).thread_id == "thr_alice"
    assert (await store.load_attachment("atc_loose", ALICE)).name == "notes.txt"
    assert await store.load_feedback("thr_alice", ALICE) == {"msg_2": "positive"}


async def test_bob_cannot_read_alices_data(store: SQLiteStore, alice_data: Snapshot) -> None:
    with pytest.raises(NotFoundError):
        await store.load_thread("thr_alice", BOB)
    with pytest.raises(NotFoundError):
        await store.load_thread_items("thr_alice", None, 10, "asc", BOB)
    with pytest.raises(NotFoundError):
        await store.load_item("thr_alice", "msg_1", BOB)
    with pytest.raises(NotFoundError):
        await store.load_attachment("atc_alice", BOB)
    with pytest.raises(NotFoundError):
        await store.load_attachment("atc_loose", BOB)
    with pytest.raises(NotFoundError):
        await store.load_feedback("thr_alice", BOB)


async def test_bob_cannot_list_alices_threads(store: SQLiteStore, alice_data: Snapshot) -> None:
    assert (await store.load_threads(10, None, "desc", BOB)).data == []
    with pytest.raises(NotFoundError):
        await store.load_threads(10, "thr_alice", "asc", BOB)

    await store.save_thread(thread("thr_bob", at(5)), BOB)
    assert await all_thread_ids(store, BOB, limit=1, order="desc") == ["thr_bob"]
    assert await all_thread_ids(store, ALICE, limit=1, order="desc") == ["thr_alice"]
    with pytest.raises(NotFoundError):
        await store.load_threads(10, "thr_bob", "asc", ALICE)


async def test_bob_cannot_change_alices_data(
    store: SQLiteStore, db_path: Path, alice_data: Snapshot
) -> None:
    with pytest.raises(NotFoundError):
        await store.save_thread(thread("thr_alice", T0, title="pwned"), BOB)
    with pytest.raises(NotFoundError):
        full = Thread(id="thr_alice", created_at=T0, title="pwned", items=Page())
        await store.save_thread(full, BOB)
    with pytest.raises(NotFoundError):
        await store.add_thread_item(
            "thr_alice", user_message("thr_alice", "msg_evil", "injected"), BOB
        )
    with pytest.raises(NotFoundError):
        await store.add_thread_item(
            "thr_alice", user_message("thr_alice", "msg_1", "overwritten"), BOB
        )
    with pytest.raises(NotFoundError):
        await store.save_item(
            "thr_alice", assistant_message("thr_alice", "msg_2", "overwritten"), BOB
        )
    with pytest.raises(NotFoundError):
        await store.save_attachment(file_attachment("atc_alice", name="evil.exe"), BOB)
    with pytest.raises(NotFoundError):
        await store.save_attachment(file_attachment("atc_loose", name="evil.exe"), BOB)
    with pytest.raises(NotFoundError):
        await store.save_attachment(file_attachment("atc_bob", thread_id="thr_alice"), BOB)
    with pytest.raises(NotFoundError):
        await store.set_feedback("thr_alice", ["msg_2"], "negative", BOB)

    await assert_alice_intact(store, db_path, alice_data)


async def test_bob_cannot_delete_alices_data(
    store: SQLiteStore, db_path: Path, alice_data: Snapshot
) -> None:
    # Deleting something that is not yours may say "not found" or do nothing; never delete it.
    with contextlib.suppress(NotFoundError):
        await store.delete_thread_item("thr_alice", "msg_1", BOB)
    with contextlib.suppress(NotFoundError):
        await store.delete_attachment("atc_alice", BOB)
    with contextlib.suppress(NotFoundError):
        await store.delete_attachment("atc_loose", BOB)
    with contextlib.suppress(NotFoundError):
        await store.delete_thread("thr_alice", BOB)

    await assert_alice_intact(store, db_path, alice_data)


async def test_same_item_ids_in_bobs_own_thread_do_not_touch_alices(
    store: SQLiteStore, db_path: Path, alice_data: Snapshot
) -> None:
    await store.save_thread(thread("thr_bob"), BOB)
    await store.add_thread_item("thr_bob", user_message("thr_bob", "msg_1", "bob's own"), BOB)
    await store.set_feedback("thr_bob", ["msg_1", "msg_2"], "negative", BOB)
    await store.delete_thread_item("thr_bob", "msg_2", BOB)

    assert text_of(await store.load_item("thr_bob", "msg_1", BOB)) == "bob's own"
    assert await store.load_feedback("thr_bob", BOB) == {"msg_1": "negative"}
    assert text_of(await store.load_item("thr_alice", "msg_1", ALICE)) == "secret"
    assert await store.load_feedback("thr_alice", ALICE) == {"msg_2": "positive"}

    await store.delete_thread("thr_bob", BOB)
    await store.trash.purge(BOB)
    await assert_alice_intact(store, db_path, alice_data)


async def test_thread_ids_are_unique_across_users(store: SQLiteStore, alice_data: Snapshot) -> None:
    # Bob cannot claim an id Alice holds, even to create "his own" thread with it.
    with pytest.raises(NotFoundError):
        await store.save_thread(thread("thr_alice", title="Bob's"), BOB)
    with pytest.raises(NotFoundError):
        await store.load_thread("thr_alice", BOB)


async def test_no_sqlite_error_leaks_from_cross_user_writes(
    store: SQLiteStore, alice_data: Snapshot
) -> None:
    # A refused write must be the SDK's NotFoundError (404), never a raw database error (500).
    attempts = [
        store.save_thread(thread("thr_alice"), BOB),
        store.add_thread_item("thr_alice", user_message("thr_alice", "msg_x", "x"), BOB),
        store.save_attachment(file_attachment("atc_alice"), BOB),
    ]
    for attempt in attempts:
        with pytest.raises(NotFoundError) as caught:
            await attempt
        assert not isinstance(caught.value, sqlite3.Error)
