"""The Agents SDK end to end against the scripted server: the model calls a tool, the SDK runs it
and sends its output back, the next scripted reply answers; Gemini thought signatures round-trip
through Chat Completions."""

from __future__ import annotations

import pytest
from agents import (
    Agent,
    OpenAIChatCompletionsModel,
    OpenAIResponsesModel,
    RunConfig,
    Runner,
    function_tool,
)
from agents.models.interface import Model
from openai import AsyncOpenAI

from chatkit_desktop.testing.openai_server import Reply, ToolCall

NOW = "2030-01-02 03:04"
RUN_CONFIG = RunConfig(tracing_disabled=True)


def _agent(model: Model, calls: list[str]) -> Agent:
    @function_tool
    def get_current_time() -> str:
        """The current local time."""
        calls.append("get_current_time")
        return NOW

    return Agent(
        name="Assistant",
        instructions="Answer briefly.",
        model=model,
        tools=[get_current_time],
    )


def _model(kind: str, name: str, client: AsyncOpenAI) -> Model:
    if kind == "responses":
        return OpenAIResponsesModel(model=name, openai_client=client)
    return OpenAIChatCompletionsModel(model=name, openai_client=client)


@pytest.mark.parametrize(
    ("kind", "name"),
    [
        ("responses", "gpt-4.1-mini"),
        ("chat", "gpt-4o-mini"),
        ("chat", "gemini-2.5-flash"),
    ],
)
async def test_streamed_run_calls_the_tool_and_answers_with_the_next_reply(
    scripted, oai: AsyncOpenAI, kind, name
):
    server, _ = scripted
    server.queue(
        Reply(
            tool_calls=[
                ToolCall("get_current_time", call_id="call_time", thought_signature="sig-abc")
            ]
        ),
        Reply(text=f"It is {NOW}."),
    )
    calls: list[str] = []
    agent = _agent(_model(kind, name, oai), calls)

    result = Runner.run_streamed(agent, "What time is it?", run_config=RUN_CONFIG)
    item_events = [
        event.name
        async for event in result.stream_events()
        if event.type == "run_item_stream_event"
    ]

    assert calls == ["get_current_time"]
    assert "tool_called" in item_events
    assert "tool_output" in item_events
    assert result.final_output == f"It is {NOW}."
    first, second = server.requests
    expected_kind = "responses" if kind == "responses" else "chat_completions"
    assert (first.kind, second.kind) == (expected_kind, expected_kind)
    assert first.stream and second.stream
    assert first.model == name
    assert first.user_texts() == second.user_texts() == ["What time is it?"]
    assert first.tool_outputs() == {}
    assert second.tool_outputs() == {"call_time": NOW}
    tools = first.body["tools"]
    tool_names = [t.get("name") or t.get("function", {}).get("name") for t in tools]
    assert tool_names == ["get_current_time"]
    if kind == "chat":
        # The SDK hands the signature back only to models it knows are Gemini.
        expected = ["sig-abc"] if "gemini" in name else []
        assert second.thought_signatures() == expected
    assert first.thought_signatures() == []


@pytest.mark.parametrize("kind", ["responses", "chat"])
async def test_non_streamed_run_with_a_tool_call(scripted, oai: AsyncOpenAI, kind):
    server, _ = scripted
    server.queue(
        Reply(tool_calls=[ToolCall("get_current_time")]),
        Reply(text="Done."),
    )
    calls: list[str] = []
    agent = _agent(_model(kind, "gemini-2.5-flash", oai), calls)

    result = await Runner.run(agent, "Time please", run_config=RUN_CONFIG)

    assert calls == ["get_current_time"]
    assert result.final_output == "Done."
    assert [r.stream for r in server.requests] == [False, False]
    [output] = server.requests[1].tool_outputs().values()
    assert output == NOW


async def test_default_echo_still_answers_an_agent(scripted, oai: AsyncOpenAI):
    agent = _agent(_model("responses", "gpt-4.1-mini", oai), [])
    result = Runner.run_streamed(agent, "Hello there", run_config=RUN_CONFIG)
    async for _ in result.stream_events():
        pass
    assert result.final_output == "You said: Hello there"
