"""`chatkit-desktop doctor` answers the support questions in words and fails when broken."""

from __future__ import annotations

import asyncio
import socket
import sqlite3
import sys
from pathlib import Path

import pytest

from chatkit_desktop.store.migrations import migrate
from tests.support.processes import serve_env, xdg_env

pytestmark = pytest.mark.slow


def _closed_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}/chatkit.js"


async def _doctor(
    data_dir: Path | None, env: dict[str, str], *args: str, cdn_url: str | None = None
) -> tuple[int, str, str]:
    env = {k: v for k, v in env.items() if not k.startswith("DBUS_")}
    # Never the real CDN from a test.
    env["CHATKIT_DESKTOP_CHATKIT_JS_URL"] = cdn_url or _closed_url()
    where = [] if data_dir is None else ["--data-dir", str(data_dir)]
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "chatkit_desktop",
        "doctor",
        *where,
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


def _line(out: str, topic: str) -> str:
    lines = [ln for ln in out.splitlines() if f"] {topic}" in ln]
    assert lines, f"no {topic!r} line in:\n{out}"
    return lines[0]


async def test_healthy_setup_passes_and_explains_the_warnings(tmp_path, openai_server):
    scripted, base_url = openai_server
    migrate(tmp_path / "chatkit-desktop.sqlite3")
    code, out, err = await _doctor(tmp_path, serve_env(base_url))
    assert code == 0, out + err
    assert "[  ok] Database" in _line(out, "Database") and "integrity ok" in out
    assert "live check passed" in _line(out, "Provider openai (active)")
    assert scripted.requests[-1].path == "/v1/models"
    cdn = _line(out, "ChatKit CDN")
    assert cdn.startswith("[warn]") and "blank widget" in cdn
    keyring = _line(out, "Keyring")
    assert keyring.startswith("[warn]") and "session" in keyring.lower()
    assert "chatkit-desktop 0." in _line(out, "Versions")
    assert "sk-test-process-key" not in out + err


async def test_the_log_file_is_named_and_kept_in_the_data_dir_given(tmp_path, openai_server):
    _, base_url = openai_server
    log_file = tmp_path / "logs" / "chatkit-desktop.log"
    code, out, err = await _doctor(tmp_path, serve_env(base_url), "--offline")
    assert code == 0, out + err
    assert (
        _line(out, "Log file")
        == f"[  ok] Log file: {log_file} (none yet; written from the first start)"
    )
    log_file.parent.mkdir()
    log_file.write_text("earlier run\n")
    code, out, err = await _doctor(tmp_path, serve_env(base_url), "--offline")
    assert code == 0, out + err
    assert _line(out, "Log file") == f"[  ok] Log file: {log_file}"
    assert log_file.read_text() == "earlier run\n"  # doctor only looks


@pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="the XDG variables decide only on Linux"
)
async def test_without_data_dir_the_log_file_is_in_the_os_log_directory(tmp_path, openai_server):
    _, base_url = openai_server
    code, out, err = await _doctor(None, serve_env(base_url, xdg_env(tmp_path)), "--offline")
    assert code == 0, out + err
    data_dir = tmp_path / "data" / "chatkit-desktop"
    assert _line(out, "Data directory").endswith(f"{data_dir} (will be created on first start)")
    log_file = tmp_path / "state" / "chatkit-desktop" / "log" / "chatkit-desktop.log"
    assert _line(out, "Log file").startswith(f"[  ok] Log file: {log_file} (none yet")
    assert not (tmp_path / "state").exists()  # doctor only looks


async def test_a_log_folder_that_cannot_be_made_is_broken(tmp_path, openai_server):
    _, base_url = openai_server
    (tmp_path / "logs").write_text("a file where the log folder should be")
    code, out, _ = await _doctor(tmp_path, serve_env(base_url), "--offline")
    assert code == 1
    line = _line(out, "Log file")
    assert line.startswith("[FAIL]") and f"{tmp_path / 'logs'} is a file, not a folder" in line


async def test_missing_key_for_the_active_provider_is_broken(tmp_path, openai_server):
    _, base_url = openai_server
    env = serve_env(base_url)
    del env["OPENAI_API_KEY"]
    code, out, _ = await _doctor(tmp_path, env)
    assert code == 1
    line = _line(out, "Provider openai (active)")
    assert line.startswith("[FAIL]") and "OPENAI_API_KEY" in line and "keys set openai" in line


async def test_a_rejected_key_is_broken_in_words(tmp_path, openai_server):
    scripted, base_url = openai_server
    scripted.require_key = "sk-the-right-one"
    code, out, _ = await _doctor(tmp_path, serve_env(base_url))
    assert code == 1
    line = _line(out, "Provider openai (active)")
    assert "401" in line and "rejected" in line


async def test_a_damaged_database_and_a_bad_settings_file_are_named(tmp_path, openai_server):
    _, base_url = openai_server
    (tmp_path / "chatkit-desktop.sqlite3").write_bytes(b"this is not a database" * 100)
    (tmp_path / "settings.json").write_text('{"theme": "purple"}')
    code, out, _ = await _doctor(tmp_path, serve_env(base_url), "--offline")
    assert code == 1
    assert _line(out, "Database").startswith("[FAIL]")
    settings = _line(out, "Settings")
    assert settings.startswith("[FAIL]") and "'theme'" in settings
    assert "not checked (--offline)" in _line(out, "ChatKit CDN")


async def test_with_the_built_in_client_chosen_the_cdn_is_not_asked(
    tmp_path, openai_server, aiohttp_server
):
    from aiohttp import web

    asked: list[str] = []

    async def script(request: web.Request) -> web.Response:
        asked.append(request.path)
        return web.Response(text="// chatkit", content_type="text/javascript")

    cdn = web.Application()
    cdn.router.add_get("/chatkit.js", script)
    server = await aiohttp_server(cdn)
    url = str(server.make_url("/chatkit.js"))
    _, base_url = openai_server
    # ChatKit's widget chosen (the default): the doctor checks that its script can be fetched.
    _, out, _ = await _doctor(tmp_path, serve_env(base_url), cdn_url=url)
    assert _line(out, "ChatKit CDN").startswith("[  ok]")
    assert asked == ["/chatkit.js"]
    (tmp_path / "settings.json").write_text('{"interface": "builtin"}')
    _, out, _ = await _doctor(tmp_path, serve_env(base_url), cdn_url=url)
    line = _line(out, "ChatKit CDN")
    assert line.startswith("[info]") and "built-in chat client is chosen" in line
    assert asked == ["/chatkit.js"]  # not asked again


async def test_database_integrity_failure_is_reported(tmp_path, openai_server):
    _, base_url = openai_server
    db_path = tmp_path / "chatkit-desktop.sqlite3"
    migrate(db_path)
    with sqlite3.connect(db_path) as db:
        db.execute("PRAGMA journal_mode=DELETE")
        for i in range(200):
            db.execute(
                "INSERT INTO threads (id, user_id, created_us, data) VALUES (?, 'u', ?, '{}')",
                (f"t{i}", i),
            )
    db.close()
    # Damage an index page behind SQLite's back: the index no longer matches the table.
    with sqlite3.connect(db_path) as db:
        root = db.execute(
            "SELECT rootpage FROM sqlite_master WHERE name='threads_by_user_created'"
        ).fetchone()[0]
        page_size = db.execute("PRAGMA page_size").fetchone()[0]
    db.close()
    raw = bytearray(db_path.read_bytes())
    start = (root - 1) * page_size
    raw[start + 200 : start + page_size - 200] = b"\x00" * (page_size - 400)
    db_path.write_bytes(bytes(raw))
    code, out, _ = await _doctor(tmp_path, serve_env(base_url), "--offline")
    assert code == 1
    assert _line(out, "Database").startswith("[FAIL]")
