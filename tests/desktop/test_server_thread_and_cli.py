"""The server in its background thread, and `chatkit-desktop` with no command opening the window."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import aiohttp
import pytest

from chatkit_desktop.cli import main as cli_main
from chatkit_desktop.desktop.server_thread import ServerThread


async def test_server_thread_serves_and_stops_cleanly(make_config):
    config = make_config()
    server_thread = ServerThread(config)
    server = await asyncio.to_thread(server_thread.start)
    assert server_thread.loop is not asyncio.get_running_loop()
    async with aiohttp.ClientSession() as http:
        resp = await http.get(f"{server.base_url}healthz")
        assert resp.status == 200
        threads = await http.post(
            f"{server.base_url}chatkit/api",
            json={"type": "threads.list", "params": {}},
            headers={"Authorization": f"Bearer {config.token}"},
        )
        assert threads.status == 200
    assert await asyncio.to_thread(server_thread.stop) is True
    assert not any(t.name == "chatkit-desktop-server" for t in threading.enumerate())
    assert server_thread.loop.is_closed()
    async with aiohttp.ClientSession() as http:
        with pytest.raises(aiohttp.ClientConnectionError):
            await http.get(f"{server.base_url}healthz")


async def test_server_thread_reports_a_failed_start(make_config, data_dir):
    data_dir.mkdir(parents=True)
    (data_dir / "chatkit-desktop.sqlite3").write_bytes(b"this is not a database" * 100)
    server_thread = ServerThread(make_config())
    with pytest.raises(Exception):  # noqa: B017 - whatever the store raises, start() raises it
        await asyncio.to_thread(server_thread.start)
    assert await asyncio.to_thread(server_thread.stop) is True


@pytest.mark.parametrize(
    ("argv", "data_dir"),
    [
        ([], None),
        (["--data-dir", "/tmp/x"], Path("/tmp/x")),
        (["run", "--data-dir", "/tmp/y", "--gui", "gtk"], Path("/tmp/y")),
        (["--log-level", "debug", "--provider", "gemini"], None),
    ],
)
def test_no_command_or_run_opens_the_window(monkeypatch, argv, data_dir):
    seen = []

    def fake_run_desktop(args):
        seen.append(args)
        return 7

    import chatkit_desktop.desktop.app as desktop_app

    monkeypatch.setattr(desktop_app, "run_desktop", fake_run_desktop)
    assert cli_main.main(argv) == 7
    (args,) = seen
    assert args.command == "run"
    assert args.data_dir == data_dir
    assert args.port == 0


def test_serve_keeps_its_flags(monkeypatch):
    seen = []
    import chatkit_desktop.cli.serve as serve

    monkeypatch.setattr(serve, "run_serve", lambda args: seen.append(args) or 0)
    assert cli_main.main(["serve", "--port", "0", "--model", "m", "--base-url", "http://h/v1"]) == 0
    assert seen[0].model == "m" and seen[0].base_url == "http://h/v1"
