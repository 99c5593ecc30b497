"""Thumbs up/down on items, kept in the store beside the item and scoped to its owner."""

from __future__ import annotations

import pytest
from chatkit.store import NotFoundError

from chatkit_desktop.store.sqlite_store import SQLiteStore
from tests.store.helpers import ALICE, assistant_message, at, thread, user_message


@pytest.fixture
async def rated(store: SQLiteStore) -> SQLiteStore:
    await store.save_thread(thread("thr_1"), ALICE)
    await store.add_thread_item("thr_1", user_message("thr_1", "msg_q", "q", at(0)), ALICE)
    await store.add_thread_item("thr_1", assistant_message("thr_1", "msg_a", "a", at(1)), ALICE)
    await store.add_thread_item("thr_1", assistant_message("thr_1", "msg_b", "b", at(2)), ALICE)
    return store


async def test_no_feedback_yet(rated: SQLiteStore) -> None:
    assert await rated.load_feedback("thr_1", ALICE) == {}


async def test_set_and_change_feedback(rated: SQLiteStore) -> None:
    assert await rated.set_feedback("thr_1", ["msg_a"], "positive", ALICE) == 1
    assert await rated.load_feedback("thr_1", ALICE) == {"msg_a": "positive"}

    assert await rated.set_feedback("thr_1", ["msg_a", "msg_b"], "negative", ALICE) == 2
    assert await rated.load_feedback("thr_1", ALICE) == {"msg_a": "negative", "msg_b": "negative"}


async def test_feedback_counts_only_items_of_that_thread(rated: SQLiteStore) -> None:
    await rated.save_thread(thread("thr_2"), ALICE)
    await rated.add_thread_item("thr_2", assistant_message("thr_2", "msg_other", "x"), ALICE)

    reached = await rated.set_feedback(
        "thr_1", ["msg_a", "msg_other", "msg_missing"], "positive", ALICE
    )

    assert reached == 1
    assert await rated.load_feedback("thr_1", ALICE) == {"msg_a": "positive"}
    assert await rated.load_feedback("thr_2", ALICE) == {}


async def test_empty_feedback_is_a_no_op(rated: SQLiteStore) -> None:
    assert await rated.set_feedback("thr_1", [], "positive", ALICE) == 0
    assert await rated.load_feedback("thr_1", ALICE) == {}


async def test_feedback_on_unknown_thread_is_not_found(rated: SQLiteStore) -> None:
    with pytest.raises(NotFoundError):
        await rated.set_feedback("thr_nope", ["msg_a"], "positive", ALICE)
    with pytest.raises(NotFoundError):
        await rated.load_feedback("thr_nope", ALICE)
    assert await rated.load_feedback("thr_1", ALICE) == {}


async def test_feedback_survives_the_item_being_saved_again(rated: SQLiteStore) -> None:
    await rated.set_feedback("thr_1", ["msg_a"], "positive", ALICE)

    await rated.save_item("thr_1", assistant_message("thr_1", "msg_a", "edited", at(1)), ALICE)
    await rated.add_thread_item("thr_1", assistant_message("thr_1", "msg_a", "again", at(1)), ALICE)

    assert await rated.load_feedback("thr_1", ALICE) == {"msg_a": "positive"}


async def test_feedback_goes_with_a_deleted_item(rated: SQLiteStore) -> None:
    await rated.set_feedback("thr_1", ["msg_a", "msg_b"], "negative", ALICE)
    await rated.delete_thread_item("thr_1", "msg_a", ALICE)
    assert await rated.load_feedback("thr_1", ALICE) == {"msg_b": "negative"}
