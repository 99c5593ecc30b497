"""The app and a zero-latency model server on loopback ports, inside the benchmark's process.

The app is the real one (`start_server`, the same as `serve`), spoken to over real HTTP with
its token. The model server is `ScriptedOpenAIServer`, the test suite's local HTTP server that
speaks OpenAI's streaming protocols and answers at once, so what is measured is our path.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from chatkit_desktop.http.config import ServerConfig
from chatkit_desktop.http.keys import SERVICES
from chatkit_desktop.http.runner import start_server
from chatkit_desktop.http.services import StoreOpener
from chatkit_desktop.providers.config import ProviderSettings
from chatkit_desktop.settings.paths import DataPaths
from chatkit_desktop.testing.openai_server import ScriptedOpenAIServer

TOKEN = "bench-token-0123456789abcdef0123456789abcdef"  # noqa: S105 - a local test token
FAKE_KEY = "sk-bench-0000000000000000"


@dataclass
class ModelServer:
    scripted: ScriptedOpenAIServer
    base_url: str  # http://127.0.0.1:PORT/v1


@asynccontextmanager
async def model_server() -> AsyncIterator[ModelServer]:
    scripted = ScriptedOpenAIServer()
    runner = web.AppRunner(scripted.make_app(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = int(runner.addresses[0][1])
    try:
        yield ModelServer(scripted, f"http://127.0.0.1:{port}/v1")
    finally:
        await runner.cleanup()


def config_for(data_dir: Path, model_base_url: str) -> ServerConfig:
    return ServerConfig(
        paths=DataPaths(data_dir),
        token=TOKEN,
        providers=ProviderSettings(
            base_url=model_base_url,
            env={"OPENAI_API_KEY": FAKE_KEY},
            timeout_s=30.0,
            max_retries=0,
        ),
        use_keyring=False,
        generate_titles=False,
    )


@dataclass
class App:
    base: str  # http://127.0.0.1:PORT
    http: aiohttp.ClientSession

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}

    async def call(self, type_: str, params: dict[str, Any]) -> Any:
        """A non-streaming ChatKit request that must succeed."""
        body = json.dumps({"type": type_, "params": params})
        async with self.http.post(
            f"{self.base}/chatkit/api", data=body, headers=self.headers
        ) as resp:
            if resp.status != 200:
                raise RuntimeError(f"{type_} answered {resp.status}: {await resp.text()}")
            return await resp.json()

    async def get(self, path: str, **params: str) -> Any:
        async with self.http.get(f"{self.base}{path}", params=params, headers=self.headers) as r:
            if r.status != 200:
                raise RuntimeError(f"GET {path} answered {r.status}: {await r.text()}")
            return await r.json()


@asynccontextmanager
async def running_app(
    data_dir: Path, model_base_url: str, open_store: StoreOpener | None = None
) -> AsyncIterator[App]:
    server = await start_server(config_for(data_dir, model_base_url), open_store=open_store)
    try:
        async with aiohttp.ClientSession() as http:
            app = App(f"http://127.0.0.1:{server.port}", http)
            await server.runner.app[SERVICES].ready()  # the SDKs loaded, the store open
            yield app
    finally:
        await server.stop()
