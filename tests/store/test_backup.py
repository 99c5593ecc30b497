"""`back_up`: a consistent copy of the database and its attachment files, taken while the app
keeps writing; refuses to overwrite anything and leaves nothing half-made."""

from __future__ import annotations

import asyncio
import os
import sqlite3
from pathlib import Path

import pytest

from chatkit_desktop.store import backup as backup_module
from chatkit_desktop.store.backup import (
    ATTACHMENTS_DIR,
    DATABASE_NAME,
    BackupError,
    back_up,
)
from chatkit_desktop.store.migrations import LATEST_VERSION, migrate
from chatkit_desktop.store.sqlite_store import SQLiteStore
from tests.store.helpers import (
    ALICE,
    BOB,
    assistant_message,
    at,
    file_attachment,
    fts_mismatches,
    raw,
    thread,
    user_message,
)


@pytest.fixture
def attachments_dir(tmp_path: Path) -> Path:
    path = tmp_path / "attachments"
    path.mkdir(mode=0o700)
    return path


async def seed(store: SQLiteStore, attachments_dir: Path, threads: int = 20) -> dict[str, bytes]:
    """Threads with messages, and attachments whose files hold distinct bytes; one attachment's
    file is missing. Returns the bytes of each file written."""
    files: dict[str, bytes] = {}
    for n in range(threads):
        tid = f"thr_{n:02d}"
        await store.save_thread(thread(tid, at(n), title=f"Thread {n}"), ALICE)
        await store.add_thread_item(
            tid, user_message(tid, f"msg_{n}_q", f"question {n}", at(n)), ALICE
        )
        await store.add_thread_item(
            tid, assistant_message(tid, f"msg_{n}_a", f"answer {n}", at(n + 0.5)), ALICE
        )
    for n in range(3):
        attachment_id = f"atc_{n:016x}"
        await store.save_attachment(file_attachment(attachment_id, "thr_00"), ALICE)
        files[attachment_id] = os.urandom(1000 + n) + bytes([n])
        (attachments_dir / attachment_id).write_bytes(files[attachment_id])
    await store.save_attachment(file_attachment("atc_gone", "thr_00"), ALICE)
    await store.save_thread(thread("thr_bob", at(99), title="Bob's"), BOB)
    return files


def check_copy(destination: Path) -> sqlite3.Connection:
    """The backup's database, opened read-only after checking it is sound and current."""
    copy = destination / DATABASE_NAME
    db = sqlite3.connect(f"{copy.as_uri()}?mode=ro", uri=True)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    assert db.execute("SELECT MAX(version) FROM _migrations").fetchone()[0] == LATEST_VERSION
    return db


async def test_backup_while_a_writer_keeps_writing(
    store: SQLiteStore, db_path: Path, attachments_dir: Path, tmp_path: Path
) -> None:
    files = await seed(store, attachments_dir)
    first_write = asyncio.Event()
    stop = asyncio.Event()
    written = 0

    async def writer() -> None:
        nonlocal written
        while not stop.is_set():
            tid = f"thr_live_{written:05d}"
            await store.save_thread(
                thread(tid, at(1000 + written), title="Written meanwhile"), ALICE
            )
            await store.add_thread_item(
                "thr_00",
                user_message("thr_00", f"msg_live_{written}", "more", at(2000 + written)),
                ALICE,
            )
            written += 1
            first_write.set()
            await asyncio.sleep(0)

    task = asyncio.create_task(writer())
    await first_write.wait()
    with raw(db_path) as db:
        before = {row[0] for row in db.execute("SELECT id FROM threads")}
        items_before = db.execute("SELECT count(*) FROM items").fetchone()[0]

    destination = tmp_path / "backups" / "today"
    report = await back_up(db_path, attachments_dir, destination)

    stop.set()
    await task
    assert written >= 1
    assert report.path == destination
    db = check_copy(destination)
    try:
        copied = {row[0] for row in db.execute("SELECT id FROM threads")}
        assert before <= copied
        assert db.execute("SELECT count(*) FROM items").fetchone()[0] >= items_before
        named = [row[0] for row in db.execute("SELECT id FROM attachments ORDER BY id")]
    finally:
        db.close()
    assert report.database_bytes == (destination / DATABASE_NAME).stat().st_size
    assert fts_mismatches(destination / DATABASE_NAME) == []

    assert sorted(named) == sorted([*files, "atc_gone"])
    for attachment_id, data in files.items():
        assert (destination / ATTACHMENTS_DIR / attachment_id).read_bytes() == data
    assert not (destination / ATTACHMENTS_DIR / "atc_gone").exists()
    assert (report.attachment_files, report.missing_files) == (len(files), 1)
    assert sorted(p.name for p in destination.iterdir()) == sorted([DATABASE_NAME, ATTACHMENTS_DIR])


async def test_the_backup_opens_as_a_store_with_everything_in_it(
    store: SQLiteStore, db_path: Path, attachments_dir: Path, tmp_path: Path
) -> None:
    await seed(store, attachments_dir)
    await store.delete_thread("thr_05", ALICE)  # the trash is part of the backup
    destination = tmp_path / "backup"
    await back_up(db_path, attachments_dir, destination)

    restored = await SQLiteStore.open(destination / DATABASE_NAME)
    try:
        assert await restored.integrity_check() == "ok"
        page = await restored.load_threads(100, None, "asc", ALICE)
        assert len(page.data) == 19
        items = await restored.load_thread_items("thr_07", None, 10, "asc", ALICE)
        assert [item.id for item in items.data] == ["msg_7_q", "msg_7_a"]
        hits = (await restored.search.query("answer", ALICE, limit=100)).hits
        assert len(hits) == 19
        assert [t.thread.id for t in (await restored.trash.page(ALICE)).data] == ["thr_05"]
        assert (await restored.load_thread("thr_bob", BOB)).title == "Bob's"
    finally:
        await restored.close()


async def test_an_uncommitted_write_neither_blocks_nor_enters_the_backup(
    store: SQLiteStore, db_path: Path, attachments_dir: Path, tmp_path: Path
) -> None:
    await seed(store, attachments_dir, threads=3)
    destination = tmp_path / "backup"

    # The writer holds its transaction open, rows written but not committed, for the whole
    # backup (which takes no lock the writer holds, so it must finish meanwhile).
    async with store.transaction() as db:
        await db.execute(
            "INSERT INTO threads (id, user_id, created_us, data) "
            "SELECT 'thr_uncommitted', user_id, created_us, data FROM threads WHERE id = 'thr_00'"
        )
        report = await asyncio.wait_for(back_up(db_path, attachments_dir, destination), 60)

    copy = check_copy(destination)
    try:
        ids = {row[0] for row in copy.execute("SELECT id FROM threads")}
    finally:
        copy.close()
    assert "thr_uncommitted" not in ids
    assert {"thr_00", "thr_01", "thr_02"} <= ids
    assert report.attachment_files == 3
    assert (await store.load_thread("thr_uncommitted", ALICE)).title == "Thread 0"


async def test_backup_of_a_closed_database(
    db_path: Path, attachments_dir: Path, tmp_path: Path
) -> None:
    store = await SQLiteStore.open(db_path)
    try:
        files = await seed(store, attachments_dir, threads=2)
    finally:
        await store.close()
    report = await back_up(db_path, attachments_dir, tmp_path / "backup")
    check_copy(tmp_path / "backup").close()
    assert report.attachment_files == len(files)


async def test_backup_into_an_existing_empty_directory(
    store: SQLiteStore, db_path: Path, attachments_dir: Path, tmp_path: Path
) -> None:
    await seed(store, attachments_dir, threads=1)
    destination = tmp_path / "empty"
    destination.mkdir()
    await back_up(db_path, attachments_dir, destination)
    check_copy(destination).close()


async def test_backup_refuses_a_destination_that_is_not_empty(
    store: SQLiteStore, db_path: Path, attachments_dir: Path, tmp_path: Path
) -> None:
    await seed(store, attachments_dir, threads=1)
    destination = tmp_path / "full"
    destination.mkdir()
    (destination / "precious.txt").write_text("keep me")

    with pytest.raises(BackupError, match="not an empty directory"):
        await back_up(db_path, attachments_dir, destination)

    assert [p.name for p in destination.iterdir()] == ["precious.txt"]
    assert (destination / "precious.txt").read_text() == "keep me"


async def test_backup_refuses_a_destination_that_is_a_file(
    store: SQLiteStore, db_path: Path, attachments_dir: Path, tmp_path: Path
) -> None:
    await seed(store, attachments_dir, threads=1)
    destination = tmp_path / "a-file"
    destination.write_bytes(b"data")
    with pytest.raises(BackupError):
        await back_up(db_path, attachments_dir, destination)
    assert destination.read_bytes() == b"data"


async def test_backup_of_a_missing_database_is_refused(
    attachments_dir: Path, tmp_path: Path
) -> None:
    destination = tmp_path / "backup"
    with pytest.raises(BackupError, match="no database"):
        await back_up(tmp_path / "nothing.sqlite3", attachments_dir, destination)
    assert not destination.exists()
    assert not (tmp_path / "nothing.sqlite3").exists()


async def test_a_failed_backup_leaves_nothing_behind(
    store: SQLiteStore,
    db_path: Path,
    attachments_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await seed(store, attachments_dir, threads=2)

    def failing_copy(source: Path, target: Path) -> None:
        target.write_bytes(b"half")
        raise OSError("No space left on device")

    new = tmp_path / "new"
    empty = tmp_path / "empty"
    empty.mkdir()
    with monkeypatch.context() as patched:
        patched.setattr(backup_module.shutil, "copy2", failing_copy)
        for destination in (new, empty):
            with pytest.raises(OSError, match="No space"):
                await back_up(db_path, attachments_dir, destination)

    assert not new.exists()
    assert list(empty.iterdir()) == []
    # So trying again works.
    await back_up(db_path, attachments_dir, empty)
    check_copy(empty).close()


async def test_attachment_ids_that_are_not_file_names_are_never_followed(
    store: SQLiteStore, db_path: Path, attachments_dir: Path, tmp_path: Path
) -> None:
    await store.save_thread(thread("thr_1"), ALICE)
    outside = tmp_path / "outside.txt"
    outside.write_text("not an attachment")
    for attachment_id in ("../outside.txt", "..\\outside.txt", ".hidden", "a/b"):
        await store.save_attachment(file_attachment(attachment_id, "thr_1"), ALICE)
    (attachments_dir / ".hidden").write_text("hidden")

    destination = tmp_path / "backup"
    report = await back_up(db_path, attachments_dir, destination)

    assert (report.attachment_files, report.missing_files) == (0, 4)
    assert sorted(p.name for p in destination.iterdir()) == [DATABASE_NAME]
    assert outside.read_text() == "not an attachment"


async def test_backup_brings_an_old_database_up_to_date_first(
    db_path: Path, attachments_dir: Path, tmp_path: Path
) -> None:
    migrate(db_path, target=LATEST_VERSION - 1)
    await back_up(db_path, attachments_dir, tmp_path / "backup")
    check_copy(tmp_path / "backup").close()
    # The source was migrated the usual way, with its own backup of the old version.
    assert list(db_path.parent.glob(f"{db_path.name}.v{LATEST_VERSION - 1}-*.bak"))
