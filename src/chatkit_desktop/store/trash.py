"""Deleted threads wait in a trash for 30 days before they are deleted for good.

A thread in the trash keeps every row; it is only hidden (`threads.deleted_us` is set), so the
SDK's reads and the search skip it, and a restore brings it back exactly. Purging deletes the
thread row; its items, attachment rows and search entries go with it by `ON DELETE CASCADE`, in
one transaction. The attachment *files* are the caller's to remove: `Purged.attachment_ids`
names those whose metadata is now gone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import aiosqlite
from chatkit.store import NotFoundError
from chatkit.types import Page, ThreadMetadata

from chatkit_desktop.context import RequestContext
from chatkit_desktop.store.timestamps import from_us, to_us

if TYPE_CHECKING:
    from chatkit_desktop.store.sqlite_store import SQLiteStore

RETENTION = timedelta(days=30)


@dataclass(frozen=True, slots=True)
class TrashedThread:
    thread: ThreadMetadata
    deleted_at: datetime

    @property
    def purge_at(self) -> datetime:
        return self.deleted_at + RETENTION


@dataclass(slots=True)
class Purged:
    thread_ids: list[str] = field(default_factory=list)
    attachment_ids: list[str] = field(default_factory=list)


def _now_us() -> int:
    return to_us(datetime.now(UTC))


class Trash:
    def __init__(self, store: SQLiteStore) -> None:
        self._store = store

    async def move_in(self, thread_id: str, context: RequestContext) -> None:
        """What `threads.delete` does. An unknown (or someone else's) id changes nothing, as
        the SDK's delete expects."""
        async with self._store.transaction() as db:
            await db.execute(
                "UPDATE threads SET deleted_us = ? "
                "WHERE id = ? AND user_id = ? AND deleted_us IS NULL",
                (_now_us(), thread_id, context.user_id),
            )

    async def page(
        self, context: RequestContext, *, limit: int = 50, after: str | None = None
    ) -> Page[TrashedThread]:
        """The trash, most recently deleted first, with a keyset cursor like `threads.list`."""
        if limit < 1:
            # Checked here: a page of none that "has more" would have no cursor to give.
            raise ValueError("limit must be at least 1")
        where = "user_id = ? AND deleted_us IS NOT NULL"
        params: tuple[object, ...] = (context.user_id,)
        if after is not None:
            row = await self._store.fetchone(
                "SELECT deleted_us, seq FROM threads "
                "WHERE id = ? AND user_id = ? AND deleted_us IS NOT NULL",
                (after, context.user_id),
            )
            if row is None:
                raise NotFoundError(f"Thread {after} is not in the trash")
            where += " AND (deleted_us, seq) < (?, ?)"
            params += (row[0], row[1])
        rows = await self._store.fetchall(
            f"SELECT data, deleted_us FROM threads WHERE {where} "  # noqa: S608 - fixed text
            "ORDER BY deleted_us DESC, seq DESC LIMIT ?",
            (*params, limit + 1),
        )
        data = [
            TrashedThread(ThreadMetadata.model_validate_json(row[0]), from_us(row[1]))
            for row in rows[:limit]
        ]
        has_more = len(rows) > limit
        return Page(data=data, has_more=has_more, after=data[-1].thread.id if has_more else None)

    async def restore(self, thread_id: str, context: RequestContext) -> ThreadMetadata:
        async with self._store.transaction() as db:
            cur = await db.execute(
                "UPDATE threads SET deleted_us = NULL "
                "WHERE id = ? AND user_id = ? AND deleted_us IS NOT NULL",
                (thread_id, context.user_id),
            )
            if cur.rowcount == 0:
                raise NotFoundError(f"Thread {thread_id} is not in the trash")
        return await self._store.load_thread(thread_id, context)

    async def purge(self, context: RequestContext, thread_ids: list[str] | None = None) -> Purged:
        """Delete for good the given threads of the trash (all of it when None); ids that are
        not in this user's trash are ignored."""
        async with self._store.transaction() as db:
            if thread_ids is None:
                rows = await db.execute_fetchall(
                    "SELECT id FROM threads WHERE user_id = ? AND deleted_us IS NOT NULL",
                    (context.user_id,),
                )
            else:
                marks = ",".join("?" * len(thread_ids))
                rows = await db.execute_fetchall(
                    f"SELECT id FROM threads WHERE id IN ({marks}) "  # noqa: S608 - placeholders
                    "AND user_id = ? AND deleted_us IS NOT NULL",
                    (*thread_ids, context.user_id),
                )
            return await _delete(db, [row[0] for row in rows])

    async def purge_expired(self, now: datetime | None = None) -> Purged:
        """Delete for good every thread (of every user) deleted more than RETENTION ago."""
        cutoff = to_us((now or datetime.now(UTC)) - RETENTION)
        async with self._store.transaction() as db:
            rows = await db.execute_fetchall(
                "SELECT id FROM threads WHERE deleted_us IS NOT NULL AND deleted_us <= ?",
                (cutoff,),
            )
            return await _delete(db, [row[0] for row in rows])


async def _delete(db: aiosqlite.Connection, thread_ids: list[str]) -> Purged:
    purged = Purged(thread_ids=thread_ids)
    if not thread_ids:
        return purged
    candidates: set[str] = set()
    for start in range(0, len(thread_ids), 500):
        chunk = thread_ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        rows = await db.execute_fetchall(
            f"SELECT id FROM attachments WHERE thread_id IN ({marks}) "  # noqa: S608
            "UNION SELECT json_extract(a.value, '$.id') FROM items, "
            "json_each(items.data, '$.attachments') AS a "
            f"WHERE items.thread_id IN ({marks}) AND items.type = 'user_message'",
            (*chunk, *chunk),
        )
        candidates.update(row[0] for row in rows if isinstance(row[0], str))
        await db.execute(f"DELETE FROM threads WHERE id IN ({marks})", chunk)  # noqa: S608
    if candidates:
        ids = sorted(candidates)
        marks = ",".join("?" * len(ids))
        kept = await db.execute_fetchall(
            f"SELECT id FROM attachments WHERE id IN ({marks})",  # noqa: S608
            ids,
        )
        still_used = {row[0] for row in kept}
        purged.attachment_ids = [i for i in ids if i not in still_used]
    return purged
