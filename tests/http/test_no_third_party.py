"""With the built-in client and a local `openai-compatible` model server, the app asks no host but
itself and that model server (issue #7).

The app runs as a user runs it (`chatkit-desktop serve`, a real process) with every proxy
variable pointing at a recording proxy on 127.0.0.1 that refuses whatever it is asked, and
`NO_PROXY` exempting loopback: any HTTP client that honours the environment (the OpenAI client,
the Agents SDK's trace exporter, both httpx) and tries to reach another host lands in the proxy.
A whole turn, with its model-written title, must leave the proxy untouched. Two controls show
that the proxy does catch a call out: with tracing switched on, the SDK's trace upload to
api.openai.com arrives there (and is refused); with a model server on another host (OpenAI's),
the model request does.

The browser side (no request to OpenAI's CDN with the built-in interface) is in
tests/web/test_page_interface.py.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import RawTestServer

from chatkit_desktop.testing.openai_server import Reply
from tests.support.chatkit_client import assistant_text, parse_sse, thread_id_of, user_input
from tests.support.processes import ServeProcess, start_serve

pytestmark = pytest.mark.slow

LOCAL_MODEL = "local-model"
PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")


@dataclass
class RecordingProxy:
    """Every request an HTTP proxy would get (plain `GET http://…` or `CONNECT host:443`),
    recorded and refused with a 403."""

    seen: list[str] = field(default_factory=list)

    async def handle(self, request: web.BaseRequest) -> web.Response:
        target = request.path if request.method == "CONNECT" else str(request.url)
        self.seen.append(f"{request.method} {request.host} {target}")
        return web.Response(status=403, text="refused by the test's recording proxy")


@pytest.fixture
async def proxy() -> Any:
    recording = RecordingProxy()
    server = RawTestServer(recording.handle, host="127.0.0.1")
    await server.start_server()
    try:
        yield recording, f"http://127.0.0.1:{server.port}"
    finally:
        await server.close()


def proxied_env(proxy_url: str) -> dict[str, str]:
    """The test's environment without provider settings of its own, every proxy variable (both
    spellings) on the recording proxy, loopback exempt, and an OpenAI key present (so that
    nothing stays quiet merely for want of a key: the trace exporter would use it)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.upper().startswith(("OPENAI_", "CHATKIT_DESKTOP_"))
        and k.upper() not in (*PROXY_VARIABLES, "NO_PROXY")
    }
    for name in PROXY_VARIABLES:
        env[name] = env[name.lower()] = proxy_url
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    env["OPENAI_API_KEY"] = "sk-test-would-be-sent-to-openai"
    return env


def write_builtin_local_settings(data_dir: Path, base_url: str) -> None:
    """What a user who wants nothing to leave the machine saves in Settings."""
    data_dir.mkdir(parents=True, exist_ok=True)
    settings = {
        "interface": "builtin",
        "provider": "openai-compatible",
        "providers": {"openai-compatible": {"model": LOCAL_MODEL, "base_url": base_url}},
        "generate_titles": True,
    }
    (data_dir / "settings.json").write_text(json.dumps(settings), encoding="utf-8")


async def full_turn(served: ServeProcess, scripted: Any) -> tuple[list[dict[str, Any]], Any]:
    """threads.create over plain HTTP (no proxy: aiohttp ignores the environment by default),
    the answer streamed to its end, and the thread once its title has come back."""
    auth = {"Authorization": f"Bearer {served.token}"}
    async with aiohttp.ClientSession() as http:
        resp = await http.post(
            f"{served.base}/chatkit/api",
            json={
                "type": "threads.create",
                "params": {"input": user_input("Plan a quiet weekend at home")},
            },
            headers=auth,
        )
        assert resp.status == 200, await resp.text()
        events = parse_sse(await resp.text())
        thread_id = thread_id_of(events)
        # The title is written by the same model in a second request: wait for it.
        async with asyncio.timeout(20):
            while len(scripted.requests) < 2:
                await asyncio.sleep(0.05)
        resp = await http.post(
            f"{served.base}/chatkit/api",
            json={"type": "threads.get_by_id", "params": {"thread_id": thread_id}},
            headers=auth,
        )
        thread = await resp.json()
    return events, thread


async def test_a_whole_turn_asks_no_host_but_the_app_and_the_local_model_server(
    tmp_path, openai_server, proxy
):
    scripted, base_url = openai_server
    recording, proxy_url = proxy
    scripted.queue(Reply(text="Read, cook, sleep in.", chunks=3))
    scripted.queue(Reply(text="Quiet weekend"))
    write_builtin_local_settings(tmp_path / "data", base_url)

    served = await start_serve(tmp_path / "data", proxied_env(proxy_url))
    try:
        events, thread = await full_turn(served, scripted)
    finally:
        # Stopped for real, so whatever runs at exit (the SDK's trace flush) has run too.
        assert await served.stop(signal.SIGTERM) == 0

    assert assistant_text(events) == "Read, cook, sleep in."
    assert thread["title"] == "Quiet weekend"
    # Both calls (answer and title) went straight to the configured model server.
    assert [(r.path, r.body["model"]) for r in scripted.requests] == [
        ("/v1/chat/completions", LOCAL_MODEL),
        ("/v1/chat/completions", LOCAL_MODEL),
    ]
    assert recording.seen == [], recording.seen


async def test_the_proxy_would_catch_a_call_out_tracing_switched_on(tmp_path, openai_server, proxy):
    """The control: the same run with the user's opt-in to tracing does call OpenAI, and the
    recording proxy sees it. (Tracing is off unless the user turns it on.)"""
    scripted, base_url = openai_server
    recording, proxy_url = proxy
    scripted.queue(Reply(text="Traced answer"))
    scripted.queue(Reply(text="Traced title"))
    write_builtin_local_settings(tmp_path / "data", base_url)

    served = await start_serve(tmp_path / "data", proxied_env(proxy_url), "--tracing")
    try:
        events, _ = await full_turn(served, scripted)
        assert assistant_text(events) == "Traced answer"
        # The SDK's batch processor exports within a few seconds (or at exit, below).
        async with asyncio.timeout(15):
            while not recording.seen:
                await asyncio.sleep(0.1)
    finally:
        assert await served.stop(signal.SIGTERM) == 0
    assert any(seen.startswith("CONNECT api.openai.com") for seen in recording.seen), recording.seen


async def test_the_proxy_would_catch_a_model_server_that_is_not_local(
    tmp_path, openai_server, proxy
):
    """The other control: the model client honours the proxy variables too, so a model server
    on another host (here OpenAI's own) would have shown up in the proxy."""
    _, base_url = openai_server
    recording, proxy_url = proxy
    write_builtin_local_settings(tmp_path / "data", base_url)
    settings_file = tmp_path / "data" / "settings.json"
    settings = json.loads(settings_file.read_text(encoding="utf-8"))
    settings.update(provider="openai", generate_titles=False)
    settings_file.write_text(json.dumps(settings), encoding="utf-8")

    served = await start_serve(tmp_path / "data", proxied_env(proxy_url))
    try:
        async with aiohttp.ClientSession() as http:
            resp = await http.post(
                f"{served.base}/chatkit/api",
                json={"type": "threads.create", "params": {"input": user_input("Hello")}},
                headers={"Authorization": f"Bearer {served.token}"},
            )
            events = parse_sse(await resp.text())
    finally:
        assert await served.stop(signal.SIGTERM) == 0
    # The answer could not come (the proxy refused), and it says so.
    assert [e for e in events if e["type"] == "error"], events
    assert any(seen.startswith("CONNECT api.openai.com") for seen in recording.seen), recording.seen
