"""Full-text search over the user's threads, and one-line previews for the thread list.

The FTS5 index (migration m003, kept in step by `search_index`) ranks with BM25; results carry
a snippet split into plain segments, so neither the page nor the terminal ever parses markup.
Threads in the trash are never searched.

Ranking is BM25 over the newest CANDIDATES matches, then any older matches, newest first.
Scoring every match of a common word costs FTS5 a lookup per matching message (about half a
second at 200,000 messages), while walking the matches newest first and scoring only a window
is bounded. For a query with fewer matches than the window (nearly every real one) the order is
exactly BM25's; for a very common word, the best of the recent matches come first and paging
goes on through the older ones, with a stable order from page to page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from chatkit_desktop.context import RequestContext
from chatkit_desktop.store.search_query import Segment, parse_query
from chatkit_desktop.store.search_snippets import highlight_for, snippet
from chatkit_desktop.store.timestamps import from_us

if TYPE_CHECKING:
    from chatkit_desktop.store.sqlite_store import SQLiteStore

MAX_LIMIT = 100
PREVIEW_CHARS = 160
CANDIDATES = 2000


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
        parsed = parse_query(text)
        if parsed is None:
            return SearchPage(text, [], False, None)
        ranked, floor = await self._ranked_window(parsed.expression, context)
        wanted = offset + limit + 1  # one more than the page: is there a next one?
        rowids = ranked[offset : offset + limit + 1]
        if floor is not None and len(ranked) < wanted:
            rowids += await self._older_matches(
                parsed.expression,
                context,
                below=floor,
                skip=max(0, offset - len(ranked)),
                count=wanted - max(offset, len(ranked)),
            )
        rows = await self._details(rowids)
        highlight = highlight_for(parsed.words, parsed.prefix)
        hits = [
            SearchHit(
                thread_id=row[0],
                item_id=row[1],
                kind=row[2],
                thread_title=row[5],
                created_at=from_us(row[3]),
                snippet=snippet(row[4], highlight),
            )
            for row in rows[:limit]
        ]
        has_more = len(rows) > limit
        return SearchPage(text, hits, has_more, offset + limit if has_more else None)

    async def _ranked_window(
        self, expression: str, context: RequestContext
    ) -> tuple[list[int], int | None]:
        """This user's live matches among the newest CANDIDATES, best first; and, when the
        window was full (so older matches may exist), the lowest rowid it reached."""
        # CROSS JOIN fixes the join order (SQLite's planner would otherwise walk every thread
        # of the user through the partial index, tens of milliseconds, before the few matches).
        window = await self._store.fetchall(
            "SELECT c.rowid, c.rank, d.created_us, t.user_id, t.deleted_us "
            "FROM (SELECT rowid, rank FROM search_fts WHERE search_fts MATCH ? "
            "ORDER BY rowid DESC LIMIT ?) AS c "
            "CROSS JOIN search_docs d ON d.rowid = c.rowid "
            "CROSS JOIN threads t ON t.id = d.thread_id",
            (expression, CANDIDATES),
        )
        live = [row for row in window if row[3] == context.user_id and row[4] is None]
        # Equal ranks fall back to newest first; the rowid completes the order, so offset
        # pages can never overlap or skip a hit.
        live.sort(key=lambda row: (row[1], -row[2], -row[0]))
        floor = min(row[0] for row in window) if len(window) == CANDIDATES else None
        return [row[0] for row in live], floor

    async def _older_matches(
        self, expression: str, context: RequestContext, *, below: int, skip: int, count: int
    ) -> list[int]:
        rows = await self._store.fetchall(
            "SELECT search_fts.rowid FROM search_fts "
            "CROSS JOIN search_docs d ON d.rowid = search_fts.rowid "
            "CROSS JOIN threads t ON t.id = d.thread_id "
            "WHERE search_fts MATCH ? AND search_fts.rowid < ? "
            "AND t.user_id = ? AND t.deleted_us IS NULL "
            "ORDER BY search_fts.rowid DESC LIMIT ? OFFSET ?",
            (expression, below, context.user_id, count, skip),
        )
        return [row[0] for row in rows]

    async def _details(self, rowids: list[int]) -> list[Any]:
        if not rowids:
            return []
        marks = ",".join("?" * len(rowids))
        rows = await self._store.fetchall(
            "SELECT d.thread_id, d.item_id, d.kind, d.created_us, d.body, "  # noqa: S608
            "json_extract(t.data, '$.title'), d.rowid FROM search_docs d "
            f"CROSS JOIN threads t ON t.id = d.thread_id WHERE d.rowid IN ({marks})",
            tuple(rowids),
        )
        order = {rowid: index for index, rowid in enumerate(rowids)}
        return sorted(rows, key=lambda row: order[row[6]])

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
