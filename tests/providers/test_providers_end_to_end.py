"""Every provider through the real app and a real local server speaking its protocol.

The scripted server stands in for OpenAI (Responses API), Gemini's OpenAI-compatible endpoint and
local servers (Chat Completions): same wire format, on 127.0.0.1.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from chatkit_desktop.testing.openai_server import Reply, ToolCall
from tests.support.assertions import error_events, items_of, text_of
from tests.support.chatkit_client import assistant_text, stream, thread_id_of, user_input

KEYS = {
    "OPENAI_API_KEY": "sk-openai-ROUTE-1111111111",
    "GEMINI_API_KEY": "gm-gemini-ROUTE-2222222222",
    "CHATKIT_DESKTOP_API_KEY": "loc-local-ROUTE-3333333333",
}
KEY_OF = {
    "openai": KEYS["OPENAI_API_KEY"],
    "gemini": KEYS["GEMINI_API_KEY"],
    "openai-compatible": KEYS["CHATKIT_DESKTOP_API_KEY"],
}
PATH_OF = {
    "openai": "/v1/responses",
    "gemini": "/v1/chat/completions",
    "openai-compatible": "/v1/chat/completions",
}
PROVIDERS = list(KEY_OF)


async def _client(make_client, provider: str, **extra: Any):
    providers = {"provider": provider, "env": dict(KEYS), **extra.pop("providers", {})}
    return await make_client(providers=providers, **extra)


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_each_provider_gets_its_own_key_its_protocol_and_the_chosen_model(
    make_client, openai_server, provider
):
    scripted, _ = openai_server
    client = await _client(make_client, provider)
    events = await stream(
        client, "threads.create", {"input": user_input("ping", model="my-chosen-model")}
    )
    assert assistant_text(events) == "You said: ping"
    request = scripted.requests[-1]
    assert request.path == PATH_OF[provider]
    assert request.authorization == f"Bearer {KEY_OF[provider]}"
    assert request.body["model"] == "my-chosen-model"
    raw = json.dumps(request.headers) + json.dumps(request.body)
    for other, key in KEY_OF.items():
        if other != provider:
            assert key not in raw, f"{other}'s key was sent to {provider}"


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_default_model_is_the_providers_own(make_client, openai_server, provider):
    from chatkit_desktop.providers.catalog import PROVIDERS as CATALOG

    scripted, _ = openai_server
    client = await _client(make_client, provider)
    await stream(client, "threads.create", {"input": user_input("hi")})
    assert scripted.requests[-1].body["model"] == CATALOG[provider].default_model


async def test_local_server_without_a_key_still_answers(make_client, openai_server):
    scripted, _ = openai_server
    client = await make_client(providers={"provider": "openai-compatible", "env": {}})
    events = await stream(client, "threads.create", {"input": user_input("offline?")})
    assert assistant_text(events) == "You said: offline?"
    assert scripted.requests[-1].authorization == "Bearer no-key-needed"


@pytest.mark.parametrize("provider", ["gemini", "openai"])
async def test_missing_key_is_explained_with_the_providers_variable(
    make_client, openai_server, provider
):
    scripted, _ = openai_server
    client = await make_client(providers={"provider": provider, "env": {}})
    events = await stream(client, "threads.create", {"input": user_input("hello")})
    (error,) = error_events(events)
    from chatkit_desktop.providers.catalog import PROVIDERS as CATALOG

    assert CATALOG[provider].key_env in error["message"]
    assert "Settings" in error["message"]
    assert scripted.requests == []


@pytest.mark.parametrize("provider", ["gemini", "openai-compatible"])
@pytest.mark.parametrize(
    ("reply", "words"),
    [
        (Reply(status=401, error_message="API key not valid"), ["rejected", "401"]),
        (Reply(status=429), ["rate limit", "429"]),
        (Reply(status=404), ["not found", "my-model"]),
        (
            Reply(text="a b c d e f", fail_after=2, error_message="Backend exploded"),
            ["Backend exploded"],
        ),
    ],
)
async def test_chat_completions_failures_arrive_in_words(
    make_client, openai_server, provider, reply, words
):
    scripted, _ = openai_server
    scripted.queue(reply)
    client = await _client(make_client, provider)
    events = await stream(client, "threads.create", {"input": user_input("x", model="my-model")})
    (error,) = error_events(events)
    assert error["code"] == "custom"
    for word in words:
        assert word.lower() in error["message"].lower(), error["message"]
    items = await items_of(client, thread_id_of(events))
    assert items[0]["type"] == "user_message"


@pytest.mark.parametrize("provider", ["gemini", "openai-compatible"])
async def test_chat_completions_timeout_and_refused_connection(
    make_client, openai_server, provider
):
    import socket

    scripted, _ = openai_server
    scripted.queue(Reply(hang=True))
    slow = await _client(make_client, provider, providers={"timeout_s": 0.5})
    events = await stream(slow, "threads.create", {"input": user_input("x")})
    assert "timed out" in error_events(events)[0]["message"]

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}/v1"
    refused = await _client(make_client, provider, providers={"base_url": closed})
    events = await stream(refused, "threads.create", {"input": user_input("x")})
    message = error_events(events)[0]["message"]
    assert "Could not connect" in message and closed in message


async def _conversation(client, scripted, turns: int, tool_turn: int) -> str:
    """`turns` user messages; on `tool_turn` the model calls a tool before answering."""
    thread_id = None
    for turn in range(1, turns + 1):
        if turn == tool_turn:
            scripted.queue(
                Reply(tool_calls=[ToolCall("get_current_time", thought_signature="sig-turn")]),
                Reply(text=f"answer {turn} after the tool"),
            )
        else:
            scripted.queue(Reply(text=f"answer {turn}"))
        text = f"question {turn}"
        if thread_id is None:
            events = await stream(client, "threads.create", {"input": user_input(text)})
            thread_id = thread_id_of(events)
        else:
            events = await stream(
                client,
                "threads.add_user_message",
                {"thread_id": thread_id, "input": user_input(text)},
            )
        assert not error_events(events), events
    assert thread_id is not None
    return thread_id


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("turns", [2, 3, 10])
async def test_long_conversations_with_a_tool_call_persist_every_message(
    make_client, openai_server, provider, turns
):
    scripted, _ = openai_server
    client = await _client(make_client, provider)
    tool_turn = (turns + 1) // 2
    thread_id = await _conversation(client, scripted, turns, tool_turn)

    items = await items_of(client, thread_id)
    expected = []
    for turn in range(1, turns + 1):
        expected.append(("user_message", f"question {turn}"))
        answer = f"answer {turn} after the tool" if turn == tool_turn else f"answer {turn}"
        expected.append(("assistant_message", answer))
    assert [(i["type"], text_of(i)) for i in items] == expected
    assert len({i["id"] for i in items}) == len(items), "an id was reused: a turn overwrote another"

    # The last request carried the whole conversation, earlier answers as plain assistant text.
    last = scripted.requests[-1]
    assert last.user_texts() == [f"question {t}" for t in range(1, turns + 1)]
    sent = json.dumps(last.body)
    for turn in range(1, turns):
        assert f"answer {turn}" in sent

    # The tool really ran and its output went back to the model.
    outputs = [r.tool_outputs() for r in scripted.requests if r.tool_outputs()]
    assert len(outputs) == 1
    (output,) = outputs[0].values()
    assert "UTC" in output


async def test_gemini_thought_signatures_are_sent_back(make_client, openai_server):
    scripted, _ = openai_server
    client = await _client(make_client, "gemini")
    await _conversation(client, scripted, 1, 1)
    assert scripted.requests[-1].thought_signatures() == ["sig-turn"]


@pytest.mark.parametrize("provider", ["openai", "gemini"])
async def test_title_written_by_the_threads_provider_after_the_first_exchange(
    make_client, openai_server, provider
):
    scripted, _ = openai_server
    client = await _client(make_client, provider, generate_titles=True)
    scripted.queue(Reply(text="Sure, here is a plan."), Reply(text='"Lisbon Trip Plan."'))
    events = await stream(client, "threads.create", {"input": user_input("Plan a trip to Lisbon")})
    titles = [e["thread"]["title"] for e in events if e["type"] == "thread.updated"]
    assert titles[0] == "Plan a trip to Lisbon"  # at once, from the first words
    assert titles[-1] == "Lisbon Trip Plan"
    title_request = scripted.requests[-1]
    assert title_request.path == PATH_OF[provider]
    assert title_request.authorization == f"Bearer {KEY_OF[provider]}"
    assert "Sure, here is a plan." in json.dumps(title_request.body)
    # Only after the first exchange: a second turn asks for no title.
    count = len(scripted.requests)
    await stream(
        client,
        "threads.add_user_message",
        {"thread_id": thread_id_of(events), "input": user_input("more")},
    )
    assert len(scripted.requests) == count + 1


async def test_a_failing_title_call_never_breaks_the_answer(make_client, openai_server):
    scripted, _ = openai_server
    client = await _client(make_client, "openai", generate_titles=True)
    scripted.queue(Reply(text="The answer."), Reply(status=500))
    events = await stream(client, "threads.create", {"input": user_input("Why is the sky blue")})
    assert assistant_text(events) == "The answer."
    assert not error_events(events)
    items = await items_of(client, thread_id_of(events))
    assert [text_of(i) for i in items] == ["Why is the sky blue", "The answer."]
    titles = [e["thread"]["title"] for e in events if e["type"] == "thread.updated"]
    assert titles[-1] == "Why is the sky blue"


async def test_a_rename_during_the_first_answer_is_kept(make_client, openai_server):
    import asyncio

    from tests.support.chatkit_client import AUTH, call, parse_sse

    scripted, _ = openai_server
    client = await _client(make_client, "openai", generate_titles=True)
    scripted.queue(
        Reply(text="slow answer " * 20, chunks=20, delay_s=0.05), Reply(text="Model Title")
    )
    resp = await client.post(
        "/chatkit/api",
        json={"type": "threads.create", "params": {"input": user_input("first words here")}},
        headers=AUTH,
    )
    first = await resp.content.readline()
    thread_id = json.loads(first[len(b"data: ") :])["thread"]["id"]
    # Rename once the answer is under way (its first words arrived), never on a timer: on a
    # busy machine a fixed sleep may land before the turn starts or after it ends.
    async with asyncio.timeout(10):
        while b"text_delta" not in await resp.content.readline():
            pass
    await call(client, "threads.update", {"thread_id": thread_id, "title": "My own name"})
    rest = parse_sse((await resp.content.read()).decode())
    assert rest[-1]["type"] == "thread.updated" and rest[-1]["thread"]["title"] == "My own name"
    thread = await call(client, "threads.get_by_id", {"thread_id": thread_id})
    assert thread["title"] == "My own name"
