"""Threads out of and back into the database, as ChatKit's own `Thread` JSON.

An export is the thread's metadata plus every stored item in `items.data`, in order (hidden
context included, so an import restores exactly what the model saw). JSONL holds one such
thread per line. An import re-creates ids, order, timestamps and attachment metadata; what is
already there is left alone (so importing a file twice adds nothing), and the whole file goes in
one transaction after all of it validated: a bad line imports nothing.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import aiosqlite
from chatkit.store import NotFoundError
from chatkit.types import Page, Thread, ThreadItem, UserMessageItem
from pydantic import TypeAdapter, ValidationError

from chatkit_desktop.context import RequestContext
from chatkit_desktop.store.search_index import index_item, index_title
from chatkit_desktop.store.timestamps import to_us

if TYPE_CHECKING:
    from chatkit_desktop.store.sqlite_store import SQLiteStore

_ITEM: TypeAdapter[ThreadItem] = TypeAdapter(ThreadItem)
_PAGE = 500


class ImportFormatError(ValueError):
    """A file that is not an export: says where (line) and why; nothing was imported."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(f"line {line}: {reason}")
        self.line = line
        self.reason = reason


class ImportConflictError(ValueError):
    """The file names a thread id that someone else's thread already uses."""


@dataclass(slots=True)
class ImportReport:
    threads_added: int = 0
    threads_present: int = 0
    items_added: int = 0
    items_present: int = 0


def parse_export(text: str) -> list[Thread]:
    """The threads in an export file: one `Thread` JSON, a JSON list of them, or JSONL."""
    stripped = text.lstrip()
    if not stripped:
        raise ImportFormatError(1, "the file is empty")
    if stripped.startswith("["):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ImportFormatError(exc.lineno, f"not valid JSON ({exc.msg})") from None
        if not isinstance(data, list):
            raise ImportFormatError(1, "expected a list of threads")
        return [_thread(entry, 1, f"thread {n}: ") for n, entry in enumerate(data, start=1)]
    try:
        whole = json.loads(text)
    except json.JSONDecodeError:
        whole = None
    if isinstance(whole, dict):
        return [_thread(whole, 1, "")]
    threads = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ImportFormatError(number, f"not valid JSON ({exc.msg})") from None
        threads.append(_thread(data, number, ""))
    return threads


def _thread(data: object, line: int, where: str) -> Thread:
    if not isinstance(data, dict):
        raise ImportFormatError(line, f"{where}expected a thread (a JSON object)")
    try:
        thread = Thread.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        location = ".".join(str(part) for part in first["loc"]) or "thread"
        raise ImportFormatError(line, f"{where}{location}: {first['msg']}") from None
    for item in thread.items.data:
        if item.thread_id != thread.id:
            raise ImportFormatError(
                line,
                f"{where}item {item.id} says it belongs to thread {item.thread_id}, "
                f"not {thread.id}",
            )
    return thread


class Archive:
    def __init__(self, store: SQLiteStore) -> None:
        self._store = store

    async def export_thread(self, thread_id: str, context: RequestContext) -> Thread:
        metadata = await self._store.load_thread(thread_id, context)
        items = [item async for item in self._items(thread_id, context)]
        return Thread(**metadata.model_dump(), items=Page(data=items, has_more=False))

    async def export_all(self, context: RequestContext) -> AsyncIterator[Thread]:
        """Every thread outside the trash, oldest first (the order an import recreates)."""
        after: str | None = None
        while True:
            page = await self._store.load_threads(_PAGE, after, "asc", context)
            for metadata in page.data:
                try:
                    yield await self.export_thread(metadata.id, context)
                except NotFoundError:
                    continue  # deleted meanwhile
            if not page.has_more:
                return
            after = page.after

    async def _items(self, thread_id: str, context: RequestContext) -> AsyncIterator[ThreadItem]:
        # Every stored item, hidden ones included (`load_thread_items` returns them all; the
        # SDK filters hidden context only on its way out to the client).
        after: str | None = None
        while True:
            page = await self._store.load_thread_items(thread_id, after, _PAGE, "asc", context)
            for item in page.data:
                yield item
            if not page.has_more:
                return
            after = page.after

    async def import_threads(self, threads: list[Thread], context: RequestContext) -> ImportReport:
        report = ImportReport()
        async with self._store.transaction() as db:
            for thread in threads:
                created_us = to_us(thread.created_at)
                cur = await db.execute(
                    "INSERT INTO threads (id, user_id, created_us, data) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT (id) DO NOTHING",
                    (
                        thread.id,
                        context.user_id,
                        created_us,
                        thread.model_dump_json(exclude={"items"}),
                    ),
                )
                if cur.rowcount:
                    report.threads_added += 1
                    await index_title(db, thread.id, created_us, thread.title)
                else:
                    owner = await db.execute_fetchall(
                        "SELECT user_id FROM threads WHERE id = ?", (thread.id,)
                    )
                    if next(iter(owner))[0] != context.user_id:
                        raise ImportConflictError(
                            f"Thread {thread.id} already exists and belongs to another user."
                        )
                    report.threads_present += 1
                for item in thread.items.data:
                    await self._import_item(db, thread.id, item, context, report)
        return report

    async def _import_item(
        self,
        db: aiosqlite.Connection,
        thread_id: str,
        item: ThreadItem,
        context: RequestContext,
        report: ImportReport,
    ) -> None:
        created_us = to_us(item.created_at)
        data = item.model_dump_json()
        cur = await db.execute(
            "INSERT INTO items (id, thread_id, created_us, type, data) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (thread_id, id) DO NOTHING",
            (item.id, thread_id, created_us, item.type, data),
        )
        if not cur.rowcount:
            report.items_present += 1
            return
        report.items_added += 1
        await index_item(db, thread_id, item.id, created_us, data)
        if isinstance(item, UserMessageItem):
            for attachment in item.attachments:
                await db.execute(
                    "INSERT INTO attachments (id, user_id, thread_id, data) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT (id) DO NOTHING",
                    (attachment.id, context.user_id, thread_id, attachment.model_dump_json()),
                )
