"""Seeding the history browser's tests: plain threads with user and assistant messages, written
through the real store into the same database the `client` fixture's server reads.

The server is asked something first, so its own store has opened (and migrated) the database
before a second connection writes to it; SQLite's WAL mode lets both run side by side.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient
from chatkit.types import (
    AssistantMessageContent,
    AssistantMessageItem,
    InferenceOptions,
    ThreadMetadata,
    UserMessageItem,
    UserMessageTextContent,
)

from chatkit_desktop.context import RequestContext
from chatkit_desktop.settings.paths import DataPaths
from chatkit_desktop.store.sqlite_store import SQLiteStore
from tests.support.chatkit_client import AUTH, call

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@dataclass
class SeededThread:
    id: str
    title: str
    item_ids: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)


def message_text(index: int) -> str:
    """The text of the `index`th message (0-based) of a thread made by `seed_long_thread`."""
    who = "Question" if index % 2 == 0 else "Answer"
    return f"{who} number {index + 1}"


async def seed(
    client: TestClient,
    data_dir: Path,
    threads: Sequence[tuple[str, Sequence[str]]],
    *,
    start: datetime = START,
) -> list[SeededThread]:
    """Writes `threads` (title, message texts alternating user/assistant), each an hour newer
    than the one before it; returns them in the order given (oldest first)."""
    await call(client, "threads.list", {"limit": 1})  # the server's store is open and migrated
    store = await SQLiteStore.open(DataPaths(data_dir).database)
    context = RequestContext()
    seeded: list[SeededThread] = []
    try:
        for n, (title, texts) in enumerate(threads):
            created = start + timedelta(hours=n)
            metadata = ThreadMetadata(
                id=store.generate_thread_id(context), title=title, created_at=created
            )
            await store.save_thread(metadata, context)
            thread = SeededThread(id=metadata.id, title=title)
            for i, text in enumerate(texts):
                item_id = store.generate_item_id("message", metadata, context)
                moment = created + timedelta(seconds=i + 1)
                item: UserMessageItem | AssistantMessageItem
                if i % 2 == 0:
                    item = UserMessageItem(
                        id=item_id,
                        thread_id=metadata.id,
                        created_at=moment,
                        content=[UserMessageTextContent(text=text)],
                        inference_options=InferenceOptions(),
                    )
                else:
                    item = AssistantMessageItem(
                        id=item_id,
                        thread_id=metadata.id,
                        created_at=moment,
                        content=[AssistantMessageContent(text=text)],
                    )
                await store.add_thread_item(metadata.id, item, context)
                thread.item_ids.append(item_id)
                thread.texts.append(text)
            seeded.append(thread)
    finally:
        await store.close()
    return seeded


async def seed_many(client: TestClient, data_dir: Path, count: int) -> list[SeededThread]:
    """`count` threads "Thread 1" (oldest) … "Thread N" (newest), two messages each."""
    return await seed(
        client,
        data_dir,
        [
            (f"Thread {n}", [f"First question of thread {n}", f"Last answer of thread {n}"])
            for n in range(1, count + 1)
        ],
    )


async def seed_long_thread(
    client: TestClient, data_dir: Path, messages: int, title: str = "A long conversation"
) -> SeededThread:
    """One thread of `messages` messages, "Question number 1", "Answer number 2", …"""
    [thread] = await seed(client, data_dir, [(title, [message_text(i) for i in range(messages)])])
    return thread


async def get_json(client: TestClient, path: str) -> Any:
    resp = await client.get(path, headers=AUTH)
    assert resp.status == 200, await resp.text()
    return await resp.json()


async def thread_title(client: TestClient, thread_id: str) -> str | None:
    """The thread's title as the server has it now (ChatKit protocol `threads.get_by_id`)."""
    thread = await call(client, "threads.get_by_id", {"thread_id": thread_id})
    title = thread.get("title")
    return None if title is None else str(title)


async def thread_exists(client: TestClient, thread_id: str) -> bool:
    from tests.support.chatkit_client import post

    resp = await post(client, "threads.get_by_id", {"thread_id": thread_id})
    if resp.status == 404:
        return False
    assert resp.status == 200, await resp.text()
    return True


async def trash_ids(client: TestClient) -> list[str]:
    page = await get_json(client, "/api/trash?limit=100")
    return [entry["id"] for entry in page["data"]]


def parse_jsonl(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]
