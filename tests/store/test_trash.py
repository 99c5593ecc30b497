"""Deleting a thread moves it to a trash for 30 days: hidden everywhere, listed in the trash,
restorable exactly; purging deletes it for good with its items, attachments and search rows."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from chatkit.store import NotFoundError

from chatkit_desktop.context import RequestContext
from chatkit_desktop.store import trash as trash_module
from chatkit_desktop.store.sqlite_store import SQLiteStore
from chatkit_desktop.store.timestamps import to_us
from chatkit_desktop.store.trash import RETENTION, TrashedThread
from tests.store.helpers import (
    ALICE,
    BOB,
    all_item_ids,
    all_thread_ids,
    assistant_message,
    at,
    count,
    every_item_kind,
    file_attachment,
    image_attachment,
    rich_user_message,
    thread,
    user_message,
)

# Deletion times the tests choose (trash.py stamps deletions with `_now_us`).
DAY0 = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Callable[[datetime], None]:
    """Set the moment the next deletions are stamped with."""
    now = [DAY0]
    monkeypatch.setattr(trash_module, "_now_us", lambda: to_us(now[0]))

    def set_now(moment: datetime) -> None:
        now[0] = moment

    return set_now


async def trash_ids(
    store: SQLiteStore, context: RequestContext = ALICE, *, limit: int = 50
) -> list[str]:
    ids: list[str] = []
    after: str | None = None
    for _ in range(1_000):
        page = await store.trash.page(context, limit=limit, after=after)
        assert len(page.data) <= limit
        if page.has_more:
            assert len(page.data) == limit
            assert page.after == page.data[-1].thread.id
        else:
            assert page.after is None
        ids.extend(entry.thread.id for entry in page.data)
        if not page.has_more:
            return ids
        after = page.after
    raise AssertionError("trash.page never stopped paging")


async def make_threads(store: SQLiteStore, ids: list[str], context: RequestContext = ALICE) -> None:
    for n, tid in enumerate(ids):
        await store.save_thread(thread(tid, at(n), title=f"Thread {tid}"), context)
        await store.add_thread_item(
            tid, user_message(tid, f"msg_{tid}", f"words of {tid}", at(n)), context
        )


# deleting ---------------------------------------------------------------------------------


async def test_a_deleted_thread_is_hidden_everywhere(store: SQLiteStore) -> None:
    await make_threads(store, ["thr_a", "thr_b"])

    await store.delete_thread("thr_a", ALICE)

    assert await all_thread_ids(store, ALICE, limit=1, order="desc") == ["thr_b"]
    with pytest.raises(NotFoundError):
        await store.load_thread("thr_a", ALICE)
    with pytest.raises(NotFoundError):
        await store.load_thread_items("thr_a", None, 10, "asc", ALICE)
    with pytest.raises(NotFoundError):
        await store.load_item("thr_a", "msg_thr_a", ALICE)
    assert (await store.search.query("thr_a", ALICE)).hits == []
    assert await trash_ids(store) == ["thr_a"]


async def test_deleting_twice_or_an_unknown_thread_changes_nothing(
    store: SQLiteStore, clock: Callable[[datetime], None]
) -> None:
    await make_threads(store, ["thr_a"])
    await store.delete_thread("thr_a", ALICE)
    clock(DAY0 + timedelta(days=3))
    await store.delete_thread("thr_a", ALICE)  # keeps its first deletion time
    await store.delete_thread("thr_unknown", ALICE)

    (entry,) = (await store.trash.page(ALICE)).data
    assert entry.deleted_at == DAY0


async def test_trash_lists_newest_deleted_first_with_purge_dates(
    store: SQLiteStore, clock: Callable[[datetime], None]
) -> None:
    ids = [f"thr_{n}" for n in range(5)]
    await make_threads(store, ids)
    # Deleted in an order unrelated to creation.
    order = ["thr_3", "thr_0", "thr_4", "thr_1"]
    for day, tid in enumerate(order):
        clock(DAY0 + timedelta(days=day))
        await store.delete_thread(tid, ALICE)

    page = await store.trash.page(ALICE)

    assert [entry.thread.id for entry in page.data] == order[::-1]
    for day, entry in zip(range(len(order) - 1, -1, -1), page.data, strict=True):
        assert isinstance(entry, TrashedThread)
        assert entry.deleted_at == DAY0 + timedelta(days=day)
        assert entry.purge_at == entry.deleted_at + timedelta(days=30)
        assert entry.thread.title == f"Thread {entry.thread.id}"


@pytest.mark.parametrize("same_moment", [False, True], ids=["distinct times", "one moment"])
async def test_trash_pages_with_a_keyset_cursor(
    store: SQLiteStore, clock: Callable[[datetime], None], same_moment: bool
) -> None:
    ids = [f"thr_{n:02d}" for n in range(11)]
    await make_threads(store, ids)
    for n, tid in enumerate(ids):
        clock(DAY0 if same_moment else DAY0 + timedelta(minutes=n))
        await store.delete_thread(tid, ALICE)

    whole = await trash_ids(store, limit=50)
    assert sorted(whole) == ids
    if not same_moment:
        assert whole == ids[::-1]
    for limit in (1, 2, 3, 10, 11):
        assert await trash_ids(store, limit=limit) == whole


async def test_trash_page_cursor_must_be_in_the_trash(store: SQLiteStore) -> None:
    await make_threads(store, ["thr_live", "thr_gone"])
    await store.delete_thread("thr_gone", ALICE)
    with pytest.raises(NotFoundError):
        await store.trash.page(ALICE, after="thr_live")
    with pytest.raises(NotFoundError):
        await store.trash.page(BOB, after="thr_gone")


async def test_each_user_has_their_own_trash(store: SQLiteStore) -> None:
    await make_threads(store, ["thr_alice"], ALICE)
    await make_threads(store, ["thr_bob"], BOB)
    await store.delete_thread("thr_alice", BOB)  # not Bob's: nothing happens
    assert await trash_ids(store, ALICE) == []
    assert await all_thread_ids(store, ALICE, limit=10, order="asc") == ["thr_alice"]

    await store.delete_thread("thr_alice", ALICE)
    await store.delete_thread("thr_bob", BOB)
    assert await trash_ids(store, ALICE) == ["thr_alice"]
    assert await trash_ids(store, BOB) == ["thr_bob"]


# restoring --------------------------------------------------------------------------------


async def test_restore_brings_the_thread_back_exactly(store: SQLiteStore) -> None:
    await store.save_thread(thread("thr_before", at(-10), title="Before"), ALICE)
    await store.save_thread(thread("thr_x", at(0), title="Everything"), ALICE)
    await store.save_thread(thread("thr_after", at(10), title="After"), ALICE)
    for item in every_item_kind("thr_x"):
        await store.add_thread_item("thr_x", item, ALICE)
    await store.save_attachment(file_attachment("atc_x", thread_id="thr_x"), ALICE)
    await store.add_thread_item(
        "thr_x",
        rich_user_message(
            "thr_x", "msg_att", "see file", attachments=[file_attachment("atc_x", "thr_x")]
        ),
        ALICE,
    )
    await store.set_feedback("thr_x", ["msg_answer"], "negative", ALICE)
    metadata = await store.load_thread("thr_x", ALICE)
    items = (await store.load_thread_items("thr_x", None, 100, "asc", ALICE)).data
    feedback = await store.load_feedback("thr_x", ALICE)
    listed = await all_thread_ids(store, ALICE, limit=10, order="desc")

    await store.delete_thread("thr_x", ALICE)
    restored = await store.trash.restore("thr_x", ALICE)

    assert restored == metadata
    assert await store.load_thread("thr_x", ALICE) == metadata
    assert (await store.load_thread_items("thr_x", None, 100, "asc", ALICE)).data == items
    assert await all_item_ids(store, "thr_x", ALICE, limit=2, order="desc") == [
        item.id for item in reversed(items)
    ]
    assert await store.load_feedback("thr_x", ALICE) == feedback == {"msg_answer": "negative"}
    assert await store.load_attachment("atc_x", ALICE) == file_attachment("atc_x", "thr_x")
    assert await all_thread_ids(store, ALICE, limit=10, order="desc") == listed
    assert await trash_ids(store) == []


async def test_restore_of_a_thread_not_in_the_trash_is_not_found(store: SQLiteStore) -> None:
    await make_threads(store, ["thr_live"])
    with pytest.raises(NotFoundError):
        await store.trash.restore("thr_live", ALICE)
    with pytest.raises(NotFoundError):
        await store.trash.restore("thr_unknown", ALICE)
    await store.delete_thread("thr_live", ALICE)
    await store.trash.restore("thr_live", ALICE)
    with pytest.raises(NotFoundError):
        await store.trash.restore("thr_live", ALICE)  # already back


async def test_bob_cannot_restore_or_purge_alices_thread(store: SQLiteStore, db_path: Path) -> None:
    await make_threads(store, ["thr_alice"], ALICE)
    await store.delete_thread("thr_alice", ALICE)

    with pytest.raises(NotFoundError):
        await store.trash.restore("thr_alice", BOB)
    purged = await store.trash.purge(BOB, ["thr_alice"])
    assert purged.thread_ids == []
    assert (await store.trash.purge(BOB)).thread_ids == []

    assert await trash_ids(store, ALICE) == ["thr_alice"]
    assert count(db_path, "SELECT count(*) FROM items WHERE thread_id = 'thr_alice'") == 1
    await store.trash.restore("thr_alice", ALICE)
    assert (await store.load_thread("thr_alice", ALICE)).title == "Thread thr_alice"


# purging ----------------------------------------------------------------------------------


def rows_of(path: Path, thread_id: str) -> dict[str, int]:
    return {
        table: count(path, f"SELECT count(*) FROM {table} WHERE thread_id = ?", thread_id)  # noqa: S608
        for table in ("items", "attachments", "search_docs")
    } | {"threads": count(path, "SELECT count(*) FROM threads WHERE id = ?", thread_id)}


async def test_purge_deletes_every_row_and_names_the_attachments_gone(
    store: SQLiteStore, db_path: Path
) -> None:
    await store.save_thread(thread("thr_x", at(0), title="Holiday photos"), ALICE)
    await store.save_thread(thread("thr_keep", at(1), title="Kept"), ALICE)
    for item in every_item_kind("thr_x"):
        await store.add_thread_item("thr_x", item, ALICE)
    await store.save_attachment(file_attachment("atc_own", thread_id="thr_x"), ALICE)
    await store.save_attachment(image_attachment("atc_img", thread_id="thr_x"), ALICE)
    # An attachment the purged thread's message names, whose row belongs to a kept thread.
    await store.save_attachment(file_attachment("atc_shared", thread_id="thr_keep"), ALICE)
    await store.add_thread_item(
        "thr_x",
        rich_user_message(
            "thr_x",
            "msg_files",
            "two photos and a shared note",
            attachments=[
                file_attachment("atc_own", "thr_x"),
                image_attachment("atc_img", "thr_x"),
                file_attachment("atc_shared", "thr_keep"),
            ],
            created_at=at(8),
        ),
        ALICE,
    )
    keep_before = rows_of(db_path, "thr_keep")
    assert all(rows_of(db_path, "thr_x").values())

    await store.delete_thread("thr_x", ALICE)
    purged = await store.trash.purge(ALICE, ["thr_x"])

    assert purged.thread_ids == ["thr_x"]
    assert sorted(purged.attachment_ids) == ["atc_img", "atc_own"]
    assert rows_of(db_path, "thr_x") == dict.fromkeys(keep_before, 0)
    assert rows_of(db_path, "thr_keep") == keep_before
    for gone in ("atc_own", "atc_img"):
        with pytest.raises(NotFoundError):
            await store.load_attachment(gone, ALICE)
    assert (await store.load_attachment("atc_shared", ALICE)).thread_id == "thr_keep"
    assert await trash_ids(store) == []
    with pytest.raises(NotFoundError):
        await store.trash.restore("thr_x", ALICE)
    assert await store.integrity_check() == "ok"


async def test_purge_touches_only_threads_in_the_trash(store: SQLiteStore, db_path: Path) -> None:
    await make_threads(store, ["thr_live", "thr_gone"])
    await store.delete_thread("thr_gone", ALICE)

    purged = await store.trash.purge(ALICE, ["thr_live", "thr_gone", "thr_unknown"])

    assert purged.thread_ids == ["thr_gone"]
    assert await all_thread_ids(store, ALICE, limit=10, order="asc") == ["thr_live"]
    assert rows_of(db_path, "thr_live")["items"] == 1


async def test_purge_without_ids_empties_only_this_users_trash(store: SQLiteStore) -> None:
    await make_threads(store, ["thr_a1", "thr_a2", "thr_a3"], ALICE)
    await make_threads(store, ["thr_b1"], BOB)
    for tid in ("thr_a1", "thr_a2"):
        await store.delete_thread(tid, ALICE)
    await store.delete_thread("thr_b1", BOB)

    purged = await store.trash.purge(ALICE)

    assert sorted(purged.thread_ids) == ["thr_a1", "thr_a2"]
    assert await trash_ids(store, ALICE) == []
    assert await trash_ids(store, BOB) == ["thr_b1"]
    assert await all_thread_ids(store, ALICE, limit=10, order="asc") == ["thr_a3"]
    assert (await store.trash.purge(ALICE)).thread_ids == []


async def test_purge_expired_removes_only_threads_deleted_30_days_before(
    store: SQLiteStore, db_path: Path, clock: Callable[[datetime], None]
) -> None:
    await make_threads(store, ["thr_old", "thr_edge", "thr_recent"], ALICE)
    await make_threads(store, ["thr_bob_old"], BOB)
    now = DAY0 + timedelta(days=60)
    deleted = {
        "thr_old": now - timedelta(days=45),
        "thr_edge": now - RETENTION,
        "thr_recent": now - RETENTION + timedelta(seconds=1),
    }
    for tid, moment in deleted.items():
        clock(moment)
        await store.delete_thread(tid, ALICE)
    clock(now - timedelta(days=31))
    await store.delete_thread("thr_bob_old", BOB)

    purged = await store.trash.purge_expired(now)

    assert sorted(purged.thread_ids) == ["thr_bob_old", "thr_edge", "thr_old"]
    assert await trash_ids(store, ALICE) == ["thr_recent"]
    assert await trash_ids(store, BOB) == []
    for tid in purged.thread_ids:
        assert rows_of(db_path, tid) == {
            "items": 0,
            "attachments": 0,
            "search_docs": 0,
            "threads": 0,
        }
    # A moment later the last one is due too.
    later = await store.trash.purge_expired(now + timedelta(seconds=1))
    assert later.thread_ids == ["thr_recent"]


async def test_purge_expired_at_the_real_time_keeps_fresh_deletions(store: SQLiteStore) -> None:
    await make_threads(store, ["thr_a"])
    await store.delete_thread("thr_a", ALICE)
    assert (await store.trash.purge_expired()).thread_ids == []
    (entry,) = (await store.trash.page(ALICE)).data
    assert entry.purge_at > datetime.now(UTC)
    assert (await store.trash.purge_expired(entry.purge_at)).thread_ids == ["thr_a"]


async def test_purge_expired_never_touches_live_threads(store: SQLiteStore) -> None:
    await make_threads(store, ["thr_live"])
    far_future = datetime(2999, 1, 1, tzinfo=UTC)
    assert (await store.trash.purge_expired(far_future)).thread_ids == []
    assert await all_thread_ids(store, ALICE, limit=10, order="asc") == ["thr_live"]


async def test_purging_many_threads_at_once(store: SQLiteStore, db_path: Path) -> None:
    # More ids than one SQL statement's chunk (500).
    ids = [f"thr_{n:04d}" for n in range(1_203)]
    for n, tid in enumerate(ids):
        await store.save_thread(thread(tid, at(n)), ALICE)
    await store.save_attachment(file_attachment("atc_last", thread_id=ids[-1]), ALICE)
    for tid in ids:
        await store.delete_thread(tid, ALICE)

    purged = await store.trash.purge(ALICE)

    assert sorted(purged.thread_ids) == ids
    assert purged.attachment_ids == ["atc_last"]
    assert count(db_path, "SELECT count(*) FROM threads") == 0


@pytest.mark.parametrize("limit", [0, -1])
async def test_trash_page_limit_must_be_positive(store: SQLiteStore, limit: int) -> None:
    await make_threads(store, ["thr_a"])
    await store.delete_thread("thr_a", ALICE)
    with pytest.raises(ValueError, match="limit"):
        await store.trash.page(ALICE, limit=limit)


async def test_feedback_of_a_trashed_thread_is_not_found_until_restored(
    store: SQLiteStore,
) -> None:
    from chatkit.store import NotFoundError

    await store.save_thread(thread("thr_f"), ALICE)
    await store.add_thread_item("thr_f", assistant_message("thr_f", "msg_a", "hi", at(1)), ALICE)
    await store.set_feedback("thr_f", ["msg_a"], "positive", ALICE)
    await store.delete_thread("thr_f", ALICE)

    with pytest.raises(NotFoundError):
        await store.load_feedback("thr_f", ALICE)
    with pytest.raises(NotFoundError):
        await store.set_feedback("thr_f", ["msg_a"], "negative", ALICE)

    await store.trash.restore("thr_f", ALICE)
    assert await store.load_feedback("thr_f", ALICE) == {"msg_a": "positive"}
