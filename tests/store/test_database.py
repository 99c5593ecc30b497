"""What the file on disk looks like: WAL, foreign keys, cascading deletes, integrity."""

from __future__ import annotations

from pathlib import Path

from chatkit_desktop.store.sqlite_store import SQLiteStore
from tests.store.helpers import (
    ALICE,
    assistant_message,
    count,
    file_attachment,
    raw,
    thread,
    user_message,
)


async def test_database_is_in_wal_mode(store: SQLiteStore, db_path: Path) -> None:
    with raw(db_path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


async def test_foreign_keys_are_enforced_on_both_connections(store: SQLiteStore) -> None:
    for connection in (store._writer, store._reader):
        async with connection.execute("PRAGMA foreign_keys") as cur:
            assert (await cur.fetchone()) == (1,)


async def test_deleting_a_thread_removes_its_items_and_attachment_rows(
    store: SQLiteStore, db_path: Path
) -> None:
    for tid in ("thr_gone", "thr_kept"):
        await store.save_thread(thread(tid), ALICE)
        await store.add_thread_item(tid, user_message(tid, f"msg_{tid}_q", "q"), ALICE)
        await store.add_thread_item(tid, assistant_message(tid, f"msg_{tid}_a", "a"), ALICE)
        await store.save_attachment(file_attachment(f"atc_{tid}", thread_id=tid), ALICE)
    await store.save_attachment(file_attachment("atc_unattached"), ALICE)
    await store.set_feedback("thr_gone", ["msg_thr_gone_a"], "positive", ALICE)

    await store.delete_thread("thr_gone", ALICE)
    await store.trash.purge(ALICE, ["thr_gone"])

    assert count(db_path, "SELECT COUNT(*) FROM threads WHERE id = 'thr_gone'") == 0
    assert count(db_path, "SELECT COUNT(*) FROM items WHERE thread_id = 'thr_gone'") == 0
    assert count(db_path, "SELECT COUNT(*) FROM attachments WHERE thread_id = 'thr_gone'") == 0
    assert count(db_path, "SELECT COUNT(*) FROM items WHERE thread_id = 'thr_kept'") == 2
    with raw(db_path) as db:
        kept = sorted(r[0] for r in db.execute("SELECT id FROM attachments").fetchall())
    assert kept == ["atc_thr_kept", "atc_unattached"]


async def test_no_orphans_after_deletes(store: SQLiteStore, db_path: Path) -> None:
    for n in range(5):
        tid = f"thr_{n}"
        await store.save_thread(thread(tid), ALICE)
        await store.add_thread_item(tid, user_message(tid, "msg_1", "q"), ALICE)
    for n in (0, 2, 4):
        await store.delete_thread(f"thr_{n}", ALICE)
    await store.trash.purge(ALICE)

    with raw(db_path) as db:
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    assert count(db_path, "SELECT COUNT(*) FROM items") == 2


async def test_integrity_check_is_ok(store: SQLiteStore) -> None:
    await store.save_thread(thread("thr_1"), ALICE)
    await store.add_thread_item("thr_1", user_message("thr_1", "msg_1", "q"), ALICE)
    assert await store.integrity_check() == "ok"


async def test_integrity_check_reports_a_damaged_index(db_path: Path) -> None:
    opened = await SQLiteStore.open(db_path)
    for n in range(50):
        await opened.save_thread(thread(f"thr_{n}"), ALICE)
    await opened.close()
    with raw(db_path) as db:
        # Corrupt on purpose: the index stops matching the table.
        db.execute("PRAGMA writable_schema = ON")
        db.execute(
            "UPDATE sqlite_master SET sql = replace(sql, 'created_us, seq', 'seq, created_us') "
            "WHERE name = 'threads_by_user_created'"
        )
        db.commit()

    reopened = await SQLiteStore.open(db_path)
    try:
        assert await reopened.integrity_check() != "ok"
    finally:
        await reopened.close()


async def test_schema_version_is_the_latest(store: SQLiteStore) -> None:
    assert await store.schema_version() == store.latest_schema_version
    assert store.latest_schema_version >= 2
