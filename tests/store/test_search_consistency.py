"""The search index never disagrees with the data: every write of an item or a title changes its
index row in the same transaction, every delete takes it along, and a failed write leaves
neither."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from chatkit.store import NotFoundError

from chatkit_desktop.store import search_index, sqlite_store
from chatkit_desktop.store.sqlite_store import SQLiteStore
from tests.store.helpers import (
    ALICE,
    BOB,
    assistant_message,
    at,
    count,
    every_item_kind,
    fts_mismatches,
    hidden_context,
    raw,
    text_of,
    thread,
    user_message,
    widget_card,
)


async def found(store: SQLiteStore, text: str) -> set[tuple[str, str | None]]:
    page = await store.search.query(text, ALICE, limit=100)
    return {(hit.thread_id, hit.item_id) for hit in page.hits}


def raw_matches(path: Path, word: str) -> set[int]:
    """Rowids the FTS5 table itself answers for `word` (no join, no trash filter)."""
    with raw(path) as db:
        return {
            row[0]
            for row in db.execute("SELECT rowid FROM search_fts WHERE search_fts MATCH ?", (word,))
        }


def docs_of(path: Path, thread_id: str) -> int:
    return count(path, "SELECT count(*) FROM search_docs WHERE thread_id = ?", thread_id)


def index_rows(path: Path) -> set[tuple[str, str | None, str]]:
    with raw(path) as db:
        return set(db.execute("SELECT thread_id, item_id, kind FROM search_docs").fetchall())


def assert_consistent(path: Path) -> None:
    assert fts_mismatches(path) == []


# edits ------------------------------------------------------------------------------------


async def test_rename_replaces_the_title_in_the_index(store: SQLiteStore, db_path: Path) -> None:
    await store.save_thread(thread("thr_1", title="Holiday in Porto"), ALICE)
    assert await found(store, "porto") == {("thr_1", None)}

    await store.save_thread(thread("thr_1", title="Holiday in Seville"), ALICE)

    assert await found(store, "porto") == set()
    assert await found(store, "seville") == {("thr_1", None)}
    assert raw_matches(db_path, "porto") == set()
    assert docs_of(db_path, "thr_1") == 1
    assert_consistent(db_path)


async def test_clearing_the_title_removes_it(store: SQLiteStore, db_path: Path) -> None:
    await store.save_thread(thread("thr_1", title="Holiday in Porto"), ALICE)
    await store.save_thread(thread("thr_1", title=None), ALICE)
    assert await found(store, "porto") == set()
    assert docs_of(db_path, "thr_1") == 0
    await store.save_thread(thread("thr_1", title="   "), ALICE)
    assert docs_of(db_path, "thr_1") == 0
    assert_consistent(db_path)


async def test_saving_the_same_title_again_changes_nothing(
    store: SQLiteStore, db_path: Path
) -> None:
    await store.save_thread(thread("thr_1", title="Holiday in Porto"), ALICE)
    with raw(db_path) as db:
        before = db.execute("SELECT rowid, body FROM search_docs").fetchall()
    for _ in range(3):
        await store.save_thread(thread("thr_1", title="Holiday in Porto"), ALICE)
    with raw(db_path) as db:
        assert db.execute("SELECT rowid, body FROM search_docs").fetchall() == before
    assert_consistent(db_path)


async def test_an_edited_item_is_found_by_its_new_text_only(
    store: SQLiteStore, db_path: Path
) -> None:
    await store.save_thread(thread("thr_1"), ALICE)
    await store.add_thread_item(
        "thr_1", assistant_message("thr_1", "msg_1", "the answer is turquoise", at(1)), ALICE
    )
    assert await found(store, "turquoise") == {("thr_1", "msg_1")}

    await store.save_item(
        "thr_1", assistant_message("thr_1", "msg_1", "the answer is vermilion", at(1)), ALICE
    )

    assert await found(store, "turquoise") == set()
    assert await found(store, "vermilion") == {("thr_1", "msg_1")}
    assert raw_matches(db_path, "turquoise") == set()
    assert docs_of(db_path, "thr_1") == 1
    assert_consistent(db_path)


async def test_an_item_edited_to_have_no_text_leaves_the_index(
    store: SQLiteStore, db_path: Path
) -> None:
    await store.save_thread(thread("thr_1"), ALICE)
    await store.add_thread_item(
        "thr_1", assistant_message("thr_1", "msg_1", "turquoise", at(1)), ALICE
    )
    await store.save_item("thr_1", assistant_message("thr_1", "msg_1", "", at(1)), ALICE)
    assert await found(store, "turquoise") == set()
    assert docs_of(db_path, "thr_1") == 0
    assert_consistent(db_path)


async def test_a_deleted_item_leaves_the_index(store: SQLiteStore, db_path: Path) -> None:
    await store.save_thread(thread("thr_1"), ALICE)
    await store.add_thread_item("thr_1", user_message("thr_1", "msg_1", "keep ochre", at(1)), ALICE)
    await store.add_thread_item("thr_1", user_message("thr_1", "msg_2", "drop ochre", at(2)), ALICE)

    await store.delete_thread_item("thr_1", "msg_2", ALICE)

    assert await found(store, "ochre") == {("thr_1", "msg_1")}
    assert await found(store, "drop") == set()
    assert raw_matches(db_path, "drop") == set()
    assert_consistent(db_path)


async def test_bob_cannot_delete_alices_item_from_the_index(
    store: SQLiteStore, db_path: Path
) -> None:
    await store.save_thread(thread("thr_1"), ALICE)
    await store.add_thread_item("thr_1", user_message("thr_1", "msg_1", "ochre", at(1)), ALICE)
    await store.delete_thread_item("thr_1", "msg_1", BOB)
    assert await found(store, "ochre") == {("thr_1", "msg_1")}


# the SDK's flows --------------------------------------------------------------------------


async def test_retry_replaces_the_old_answer_in_the_index(
    store: SQLiteStore, db_path: Path
) -> None:
    # `threads.retry_after_item`: the SDK deletes every item after the user message (newest
    # first, with delete_thread_item), then streams a new answer.
    await store.save_thread(thread("thr_1", title="Animals"), ALICE)
    await store.add_thread_item(
        "thr_1", user_message("thr_1", "msg_q", "name a big animal", at(1)), ALICE
    )
    old = [
        assistant_message("thr_1", "msg_old", "an elephant, say", at(2)),
        widget_card("thr_1", "wdg_old", title="Elephant facts", body="trunk", created_at=at(3)),
        hidden_context("thr_1", "shcx_old", "context", at(4)),
    ]
    for item in old:
        await store.add_thread_item("thr_1", item, ALICE)

    newest_first = (await store.load_thread_items("thr_1", None, 50, "desc", ALICE)).data
    for item in newest_first:
        if item.id == "msg_q":
            break
        await store.delete_thread_item("thr_1", item.id, ALICE)
    await store.add_thread_item(
        "thr_1", assistant_message("thr_1", "msg_new", "a giraffe, say", at(5)), ALICE
    )

    assert await found(store, "elephant") == set()
    assert await found(store, "trunk") == set()
    assert await found(store, "giraffe") == {("thr_1", "msg_new")}
    assert await found(store, "animal") == {("thr_1", "msg_q"), ("thr_1", None)}
    assert index_rows(db_path) == {
        ("thr_1", None, "title"),
        ("thr_1", "msg_q", "user"),
        ("thr_1", "msg_new", "assistant"),
    }
    assert_consistent(db_path)


async def test_a_cancelled_partial_answer_is_searchable(store: SQLiteStore, db_path: Path) -> None:
    # On cancel the SDK stores the answer as far as it streamed, then a hidden context item.
    await store.save_thread(thread("thr_1"), ALICE)
    await store.add_thread_item(
        "thr_1", user_message("thr_1", "msg_q", "tell a story", at(1)), ALICE
    )
    await store.add_thread_item(
        "thr_1", assistant_message("thr_1", "msg_a", "Once upon a time a lighthouse", at(2)), ALICE
    )
    await store.add_thread_item(
        "thr_1",
        hidden_context("thr_1", "shcx_1", "The user cancelled the stream.", at(3)),
        ALICE,
    )

    assert await found(store, "lighthouse") == {("thr_1", "msg_a")}
    assert await found(store, "cancelled") == set()
    assert_consistent(db_path)


async def test_the_sdk_resaving_an_item_keeps_one_row(store: SQLiteStore, db_path: Path) -> None:
    # add_thread_item is an upsert: the SDK re-emits `done` for stored items.
    await store.save_thread(thread("thr_1"), ALICE)
    item = assistant_message("thr_1", "msg_a", "repeated words", at(1))
    for _ in range(3):
        await store.add_thread_item("thr_1", item, ALICE)
    assert docs_of(db_path, "thr_1") == 1
    assert await found(store, "repeated") == {("thr_1", "msg_a")}
    assert_consistent(db_path)


# the trash --------------------------------------------------------------------------------


async def test_trash_restore_and_purge(store: SQLiteStore, db_path: Path) -> None:
    await store.save_thread(thread("thr_1", title="Saffron risotto"), ALICE)
    for item in every_item_kind("thr_1"):
        await store.add_thread_item("thr_1", item, ALICE)
    await store.add_thread_item(
        "thr_1", user_message("thr_1", "msg_saffron", "how much saffron?", at(7)), ALICE
    )
    await store.save_thread(thread("thr_2", title="Other"), ALICE)
    await store.add_thread_item(
        "thr_2", user_message("thr_2", "msg_other", "saffron elsewhere", at(8)), ALICE
    )
    rows = docs_of(db_path, "thr_1")
    assert rows > 0

    await store.delete_thread("thr_1", ALICE)
    assert await found(store, "saffron") == {("thr_2", "msg_other")}
    assert await found(store, "risotto") == set()
    assert docs_of(db_path, "thr_1") == rows  # hidden, not gone: a restore is complete

    await store.trash.restore("thr_1", ALICE)
    assert await found(store, "saffron") == {
        ("thr_1", None),
        ("thr_1", "msg_saffron"),
        ("thr_2", "msg_other"),
    }

    await store.delete_thread("thr_1", ALICE)
    await store.trash.purge(ALICE, ["thr_1"])

    assert docs_of(db_path, "thr_1") == 0
    assert raw_matches(db_path, "risotto") == set()
    with raw(db_path) as db:
        (other,) = db.execute("SELECT rowid FROM search_docs WHERE item_id = 'msg_other'")
    assert raw_matches(db_path, "saffron") == {other[0]}
    assert await found(store, "saffron") == {("thr_2", "msg_other")}
    assert_consistent(db_path)


async def test_writes_to_a_trashed_thread_are_indexed_for_its_restore(
    store: SQLiteStore, db_path: Path
) -> None:
    # A turn may finish after the thread was deleted; it lands, hidden, and comes back.
    await store.save_thread(thread("thr_1"), ALICE)
    await store.delete_thread("thr_1", ALICE)
    await store.add_thread_item(
        "thr_1", assistant_message("thr_1", "msg_late", "late marmalade", at(1)), ALICE
    )
    assert await found(store, "marmalade") == set()
    await store.trash.restore("thr_1", ALICE)
    assert await found(store, "marmalade") == {("thr_1", "msg_late")}
    assert_consistent(db_path)


# failures ---------------------------------------------------------------------------------


async def test_a_write_failing_in_the_index_leaves_neither_item_nor_row(
    store: SQLiteStore, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await store.save_thread(thread("thr_1"), ALICE)

    async def broken(*args: Any) -> None:
        raise RuntimeError("disk on fire")

    with monkeypatch.context() as patched:
        patched.setattr(sqlite_store, "index_item", broken)
        with pytest.raises(RuntimeError, match="disk on fire"):
            await store.add_thread_item(
                "thr_1", user_message("thr_1", "msg_x", "phantom words", at(1)), ALICE
            )

    assert count(db_path, "SELECT count(*) FROM items WHERE id = 'msg_x'") == 0
    assert docs_of(db_path, "thr_1") == 0
    with pytest.raises(NotFoundError):
        await store.load_item("thr_1", "msg_x", ALICE)
    assert await found(store, "phantom") == set()
    # The store carries on normally.
    await store.add_thread_item("thr_1", user_message("thr_1", "msg_y", "real words", at(2)), ALICE)
    assert await found(store, "real") == {("thr_1", "msg_y")}
    assert_consistent(db_path)


async def test_a_constraint_failure_in_the_index_rolls_back_an_edit(
    store: SQLiteStore, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A real SQL error (NOT NULL on search_docs.body) after the item row was already updated.
    await store.save_thread(thread("thr_1"), ALICE)
    await store.add_thread_item(
        "thr_1", assistant_message("thr_1", "msg_1", "original amber", at(1)), ALICE
    )

    with monkeypatch.context() as patched:
        patched.setattr(search_index, "item_document", lambda item: ("assistant", None))
        with pytest.raises(Exception, match="NOT NULL"):
            await store.save_item(
                "thr_1", assistant_message("thr_1", "msg_1", "edited cobalt", at(1)), ALICE
            )

    item = await store.load_item("thr_1", "msg_1", ALICE)
    assert text_of(item) == "original amber"
    assert await found(store, "amber") == {("thr_1", "msg_1")}
    assert await found(store, "cobalt") == set()
    assert_consistent(db_path)


async def test_a_failing_title_index_rolls_back_the_rename(
    store: SQLiteStore, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await store.save_thread(thread("thr_1", title="Old name"), ALICE)

    async def broken(*args: Any) -> None:
        raise RuntimeError("index broke")

    with monkeypatch.context() as patched:
        patched.setattr(sqlite_store, "index_title", broken)
        with pytest.raises(RuntimeError):
            await store.save_thread(thread("thr_1", title="New name"), ALICE)

    assert (await store.load_thread("thr_1", ALICE)).title == "Old name"
    assert await found(store, "old") == {("thr_1", None)}
    assert await found(store, "new") == set()


# the whole index --------------------------------------------------------------------------


async def test_index_matches_the_data_after_a_mix_of_operations(
    store: SQLiteStore, db_path: Path
) -> None:
    expected: set[tuple[str, str | None, str]] = set()
    for n in range(6):
        tid = f"thr_{n}"
        await store.save_thread(thread(tid, at(n), title=f"Thread number {n}"), ALICE)
        expected.add((tid, None, "title"))
        for item in every_item_kind(tid):
            await store.add_thread_item(tid, item, ALICE)
        # every_item_kind: a user and an assistant message, a workflow and a task have text.
        expected |= {
            (tid, "msg_user", "user"),
            (tid, "msg_answer", "assistant"),
            (tid, "wf_1", "workflow"),
            (tid, "tsk_1", "task"),
        }
        await store.add_thread_item(
            tid, widget_card(tid, "wdg", title="Card", body=f"body {n}", created_at=at(9)), ALICE
        )
        expected.add((tid, "wdg", "widget"))

    await store.save_thread(thread("thr_0", at(0), title="Renamed zero"), ALICE)
    await store.save_item(
        "thr_1", assistant_message("thr_1", "msg_answer", "forty-two", at(4)), ALICE
    )
    await store.delete_thread_item("thr_2", "msg_user", ALICE)
    expected.discard(("thr_2", "msg_user", "user"))
    await store.save_thread(thread("thr_3", at(3), title=None), ALICE)
    expected.discard(("thr_3", None, "title"))
    await store.delete_thread("thr_4", ALICE)  # in the trash: rows kept
    await store.delete_thread("thr_5", ALICE)
    await store.trash.purge(ALICE, ["thr_5"])
    expected = {row for row in expected if row[0] != "thr_5"}
    await store.delete_thread("thr_0", ALICE)
    await store.trash.restore("thr_0", ALICE)

    assert index_rows(db_path) == expected
    assert count(db_path, "SELECT count(*) FROM search_docs") == len(expected)
    assert_consistent(db_path)
    assert await store.integrity_check() == "ok"
    assert await found(store, "renamed") == {("thr_0", None)}
    assert await found(store, "forty") == {("thr_1", "msg_answer")}


async def test_the_consistency_check_itself_notices_a_stale_index(db_path: Path) -> None:
    # Guard for the helper: an index that missed an update must be reported.
    store = await SQLiteStore.open(db_path)
    try:
        await store.save_thread(thread("thr_1", title="Holiday in Porto"), ALICE)
    finally:
        await store.close()
    with raw(db_path) as db:
        db.execute("DROP TRIGGER search_docs_au")
        db.execute("UPDATE search_docs SET body = 'Holiday in Seville'")
        db.commit()
    assert fts_mismatches(db_path) != []
