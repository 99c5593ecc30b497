"""A scripted server per test, and real OpenAI clients pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestServer
from openai import AsyncOpenAI

from chatkit_desktop.testing.openai_server import ScriptedOpenAIServer

KEY = "sk-test-scripted-0000"


@pytest.fixture
async def scripted() -> AsyncIterator[tuple[ScriptedOpenAIServer, str]]:
    """A fresh scripted server (configure it before the first request) and its base URL."""
    server_state = ScriptedOpenAIServer()
    server = TestServer(server_state.make_app(), host="127.0.0.1")
    await server.start_server()
    try:
        yield server_state, f"http://127.0.0.1:{server.port}/v1"
    finally:
        await server.close()


@pytest.fixture
async def oai(scripted: tuple[ScriptedOpenAIServer, str]) -> AsyncIterator[AsyncOpenAI]:
    _, base_url = scripted
    client = AsyncOpenAI(base_url=base_url, api_key=KEY, max_retries=0, timeout=10.0)
    try:
        yield client
    finally:
        await client.close()
