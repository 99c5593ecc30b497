"""The desktop app as a user runs it: a real process, a real Qt window on a virtual X display,
the real page talking to the real server through it."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys
import time
from pathlib import Path

import pytest

from tests.desktop.processes import desktop_env, start_desktop, tree_rss_kb

pytestmark = pytest.mark.slow

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
ALREADY_RUNNING = "chatkit-desktop is already running; brought its window to the front"


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _log(data_dir: Path) -> str:
    return (data_dir / "logs" / "chatkit-desktop.log").read_text()


async def test_window_opens_the_page_which_reaches_the_server_then_closes_cleanly(
    tmp_path, openai_server, xvfb_display
):
    _, base_url = openai_server
    data_dir = tmp_path / "data"
    ARTIFACTS.mkdir(exist_ok=True)
    screenshot = ARTIFACTS / "desktop-window.png"
    screenshot.unlink(missing_ok=True)
    env = desktop_env(
        base_url,
        xvfb_display,
        {"CHATKIT_DESKTOP_SMOKE": "1", "CHATKIT_DESKTOP_SMOKE_SCREENSHOT": str(screenshot)},
    )
    app = await start_desktop(data_dir, env)
    try:
        port = await app.wait_running()
        ready_s = time.monotonic() - app.started
        report, report_s = await app.wait_smoke()
        rss_kb = tree_rss_kb(app.pid)
        code, rest, err = await app.finish()
    finally:
        app.kill()
    assert code == 0, err
    assert report["ok"] is True, report
    assert report["health"]["status"] == "ok"
    assert report["threads_status"] == 200
    assert report["threads"]["data"] == []
    assert report["ready_state"] == "complete"
    assert report["token_in_address"] is False  # the page dropped it from the address bar
    assert report["screenshot"] == "ok"
    assert screenshot.stat().st_size > 5000
    # The server thread ended with the window: nothing listens on its port any more.
    assert not _port_open(port)
    assert rest == ""
    assert "Traceback" not in err
    log = _log(data_dir)
    assert "Window shown after" in log
    assert "Window closed" in log
    assert log.rstrip().endswith("Stopped cleanly")
    # Numbers for the report (pytest -s shows them).
    shown, loaded = report["window_shown_s"], report["page_loaded_s"]
    print(
        f"\nserver ready {ready_s:.2f} s after spawn; window shown {shown:.2f} s and page "
        f"loaded {loaded:.2f} s after the app started; probe answered {report_s:.2f} s after "
        f"spawn; RSS {report['rss_kb'] / 1024:.0f} MB (app process), {rss_kb / 1024:.0f} MB "
        "with QtWebEngine's processes"
    )


async def test_second_launch_brings_the_first_window_forward_and_exits(
    tmp_path, openai_server, xvfb_display
):
    _, base_url = openai_server
    data_dir = tmp_path / "data"
    first = await start_desktop(
        data_dir,
        desktop_env(base_url, xvfb_display, {"CHATKIT_DESKTOP_SMOKE": "hold"}),
        "--log-level",
        "DEBUG",
    )
    try:
        port = await first.wait_running()
        await first.wait_smoke()
        instance_file = data_dir / "desktop-instance.json"
        assert instance_file.stat().st_mode & 0o777 == 0o600
        info = json.loads(instance_file.read_text())
        assert info["port"] != port  # its own listener, not the HTTP server

        # Without the secret (readable by this user only) nothing happens.
        reader, writer = await asyncio.open_connection("127.0.0.1", info["port"])
        writer.write(json.dumps({"secret": "guess", "action": "focus"}).encode() + b"\n")
        await writer.drain()
        assert json.loads(await reader.readline()) == {"ok": False}
        writer.close()
        for _ in range(100):
            if "Refused a focus request without the right secret" in first.stderr():
                break
            await asyncio.sleep(0.1)
        assert "Refused a focus request without the right secret" in first.stderr()
        assert "Another launch asked" not in first.stderr()

        # (How fast this is belongs to the benchmark, not to a test.)
        second = await start_desktop(data_dir, desktop_env(base_url, xvfb_display))
        code, out, err = await second.finish(60)
        assert code == 0, err
        assert out.strip() == ALREADY_RUNNING
        assert "Traceback" not in err
        # The first process received the request.
        for _ in range(50):
            if "Another launch asked for this window" in first.stderr():
                break
            await asyncio.sleep(0.1)
        assert "Another launch asked for this window: bringing it to the front" in first.stderr()
        # ...and the window got the request on the GUI thread.
        for _ in range(50):
            if "Window raised and activated" in first.stderr():
                break
            await asyncio.sleep(0.1)
        assert "Window raised and activated" in first.stderr()
        # No second server: one ready line, one "Serving on" in the shared log.
        assert _log(data_dir).count("Serving on") == 1
        assert _port_open(port)

        first.proc.send_signal(signal.SIGTERM)
        code, _, err = await first.finish()
    finally:
        first.kill()
    assert code == 0, err
    assert "Received SIGTERM: closing the window" in err
    assert "Stopped cleanly" in err
    assert not instance_file.exists()  # removed at exit


async def test_a_lock_left_by_a_killed_app_does_not_block_the_next_launch(
    tmp_path, openai_server, xvfb_display
):
    _, base_url = openai_server
    data_dir = tmp_path / "data"
    first = await start_desktop(
        data_dir, desktop_env(base_url, xvfb_display, {"CHATKIT_DESKTOP_SMOKE": "hold"})
    )
    try:
        await first.wait_running()
        os.kill(first.pid, signal.SIGKILL)
        assert await first.wait() == -signal.SIGKILL
    finally:
        first.kill()
    # It left its lock file and its instance file (pointing at a dead port) behind.
    assert (data_dir / "desktop.lock").exists()
    assert (data_dir / "desktop-instance.json").exists()

    again = await start_desktop(
        data_dir, desktop_env(base_url, xvfb_display, {"CHATKIT_DESKTOP_SMOKE": "1"})
    )
    try:
        await again.wait_running(30)
        report, _ = await again.wait_smoke()
        code, _, err = await again.finish()
    finally:
        again.kill()
    assert code == 0, err
    assert report["ok"] is True


@pytest.mark.parametrize("display", [None, ":4242"], ids=["unset", "dead"])
async def test_no_display_says_so_and_suggests_serve(tmp_path, display):
    env = desktop_env("http://127.0.0.1:9/v1", display)
    app = await start_desktop(tmp_path / "data", env)
    code, out, err = await app.finish(30)
    assert code == 3
    assert out == ""
    assert "cannot open a window" in err
    assert "chatkit-desktop serve" in err
    assert "Traceback" not in err
    if display is None:
        assert "no graphical display" in err
    else:
        assert "':4242' does not answer" in err


async def test_window_size_and_place_come_back_on_the_next_launch(
    tmp_path, openai_server, xvfb_display
):
    _, base_url = openai_server
    data_dir = tmp_path / "data"
    state_file = data_dir / "window-state.json"
    moved = desktop_env(
        base_url,
        xvfb_display,
        {"CHATKIT_DESKTOP_SMOKE": "1", "CHATKIT_DESKTOP_SMOKE_GEOMETRY": "100,80,1000,640"},
    )
    first = await start_desktop(data_dir, moved)
    try:
        await first.wait_running()
        report, _ = await first.wait_smoke()
        code, _, err = await first.finish()
    finally:
        first.kill()
    assert code == 0, err
    assert report["geometry"] == {"x": 100, "y": 80, "width": 1000, "height": 640}
    saved = json.loads(state_file.read_text())
    assert saved == {
        "version": 1,
        "x": 100,
        "y": 80,
        "width": 1000,
        "height": 640,
        "maximized": False,
    }

    second = await start_desktop(
        data_dir, desktop_env(base_url, xvfb_display, {"CHATKIT_DESKTOP_SMOKE": "1"})
    )
    try:
        await second.wait_running()
        report, _ = await second.wait_smoke()
        code, _, err = await second.finish()
    finally:
        second.kill()
    assert code == 0, err
    assert report["geometry"] == {"x": 100, "y": 80, "width": 1000, "height": 640}


def test_help_lists_run_as_the_default_command():
    import subprocess

    out = subprocess.run(
        [sys.executable, "-m", "chatkit_desktop", "run", "--help"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    for flag in ("--data-dir", "--log-level", "--provider", "--model", "--base-url", "--gui"):
        assert flag in out


async def test_closing_mid_answer_keeps_the_partial_answer_and_closes_the_database(
    tmp_path, openai_server, xvfb_display
):
    import sqlite3

    import aiohttp

    from chatkit_desktop.testing.openai_server import Reply
    from tests.support.chatkit_client import user_input

    scripted, base_url = openai_server
    long_text = "one two three four five six seven eight nine ten " * 20
    scripted.queue(Reply(text=long_text, delay_s=0.05))
    data_dir = tmp_path / "data"
    token = "fixed-token-for-this-test"
    env = desktop_env(
        base_url, xvfb_display, {"CHATKIT_DESKTOP_SMOKE": "hold", "CHATKIT_DESKTOP_TOKEN": token}
    )
    app = await start_desktop(data_dir, env)
    try:
        port = await app.wait_running()
        await app.wait_smoke()
        updates = 0
        async with aiohttp.ClientSession() as http:
            resp = await http.post(
                f"http://127.0.0.1:{port}/chatkit/api",
                json={"type": "threads.create", "params": {"input": user_input("count slowly")}},
                headers={"Authorization": f"Bearer {token}"},
            )
            assert resp.status == 200
            async for line in resp.content:
                if line.startswith(b"data: ") and b'"thread.item.updated"' in line:
                    updates += 1
                    if updates >= 5:
                        break
            # The user closes the window (here: the session ends) while the answer streams.
            app.proc.send_signal(signal.SIGTERM)
            code, _, err = await app.finish()
    finally:
        app.kill()
    assert code == 0, err
    assert "Stopped cleanly" in err
    db_path = data_dir / "chatkit-desktop.sqlite3"
    wal = data_dir / "chatkit-desktop.sqlite3-wal"
    assert not wal.exists() or wal.stat().st_size == 0, "database was not closed cleanly"
    with sqlite3.connect(db_path) as db:
        rows = [json.loads(r[0]) for r in db.execute("SELECT data FROM items ORDER BY seq")]
    db.close()
    assistant = [r for r in rows if r["type"] == "assistant_message"]
    assert len(assistant) == 1
    text = assistant[0]["content"][0]["text"]
    assert text.startswith("one two three")
    assert len(text) < len(long_text)
