"""Keeping the search index in step with the items, inside the caller's write transaction.

Each write of an item or a title updates its `search_docs` row in the same transaction, so the
index can never disagree with the data, whatever crashes when. Deletes need nothing here: the
rows go with their item or thread by `ON DELETE CASCADE` (migration m003), and the triggers on
`search_docs` carry every change into the FTS5 table.
"""

from __future__ import annotations

import json

import aiosqlite

from chatkit_desktop.store.search_text import clean, item_document

# A `search_docs` row: (thread_id, item_id or None for the title, kind, created_us, body).
SearchEntry = tuple[str, str | None, str, int, str]


def title_entry(thread_id: str, created_us: int, title: str | None) -> SearchEntry | None:
    body = clean(title or "")
    return (thread_id, None, "title", created_us, body) if body else None


def item_entry(thread_id: str, item_id: str, created_us: int, item_json: str) -> SearchEntry | None:
    document = item_document(json.loads(item_json))
    if document is None:
        return None
    return (thread_id, item_id, document[0], created_us, document[1])


async def insert_entries(db: aiosqlite.Connection, entries: list[SearchEntry]) -> None:
    """Add rows for titles and items that have none yet (new threads and items, as an import
    creates them), in one statement."""
    await db.executemany(
        "INSERT INTO search_docs (thread_id, item_id, kind, created_us, body) "
        "VALUES (?, ?, ?, ?, ?)",
        entries,
    )


async def index_title(
    db: aiosqlite.Connection, thread_id: str, created_us: int, title: str | None
) -> None:
    body = clean(title or "")
    if not body:
        await db.execute(
            "DELETE FROM search_docs WHERE thread_id = ? AND item_id IS NULL", (thread_id,)
        )
        return
    rows = await db.execute_fetchall(
        "SELECT rowid, body FROM search_docs WHERE thread_id = ? AND item_id IS NULL",
        (thread_id,),
    )
    existing = list(rows)
    if existing and existing[0][1] == body:
        return  # the SDK saves threads often; the FTS index only hears about real changes
    if existing:
        await db.execute(
            "UPDATE search_docs SET body = ?, created_us = ? WHERE rowid = ?",
            (body, created_us, existing[0][0]),
        )
    else:
        await db.execute(
            "INSERT INTO search_docs (thread_id, item_id, kind, created_us, body) "
            "VALUES (?, NULL, 'title', ?, ?)",
            (thread_id, created_us, body),
        )


async def index_item(
    db: aiosqlite.Connection, thread_id: str, item_id: str, created_us: int, item_json: str
) -> None:
    document = item_document(json.loads(item_json))
    if document is None:
        await db.execute(
            "DELETE FROM search_docs WHERE thread_id = ? AND item_id = ?", (thread_id, item_id)
        )
        return
    kind, body = document
    await db.execute(
        "INSERT INTO search_docs (thread_id, item_id, kind, created_us, body) "
        "VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT (thread_id, item_id) DO UPDATE SET kind = excluded.kind, "
        "created_us = excluded.created_us, body = excluded.body "
        "WHERE search_docs.body != excluded.body OR search_docs.kind != excluded.kind "
        "OR search_docs.created_us != excluded.created_us",
        (thread_id, item_id, kind, created_us, body),
    )
