"""A scripted server per test, and real OpenAI clients pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from openai import AsyncOpenAI

from chatkit_desktop.testing.openai_server import ScriptedOpenAIServer

KEY = "sk-test-scripted-0000"


@pytest.fixture
def scripted(
    openai_server: tuple[ScriptedOpenAIServer, str],
) -> tuple[ScriptedOpenAIServer, str]:
    """A fresh scripted server (configure it before the first request) and its base URL."""
    return openai_server


@pytest.fixture
async def oai(scripted: tuple[ScriptedOpenAIServer, str]) -> AsyncIterator[AsyncOpenAI]:
    _, base_url = scripted
    client = AsyncOpenAI(base_url=base_url, api_key=KEY, max_retries=0, timeout=10.0)
    try:
        yield client
    finally:
        await client.close()
