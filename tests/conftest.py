"""Fixtures shared by every test: a real scripted OpenAI-protocol server on 127.0.0.1 and the
app itself on a real loopback port, with its data in a temporary directory."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from chatkit_desktop.http.app import create_app
from chatkit_desktop.http.config import ServerConfig
from chatkit_desktop.providers.config import ProviderSettings
from chatkit_desktop.settings.paths import DataPaths
from chatkit_desktop.testing.openai_server import ScriptedOpenAIServer
from tests.support.chatkit_client import TOKEN
from tests.support.secret_service import SecretService, missing_binaries, start_secret_service

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
            # Keys come from `env` here; the vault's own tests use a real Secret Service.
            "use_keyring": False,
            # Title calls would take a scripted reply meant for the next turn; tests of titles
            # turn them on.
            "generate_titles": False,
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


@pytest.fixture
def make_client(
    aiohttp_client: Callable[..., Awaitable[TestClient]],
    make_config: Callable[..., ServerConfig],
) -> Callable[..., Awaitable[TestClient]]:
    """`await make_client(providers={...}, **config_overrides)`: another app on a loopback port."""

    async def make(*, providers: dict[str, Any] | None = None, **overrides: Any) -> TestClient:
        config = make_config(providers=providers or {}, **overrides)
        return await aiohttp_client(create_app(config), server_kwargs={"host": "127.0.0.1"})

    return make


def start_or_skip(root: Path) -> SecretService:
    missing = missing_binaries()
    if missing:
        pytest.skip(
            "a real Secret Service needs the Debian packages " + ", ".join(missing) + " "
            "(scripts/bootstrap test installs them from packaging/apt/test.txt)"
        )
    return start_secret_service(root)


@pytest.fixture(scope="session")
def secret_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecretService]:
    """gnome-keyring-daemon, unlocked, on a private session bus; shared by the session."""
    service = start_or_skip(tmp_path_factory.mktemp("secret-service"))
    try:
        yield service
    finally:
        service.close()
