"""The scripted server as the real `openai` client sees it: both APIs, streamed and not, text and
tool calls, models, keys and errors."""

from __future__ import annotations

import json

import openai
import pytest
from aiohttp import ClientSession
from openai import AsyncOpenAI

from chatkit_desktop.testing.openai_server import RecordedRequest, Reply, ToolCall
from tests.testing.conftest import KEY

WEATHER_ARGS = '{"city": "Paris", "unit": "celsius"}'


# Responses API -------------------------------------------------------------------------------


async def test_responses_stream_text_is_unchanged(scripted, oai: AsyncOpenAI):
    server, _ = scripted
    stream = await oai.responses.create(model="gpt-4.1-mini", input="Hello there", stream=True)
    types, deltas, final = [], [], None
    async for event in stream:
        types.append(event.type)
        if event.type == "response.output_text.delta":
            deltas.append(event.delta)
        if event.type == "response.completed":
            final = event.response
    assert "".join(deltas) == "You said: Hello there"
    assert types[0] == "response.created"
    assert types[-1] == "response.completed"
    assert final is not None
    assert final.output_text == "You said: Hello there"
    assert server.requests[0].stream is True


async def test_responses_stream_tool_calls(scripted, oai: AsyncOpenAI):
    server, _ = scripted
    server.queue(
        Reply(
            tool_calls=[
                ToolCall("get_current_time"),
                ToolCall("get_weather", WEATHER_ARGS, call_id="call_fixed"),
            ]
        )
    )
    stream = await oai.responses.create(model="gpt-4.1-mini", input="What time is it?", stream=True)
    events = [event async for event in stream]
    types = [e.type for e in events]
    assert "response.output_text.delta" not in types
    assert [e.sequence_number for e in events] == list(range(len(events)))
    added = [e for e in events if e.type == "response.output_item.added"]
    assert [(e.output_index, e.item.type) for e in added] == [
        (0, "function_call"),
        (1, "function_call"),
    ]
    first = added[0].item
    assert first.id.startswith("fc_")
    assert first.call_id.startswith("call_")
    assert first.name == "get_current_time"
    assert first.arguments == ""
    weather_deltas = [
        e.delta
        for e in events
        if e.type == "response.function_call_arguments.delta" and e.output_index == 1
    ]
    assert len(weather_deltas) > 1, "arguments arrive in pieces"
    assert "".join(weather_deltas) == WEATHER_ARGS
    done = [e for e in events if e.type == "response.function_call_arguments.done"]
    assert [e.arguments for e in done] == ["{}", WEATHER_ARGS]
    item_done = [e.item for e in events if e.type == "response.output_item.done"]
    assert [i.status for i in item_done] == ["completed", "completed"]
    final = events[-1].response
    assert final.status == "completed"
    assert [(o.type, o.name, o.call_id, o.arguments) for o in final.output] == [
        ("function_call", "get_current_time", first.call_id, "{}"),
        ("function_call", "get_weather", "call_fixed", WEATHER_ARGS),
    ]
    assert final.output_text == ""


async def test_responses_stream_text_then_tool_call(scripted, oai: AsyncOpenAI):
    server, _ = scripted
    server.queue(Reply(text="Let me check.", tool_calls=[ToolCall("get_current_time")]))
    stream = await oai.responses.create(model="gpt-4.1-mini", input="Time?", stream=True)
    events = [event async for event in stream]
    final = events[-1].response
    assert [o.type for o in final.output] == ["message", "function_call"]
    assert final.output_text == "Let me check."
    added = [e for e in events if e.type == "response.output_item.added"]
    assert [e.output_index for e in added] == [0, 1]


async def test_responses_non_streamed_text(scripted, oai: AsyncOpenAI):
    server, _ = scripted
    server.queue(Reply(text="Plain answer here"))
    response = await oai.responses.create(model="gpt-4.1-mini", input="Hi")
    assert response.object == "response"
    assert response.status == "completed"
    assert response.output_text == "Plain answer here"
    assert response.usage is not None
    assert response.usage.output_tokens == 3
    assert response.usage.total_tokens == response.usage.input_tokens + 3
    # Echo still works without streaming.
    echoed = await oai.responses.create(model="gpt-4.1-mini", input="Echo me")
    assert echoed.output_text == "You said: Echo me"
    assert [r.stream for r in server.requests] == [False, False]


async def test_responses_non_streamed_tool_call(scripted, oai: AsyncOpenAI):
    server, _ = scripted
    server.queue(Reply(tool_calls=[ToolCall("get_weather", WEATHER_ARGS)]))
    response = await oai.responses.create(model="gpt-4.1-mini", input="Weather?", stream=False)
    [call] = response.output
    assert call.type == "function_call"
    assert call.name == "get_weather"
    assert json.loads(call.arguments) == {"city": "Paris", "unit": "celsius"}
    assert call.call_id.startswith("call_")
    assert call.status == "completed"


async def test_responses_fail_after_during_arguments(scripted, oai: AsyncOpenAI):
    server, _ = scripted
    server.queue(Reply(tool_calls=[ToolCall("get_weather", WEATHER_ARGS)], fail_after=1))
    stream = await oai.responses.create(model="gpt-4.1-mini", input="Weather?", stream=True)
    events = [event async for event in stream]
    types = [e.type for e in events]
    assert types.count("response.function_call_arguments.delta") == 1
    assert types[-1] == "error"
    assert events[-1].message == "Scripted failure"


# Chat Completions ----------------------------------------------------------------------------


async def test_chat_stream_text_is_unchanged(oai: AsyncOpenAI):
    stream = await oai.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": "Hello there"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = [chunk async for chunk in stream]
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "You said: Hello there"
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices]
    assert finishes[-1] == "stop"
    assert chunks[-1].usage is not None
    assert chunks[-1].usage.completion_tokens == 4


async def test_chat_stream_tool_calls_with_thought_signature(scripted, oai: AsyncOpenAI):
    server, _ = scripted
    server.queue(
        Reply(
            tool_calls=[
                ToolCall("get_current_time", thought_signature="sig-abc"),
                ToolCall("get_weather", WEATHER_ARGS),
            ]
        )
    )
    stream = await oai.chat.completions.create(
        model="gemini-2.5-flash",
        messages=[{"role": "user", "content": "Time and weather?"}],
        stream=True,
    )
    chunks = [chunk async for chunk in stream]
    first_delta = chunks[0].choices[0].delta
    assert first_delta.role == "assistant"
    assert first_delta.content is None
    calls: dict[int, dict[str, object]] = {}
    pieces: dict[int, int] = {}
    for chunk in chunks:
        for tc in chunk.choices[0].delta.tool_calls or []:
            entry = calls.setdefault(tc.index, {"arguments": ""})
            pieces[tc.index] = pieces.get(tc.index, 0) + 1
            if tc.id:
                entry["id"] = tc.id
                entry["type"] = tc.type
                entry["extra_content"] = (tc.model_extra or {}).get("extra_content")
            if tc.function and tc.function.name:
                entry["name"] = tc.function.name
            if tc.function and tc.function.arguments:
                entry["arguments"] = str(entry["arguments"]) + tc.function.arguments
    assert calls[0]["name"] == "get_current_time"
    assert calls[0]["type"] == "function"
    assert str(calls[0]["id"]).startswith("call_")
    assert calls[0]["arguments"] == "{}"
    assert calls[0]["extra_content"] == {"google": {"thought_signature": "sig-abc"}}
    assert calls[1]["name"] == "get_weather"
    assert calls[1]["arguments"] == WEATHER_ARGS
    assert calls[1]["extra_content"] is None
    assert pieces[1] > 2, "arguments arrive in pieces after the head"
    assert chunks[-1].choices[0].finish_reason == "tool_calls"


async def test_chat_non_streamed_text_and_tool_calls(scripted, oai: AsyncOpenAI):
    server, _ = scripted
    server.queue(
        Reply(text="Plain answer here"),
        Reply(tool_calls=[ToolCall("get_weather", WEATHER_ARGS, thought_signature="sig-xyz")]),
    )
    messages = [{"role": "user", "content": "Hi"}]
    completion = await oai.chat.completions.create(model="gpt-4o-mini", messages=messages)
    assert completion.object == "chat.completion"
    choice = completion.choices[0]
    assert choice.message.content == "Plain answer here"
    assert choice.message.tool_calls is None
    assert choice.finish_reason == "stop"
    assert completion.usage is not None
    assert completion.usage.completion_tokens == 3

    completion = await oai.chat.completions.create(
        model="gemini-2.5-flash", messages=messages, stream=False
    )
    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content is None
    [call] = choice.message.tool_calls or []
    assert call.type == "function"
    assert call.function.name == "get_weather"
    assert call.function.arguments == WEATHER_ARGS
    assert (call.model_extra or {})["extra_content"] == {"google": {"thought_signature": "sig-xyz"}}


async def test_chat_fail_after_mid_stream(scripted, oai: AsyncOpenAI):
    server, _ = scripted
    server.queue(Reply(text="one two three", fail_after=2))
    stream = await oai.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "x"}], stream=True
    )
    text = ""
    with pytest.raises(openai.APIError, match="Scripted failure"):
        async for chunk in stream:
            text += chunk.choices[0].delta.content or ""
    assert text == "one two"


# Errors, keys, models -------------------------------------------------------------------------


@pytest.mark.parametrize("api", ["responses", "chat"])
async def test_error_replies_keep_the_json_error_shape(scripted, oai: AsyncOpenAI, api):
    server, _ = scripted
    server.queue(Reply(status=429, error_message="Slow down"), Reply(fail_after=0))
    for expected_status, error_type in ((429, openai.RateLimitError), (500, openai.APIStatusError)):
        with pytest.raises(error_type) as caught:
            if api == "responses":
                await oai.responses.create(model="gpt-4.1-mini", input="Hi")
            else:
                await oai.chat.completions.create(
                    model="gpt-4o-mini", messages=[{"role": "user", "content": "Hi"}]
                )
        assert caught.value.status_code == expected_status
    assert len(server.requests) == 2


async def test_models_list_and_retrieve(scripted, oai: AsyncOpenAI):
    server, _ = scripted
    page = await oai.models.list()
    ids = [m.id for m in page.data]
    assert ids == server.models
    assert "gemini-2.5-flash" in ids
    assert {(m.object, m.created, m.owned_by) for m in page.data} == {
        (
            "model",
            0,
            "scripted",
        )
    }
    server.models = ["only-one"]
    assert [m.id async for m in oai.models.list()] == ["only-one"]
    model = await oai.models.retrieve("only-one")
    assert model.id == "only-one"
    with pytest.raises(openai.NotFoundError):
        await oai.models.retrieve("gpt-nope")
    assert [r.kind for r in server.requests] == ["models"] * 4
    assert [r.method for r in server.requests] == ["GET"] * 4
    assert server.requests[2].model == "only-one"


async def test_require_key_answers_401_in_openai_shape(scripted, oai: AsyncOpenAI):
    server, base_url = scripted
    server.require_key = "sk-right"
    server.queue(Reply(text="for the right key"))
    with pytest.raises(openai.AuthenticationError) as caught:
        await oai.responses.create(model="gpt-4.1-mini", input="Hi")
    assert caught.value.status_code == 401
    assert caught.value.code == "invalid_api_key"
    with pytest.raises(openai.AuthenticationError):
        await oai.models.list()
    async with (
        ClientSession() as session,
        session.post(f"{base_url}/chat/completions", json={}) as resp,
    ):
        assert resp.status == 401
        body = await resp.json()
    assert set(body["error"]) == {"message", "type", "param", "code"}
    assert body["error"]["type"] == "invalid_request_error"
    assert "didn't provide an API key" in body["error"]["message"]
    assert len(server.requests) == 3, "rejected requests are still recorded"
    assert server.requests[0].authorization == f"Bearer {KEY}"

    right = AsyncOpenAI(base_url=base_url, api_key="sk-right", max_retries=0)
    try:
        response = await right.responses.create(model="gpt-4.1-mini", input="Hi")
    finally:
        await right.close()
    assert response.output_text == "for the right key", "rejections took no reply"


async def test_bad_json_is_a_400(scripted):
    server, base_url = scripted
    async with (
        ClientSession() as session,
        session.post(f"{base_url}/responses", data=b"{nope") as resp,
    ):
        assert resp.status == 400
        body = await resp.json()
    assert body["error"]["type"] == "invalid_request_error"
    assert server.requests[0].body == {}


# RecordedRequest ------------------------------------------------------------------------------


async def test_recorded_request_conveniences(scripted, oai: AsyncOpenAI):
    server, _ = scripted
    await oai.responses.create(
        model="gpt-4.1-mini",
        input=[
            {"role": "user", "content": "first"},
            {"role": "assistant", "content": "ok"},
            {"role": "user", "content": [{"type": "input_text", "text": "second"}]},
            {"type": "function_call_output", "call_id": "call_1", "output": "12:00"},
        ],
    )
    stream = await oai.chat.completions.create(
        model="gemini-2.5-flash",
        messages=[
            {"role": "system", "content": "be brief"},
            {"role": "user", "content": "a"},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_2",
                        "type": "function",
                        "function": {"name": "t", "arguments": "{}"},
                        "extra_content": {"google": {"thought_signature": "sig-1"}},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": "call_2", "content": "done"},
            {"role": "user", "content": [{"type": "text", "text": "b"}]},
        ],
        stream=True,
    )
    async for _ in stream:
        pass
    responses, chat = server.requests
    assert (responses.kind, responses.model, responses.stream) == (
        "responses",
        "gpt-4.1-mini",
        False,
    )
    assert responses.user_texts() == ["first", "second"]
    assert responses.tool_outputs() == {"call_1": "12:00"}
    assert responses.thought_signatures() == []
    assert (chat.kind, chat.model, chat.stream) == ("chat_completions", "gemini-2.5-flash", True)
    assert chat.user_texts() == ["a", "b"]
    assert chat.tool_outputs() == {"call_2": "done"}
    assert chat.thought_signatures() == ["sig-1"]
    assert RecordedRequest("/v1/responses", {}, {"input": "just text"}).user_texts() == [
        "just text"
    ]
