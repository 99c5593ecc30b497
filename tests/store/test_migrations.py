"""Schema migrations: upgrading an older file keeps the data and a backup; a newer file is
refused without touching a byte."""

from __future__ import annotations

import asyncio
import hashlib
import re
import sqlite3
from pathlib import Path

import pytest
from chatkit.store import NotFoundError

from chatkit_desktop.context import RequestContext
from chatkit_desktop.store import migrations
from chatkit_desktop.store.errors import SchemaTooNewError
from chatkit_desktop.store.migrations import LATEST_VERSION, MIGRATIONS, migrate
from chatkit_desktop.store.sqlite_store import SQLiteStore
from chatkit_desktop.store.timestamps import to_us
from tests.store.helpers import (
    ALICE,
    BOB,
    all_item_ids,
    all_thread_ids,
    assistant_message,
    at,
    file_attachment,
    fts_mismatches,
    hidden_context,
    raw,
    text_of,
    thread,
    user_message,
    widget_card,
)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def backups(path: Path) -> list[Path]:
    return sorted(path.parent.glob(f"{path.name}.*.bak"))


def build_v1_database(path: Path) -> None:
    """A file as chatkit-desktop with only migration 1 left it, filled by hand."""
    assert migrate(path, target=1) == 1
    chat = thread("thr_old", at(0), title="From version 1")
    question = user_message("thr_old", "msg_q", "Still there?", at(1))
    answer = assistant_message("thr_old", "msg_a", "Yes.", at(2))
    attachment = file_attachment("atc_old", thread_id="thr_old")
    db = sqlite3.connect(path)
    try:
        columns = [r[1] for r in db.execute("PRAGMA table_info(items)")]
        assert "feedback" not in columns, "target=1 should stop before migration 2"
        db.execute(
            "INSERT INTO threads (id, user_id, created_us, data) VALUES (?, ?, ?, ?)",
            (chat.id, ALICE.user_id, to_us(chat.created_at), chat.model_dump_json()),
        )
        for item in (question, answer):
            db.execute(
                "INSERT INTO items (id, thread_id, created_us, type, data) VALUES (?, ?, ?, ?, ?)",
                (
                    item.id,
                    item.thread_id,
                    to_us(item.created_at),
                    item.type,
                    item.model_dump_json(),
                ),
            )
        db.execute(
            "INSERT INTO attachments (id, user_id, thread_id, data) VALUES (?, ?, ?, ?)",
            (attachment.id, ALICE.user_id, "thr_old", attachment.model_dump_json()),
        )
        db.commit()
    finally:
        db.close()


async def test_old_database_is_migrated_with_data_kept(db_path: Path) -> None:
    build_v1_database(db_path)

    store = await SQLiteStore.open(db_path)
    try:
        assert await store.schema_version() == LATEST_VERSION
        assert (await store.load_thread("thr_old", ALICE)).title == "From version 1"
        ids = await all_item_ids(store, "thr_old", ALICE, limit=1, order="asc")
        assert ids == ["msg_q", "msg_a"]
        assert text_of(await store.load_item("thr_old", "msg_a", ALICE)) == "Yes."
        assert (await store.load_attachment("atc_old", ALICE)).thread_id == "thr_old"
        # Version 2's feature works on the migrated rows.
        assert await store.set_feedback("thr_old", ["msg_a"], "positive", ALICE) == 1
        assert await store.load_feedback("thr_old", ALICE) == {"msg_a": "positive"}
        await store.add_thread_item(
            "thr_old", user_message("thr_old", "msg_new", "more", at(3)), ALICE
        )
        assert await all_item_ids(store, "thr_old", ALICE, limit=2, order="desc") == [
            "msg_new",
            "msg_a",
            "msg_q",
        ]
        assert await store.integrity_check() == "ok"
    finally:
        await store.close()

    with raw(db_path) as db:
        recorded = db.execute("SELECT version, name, applied_at FROM _migrations ORDER BY version")
        rows = recorded.fetchall()
    assert [(v, n) for v, n, _ in rows] == [
        (n, name) for n, (name, _) in enumerate(MIGRATIONS, start=1)
    ]
    assert all(applied_at for _, _, applied_at in rows)


async def test_migration_leaves_a_backup_at_the_old_version(db_path: Path) -> None:
    build_v1_database(db_path)

    store = await SQLiteStore.open(db_path)
    await store.close()

    (backup,) = backups(db_path)
    assert backup.parent == db_path.parent
    assert re.fullmatch(rf"{re.escape(db_path.name)}\.v1-\d{{8}}T\d{{6}}Z\.bak", backup.name)
    with raw(backup) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert db.execute("SELECT MAX(version) FROM _migrations").fetchone()[0] == 1
        assert "feedback" not in [r[1] for r in db.execute("PRAGMA table_info(items)")]
        assert db.execute("SELECT id FROM threads").fetchall() == [("thr_old",)]
        assert db.execute("SELECT COUNT(*) FROM items").fetchone()[0] == 2


async def test_fresh_database_is_created_at_latest_without_backup(db_path: Path) -> None:
    store = await SQLiteStore.open(db_path)
    await store.close()
    store = await SQLiteStore.open(db_path)
    await store.close()

    assert backups(db_path) == []
    with raw(db_path) as db:
        versions = [r[0] for r in db.execute("SELECT version FROM _migrations ORDER BY version")]
    assert versions == list(range(1, LATEST_VERSION + 1))


async def test_database_in_a_missing_directory_is_created(tmp_path: Path) -> None:
    path = tmp_path / "not" / "yet" / "there.sqlite3"
    store = await SQLiteStore.open(path)
    try:
        await store.save_thread(thread("thr_1"), ALICE)
    finally:
        await store.close()
    assert path.is_file()


def make_too_new(path: Path) -> None:
    migrate(path)
    with raw(path) as db:
        db.execute(
            "INSERT INTO _migrations (version, name, applied_at) VALUES (?, ?, ?)",
            (LATEST_VERSION + 1, "m999_from_the_future", "2099-01-01T00:00:00+00:00"),
        )
        db.commit()


async def test_newer_database_is_refused_and_left_untouched(db_path: Path) -> None:
    make_too_new(db_path)
    before = sha256(db_path)
    neighbours = sorted(p.name for p in db_path.parent.iterdir())

    with pytest.raises(SchemaTooNewError) as caught:
        await SQLiteStore.open(db_path)

    assert "newer version" in str(caught.value)
    assert str(db_path) in str(caught.value)
    assert (caught.value.found, caught.value.supported) == (LATEST_VERSION + 1, LATEST_VERSION)
    assert sha256(db_path) == before
    assert backups(db_path) == []
    # Reading a WAL-mode file may leave SQLite's empty side files; nothing else may appear.
    side_files = {f"{db_path.name}-wal", f"{db_path.name}-shm"}
    appeared = {p.name for p in db_path.parent.iterdir()} - set(neighbours)
    assert appeared <= side_files
    wal = db_path.with_name(f"{db_path.name}-wal")
    assert not wal.exists() or wal.stat().st_size == 0


def test_migrate_refuses_a_newer_database_too(db_path: Path) -> None:
    make_too_new(db_path)
    before = sha256(db_path)
    with pytest.raises(SchemaTooNewError, match="newer version"):
        migrate(db_path)
    with pytest.raises(SchemaTooNewError):
        migrate(db_path, target=1)
    assert sha256(db_path) == before
    assert backups(db_path) == []


def test_migrate_is_idempotent(db_path: Path) -> None:
    assert migrate(db_path) == LATEST_VERSION
    before = sha256(db_path)
    assert migrate(db_path) == LATEST_VERSION
    assert sha256(db_path) == before
    assert backups(db_path) == []


def test_migrate_steps_up_one_version_at_a_time(db_path: Path) -> None:
    assert migrate(db_path, target=1) == 1
    assert migrate(db_path, target=1) == 1
    assert migrate(db_path) == LATEST_VERSION
    with raw(db_path) as db:
        assert [r[0] for r in db.execute("SELECT version FROM _migrations")] == list(
            range(1, LATEST_VERSION + 1)
        )


def test_a_failing_migration_leaves_the_old_version_intact(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build_v1_database(db_path)

    def m999_broken(db: sqlite3.Connection) -> None:
        db.execute("CREATE TABLE half_done (x INTEGER)")
        db.execute("DELETE FROM items")
        raise RuntimeError("migration bug")

    monkeypatch.setattr(migrations, "MIGRATIONS", [*MIGRATIONS, ("m999_broken", m999_broken)])

    with pytest.raises(RuntimeError, match="migration bug"):
        migrate(db_path, target=LATEST_VERSION + 1)

    with raw(db_path) as db:
        version = db.execute("SELECT MAX(version) FROM _migrations").fetchone()[0]
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert db.execute("SELECT COUNT(*) FROM items").fetchone()[0] == 2
    assert version < LATEST_VERSION + 1
    assert "half_done" not in tables
    assert len(backups(db_path)) == 1


async def test_store_still_opens_after_a_failed_migration_attempt(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build_v1_database(db_path)

    def m999_broken(db: sqlite3.Connection) -> None:
        raise RuntimeError("migration bug")

    with monkeypatch.context() as patched:
        patched.setattr(migrations, "MIGRATIONS", [*MIGRATIONS, ("m999_broken", m999_broken)])
        with pytest.raises(RuntimeError):
            migrate(db_path, target=LATEST_VERSION + 1)

    store = await SQLiteStore.open(db_path)
    try:
        assert await store.schema_version() == LATEST_VERSION
        assert (await store.load_thread("thr_old", ALICE)).title == "From version 1"
        with pytest.raises(NotFoundError):
            await store.load_thread("thr_missing", ALICE)
    finally:
        await store.close()


async def test_two_stores_migrating_an_old_file_at_once(db_path: Path) -> None:
    # The app and the CLI starting together after an upgrade: one migrates, one backup.
    build_v1_database(db_path)

    opened = await asyncio.gather(*(SQLiteStore.open(db_path) for _ in range(4)))
    try:
        for store in opened:
            assert await store.schema_version() == LATEST_VERSION
            assert (await store.load_thread("thr_old", ALICE)).title == "From version 1"
    finally:
        for store in opened:
            await store.close()

    assert len(backups(db_path)) == 1
    with raw(db_path) as db:
        versions = [r[0] for r in db.execute("SELECT version FROM _migrations ORDER BY version")]
    assert versions == list(range(1, LATEST_VERSION + 1))


# m003: search and trash on an existing database ----------------------------------------------


def build_v2_database(path: Path) -> list[tuple[str, str | None, str]]:
    """A file as version 2 left it, with threads and items of several kinds, filled by hand.

    Returns the (thread_id, item_id, kind) rows the search index should hold once migrated.
    """
    assert migrate(path, target=2) == 2
    threads = [
        (ALICE, thread("thr_trip", at(0), title="Trip to Lyon")),
        (ALICE, thread("thr_untitled", at(1))),
        (BOB, thread("thr_bob", at(2), title="Bob's café")),
    ]
    items = [
        user_message("thr_trip", "msg_q", "Where is the best café?", at(3)),
        assistant_message("thr_trip", "msg_a", "Try the bouchon near Bellecour.", at(4)),
        widget_card(
            "thr_trip", "wdg_1", title="Bouchons", body="Daniel et Denise", created_at=at(5)
        ),
        hidden_context("thr_trip", "shcx_1", "invisible", at(6)),
        assistant_message("thr_untitled", "msg_empty", "", at(7)),
        user_message("thr_untitled", "msg_u", "quenelles recipe", at(8)),
        user_message("thr_bob", "msg_bob", "café au lait", at(9)),
    ]
    db = sqlite3.connect(path)
    try:
        columns = [r[1] for r in db.execute("PRAGMA table_info(threads)")]
        assert "deleted_us" not in columns, "target=2 should stop before migration 3"
        for context, chat in threads:
            db.execute(
                "INSERT INTO threads (id, user_id, created_us, data) VALUES (?, ?, ?, ?)",
                (chat.id, context.user_id, to_us(chat.created_at), chat.model_dump_json()),
            )
        for item in items:
            db.execute(
                "INSERT INTO items (id, thread_id, created_us, type, data) VALUES (?, ?, ?, ?, ?)",
                (
                    item.id,
                    item.thread_id,
                    to_us(item.created_at),
                    item.type,
                    item.model_dump_json(),
                ),
            )
        db.execute("UPDATE items SET feedback = 'positive', feedback_us = 1 WHERE id = 'msg_a'")
        db.commit()
    finally:
        db.close()
    return [
        ("thr_trip", None, "title"),
        ("thr_bob", None, "title"),
        ("thr_trip", "msg_q", "user"),
        ("thr_trip", "msg_a", "assistant"),
        ("thr_trip", "wdg_1", "widget"),
        ("thr_untitled", "msg_u", "user"),
        ("thr_bob", "msg_bob", "user"),
    ]


async def test_m003_makes_an_existing_history_searchable(db_path: Path) -> None:
    expected = build_v2_database(db_path)

    store = await SQLiteStore.open(db_path)
    try:
        assert await store.schema_version() == LATEST_VERSION >= 3

        async def found(text: str, context: RequestContext = ALICE) -> set[tuple[str, str | None]]:
            hits = (await store.search.query(text, context)).hits
            return {(hit.thread_id, hit.item_id) for hit in hits}

        assert await found("lyon") == {("thr_trip", None)}
        assert await found("cafe") == {("thr_trip", "msg_q")}
        assert await found("bellecour") == {("thr_trip", "msg_a")}
        assert await found("denise") == {("thr_trip", "wdg_1")}
        assert await found("quenelles") == {("thr_untitled", "msg_u")}
        assert await found("invisible") == set()
        assert await found("café", BOB) == {("thr_bob", None), ("thr_bob", "msg_bob")}
        assert await store.search.previews(["thr_trip", "thr_untitled"], ALICE) == {
            "thr_trip": "Try the bouchon near Bellecour.",
            "thr_untitled": "quenelles recipe",
        }
        # Nothing is in the trash; everything is listed, feedback kept.
        assert await all_thread_ids(store, ALICE, limit=10, order="asc") == [
            "thr_trip",
            "thr_untitled",
        ]
        assert (await store.trash.page(ALICE)).data == []
        assert await store.load_feedback("thr_trip", ALICE) == {"msg_a": "positive"}
        # And the new features work on the old rows.
        await store.delete_thread("thr_trip", ALICE)
        assert await found("lyon") == set()
        await store.trash.restore("thr_trip", ALICE)
        assert await found("lyon") == {("thr_trip", None)}
    finally:
        await store.close()

    with raw(db_path) as db:
        rows = db.execute("SELECT thread_id, item_id, kind FROM search_docs").fetchall()
    assert sorted(rows, key=repr) == sorted(expected, key=repr)
    assert fts_mismatches(db_path) == []


async def test_m003_leaves_a_backup_at_version_2(db_path: Path) -> None:
    build_v2_database(db_path)

    store = await SQLiteStore.open(db_path)
    await store.close()

    (backup,) = backups(db_path)
    assert re.fullmatch(rf"{re.escape(db_path.name)}\.v2-\d{{8}}T\d{{6}}Z\.bak", backup.name)
    with raw(backup) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert db.execute("SELECT MAX(version) FROM _migrations").fetchone()[0] == 2
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert "search_docs" not in tables
        assert db.execute("SELECT count(*) FROM items").fetchone()[0] == 7
    with raw(db_path) as db:
        version = db.execute("SELECT MAX(version) FROM _migrations").fetchone()[0]
        trashed = db.execute("SELECT count(*) FROM threads WHERE deleted_us IS NOT NULL")
        assert trashed.fetchone()[0] == 0
    assert version == LATEST_VERSION >= 3
