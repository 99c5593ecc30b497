"""Killing the real server mid-answer (SIGKILL: no clean shutdown) never costs a committed
message or damages the database, and the server starts normally on the file afterwards."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from chatkit_desktop.context import RequestContext
from chatkit_desktop.settings.paths import DataPaths
from chatkit_desktop.store.sqlite_store import SQLiteStore
from chatkit_desktop.testing.openai_server import Reply, ScriptedOpenAIServer
from tests.store.helpers import text_of
from tests.support.chatkit_client import user_input
from tests.support.processes import serve_env, start_serve

pytestmark = pytest.mark.slow

TOKEN = "crash-test-token-0123456789abcdef"


@asynccontextmanager
async def running_server(
    data_dir: Path, base_url: str, log: Path
) -> AsyncIterator[tuple[Any, int]]:
    env = serve_env(base_url, {"CHATKIT_DESKTOP_TOKEN": TOKEN})
    with log.open("ab") as stderr:
        served = await start_serve(data_dir, env, stderr=stderr)
    try:
        assert served.token == TOKEN
        yield served.proc, served.port
    finally:
        if served.proc.returncode is None:
            served.proc.kill()
            await served.proc.wait()


async def send_and_kill(proc: Any, port: int, text: str, deltas_before_kill: int) -> None:
    """Start a new thread over real HTTP, read the streamed answer, SIGKILL mid-stream."""
    body = {"type": "threads.create", "params": {"input": user_input(text)}}
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    deltas = 0
    async with (
        aiohttp.ClientSession() as session,
        asyncio.timeout(30),
        session.post(
            f"http://127.0.0.1:{port}/chatkit/api", data=json.dumps(body), headers=headers
        ) as resp,
    ):
        assert resp.status == 200, await resp.text()
        while deltas < deltas_before_kill:
            line = await resp.content.readline()
            assert line, "the stream ended before the answer was under way"
            if not line.startswith(b"data: "):
                continue
            event = json.loads(line[len(b"data: ") :])
            update = event.get("update") or {}
            if update.get("type") == "assistant_message.content_part.text_delta":
                deltas += 1
        proc.kill()
        assert await proc.wait() == -9


def raw_check(db_path: Path) -> list[str]:
    """What a user inspecting the file by hand sees: integrity and the user messages."""
    db = sqlite3.connect(db_path)
    try:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        rows = db.execute(
            "SELECT data FROM items WHERE type = 'user_message' ORDER BY seq"
        ).fetchall()
    finally:
        db.close()
    return [json.loads(data)["content"][0]["text"] for (data,) in rows]


async def test_sigkill_mid_answer_keeps_the_database_sound(
    tmp_path: Path, openai_server: tuple[ScriptedOpenAIServer, str]
) -> None:
    scripted, base_url = openai_server
    data_dir = tmp_path / "data"
    db_path = DataPaths(data_dir).database
    log = tmp_path / "server-stderr.log"
    messages = ["Tell me a long story", "And another one, please"]

    # First kill early in the answer, then restart on the crashed file and kill later on.
    for text, deltas in zip(messages, (2, 25), strict=True):
        scripted.queue(Reply(text="word " * 200, delay_s=0.02))
        async with running_server(data_dir, base_url, log) as (proc, port):
            await send_and_kill(proc, port, text, deltas)
        assert raw_check(db_path)[-1] == text

    assert raw_check(db_path) == messages
    store = await SQLiteStore.open(db_path)
    try:
        assert await store.integrity_check() == "ok"
        local = RequestContext()
        threads = (await store.load_threads(10, None, "asc", local)).data
        assert len(threads) == 2
        for chat, text in zip(threads, messages, strict=True):
            items = (await store.load_thread_items(chat.id, None, 50, "asc", local)).data
            assert items[0].type == "user_message"
            assert text_of(items[0]) == text
            # Whatever else was written is whole: every row parses as an SDK item.
            assert all(item.thread_id == chat.id for item in items)
    finally:
        await store.close()
