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
from chatkit_desktop.store.search_index import (
    SearchEntry,
    insert_entries,
    item_entry,
    title_entry,
)
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
    # A byte-order mark (Windows editors add one when saving UTF-8) is not part of the JSON.
    text = text.removeprefix("\ufeff")
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
    except json.JSONDecodeError as exc:
        if not _has_jsonl_line(text):
            # One document over many lines (the JSON export is indented): the error's own line,
            # not line 1, which reading it as JSONL would blame.
            raise ImportFormatError(exc.lineno, f"not valid JSON ({exc.msg})") from None
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


def _has_jsonl_line(text: str) -> bool:
    """Whether some line of `text` is a whole JSON object by itself, as JSONL lines are (no line
    of an indented document is)."""
    for line in text.splitlines():
        if line.strip():
            try:
                if isinstance(json.loads(line), dict):
                    return True
            except json.JSONDecodeError:
                continue
    return False


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
        """Add the threads and items that are not there yet, in one transaction.

        Set-based: what exists is read first, then every new row goes in with one statement
        per table. Row by row, the round trips to the database thread (about eight per thread)
        cost ten times the SQL itself: 10,000 threads took 17 s instead of 2. And nothing is
        written when everything is already there, not even an AUTOINCREMENT number, which
        `INSERT … ON CONFLICT DO NOTHING` spends on every row it skips.
        """
        report = ImportReport()
        async with self._store.transaction() as db:
            owners = await _owners(db, list(dict.fromkeys(thread.id for thread in threads)))
            for thread_id, user_id in owners.items():
                if user_id != context.user_id:
                    raise ImportConflictError(
                        f"Thread {thread_id} already exists and belongs to another user."
                    )
            present = await _item_keys(db, list(owners))
            known_threads = set(owners)
            new_threads: list[tuple[str, str, int, str]] = []
            new_items: list[tuple[str, str, int, str, str]] = []
            entries: list[SearchEntry] = []
            attachments: list[tuple[str, str, str, str]] = []
            for thread in threads:
                if thread.id in known_threads:
                    report.threads_present += 1
                else:
                    known_threads.add(thread.id)
                    report.threads_added += 1
                    created_us = to_us(thread.created_at)
                    data = thread.model_dump_json(exclude={"items"})
                    new_threads.append((thread.id, context.user_id, created_us, data))
                    if entry := title_entry(thread.id, created_us, thread.title):
                        entries.append(entry)
                for item in thread.items.data:
                    if (thread.id, item.id) in present:
                        report.items_present += 1
                        continue
                    present.add((thread.id, item.id))
                    report.items_added += 1
                    created_us = to_us(item.created_at)
                    data = item.model_dump_json()
                    new_items.append((item.id, thread.id, created_us, item.type, data))
                    if entry := item_entry(thread.id, item.id, created_us, data):
                        entries.append(entry)
                    if isinstance(item, UserMessageItem):
                        attachments.extend(
                            (a.id, context.user_id, thread.id, a.model_dump_json())
                            for a in item.attachments
                        )
            # Rows go in the file's order, so equal timestamps keep it (seq breaks the tie).
            await db.executemany(
                "INSERT INTO threads (id, user_id, created_us, data) VALUES (?, ?, ?, ?)",
                new_threads,
            )
            await db.executemany(
                "INSERT INTO items (id, thread_id, created_us, type, data) VALUES (?, ?, ?, ?, ?)",
                new_items,
            )
            await insert_entries(db, entries)
            await db.executemany(
                "INSERT INTO attachments (id, user_id, thread_id, data) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (id) DO NOTHING",
                attachments,
            )
        return report


_CHUNK = 500  # ids per `IN (…)`, well under SQLite's limit on parameters


async def _owners(db: aiosqlite.Connection, thread_ids: list[str]) -> dict[str, str]:
    """The user of each of these threads that exists (in the trash or not)."""
    owners: dict[str, str] = {}
    for start in range(0, len(thread_ids), _CHUNK):
        chunk = thread_ids[start : start + _CHUNK]
        rows = await db.execute_fetchall(
            f"SELECT id, user_id FROM threads WHERE id IN ({','.join('?' * len(chunk))})",  # noqa: S608
            chunk,
        )
        owners.update((row[0], row[1]) for row in rows)
    return owners


async def _item_keys(db: aiosqlite.Connection, thread_ids: list[str]) -> set[tuple[str, str]]:
    """(thread_id, item_id) of every item stored in these threads."""
    keys: set[tuple[str, str]] = set()
    for start in range(0, len(thread_ids), _CHUNK):
        chunk = thread_ids[start : start + _CHUNK]
        rows = await db.execute_fetchall(
            "SELECT thread_id, id FROM items "  # noqa: S608 - placeholders only
            f"WHERE thread_id IN ({','.join('?' * len(chunk))})",
            chunk,
        )
        keys.update((row[0], row[1]) for row in rows)
    return keys
