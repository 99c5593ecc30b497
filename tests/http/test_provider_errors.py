"""When the model provider fails, the client gets a ChatKit `error` event in words, in a 200
stream, after its message was saved; and the thread keeps working."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from chatkit_desktop.testing.openai_server import Reply
from tests.support.assertions import error_events, items_of, new_thread, text_of
from tests.support.chatkit_client import assistant_text, stream, thread_id_of, user_input


def _one_error(events: list[dict[str, Any]]) -> dict[str, Any]:
    errors = error_events(events)
    assert len(errors) == 1, events
    error = errors[0]
    assert error["code"] == "custom", "a bare stream.error tells the user nothing"
    assert error.get("message"), error
    assert "Traceback" not in error["message"]
    assert error["allow_retry"] is True
    return error


async def _fail_first_message(client, text: str = "Hello?") -> tuple[str, dict[str, Any]]:
    """Start a thread whose answer fails; return the thread id and the error event."""
    events = await stream(client, "threads.create", {"input": user_input(text)})
    thread_id = thread_id_of(events)
    error = _one_error(events)
    # The user's message was saved (and announced) before the error.
    kinds = [e["type"] for e in events]
    user_done = next(
        i
        for i, e in enumerate(events)
        if e["type"] == "thread.item.done" and e["item"]["type"] == "user_message"
    )
    assert user_done < kinds.index("error")
    items = await items_of(client, thread_id)
    assert [(i["type"], text_of(i)) for i in items if i["type"] == "user_message"] == [
        ("user_message", text)
    ]
    return thread_id, error


@pytest.mark.parametrize(
    ("status", "words"),
    [
        (401, ["API key", "401", "OPENAI_API_KEY"]),
        (403, ["403", "gpt-4.1-mini"]),
        (429, ["rate limit", "429"]),
        (404, ["gpt-4.1-mini", "not found", "404"]),
        (500, ["internal error", "500"]),
        (400, ["400", "Scripted failure"]),
    ],
)
async def test_provider_http_errors_arrive_as_an_error_event_in_words(
    client, openai_server, status, words
):
    scripted, base_url = openai_server
    scripted.queue(Reply(status=status))
    thread_id, error = await _fail_first_message(client)
    for word in words:
        assert word.lower() in error["message"].lower(), (word, error["message"])
    assert base_url in error["message"]
    assert not [i for i in await items_of(client, thread_id) if i["type"] == "assistant_message"]

    # The next message in the same thread is answered normally.
    events = await stream(
        client, "threads.add_user_message", {"thread_id": thread_id, "input": user_input("again")}
    )
    assert assistant_text(events) == "You said: again"
    assert not error_events(events)


async def test_unknown_chosen_model_names_that_model(client, openai_server):
    scripted, _ = openai_server
    scripted.queue(Reply(status=404, error_message="The model `gpt-nope` does not exist"))
    events = await stream(client, "threads.create", {"input": user_input("hi", model="gpt-nope")})
    error = _one_error(events)
    assert "gpt-nope" in error["message"]
    assert "not found" in error["message"].lower()
    assert scripted.requests[-1].body["model"] == "gpt-nope"


async def test_timeout_arrives_as_an_error_event(make_client, openai_server):
    scripted, _ = openai_server
    client = await make_client(providers={"timeout_s": 0.5})
    scripted.queue(Reply(hang=True))
    thread_id, error = await _fail_first_message(client)
    assert "timed out" in error["message"].lower()
    events = await stream(
        client, "threads.add_user_message", {"thread_id": thread_id, "input": user_input("again")}
    )
    assert assistant_text(events) == "You said: again"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_connection_refused_arrives_as_an_error_event(make_client):
    url = f"http://127.0.0.1:{_closed_port()}/v1"
    client = await make_client(providers={"base_url": url})
    _, error = await _fail_first_message(client)
    assert "could not connect" in error["message"].lower()
    assert url in error["message"]


async def test_error_mid_stream_arrives_as_an_error_event(client, openai_server):
    scripted, _ = openai_server
    scripted.queue(Reply(text="one two three four five", fail_after=2, error_message="Overloaded"))
    thread_id, error = await _fail_first_message(client)
    assert "Overloaded" in error["message"]
    # What was already said is kept, in the stream and after a reload.
    items = await items_of(client, thread_id)
    assert [(i["type"], text_of(i)) for i in items] == [
        ("user_message", "Hello?"),
        ("assistant_message", "one two"),
    ]
    events = await stream(
        client, "threads.add_user_message", {"thread_id": thread_id, "input": user_input("again")}
    )
    assert assistant_text(events) == "You said: again"
    # The model is told the earlier answer was cut off.
    history = scripted.requests[-1].body["input"]
    assert any("cut off by an error" in str(part) for part in history)


async def test_missing_api_key_arrives_as_an_error_event(make_client, openai_server):
    scripted, _ = openai_server
    client = await make_client(providers={"env": {}})
    _, error = await _fail_first_message(client)
    assert "OPENAI_API_KEY" in error["message"]
    assert "no openai api key" in error["message"].lower()
    assert scripted.requests == [], "nothing was sent without a key"


async def test_only_the_model_server_is_contacted_and_tracing_is_off(
    client, openai_server, monkeypatch
):
    from agents.tracing import get_trace_provider
    from agents.tracing.traces import NoOpTrace

    provider = get_trace_provider()
    created: list[Any] = []
    original = provider.create_trace

    def recording_create_trace(*args: Any, **kwargs: Any) -> Any:
        trace = original(*args, **kwargs)
        created.append(trace)
        return trace

    monkeypatch.setattr(provider, "create_trace", recording_create_trace)

    scripted, _ = openai_server
    thread_id, _ = await new_thread(client, "one")
    await stream(
        client, "threads.add_user_message", {"thread_id": thread_id, "input": user_input("two")}
    )
    assert [r.path for r in scripted.requests] == ["/v1/responses", "/v1/responses"]
    assert created, "the run should have asked for a trace"
    assert all(isinstance(t, NoOpTrace) for t in created), created
