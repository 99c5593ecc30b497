"""The SDK's `Store` on SQLite, with exactly the SDK's semantics and per-user scoping.

Two connections: one writer, guarded by an asyncio lock so multi-statement transactions never
interleave (and no request ever meets "database is locked"), and one read-only reader that WAL
mode lets run beside the writer. aiosqlite runs each connection on its own thread, so nothing here
blocks the event loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

import aiosqlite
from chatkit.store import NotFoundError, Store, StoreItemType
from chatkit.types import Attachment, Page, Thread, ThreadItem, ThreadMetadata
from pydantic import TypeAdapter

from chatkit_desktop.context import RequestContext
from chatkit_desktop.store.archive import Archive
from chatkit_desktop.store.ids import new_id
from chatkit_desktop.store.migrations import LATEST_VERSION, migrate, read_version
from chatkit_desktop.store.search import Search
from chatkit_desktop.store.search_index import index_item, index_title
from chatkit_desktop.store.timestamps import to_us
from chatkit_desktop.store.trash import Trash

_ITEM: TypeAdapter[ThreadItem] = TypeAdapter(ThreadItem)
_ATTACHMENT: TypeAdapter[Attachment] = TypeAdapter(Attachment)

FeedbackKind = Literal["positive", "negative"]


def _order(order: str) -> Literal["ASC", "DESC"]:
    """Map the protocol's order to SQL, refusing anything else (it ends up in the SQL text)."""
    if order == "asc":
        return "ASC"
    if order == "desc":
        return "DESC"
    raise ValueError(f"order must be 'asc' or 'desc', not {order!r}")


def _thread_json(thread: ThreadMetadata) -> str:
    # `save_thread` is sometimes handed a full `Thread`; its items live in their own table.
    if isinstance(thread, Thread):
        return thread.model_dump_json(exclude={"items"})
    return thread.model_dump_json()


async def _configure(db: aiosqlite.Connection, *, read_only: bool) -> None:
    await db.execute("PRAGMA busy_timeout = 5000")
    await db.execute("PRAGMA foreign_keys = ON")
    if read_only:
        await db.execute("PRAGMA query_only = ON")
    else:
        await db.execute("PRAGMA journal_mode = WAL")
        # NORMAL in WAL mode survives a killed process; only a power cut may lose the last commit.
        await db.execute("PRAGMA synchronous = NORMAL")


class SQLiteStore(Store[RequestContext]):
    """Threads, items and attachment metadata for every local user, in one SQLite file."""

    def __init__(self, path: Path, writer: aiosqlite.Connection, reader: aiosqlite.Connection):
        self.path = path
        self._writer = writer
        self._reader = reader
        self._write_lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: str | Path) -> SQLiteStore:
        """Open (creating or migrating as needed) the database at `path`."""
        path = Path(path)
        await asyncio.to_thread(path.parent.mkdir, parents=True, exist_ok=True)
        await asyncio.to_thread(migrate, path)
        writer = await aiosqlite.connect(path, isolation_level=None)
        try:
            await _configure(writer, read_only=False)
            reader = await aiosqlite.connect(path, isolation_level=None)
            await _configure(reader, read_only=True)
        except BaseException:
            await writer.close()
            raise
        return cls(path, writer, reader)

    async def close(self) -> None:
        async with self._write_lock:
            await self._reader.close()
            # A clean close checkpoints the WAL into the main file.
            await self._writer.close()

    async def schema_version(self) -> int:
        return await read_version(self._reader)

    @property
    def latest_schema_version(self) -> int:
        return LATEST_VERSION

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """The writer, inside `BEGIN IMMEDIATE … COMMIT` (rolled back on any exception).

        For this package's own modules (search, trash, archive) as much as for this class.
        """
        async with self._write_lock:
            await self._writer.execute("BEGIN IMMEDIATE")
            try:
                yield self._writer
            except BaseException:
                await self._writer.execute("ROLLBACK")
                raise
            await self._writer.execute("COMMIT")

    async def fetchone(self, sql: str, params: tuple[Any, ...]) -> Any:
        """One row through the read-only reader (this package's modules use it too)."""
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def fetchall(self, sql: str, params: tuple[Any, ...]) -> list[Any]:
        # One call that runs the statement to its end. A cursor left open across awaits keeps
        # its read snapshot, and every other query on the shared reader meanwhile would see the
        # database as it was before the latest commit (a turn would miss the message just saved).
        return list(await self._reader.execute_fetchall(sql, params))

    @cached_property
    def search(self) -> Search:
        return Search(self)

    @cached_property
    def trash(self) -> Trash:
        return Trash(self)

    @cached_property
    def archive(self) -> Archive:
        return Archive(self)

    async def _cursor(self, sql: str, params: tuple[Any, ...], missing: str) -> tuple[int, int]:
        """The (created_us, seq) position of a pagination cursor; NotFoundError if unknown."""
        row = await self.fetchone(sql, params)
        if row is None:
            raise NotFoundError(missing)
        return int(row[0]), int(row[1])

    async def _keyset_page(
        self,
        table: Literal["threads", "items"],
        where: str,
        params: tuple[Any, ...],
        cursor: tuple[int, int] | None,
        order: str,
        limit: int,
    ) -> tuple[list[str], bool]:
        """One page of JSON rows ordered by (created_us, seq), strictly after `cursor`.

        Keyset pagination: the cost does not grow with how deep the page is.
        """
        direction = _order(order)
        if cursor is not None:
            where += f" AND (created_us, seq) {'>' if direction == 'ASC' else '<'} (?, ?)"
            params += cursor
        rows = await self.fetchall(
            f"SELECT data FROM {table} WHERE {where} "  # noqa: S608 - fixed fragments only
            f"ORDER BY created_us {direction}, seq {direction} LIMIT ?",
            (*params, limit + 1),
        )
        return [row[0] for row in rows[:limit]], len(rows) > limit

    # ids ----------------------------------------------------------------------------------

    def generate_thread_id(self, context: RequestContext) -> str:
        return new_id("thread")

    def generate_item_id(
        self, item_type: StoreItemType, thread: ThreadMetadata, context: RequestContext
    ) -> str:
        return new_id(item_type)

    # threads ------------------------------------------------------------------------------

    async def load_thread(self, thread_id: str, context: RequestContext) -> ThreadMetadata:
        row = await self.fetchone(
            "SELECT data FROM threads WHERE id = ? AND user_id = ? AND deleted_us IS NULL",
            (thread_id, context.user_id),
        )
        if row is None:
            raise NotFoundError(f"Thread {thread_id} not found")
        return ThreadMetadata.model_validate_json(row[0])

    async def save_thread(self, thread: ThreadMetadata, context: RequestContext) -> None:
        created_us = to_us(thread.created_at)
        async with self.transaction() as db:
            cur = await db.execute(
                "INSERT INTO threads (id, user_id, created_us, data) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (id) DO UPDATE SET data = excluded.data, "
                "created_us = excluded.created_us WHERE threads.user_id = excluded.user_id",
                (thread.id, context.user_id, created_us, _thread_json(thread)),
            )
            if cur.rowcount == 0:
                # The id exists but belongs to someone else: behave as if it did not exist.
                raise NotFoundError(f"Thread {thread.id} not found")
            await index_title(db, thread.id, created_us, thread.title)

    async def load_threads(
        self, limit: int, after: str | None, order: str, context: RequestContext
    ) -> Page[ThreadMetadata]:
        cursor = None
        if after is not None:
            cursor = await self._cursor(
                "SELECT created_us, seq FROM threads WHERE id = ? AND user_id = ?",
                (after, context.user_id),
                f"Thread {after} not found",
            )
        rows, has_more = await self._keyset_page(
            "threads",
            "user_id = ? AND deleted_us IS NULL",
            (context.user_id,),
            cursor,
            order,
            limit,
        )
        threads = [ThreadMetadata.model_validate_json(row) for row in rows]
        return Page(data=threads, has_more=has_more, after=threads[-1].id if has_more else None)

    async def delete_thread(self, thread_id: str, context: RequestContext) -> None:
        # `threads.delete` moves the thread to the trash; `trash.purge` deletes it for good.
        await self.trash.move_in(thread_id, context)

    # items --------------------------------------------------------------------------------

    async def load_thread_items(
        self,
        thread_id: str,
        after: str | None,
        limit: int,
        order: str,
        context: RequestContext,
    ) -> Page[ThreadItem]:
        owner = await self.fetchone(
            "SELECT 1 FROM threads WHERE id = ? AND user_id = ? AND deleted_us IS NULL",
            (thread_id, context.user_id),
        )
        if owner is None:
            raise NotFoundError(f"Thread {thread_id} not found")
        cursor = None
        if after is not None:
            cursor = await self._cursor(
                "SELECT created_us, seq FROM items WHERE thread_id = ? AND id = ?",
                (thread_id, after),
                f"Item {after} not found in thread {thread_id}",
            )
        rows, has_more = await self._keyset_page(
            "items", "thread_id = ?", (thread_id,), cursor, order, limit
        )
        items = [_ITEM.validate_json(row) for row in rows]
        return Page(data=items, has_more=has_more, after=items[-1].id if has_more else None)

    async def add_thread_item(
        self, thread_id: str, item: ThreadItem, context: RequestContext
    ) -> None:
        # An upsert: the SDK re-emits `done` for items it already stored (e.g. a workflow
        # after a client tool output). The row keeps its original insertion sequence.
        await self._upsert_item(thread_id, item, context)

    async def save_item(self, thread_id: str, item: ThreadItem, context: RequestContext) -> None:
        await self._upsert_item(thread_id, item, context)

    async def _upsert_item(self, thread_id: str, item: ThreadItem, context: RequestContext) -> None:
        # Writes to a thread in the trash still land (a turn may finish after a delete): it is
        # hidden, not gone, and a restore brings it back complete.
        created_us = to_us(item.created_at)
        data = item.model_dump_json()
        async with self.transaction() as db:
            cur = await db.execute(
                "INSERT INTO items (id, thread_id, created_us, type, data) "
                "SELECT ?, id, ?, ?, ? FROM threads WHERE id = ? AND user_id = ? "
                "ON CONFLICT (thread_id, id) DO UPDATE SET data = excluded.data, "
                "type = excluded.type, created_us = excluded.created_us",
                (item.id, created_us, item.type, data, thread_id, context.user_id),
            )
            if cur.rowcount == 0:
                raise NotFoundError(f"Thread {thread_id} not found")
            await index_item(db, thread_id, item.id, created_us, data)

    async def load_item(self, thread_id: str, item_id: str, context: RequestContext) -> ThreadItem:
        row = await self.fetchone(
            "SELECT items.data FROM items JOIN threads ON threads.id = items.thread_id "
            "WHERE items.thread_id = ? AND items.id = ? AND threads.user_id = ? "
            "AND threads.deleted_us IS NULL",
            (thread_id, item_id, context.user_id),
        )
        if row is None:
            raise NotFoundError(f"Item {item_id} not found in thread {thread_id}")
        return _ITEM.validate_json(row[0])

    async def delete_thread_item(
        self, thread_id: str, item_id: str, context: RequestContext
    ) -> None:
        async with self.transaction() as db:
            await db.execute(
                "DELETE FROM items WHERE thread_id = ? AND id = ? AND thread_id IN "
                "(SELECT id FROM threads WHERE id = ? AND user_id = ?)",
                (thread_id, item_id, thread_id, context.user_id),
            )

    # feedback -----------------------------------------------------------------------------

    async def set_feedback(
        self, thread_id: str, item_ids: list[str], kind: FeedbackKind, context: RequestContext
    ) -> int:
        """Record thumbs up/down on items of one thread; return how many items it reached."""
        if not item_ids:
            return 0
        async with self.transaction() as db:
            owner = await db.execute_fetchall(
                "SELECT 1 FROM threads WHERE id = ? AND user_id = ? AND deleted_us IS NULL",
                (thread_id, context.user_id),
            )
            if not owner:
                raise NotFoundError(f"Thread {thread_id} not found")
            marks = ",".join("?" * len(item_ids))
            cur = await db.execute(
                f"UPDATE items SET feedback = ?, feedback_us = ? "  # noqa: S608 - placeholders
                f"WHERE thread_id = ? AND id IN ({marks})",
                (kind, _now_us(), thread_id, *item_ids),
            )
            return cur.rowcount

    async def load_feedback(
        self, thread_id: str, context: RequestContext
    ) -> dict[str, FeedbackKind]:
        # Like `load_thread_items`: a thread that is missing (or someone else's) is not found,
        # rather than looking like a thread nobody rated.
        owner = await self.fetchone(
            "SELECT 1 FROM threads WHERE id = ? AND user_id = ? AND deleted_us IS NULL",
            (thread_id, context.user_id),
        )
        if owner is None:
            raise NotFoundError(f"Thread {thread_id} not found")
        rows = await self.fetchall(
            "SELECT items.id, items.feedback FROM items "
            "JOIN threads ON threads.id = items.thread_id "
            "WHERE items.thread_id = ? AND threads.user_id = ? AND items.feedback IS NOT NULL",
            (thread_id, context.user_id),
        )
        return {row[0]: row[1] for row in rows}

    # attachments --------------------------------------------------------------------------

    async def save_attachment(self, attachment: Attachment, context: RequestContext) -> None:
        async with self.transaction() as db:
            thread_id = attachment.thread_id
            if thread_id is not None:
                owner = await db.execute_fetchall(
                    "SELECT 1 FROM threads WHERE id = ? AND user_id = ?",
                    (thread_id, context.user_id),
                )
                if not owner:
                    raise NotFoundError(f"Thread {thread_id} not found")
            cur = await db.execute(
                "INSERT INTO attachments (id, user_id, thread_id, data) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (id) DO UPDATE SET data = excluded.data, "
                "thread_id = excluded.thread_id WHERE attachments.user_id = excluded.user_id",
                (attachment.id, context.user_id, thread_id, attachment.model_dump_json()),
            )
            if cur.rowcount == 0:
                raise NotFoundError(f"Attachment {attachment.id} not found")

    async def load_attachment(self, attachment_id: str, context: RequestContext) -> Attachment:
        row = await self.fetchone(
            "SELECT data FROM attachments WHERE id = ? AND user_id = ?",
            (attachment_id, context.user_id),
        )
        if row is None:
            raise NotFoundError(f"Attachment {attachment_id} not found")
        return _ATTACHMENT.validate_json(row[0])

    async def delete_attachment(self, attachment_id: str, context: RequestContext) -> None:
        async with self.transaction() as db:
            await db.execute(
                "DELETE FROM attachments WHERE id = ? AND user_id = ?",
                (attachment_id, context.user_id),
            )

    # maintenance --------------------------------------------------------------------------

    async def integrity_check(self) -> str:
        row = await self.fetchone("PRAGMA integrity_check", ())
        return str(row[0])


def _now_us() -> int:
    return to_us(datetime.now(UTC))
