"""Fixtures for the HTTP suite: an app client built from a config with overrides."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from chatkit_desktop.http.app import create_app
from chatkit_desktop.http.config import ServerConfig

MakeClient = Callable[..., Awaitable[TestClient]]


@pytest.fixture
def make_client(
    aiohttp_client: Callable[..., Awaitable[TestClient]],
    make_config: Callable[..., ServerConfig],
) -> MakeClient:
    """`await make_client(providers={...}, **config_overrides)`: another app on a loopback port."""

    async def make(*, providers: dict[str, Any] | None = None, **overrides: Any) -> TestClient:
        config = make_config(providers=providers or {}, **overrides)
        return await aiohttp_client(create_app(config), server_kwargs={"host": "127.0.0.1"})

    return make
