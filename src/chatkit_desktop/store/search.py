"""Full-text search over the user's threads, and one-line previews for the thread list.

The FTS5 index (migration m003, kept in step by `search_index`) ranks with BM25; results carry
a snippet split into plain segments, so neither the page nor the terminal ever parses markup.
Threads in the trash are never searched.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from chatkit_desktop.context import RequestContext
from chatkit_desktop.store.search_query import Segment, match_expression, segments
from chatkit_desktop.store.search_text import MATCH_END, MATCH_START
from chatkit_desktop.store.timestamps import from_us

if TYPE_CHECKING:
    from chatkit_desktop.store.sqlite_store import SQLiteStore

MAX_LIMIT = 100
PREVIEW_CHARS = 160
_SNIPPET_TOKENS = 16


@dataclass(frozen=True, slots=True)
class SearchHit:
    thread_id: str
    item_id: str | None  # None: the thread's title matched
    kind: str
    thread_title: str | None
    created_at: datetime
    snippet: list[Segment]


@dataclass(frozen=True, slots=True)
class SearchPage:
    query: str
    hits: list[SearchHit]
    has_more: bool
    next_offset: int | None


class Search:
    def __init__(self, store: SQLiteStore) -> None:
        self._store = store

    async def query(
        self, text: str, context: RequestContext, *, limit: int = 20, offset: int = 0
    ) -> SearchPage:
        """The best matches for what the user typed, best first; never a syntax error."""
        if not 1 <= limit <= MAX_LIMIT:
            raise ValueError(f"limit must be between 1 and {MAX_LIMIT}")
        if offset < 0:
            raise ValueError("offset must not be negative")
        expression = match_expression(text)
        if expression is None:
            return SearchPage(text, [], False, None)
        rows = await self._store.fetchall(
            "SELECT d.thread_id, d.item_id, d.kind, d.created_us, "
            "snippet(search_fts, 0, ?, ?, '…', ?), json_extract(t.data, '$.title') "
            "FROM search_fts "
            "JOIN search_docs d ON d.rowid = search_fts.rowid "
            "JOIN threads t ON t.id = d.thread_id "
            "WHERE search_fts MATCH ? AND t.user_id = ? AND t.deleted_us IS NULL "
            # The rowid completes the order, so equal ranks and times cannot make offset pages
            # overlap or skip a hit.
            "ORDER BY search_fts.rank, d.created_us DESC, d.rowid DESC LIMIT ? OFFSET ?",
            (
                MATCH_START,
                MATCH_END,
                _SNIPPET_TOKENS,
                expression,
                context.user_id,
                limit + 1,
                offset,
            ),
        )
        hits = [
            SearchHit(
                thread_id=row[0],
                item_id=row[1],
                kind=row[2],
                thread_title=row[5],
                created_at=from_us(row[3]),
                snippet=segments(row[4]),
            )
            for row in rows[:limit]
        ]
        has_more = len(rows) > limit
        return SearchPage(text, hits, has_more, offset + limit if has_more else None)

    async def previews(self, thread_ids: list[str], context: RequestContext) -> dict[str, str]:
        """The start of each thread's latest message, on one line; threads without text (or
        not this user's) are left out."""
        if not thread_ids:
            return {}
        marks = ",".join("?" * len(thread_ids))
        rows = await self._store.fetchall(
            "SELECT t.id, (SELECT d.body FROM search_docs d WHERE d.thread_id = t.id "  # noqa: S608
            "AND d.kind IN ('user', 'assistant') ORDER BY d.created_us DESC, d.rowid DESC "
            f"LIMIT 1) FROM threads t WHERE t.id IN ({marks}) AND t.user_id = ?",
            (*thread_ids, context.user_id),
        )
        return {row[0]: one_line(row[1]) for row in rows if row[1]}


def one_line(text: str, limit: int = PREVIEW_CHARS) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"
