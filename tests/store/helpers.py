"""Builders for SDK objects and page walkers shared by the store tests."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from chatkit.types import (
    Annotation,
    AssistantMessageContent,
    AssistantMessageItem,
    ClientToolCallItem,
    CustomSummary,
    CustomTask,
    EndOfTurnItem,
    FileAttachment,
    ImageAttachment,
    InferenceOptions,
    LockedStatus,
    Page,
    SDKHiddenContextItem,
    TaskItem,
    ThreadItem,
    ThreadMetadata,
    URLSource,
    UserMessageItem,
    UserMessageTextContent,
    WidgetItem,
    Workflow,
    WorkflowItem,
)
from chatkit.widgets import Button, Card, ListView, ListViewItem, Markdown, Text, Title

from chatkit_desktop.context import RequestContext
from chatkit_desktop.store.sqlite_store import SQLiteStore

ALICE = RequestContext(user_id="alice")
BOB = RequestContext(user_id="bob")

# Naive local time, exactly what the SDK stamps items with (`datetime.now()`).
T0 = datetime(2025, 3, 14, 15, 9, 26, 535897)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def thread(thread_id: str, created_at: datetime = T0, title: str | None = None) -> ThreadMetadata:
    return ThreadMetadata(id=thread_id, created_at=created_at, title=title)


def user_message(
    thread_id: str, item_id: str, text: str, created_at: datetime = T0
) -> UserMessageItem:
    return UserMessageItem(
        id=item_id,
        thread_id=thread_id,
        created_at=created_at,
        content=[UserMessageTextContent(text=text)],
        inference_options=InferenceOptions(model="gpt-test"),
    )


def assistant_message(
    thread_id: str, item_id: str, text: str, created_at: datetime = T0
) -> AssistantMessageItem:
    return AssistantMessageItem(
        id=item_id,
        thread_id=thread_id,
        created_at=created_at,
        content=[AssistantMessageContent(text=text)],
    )


def every_item_kind(thread_id: str) -> list[ThreadItem]:
    """One item of each kind the SDK stores, in chronological order."""
    return [
        user_message(thread_id, "msg_user", "What is 6 x 7?", at(0)),
        WorkflowItem(
            id="wf_1",
            thread_id=thread_id,
            created_at=at(1),
            workflow=Workflow(
                type="custom",
                tasks=[CustomTask(title="Multiplying", content="6 x 7")],
                summary=CustomSummary(title="Thought for a moment"),
            ),
        ),
        TaskItem(id="tsk_1", thread_id=thread_id, created_at=at(2), task=CustomTask(title="Look")),
        ClientToolCallItem(
            id="tc_1",
            thread_id=thread_id,
            created_at=at(3),
            call_id="call_1",
            name="get_time",
            arguments={"tz": "UTC"},
            status="completed",
            output={"time": "12:00"},
        ),
        assistant_message(thread_id, "msg_answer", "42", at(4)),
        SDKHiddenContextItem(
            id="shcx_1", thread_id=thread_id, created_at=at(5), content="cancelled"
        ),
        EndOfTurnItem(id="eot_1", thread_id=thread_id, created_at=at(6)),
    ]


def locked_thread(thread_id: str) -> ThreadMetadata:
    return ThreadMetadata(
        id=thread_id,
        created_at=T0,
        title="Quarterly plan",
        status=LockedStatus(reason="archived"),
        allowed_image_domains=["example.org"],
        metadata={"model": "gpt-test", "pinned": True, "tags": ["a", "b"]},
    )


def file_attachment(
    attachment_id: str, thread_id: str | None = None, name: str = "notes.txt"
) -> FileAttachment:
    return FileAttachment(
        id=attachment_id,
        name=name,
        mime_type="text/plain",
        thread_id=thread_id,
        metadata={"sha256": "abc"},
    )


def image_attachment(attachment_id: str, thread_id: str | None = None) -> ImageAttachment:
    return ImageAttachment(
        id=attachment_id,
        name="cat.png",
        mime_type="image/png",
        thread_id=thread_id,
        preview_url="https://example.org/cat.png",  # type: ignore[arg-type]
    )


def text_of(item: ThreadItem) -> str:
    content: Any = getattr(item, "content", [])
    return "".join(part.text for part in content)


def check_page(page: Page[Any], limit: int) -> None:
    """The SDK's page contract: `after` is the last id exactly when there is more to fetch."""
    assert len(page.data) <= limit
    if page.has_more:
        assert len(page.data) == limit
        assert page.after == page.data[-1].id
    else:
        assert page.after is None


async def all_thread_ids(
    store: SQLiteStore, context: RequestContext, *, limit: int, order: str
) -> list[str]:
    ids: list[str] = []
    after: str | None = None
    for _ in range(10_000):
        page = await store.load_threads(limit, after, order, context)
        check_page(page, limit)
        ids.extend(t.id for t in page.data)
        if not page.has_more:
            return ids
        after = page.after
    raise AssertionError("load_threads never stopped paging")


async def all_item_ids(
    store: SQLiteStore, thread_id: str, context: RequestContext, *, limit: int, order: str
) -> list[str]:
    ids: list[str] = []
    after: str | None = None
    for _ in range(10_000):
        page = await store.load_thread_items(thread_id, after, limit, order, context)
        check_page(page, limit)
        ids.extend(i.id for i in page.data)
        if not page.has_more:
            return ids
        after = page.after
    raise AssertionError("load_thread_items never stopped paging")


@contextmanager
def raw(path: Path) -> Iterator[sqlite3.Connection]:
    """A plain sqlite3 connection, as a user inspecting the file by hand would open it."""
    db = sqlite3.connect(path)
    try:
        yield db
    finally:
        db.close()


def count(path: Path, sql: str, *params: object) -> int:
    with raw(path) as db:
        return int(db.execute(sql, params).fetchone()[0])


# Builders for the history features (search, trash, export) ------------------------------------


def widget_card(
    thread_id: str,
    item_id: str,
    *,
    title: str,
    body: str,
    rows: tuple[str, ...] = (),
    button: str = "Open",
    created_at: datetime = T0,
) -> WidgetItem:
    """A Card holding a Title, a Text, a Markdown list of `rows` and a Button with an action."""
    children: list[Any] = [Title(value=title), Text(value=body)]
    if rows:
        children.append(Markdown(value="\n".join(f"- {row}" for row in rows)))
    children.append(Button(label=button, onClickAction={"type": "open", "payload": {"id": 7}}))
    return WidgetItem(
        id=item_id,
        thread_id=thread_id,
        created_at=created_at,
        widget=Card(children=children),
        copy_text=None,
    )


def widget_list(
    thread_id: str, item_id: str, rows: list[str], created_at: datetime = T0
) -> WidgetItem:
    """A ListView root whose items each hold one Text."""
    return WidgetItem(
        id=item_id,
        thread_id=thread_id,
        created_at=created_at,
        widget=ListView(children=[ListViewItem(children=[Text(value=row)]) for row in rows]),
    )


def rich_user_message(
    thread_id: str,
    item_id: str,
    text: str,
    *,
    quoted_text: str | None = None,
    attachments: list[FileAttachment | ImageAttachment] | None = None,
    created_at: datetime = T0,
) -> UserMessageItem:
    return UserMessageItem(
        id=item_id,
        thread_id=thread_id,
        created_at=created_at,
        content=[UserMessageTextContent(text=text)],
        attachments=list(attachments or []),
        quoted_text=quoted_text,
        inference_options=InferenceOptions(model="gpt-test"),
    )


def cited_answer(
    thread_id: str,
    item_id: str,
    text: str,
    sources: list[tuple[str, str]],
    created_at: datetime = T0,
) -> AssistantMessageItem:
    """An assistant message citing `sources`, given as (title, url) pairs."""
    return AssistantMessageItem(
        id=item_id,
        thread_id=thread_id,
        created_at=created_at,
        content=[
            AssistantMessageContent(
                text=text,
                annotations=[
                    Annotation(source=URLSource(title=title, url=url), index=len(text))
                    for title, url in sources
                ],
            )
        ],
    )


def hidden_context(
    thread_id: str, item_id: str, content: str, created_at: datetime = T0
) -> SDKHiddenContextItem:
    return SDKHiddenContextItem(
        id=item_id, thread_id=thread_id, created_at=created_at, content=content
    )


def table_snapshot(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (FTS shadow tables included), for "nothing changed" checks."""
    with raw(path) as db:
        names = [
            row[0]
            for row in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            )
        ]
        return {
            name: sorted(db.execute(f'SELECT * FROM "{name}"').fetchall(), key=repr)  # noqa: S608
            for name in names
        }


def fts_mismatches(path: Path) -> list[str]:
    """How the FTS5 index of `search_docs` differs from what its rows say, [] when it agrees.

    FTS5's own 'integrity-check' (also run here) only checks the index against itself on this
    SQLite (3.40); it does not re-read an external content table. So the index is compared
    term by term (term, row, position) with a fresh index of the same rows, built with the same
    tokenizer in a temporary table.
    """
    with raw(path) as db:
        db.execute("INSERT INTO search_fts (search_fts) VALUES ('integrity-check')")
        sql = db.execute("SELECT sql FROM sqlite_master WHERE name = 'search_fts'").fetchone()[0]
        tokenize = re.search(r"tokenize\s*=\s*('[^']*')", sql)
        assert tokenize is not None, sql
        db.execute(f"CREATE VIRTUAL TABLE temp.expected USING fts5(body, tokenize={tokenize[1]})")
        db.execute("INSERT INTO temp.expected (rowid, body) SELECT rowid, body FROM search_docs")
        db.execute("CREATE VIRTUAL TABLE temp.want USING fts5vocab(temp, 'expected', 'instance')")
        db.execute("CREATE VIRTUAL TABLE temp.have USING fts5vocab(main, 'search_fts', 'instance')")
        query = "SELECT term, doc, offset FROM temp.{}"
        want = set(db.execute(query.format("want")).fetchall())
        have = set(db.execute(query.format("have")).fetchall())
    missing = [f"missing from the index: {entry}" for entry in sorted(want - have)]
    extra = [f"indexed but not in search_docs: {entry}" for entry in sorted(have - want)]
    return missing + extra
