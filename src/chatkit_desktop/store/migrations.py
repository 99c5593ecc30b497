"""Numbered, append-only schema migrations, recorded in the database itself.

Modelled on simonw/llm: each migration is a function registered in order by a decorator and
recorded in `_migrations` once applied. Never edit or reorder a released migration; add a new one.
This module deliberately imports nothing from the ChatKit SDK so the server can check and migrate
the database before the heavy SDK imports finish.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import aiosqlite

from chatkit_desktop.store.errors import SchemaTooNewError
from chatkit_desktop.store.search_text import clean, item_document

log = logging.getLogger(__name__)

_LOCK_TIMEOUT_S = 10.0

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


@migration
def m003_search_and_trash(db: sqlite3.Connection) -> None:
    """Full-text search over titles and message text, and a trash for deleted threads.

    `search_docs` holds one row of plain text per searchable item (and one per thread title);
    `search_fts` indexes it as an FTS5 external-content table, kept in step by triggers. Rows
    leave with their item or thread by `ON DELETE CASCADE`, so no delete path can forget them.
    Existing items are indexed here, in the migration's transaction. Prefix indexes for two and
    three letters keep as-you-type searches quick (a query's last word is a prefix), at the cost
    of roughly doubling the index.
    """
    _run(
        db,
        """
        ALTER TABLE threads ADD COLUMN deleted_us INTEGER;
        CREATE INDEX threads_live ON threads(user_id, created_us, seq) WHERE deleted_us IS NULL;
        CREATE INDEX threads_trash ON threads(user_id, deleted_us, seq)
            WHERE deleted_us IS NOT NULL;

        CREATE TABLE search_docs (
            rowid INTEGER PRIMARY KEY,
            thread_id TEXT NOT NULL REFERENCES threads(id) ON DELETE CASCADE,
            item_id TEXT,
            kind TEXT NOT NULL,
            created_us INTEGER NOT NULL,
            body TEXT NOT NULL,
            FOREIGN KEY (thread_id, item_id) REFERENCES items(thread_id, id) ON DELETE CASCADE
        );
        CREATE UNIQUE INDEX search_docs_item ON search_docs(thread_id, item_id);
        CREATE INDEX search_docs_recent ON search_docs(thread_id, created_us);
        CREATE VIRTUAL TABLE search_fts USING fts5(
            body, content = 'search_docs', content_rowid = 'rowid',
            tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3'
        )
        """,
    )
    for trigger in (
        "CREATE TRIGGER search_docs_ai AFTER INSERT ON search_docs BEGIN "
        "INSERT INTO search_fts (rowid, body) VALUES (new.rowid, new.body); END",
        "CREATE TRIGGER search_docs_ad AFTER DELETE ON search_docs BEGIN "
        "INSERT INTO search_fts (search_fts, rowid, body) VALUES ('delete', old.rowid, old.body);"
        " END",
        "CREATE TRIGGER search_docs_au AFTER UPDATE ON search_docs BEGIN "
        "INSERT INTO search_fts (search_fts, rowid, body) VALUES ('delete', old.rowid, old.body);"
        " INSERT INTO search_fts (rowid, body) VALUES (new.rowid, new.body); END",
    ):
        db.execute(trigger)
    _index_existing(db)


def _index_existing(db: sqlite3.Connection) -> None:
    for thread_id, created_us, data in db.execute("SELECT id, created_us, data FROM threads"):
        title = json.loads(data).get("title")
        if isinstance(title, str) and clean(title):
            db.execute(
                "INSERT INTO search_docs (thread_id, item_id, kind, created_us, body) "
                "VALUES (?, NULL, 'title', ?, ?)",
                (thread_id, created_us, clean(title)),
            )
    rows = db.execute("SELECT thread_id, id, created_us, data FROM items ORDER BY seq")
    for thread_id, item_id, created_us, data in rows:
        document = item_document(json.loads(data))
        if document is not None:
            db.execute(
                "INSERT INTO search_docs (thread_id, item_id, kind, created_us, body) "
                "VALUES (?, ?, ?, ?, ?)",
                (thread_id, item_id, document[0], created_us, document[1]),
            )


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

    Synchronous on purpose: it runs once at start-up, in a worker thread. Safe when two
    processes start on the same file at once (the app and the CLI): the version is re-read
    under the write lock, so only one of them migrates and the other finds the work done.
    All pending migrations run in one transaction: a failure leaves the previous version.
    """
    target = LATEST_VERSION if target is None else target
    if path.exists() and path.stat().st_size > 0:
        # Read the version without changing a byte: no WAL switch, no writes.
        with sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True) as probe:
            current = _applied_version(probe)
        probe.close()
        if current > LATEST_VERSION:
            raise SchemaTooNewError(str(path), current, LATEST_VERSION)
        if current >= target:
            return current

    db = sqlite3.connect(path, isolation_level=None, timeout=_LOCK_TIMEOUT_S)
    try:
        _use_wal(db)
        db.execute("BEGIN IMMEDIATE")
        try:
            current = _applied_version(db)
            if current > LATEST_VERSION:
                raise SchemaTooNewError(str(path), current, LATEST_VERSION)
            if current >= target:
                db.execute("ROLLBACK")
                return current
            if current > 0:
                _back_up(path, current)
            db.execute(
                "CREATE TABLE IF NOT EXISTS _migrations ("
                "version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
            )
            applied = []
            for version, (name, fn) in enumerate(MIGRATIONS[:target], start=1):
                if version <= current:
                    continue
                fn(db)
                db.execute(
                    "INSERT INTO _migrations (version, name, applied_at) VALUES (?, ?, ?)",
                    (version, name, datetime.now(UTC).isoformat()),
                )
                applied.append((version, name))
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
        for version, name in applied:
            log.info("Applied migration %d (%s) to %s", version, name, path)
        return applied[-1][0] if applied else current
    finally:
        db.close()


def _back_up(path: Path, version: int) -> None:
    """Copy the database as it stands, while the caller holds the write lock (so nobody can
    change it meanwhile). SQLite refuses to back up from the connection holding that lock, so
    the copy is read through a second connection, which WAL lets run beside the writer."""
    backup = _backup_path(path, version)
    source = sqlite3.connect(path, timeout=_LOCK_TIMEOUT_S)
    try:
        copy = sqlite3.connect(backup)
        try:
            source.backup(copy)
        finally:
            copy.close()
    finally:
        source.close()
    log.info("Backed up %s to %s before migrating", path, backup)


def _use_wal(db: sqlite3.Connection) -> None:
    """Switch to WAL, retrying while another process holds the file (the switch needs it alone,
    and SQLite answers "locked" at once rather than waiting when that could deadlock)."""
    deadline = time.monotonic() + _LOCK_TIMEOUT_S
    while True:
        try:
            db.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


async def read_version(db: aiosqlite.Connection) -> int:
    async with db.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_migrations'"
    ) as cur:
        if await cur.fetchone() is None:
            return 0
    async with db.execute("SELECT MAX(version) FROM _migrations") as cur:
        row = await cur.fetchone()
    return int(row[0] or 0) if row else 0
