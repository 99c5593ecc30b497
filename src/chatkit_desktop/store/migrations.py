"""Numbered, append-only schema migrations, recorded in the database itself.

Modelled on simonw/llm: each migration is a function registered in order by a decorator and
recorded in `_migrations` once applied. Never edit or reorder a released migration; add a new one.
This module deliberately imports nothing from the ChatKit SDK so the server can check and migrate
the database before the heavy SDK imports finish.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import aiosqlite

from chatkit_desktop.store.errors import SchemaTooNewError

log = logging.getLogger(__name__)

Migration = Callable[[sqlite3.Connection], None]
MIGRATIONS: list[tuple[str, Migration]] = []


def migration(fn: Migration) -> Migration:
    MIGRATIONS.append((fn.__name__, fn))
    return fn


@migration
def m001_initial(db: sqlite3.Connection) -> None:
    _run(
        db,
        """
        CREATE TABLE threads (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            id TEXT NOT NULL UNIQUE,
            user_id TEXT NOT NULL,
            created_us INTEGER NOT NULL,
            data TEXT NOT NULL
        );
        CREATE INDEX threads_by_user_created ON threads(user_id, created_us, seq);

        CREATE TABLE items (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            id TEXT NOT NULL,
            thread_id TEXT NOT NULL REFERENCES threads(id) ON DELETE CASCADE,
            created_us INTEGER NOT NULL,
            type TEXT NOT NULL,
            data TEXT NOT NULL,
            UNIQUE (thread_id, id)
        );
        CREATE INDEX items_by_thread_created ON items(thread_id, created_us, seq);

        CREATE TABLE attachments (
            id TEXT PRIMARY KEY,
            user_id TEXT NOT NULL,
            thread_id TEXT REFERENCES threads(id) ON DELETE CASCADE,
            data TEXT NOT NULL
        );
        CREATE INDEX attachments_by_thread ON attachments(thread_id);
        """,
    )


@migration
def m002_item_feedback(db: sqlite3.Connection) -> None:
    """Thumbs up/down on assistant answers, kept with the item it rates."""
    db.execute("ALTER TABLE items ADD COLUMN feedback TEXT")
    db.execute("ALTER TABLE items ADD COLUMN feedback_us INTEGER")


LATEST_VERSION = len(MIGRATIONS)


def _run(db: sqlite3.Connection, script: str) -> None:
    """Run `;`-separated DDL one statement at a time (`executescript` would commit early)."""
    for statement in script.split(";"):
        if statement.strip():
            db.execute(statement)


def _applied_version(db: sqlite3.Connection) -> int:
    has_table = db.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_migrations'"
    ).fetchone()
    if not has_table:
        return 0
    row = db.execute("SELECT MAX(version) FROM _migrations").fetchone()
    return int(row[0] or 0)


def _backup_path(path: Path, version: int) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return path.with_name(f"{path.name}.v{version}-{stamp}.bak")


def migrate(path: Path, target: int | None = None) -> int:
    """Bring the database at `path` up to `target` (default: latest); return the new version.

    Synchronous on purpose: it runs once at start-up, in a worker thread.
    """
    target = LATEST_VERSION if target is None else target
    existed = path.exists() and path.stat().st_size > 0
    if existed:
        # Read the version without changing a byte: no WAL switch, no writes.
        with sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True) as probe:
            current = _applied_version(probe)
        probe.close()
        if current > LATEST_VERSION:
            raise SchemaTooNewError(str(path), current, LATEST_VERSION)
        if current >= target:
            return current
    else:
        current = 0

    db = sqlite3.connect(path, isolation_level=None)
    try:
        db.execute("PRAGMA journal_mode = WAL")
        if existed and current > 0:
            backup = _backup_path(path, current)
            with sqlite3.connect(backup) as copy:
                db.backup(copy)
            copy.close()
            log.info("Backed up %s to %s before migrating", path, backup)
        db.execute(
            "CREATE TABLE IF NOT EXISTS _migrations ("
            "version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
        )
        for version, (name, fn) in enumerate(MIGRATIONS[:target], start=1):
            if version <= current:
                continue
            db.execute("BEGIN IMMEDIATE")
            try:
                fn(db)
                db.execute(
                    "INSERT INTO _migrations (version, name, applied_at) VALUES (?, ?, ?)",
                    (version, name, datetime.now(UTC).isoformat()),
                )
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
            log.info("Applied migration %d (%s) to %s", version, name, path)
            current = version
    finally:
        db.close()
    return current


async def read_version(db: aiosqlite.Connection) -> int:
    async with db.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_migrations'"
    ) as cur:
        if await cur.fetchone() is None:
            return 0
    async with db.execute("SELECT MAX(version) FROM _migrations") as cur:
        row = await cur.fetchone()
    return int(row[0] or 0) if row else 0
