"""Threads through the SDK's Store API: save, load, update, delete and paginate."""

from __future__ import annotations

import json
import random
from datetime import UTC, timedelta
from pathlib import Path

import pytest
from chatkit.store import NotFoundError
from chatkit.types import Page, Thread, ThreadMetadata

from chatkit_desktop.store.sqlite_store import SQLiteStore
from tests.store.helpers import (
    ALICE,
    T0,
    all_item_ids,
    all_thread_ids,
    assistant_message,
    at,
    locked_thread,
    raw,
    thread,
    user_message,
)


async def test_saved_thread_loads_back_with_every_field(store: SQLiteStore) -> None:
    original = locked_thread("thr_plan")
    await store.save_thread(original, ALICE)

    loaded = await store.load_thread("thr_plan", ALICE)

    assert loaded == original
    assert loaded.status.type == "locked"
    assert loaded.metadata["tags"] == ["a", "b"]


async def test_thread_survives_closing_and_reopening_the_database(db_path: Path) -> None:
    first = await SQLiteStore.open(db_path)
    await first.save_thread(thread("thr_keep", title="Kept"), ALICE)
    await first.add_thread_item("thr_keep", user_message("thr_keep", "msg_1", "hi"), ALICE)
    await first.close()

    second = await SQLiteStore.open(db_path)
    try:
        assert (await second.load_thread("thr_keep", ALICE)).title == "Kept"
        items = await second.load_thread_items("thr_keep", None, 10, "asc", ALICE)
        assert [i.id for i in items.data] == ["msg_1"]
    finally:
        await second.close()


async def test_missing_thread_is_not_found(store: SQLiteStore) -> None:
    with pytest.raises(NotFoundError):
        await store.load_thread("thr_nope", ALICE)


async def test_save_thread_updates_title_and_keeps_items_and_position(store: SQLiteStore) -> None:
    await store.save_thread(thread("thr_a", at(0)), ALICE)
    await store.save_thread(thread("thr_b", at(1)), ALICE)
    await store.add_thread_item("thr_a", user_message("thr_a", "msg_1", "first"), ALICE)
    await store.add_thread_item("thr_a", assistant_message("thr_a", "msg_2", "second"), ALICE)

    await store.save_thread(thread("thr_a", at(0), title="Renamed"), ALICE)

    assert (await store.load_thread("thr_a", ALICE)).title == "Renamed"
    assert await all_item_ids(store, "thr_a", ALICE, limit=10, order="asc") == ["msg_1", "msg_2"]
    assert await all_thread_ids(store, ALICE, limit=10, order="asc") == ["thr_a", "thr_b"]


async def test_save_thread_accepts_a_full_thread_without_storing_its_items(
    store: SQLiteStore, db_path: Path
) -> None:
    inline = user_message("thr_full", "msg_inline", "only in the Thread object")
    full = Thread(
        id="thr_full", created_at=T0, title="Full", items=Page(data=[inline], has_more=False)
    )

    await store.save_thread(full, ALICE)

    loaded = await store.load_thread("thr_full", ALICE)
    assert type(loaded) is ThreadMetadata
    assert loaded.title == "Full"
    assert (await store.load_thread_items("thr_full", None, 10, "asc", ALICE)).data == []
    with pytest.raises(NotFoundError):
        await store.load_item("thr_full", "msg_inline", ALICE)
    with raw(db_path) as db:
        (data,) = db.execute("SELECT data FROM threads WHERE id = 'thr_full'").fetchone()
    assert "items" not in json.loads(data)


async def test_saving_a_full_thread_over_an_existing_one_keeps_stored_items(
    store: SQLiteStore,
) -> None:
    await store.save_thread(thread("thr_x"), ALICE)
    await store.add_thread_item("thr_x", user_message("thr_x", "msg_1", "stored"), ALICE)

    await store.save_thread(Thread(id="thr_x", created_at=T0, title="New", items=Page()), ALICE)

    items = await store.load_thread_items("thr_x", None, 10, "asc", ALICE)
    assert [i.id for i in items.data] == ["msg_1"]


async def test_delete_thread_removes_it_and_its_items_only(store: SQLiteStore) -> None:
    for tid in ("thr_gone", "thr_stays"):
        await store.save_thread(thread(tid), ALICE)
        await store.add_thread_item(tid, user_message(tid, "msg_1", f"in {tid}"), ALICE)

    await store.delete_thread("thr_gone", ALICE)

    with pytest.raises(NotFoundError):
        await store.load_thread("thr_gone", ALICE)
    with pytest.raises(NotFoundError):
        await store.load_thread_items("thr_gone", None, 10, "asc", ALICE)
    with pytest.raises(NotFoundError):
        await store.load_item("thr_gone", "msg_1", ALICE)
    assert await all_thread_ids(store, ALICE, limit=10, order="asc") == ["thr_stays"]
    assert (await store.load_item("thr_stays", "msg_1", ALICE)).thread_id == "thr_stays"


async def test_a_purged_thread_id_can_be_reused_from_scratch(store: SQLiteStore) -> None:
    await store.save_thread(thread("thr_r", title="old"), ALICE)
    await store.add_thread_item("thr_r", user_message("thr_r", "msg_old", "old"), ALICE)
    await store.delete_thread("thr_r", ALICE)
    await store.trash.purge(ALICE, ["thr_r"])

    await store.save_thread(thread("thr_r", title="new"), ALICE)

    assert (await store.load_thread("thr_r", ALICE)).title == "new"
    assert (await store.load_thread_items("thr_r", None, 10, "asc", ALICE)).data == []


# pagination ---------------------------------------------------------------------------------


async def test_load_threads_orders_by_creation_time_not_insertion(store: SQLiteStore) -> None:
    created = {f"thr_{n}": at(n) for n in range(6)}
    shuffled = list(created)
    random.Random(7).shuffle(shuffled)
    for tid in shuffled:
        await store.save_thread(thread(tid, created[tid]), ALICE)

    assert await all_thread_ids(store, ALICE, limit=100, order="asc") == list(created)
    assert await all_thread_ids(store, ALICE, limit=100, order="desc") == list(created)[::-1]


async def test_load_threads_pages_with_exclusive_cursor(store: SQLiteStore) -> None:
    for n in range(5):
        await store.save_thread(thread(f"thr_{n}", at(n)), ALICE)

    first = await store.load_threads(2, None, "asc", ALICE)
    assert [t.id for t in first.data] == ["thr_0", "thr_1"]
    assert first.has_more is True
    assert first.after == "thr_1"

    second = await store.load_threads(2, first.after, "asc", ALICE)
    assert [t.id for t in second.data] == ["thr_2", "thr_3"]
    assert (second.has_more, second.after) == (True, "thr_3")

    last = await store.load_threads(2, second.after, "asc", ALICE)
    assert [t.id for t in last.data] == ["thr_4"]
    assert (last.has_more, last.after) == (False, None)

    newest = await store.load_threads(3, None, "desc", ALICE)
    assert [t.id for t in newest.data] == ["thr_4", "thr_3", "thr_2"]
    rest = await store.load_threads(3, newest.after, "desc", ALICE)
    assert [t.id for t in rest.data] == ["thr_1", "thr_0"]
    assert (rest.has_more, rest.after) == (False, None)


async def test_exact_page_fill_reports_no_more(store: SQLiteStore) -> None:
    for n in range(4):
        await store.save_thread(thread(f"thr_{n}", at(n)), ALICE)

    page = await store.load_threads(4, None, "asc", ALICE)

    assert len(page.data) == 4
    assert (page.has_more, page.after) == (False, None)
    after_last = await store.load_threads(4, "thr_3", "asc", ALICE)
    assert (after_last.data, after_last.has_more, after_last.after) == ([], False, None)


async def test_no_threads_gives_an_empty_page(store: SQLiteStore) -> None:
    page = await store.load_threads(20, None, "desc", ALICE)
    assert (page.data, page.has_more, page.after) == ([], False, None)


async def test_unknown_thread_cursor_is_not_found(store: SQLiteStore) -> None:
    await store.save_thread(thread("thr_1"), ALICE)
    with pytest.raises(NotFoundError):
        await store.load_threads(10, "thr_never_existed", "asc", ALICE)


async def test_a_trashed_thread_as_cursor_still_pages_on(store: SQLiteStore) -> None:
    # A list that is scrolling must not break because its last thread was just deleted.
    for n in range(3):
        await store.save_thread(thread(f"thr_{n}", at(n)), ALICE)
    page = await store.load_threads(2, None, "asc", ALICE)
    await store.delete_thread(page.after or "", ALICE)

    rest = await store.load_threads(2, page.after, "asc", ALICE)
    assert [t.id for t in rest.data] == ["thr_2"]


async def test_purged_thread_as_cursor_is_not_found(store: SQLiteStore) -> None:
    for n in range(3):
        await store.save_thread(thread(f"thr_{n}", at(n)), ALICE)
    page = await store.load_threads(2, None, "asc", ALICE)
    await store.delete_thread(page.after or "", ALICE)
    await store.trash.purge(ALICE)

    with pytest.raises(NotFoundError):
        await store.load_threads(2, page.after, "asc", ALICE)


async def test_order_other_than_asc_or_desc_is_refused(store: SQLiteStore) -> None:
    await store.save_thread(thread("thr_1"), ALICE)
    with pytest.raises(ValueError, match="order"):
        await store.load_threads(10, None, "ASC; DROP TABLE threads", ALICE)
    assert [t.id for t in (await store.load_threads(10, None, "asc", ALICE)).data] == ["thr_1"]


@pytest.mark.parametrize("limit", [1, 2, 3, 7, 24, 25, 26, 100])
async def test_threads_with_identical_timestamps_page_in_insertion_order(
    store: SQLiteStore, limit: int
) -> None:
    inserted = [f"thr_{random.Random(n).getrandbits(64):016x}" for n in range(25)]
    for tid in inserted:
        await store.save_thread(thread(tid, T0), ALICE)

    asc = await all_thread_ids(store, ALICE, limit=limit, order="asc")
    desc = await all_thread_ids(store, ALICE, limit=limit, order="desc")

    assert asc == inserted
    assert desc == inserted[::-1]


@pytest.mark.parametrize("limit", [1, 2, 4, 5])
async def test_threads_with_runs_of_ties_between_distinct_times(
    store: SQLiteStore, limit: int
) -> None:
    # Three clusters of ties, inserted newest cluster first.
    expected: list[str] = []
    for cluster in (2, 0, 1):
        for n in range(4):
            await store.save_thread(thread(f"thr_c{cluster}_{n}", at(cluster)), ALICE)
    for cluster in (0, 1, 2):
        expected.extend(f"thr_c{cluster}_{n}" for n in range(4))

    assert await all_thread_ids(store, ALICE, limit=limit, order="asc") == expected
    desc = [f"thr_c{c}_{n}" for c in (2, 1, 0) for n in (3, 2, 1, 0)]
    assert await all_thread_ids(store, ALICE, limit=limit, order="desc") == desc


async def test_naive_and_aware_timestamps_sort_by_the_real_instant(store: SQLiteStore) -> None:
    # The SDK stamps naive local times; a client may send aware ones. Both are the same clock.
    naive = T0
    earlier_aware = naive.astimezone(UTC) - timedelta(seconds=1)
    later_aware = naive.astimezone(UTC) + timedelta(seconds=1)
    await store.save_thread(thread("thr_later", later_aware), ALICE)
    await store.save_thread(thread("thr_naive", naive), ALICE)
    await store.save_thread(thread("thr_earlier", earlier_aware), ALICE)

    ids = await all_thread_ids(store, ALICE, limit=10, order="asc")

    assert ids == ["thr_earlier", "thr_naive", "thr_later"]
    assert (await store.load_thread("thr_later", ALICE)).created_at == later_aware
