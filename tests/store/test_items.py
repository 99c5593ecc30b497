"""Thread items through the SDK's Store API: add (an upsert), save, load, delete, paginate."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from chatkit.store import NotFoundError

from chatkit_desktop.store.sqlite_store import SQLiteStore
from tests.store.helpers import (
    ALICE,
    T0,
    all_item_ids,
    assistant_message,
    at,
    count,
    every_item_kind,
    text_of,
    thread,
    user_message,
)


@pytest.fixture
async def chat(store: SQLiteStore) -> SQLiteStore:
    await store.save_thread(thread("thr_chat"), ALICE)
    return store


async def test_every_item_kind_round_trips(chat: SQLiteStore) -> None:
    items = every_item_kind("thr_chat")
    for item in items:
        await chat.add_thread_item("thr_chat", item, ALICE)

    for item in items:
        assert await chat.load_item("thr_chat", item.id, ALICE) == item
    page = await chat.load_thread_items("thr_chat", None, 50, "asc", ALICE)
    assert page.data == items


async def test_add_thread_item_twice_is_one_row_with_new_content_in_place(
    chat: SQLiteStore, db_path: Path
) -> None:
    await chat.add_thread_item("thr_chat", user_message("thr_chat", "msg_1", "q", at(0)), ALICE)
    await chat.add_thread_item(
        "thr_chat", assistant_message("thr_chat", "msg_2", "v1", at(1)), ALICE
    )
    await chat.add_thread_item("thr_chat", user_message("thr_chat", "msg_3", "q2", at(2)), ALICE)

    await chat.add_thread_item(
        "thr_chat", assistant_message("thr_chat", "msg_2", "v2", at(1)), ALICE
    )

    assert count(db_path, "SELECT COUNT(*) FROM items WHERE id = 'msg_2'") == 1
    assert text_of(await chat.load_item("thr_chat", "msg_2", ALICE)) == "v2"
    page = await chat.load_thread_items("thr_chat", None, 10, "asc", ALICE)
    assert [(i.id, text_of(i)) for i in page.data] == [
        ("msg_1", "q"),
        ("msg_2", "v2"),
        ("msg_3", "q2"),
    ]


async def test_re_adding_a_tied_item_keeps_its_insertion_position(chat: SQLiteStore) -> None:
    for n in range(4):
        await chat.add_thread_item(
            "thr_chat", assistant_message("thr_chat", f"msg_{n}", "old"), ALICE
        )

    await chat.add_thread_item("thr_chat", assistant_message("thr_chat", "msg_1", "new"), ALICE)
    await chat.save_item("thr_chat", assistant_message("thr_chat", "msg_0", "newer"), ALICE)

    asc = await chat.load_thread_items("thr_chat", None, 10, "asc", ALICE)
    assert [(i.id, text_of(i)) for i in asc.data] == [
        ("msg_0", "newer"),
        ("msg_1", "new"),
        ("msg_2", "old"),
        ("msg_3", "old"),
    ]


async def test_save_item_updates_an_existing_item(chat: SQLiteStore) -> None:
    await chat.add_thread_item("thr_chat", assistant_message("thr_chat", "msg_1", "draft"), ALICE)

    await chat.save_item("thr_chat", assistant_message("thr_chat", "msg_1", "final"), ALICE)

    assert text_of(await chat.load_item("thr_chat", "msg_1", ALICE)) == "final"
    assert len((await chat.load_thread_items("thr_chat", None, 10, "asc", ALICE)).data) == 1


async def test_save_item_inserts_an_item_not_stored_yet(chat: SQLiteStore) -> None:
    await chat.save_item("thr_chat", assistant_message("thr_chat", "msg_new", "hello"), ALICE)
    assert text_of(await chat.load_item("thr_chat", "msg_new", ALICE)) == "hello"


async def test_items_of_a_missing_thread_are_not_found(store: SQLiteStore) -> None:
    with pytest.raises(NotFoundError):
        await store.load_thread_items("thr_nope", None, 10, "asc", ALICE)
    with pytest.raises(NotFoundError):
        await store.add_thread_item("thr_nope", user_message("thr_nope", "msg_1", "x"), ALICE)
    with pytest.raises(NotFoundError):
        await store.save_item("thr_nope", user_message("thr_nope", "msg_1", "x"), ALICE)
    with pytest.raises(NotFoundError):
        await store.load_item("thr_nope", "msg_1", ALICE)


async def test_missing_item_is_not_found(chat: SQLiteStore) -> None:
    await chat.add_thread_item("thr_chat", user_message("thr_chat", "msg_1", "x"), ALICE)
    with pytest.raises(NotFoundError):
        await chat.load_item("thr_chat", "msg_other", ALICE)


async def test_item_is_only_found_in_its_own_thread(chat: SQLiteStore) -> None:
    await chat.save_thread(thread("thr_other"), ALICE)
    await chat.add_thread_item("thr_chat", user_message("thr_chat", "msg_1", "x"), ALICE)

    with pytest.raises(NotFoundError):
        await chat.load_item("thr_other", "msg_1", ALICE)
    assert (await chat.load_thread_items("thr_other", None, 10, "asc", ALICE)).data == []


async def test_delete_thread_item_removes_only_that_item(chat: SQLiteStore) -> None:
    for n in range(3):
        await chat.add_thread_item("thr_chat", user_message("thr_chat", f"msg_{n}", str(n)), ALICE)

    await chat.delete_thread_item("thr_chat", "msg_1", ALICE)

    with pytest.raises(NotFoundError):
        await chat.load_item("thr_chat", "msg_1", ALICE)
    assert await all_item_ids(chat, "thr_chat", ALICE, limit=1, order="asc") == ["msg_0", "msg_2"]


async def test_deleting_an_item_never_stored_is_a_no_op(chat: SQLiteStore) -> None:
    # The SDK deletes items on `thread.item.removed`, including ones that never reached `done`.
    await chat.add_thread_item("thr_chat", user_message("thr_chat", "msg_1", "x"), ALICE)
    await chat.delete_thread_item("thr_chat", "msg_never_saved", ALICE)
    assert [
        i.id for i in (await chat.load_thread_items("thr_chat", None, 5, "asc", ALICE)).data
    ] == ["msg_1"]


# pagination ---------------------------------------------------------------------------------


async def test_items_page_with_exclusive_cursor_in_both_orders(chat: SQLiteStore) -> None:
    for n in range(5):
        await chat.add_thread_item(
            "thr_chat", user_message("thr_chat", f"msg_{n}", str(n), at(n)), ALICE
        )

    first = await chat.load_thread_items("thr_chat", None, 2, "asc", ALICE)
    assert [i.id for i in first.data] == ["msg_0", "msg_1"]
    assert (first.has_more, first.after) == (True, "msg_1")
    second = await chat.load_thread_items("thr_chat", "msg_1", 2, "asc", ALICE)
    assert [i.id for i in second.data] == ["msg_2", "msg_3"]
    third = await chat.load_thread_items("thr_chat", "msg_3", 2, "asc", ALICE)
    assert [i.id for i in third.data] == ["msg_4"]
    assert (third.has_more, third.after) == (False, None)

    newest = await chat.load_thread_items("thr_chat", None, 2, "desc", ALICE)
    assert [i.id for i in newest.data] == ["msg_4", "msg_3"]
    assert (newest.has_more, newest.after) == (True, "msg_3")
    older = await chat.load_thread_items("thr_chat", "msg_3", 10, "desc", ALICE)
    assert [i.id for i in older.data] == ["msg_2", "msg_1", "msg_0"]
    assert (older.has_more, older.after) == (False, None)


async def test_items_sort_by_created_at_not_insertion(chat: SQLiteStore) -> None:
    order = [3, 0, 4, 1, 2]
    for n in order:
        await chat.add_thread_item(
            "thr_chat", user_message("thr_chat", f"msg_{n}", str(n), at(n)), ALICE
        )

    expected = [f"msg_{n}" for n in range(5)]
    assert await all_item_ids(chat, "thr_chat", ALICE, limit=2, order="asc") == expected
    assert await all_item_ids(chat, "thr_chat", ALICE, limit=2, order="desc") == expected[::-1]


async def test_unknown_item_cursor_is_not_found(chat: SQLiteStore) -> None:
    await chat.add_thread_item("thr_chat", user_message("thr_chat", "msg_1", "x"), ALICE)
    with pytest.raises(NotFoundError):
        await chat.load_thread_items("thr_chat", "msg_unknown", 10, "asc", ALICE)


async def test_cursor_from_another_thread_is_not_found(chat: SQLiteStore) -> None:
    await chat.save_thread(thread("thr_other"), ALICE)
    await chat.add_thread_item("thr_chat", user_message("thr_chat", "msg_1", "x"), ALICE)
    await chat.add_thread_item("thr_other", user_message("thr_other", "msg_9", "y"), ALICE)

    with pytest.raises(NotFoundError):
        await chat.load_thread_items("thr_chat", "msg_9", 10, "asc", ALICE)


@pytest.mark.parametrize("limit", [1, 2, 3, 4, 9, 29, 30, 31, 200])
async def test_items_with_identical_timestamps_page_in_insertion_order(
    chat: SQLiteStore, limit: int
) -> None:
    rng = random.Random(limit)
    inserted = [f"msg_{rng.getrandbits(64):016x}" for _ in range(30)]
    for item_id in inserted:
        await chat.add_thread_item(
            "thr_chat", user_message("thr_chat", item_id, item_id, T0), ALICE
        )

    asc = await all_item_ids(chat, "thr_chat", ALICE, limit=limit, order="asc")
    desc = await all_item_ids(chat, "thr_chat", ALICE, limit=limit, order="desc")

    assert asc == inserted
    assert desc == inserted[::-1]


@pytest.mark.parametrize("limit", [1, 3, 5])
async def test_items_with_ties_mixed_with_distinct_times(chat: SQLiteStore, limit: int) -> None:
    # A turn: user message, then several items the SDK stamps within the same microsecond.
    plan = [("msg_u1", 0), ("wf_a", 1), ("msg_a", 1), ("tc_a", 1), ("msg_u2", 2), ("msg_b", 2)]
    for item_id, second in plan:
        await chat.add_thread_item(
            "thr_chat", user_message("thr_chat", item_id, "x", at(second)), ALICE
        )
    await chat.add_thread_item("thr_chat", user_message("thr_chat", "msg_u0", "x", at(-1)), ALICE)

    expected = ["msg_u0"] + [item_id for item_id, _ in plan]
    assert await all_item_ids(chat, "thr_chat", ALICE, limit=limit, order="asc") == expected
    desc = ["msg_b", "msg_u2", "tc_a", "msg_a", "wf_a", "msg_u1", "msg_u0"]
    assert await all_item_ids(chat, "thr_chat", ALICE, limit=limit, order="desc") == desc


async def test_thread_listing_is_unaffected_by_item_count(chat: SQLiteStore) -> None:
    await chat.save_thread(thread("thr_empty", at(5)), ALICE)
    for n in range(3):
        await chat.add_thread_item("thr_chat", user_message("thr_chat", f"msg_{n}", "x"), ALICE)
    page = await chat.load_threads(10, None, "desc", ALICE)
    assert [t.id for t in page.data] == ["thr_empty", "thr_chat"]
