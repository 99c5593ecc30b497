"""Fixtures shared by every test: a real scripted OpenAI-protocol server on 127.0.0.1 and the
app itself on a real loopback port, with its data in a temporary directory."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from chatkit_desktop.http.app import create_app
from chatkit_desktop.http.config import ServerConfig
from chatkit_desktop.providers.config import ProviderSettings
from chatkit_desktop.settings.paths import DataPaths
from chatkit_desktop.testing.openai_server import ScriptedOpenAIServer
from tests.support.chatkit_client import TOKEN

FAKE_KEY = "sk-test-FAKEKEY-0000000000000000"


@pytest.fixture
async def openai_server() -> AsyncIterator[tuple[ScriptedOpenAIServer, str]]:
    """The scripted server and its base URL (`http://127.0.0.1:PORT/v1`)."""
    scripted = ScriptedOpenAIServer()
    server = TestServer(scripted.make_app(), host="127.0.0.1")
    await server.start_server()
    try:
        yield scripted, f"http://127.0.0.1:{server.port}/v1"
    finally:
        await server.close()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def make_config(
    data_dir: Path, openai_server: tuple[ScriptedOpenAIServer, str]
) -> Callable[..., ServerConfig]:
    _, base_url = openai_server

    def make(**overrides: object) -> ServerConfig:
        provider_values: dict[str, object] = {
            "base_url": base_url,
            "env": {"OPENAI_API_KEY": FAKE_KEY},
            "timeout_s": 5.0,
            "max_retries": 0,
        }
        provider_overrides = overrides.pop("providers", {})
        assert isinstance(provider_overrides, dict)
        provider_values.update(provider_overrides)
        providers = ProviderSettings(**provider_values)  # type: ignore[arg-type]
        values: dict[str, object] = {
            "paths": DataPaths(data_dir),
            "token": TOKEN,
            "providers": providers,
        }
        values.update(overrides)
        return ServerConfig(**values)  # type: ignore[arg-type]

    return make


@pytest.fixture
async def client(
    aiohttp_client: Callable[..., object], make_config: Callable[..., ServerConfig]
) -> TestClient:
    """The app on a real loopback port (handler_cancellation on, as in production)."""
    app = create_app(make_config())
    return await aiohttp_client(app, server_kwargs={"host": "127.0.0.1"})  # type: ignore[no-any-return, operator]
