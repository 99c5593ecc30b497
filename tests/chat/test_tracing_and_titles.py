"""Tracing stays local unless the user opts in; threads get a readable title at once."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from agents.tracing import TracingProcessor, set_trace_processors
from agents.tracing.processors import default_processor
from chatkit.types import InferenceOptions, UserMessageItem, UserMessageTextContent

from chatkit_desktop.chat.titles import MAX_TITLE, title_from_message
from chatkit_desktop.http.app import create_app
from chatkit_desktop.settings.paths import DataPaths
from chatkit_desktop.testing.openai_server import Reply
from tests.support.chatkit_client import call, post, stream, thread_id_of, user_input


class RecordingProcessor(TracingProcessor):
    """Receives every trace the Agents SDK would export to OpenAI."""

    def __init__(self) -> None:
        self.traces: list[Any] = []

    def on_trace_start(self, trace: Any) -> None:
        self.traces.append(trace)

    def on_trace_end(self, trace: Any) -> None: ...
    def on_span_start(self, span: Any) -> None: ...
    def on_span_end(self, span: Any) -> None: ...
    def shutdown(self) -> None: ...
    def force_flush(self) -> None: ...


@pytest.fixture
def trace_recorder():
    recorder = RecordingProcessor()
    set_trace_processors([recorder])
    yield recorder
    set_trace_processors([default_processor()])


async def test_no_trace_is_produced_unless_the_user_opts_in(
    aiohttp_client, make_config, tmp_path, trace_recorder
):
    default_app = await aiohttp_client(create_app(make_config()))
    await stream(default_app, "threads.create", {"input": user_input("private words")})
    assert trace_recorder.traces == []

    opted_in = await aiohttp_client(
        create_app(make_config(tracing=True, paths=DataPaths(tmp_path / "other")))
    )
    await stream(opted_in, "threads.create", {"input": user_input("trace me")})
    assert len(trace_recorder.traces) == 1


async def test_first_message_names_the_thread(client):
    events = await stream(
        client, "threads.create", {"input": user_input("  Plan a   trip to Lisbon in May  ")}
    )
    updated = [e for e in events if e["type"] == "thread.updated"]
    assert updated and updated[-1]["thread"]["title"] == "Plan a trip to Lisbon in May"
    thread = await call(client, "threads.get_by_id", {"thread_id": thread_id_of(events)})
    assert thread["title"] == "Plan a trip to Lisbon in May"
    # A user's own title is kept on later turns.
    await call(client, "threads.update", {"thread_id": thread["id"], "title": "Lisbon"})
    await stream(
        client,
        "threads.add_user_message",
        {"thread_id": thread["id"], "input": user_input("and June?")},
    )
    assert (await call(client, "threads.get_by_id", {"thread_id": thread["id"]}))[
        "title"
    ] == "Lisbon"


def _message(text: str) -> UserMessageItem:
    from datetime import datetime

    return UserMessageItem(
        id="msg_1",
        thread_id="thr_1",
        created_at=datetime.now(),
        content=[UserMessageTextContent(text=text)],
        inference_options=InferenceOptions(),
    )


def test_long_first_message_is_cut_at_a_word_with_an_ellipsis():
    title = title_from_message(_message("word " * 40))
    assert title is not None
    assert len(title) <= MAX_TITLE
    assert title.endswith("word…")


def test_blank_message_gives_no_title():
    assert title_from_message(_message("   \n ")) is None


async def test_the_title_is_stored_and_announced_before_the_model_answers(client, openai_server):
    scripted, _ = openai_server
    scripted.queue(Reply(hang=True))  # the model never answers
    resp = await post(client, "threads.create", {"input": user_input("Plan a trip to Lisbon")})
    assert resp.status == 200
    async with asyncio.timeout(10):
        while True:
            line = await resp.content.readline()
            assert line, "the stream ended without a thread.updated event"
            if line.startswith(b"data: "):
                event = json.loads(line[len(b"data: ") :])
                if event["type"] == "thread.created":
                    thread_id = event["thread"]["id"]
                if event["type"] == "thread.updated":
                    break
    assert event["thread"]["title"] == "Plan a trip to Lisbon"
    thread = await call(client, "threads.get_by_id", {"thread_id": thread_id})
    assert thread["title"] == "Plan a trip to Lisbon"
    resp.close()


async def test_the_first_title_is_announced_once_before_the_answer(client):
    events = await stream(client, "threads.create", {"input": user_input("Plan a trip")})
    kinds = [e["type"] for e in events]
    assert kinds.count("thread.updated") == 1
    first_answer_event = next(
        i
        for i, e in enumerate(events)
        if e["type"] == "thread.item.added" and e["item"]["type"] == "assistant_message"
    )
    assert kinds.index("thread.updated") < first_answer_event
