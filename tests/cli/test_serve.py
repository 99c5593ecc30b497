"""`chatkit-desktop serve` as a user runs it: a real process, real signals, real curl."""

from __future__ import annotations

import asyncio
import json
import shutil
import signal
import socket
import sqlite3
import sys

import aiohttp
import pytest

from chatkit_desktop import __version__
from chatkit_desktop.testing.openai_server import Reply
from tests.support.chatkit_client import parse_sse, user_input
from tests.support.processes import run_cli, serve_env, start_serve, xdg_env

pytestmark = pytest.mark.slow


def test_version_flag_prints_the_version():
    out = run_cli("--version")
    assert out.returncode == 0
    assert out.stdout.strip() == f"chatkit-desktop {__version__}"


async def test_ready_line_has_a_fresh_256_bit_token_and_a_loopback_address(tmp_path, openai_server):
    _, base_url = openai_server
    tokens = []
    for run in range(2):
        served = await start_serve(tmp_path / f"d{run}", serve_env(base_url))
        try:
            assert served.ready_line.count("\n") == 1
            assert served.ready_line.strip().endswith(
                f"http://127.0.0.1:{served.port}/#token={served.token}"
            )
            tokens.append(served.token)
            # Bound on loopback only: the port does not answer on another local address.
            with socket.socket() as s:
                s.settimeout(1)
                other = socket.gethostbyname(socket.gethostname())
                if not other.startswith("127."):
                    assert s.connect_ex((other, served.port)) != 0
        finally:
            assert await served.stop(signal.SIGTERM) == 0
    assert tokens[0] != tokens[1]
    assert all(len(t) >= 43 for t in tokens)  # 32 random bytes, URL-safe base64


async def test_token_can_be_fixed_by_environment(tmp_path, openai_server):
    _, base_url = openai_server
    served = await start_serve(
        tmp_path, serve_env(base_url, {"CHATKIT_DESKTOP_TOKEN": "fixed-for-scripts"})
    )
    try:
        assert served.token == "fixed-for-scripts"
        async with aiohttp.ClientSession() as http:
            ok = await http.post(
                f"{served.base}/chatkit/api",
                json={"type": "threads.list", "params": {}},
                headers={"Authorization": "Bearer fixed-for-scripts"},
            )
            assert ok.status == 200
            health = await http.get(f"{served.base}/healthz")
            assert (await health.json()) == {"status": "ok", "version": __version__}
    finally:
        assert await served.stop(signal.SIGINT) == 0


@pytest.mark.skipif(
    shutil.which("curl") is None, reason="curl is installed by scripts/bootstrap test"
)
async def test_curl_with_the_printed_token_creates_a_thread_and_streams_an_answer(
    tmp_path, openai_server
):
    scripted, base_url = openai_server
    scripted.queue(Reply(text="Streaming from a local OpenAI-compatible server", delay_s=0.01))
    served = await start_serve(tmp_path, serve_env(base_url))
    try:
        body = json.dumps(
            {"type": "threads.create", "params": {"input": user_input("hi from curl")}}
        )
        curl = await asyncio.create_subprocess_exec(
            "curl",
            "-sS",
            "-N",
            "-X",
            "POST",
            f"{served.base}/chatkit/api",
            "-H",
            f"Authorization: Bearer {served.token}",
            "-H",
            "Content-Type: application/json",
            "-d",
            body,
            stdout=asyncio.subprocess.PIPE,
        )
        out, _ = await asyncio.wait_for(curl.communicate(), 60)
        events = parse_sse(out.decode())
        deltas = [
            e
            for e in events
            if e["type"] == "thread.item.updated"
            and e["update"]["type"] == "assistant_message.content_part.text_delta"
        ]
        assert len(deltas) > 3
        assert (
            "".join(d["update"]["delta"] for d in deltas)
            == "Streaming from a local OpenAI-compatible server"
        )
        assert events[0]["type"] == "thread.created"
    finally:
        assert await served.stop(signal.SIGTERM) == 0


async def test_sigterm_mid_answer_saves_the_partial_answer_and_exits_zero(tmp_path, openai_server):
    scripted, base_url = openai_server
    scripted.queue(
        Reply(text="one two three four five six seven eight nine ten " * 20, delay_s=0.05)
    )
    served = await start_serve(tmp_path, serve_env(base_url))
    seen = []
    async with aiohttp.ClientSession() as http:
        resp = await http.post(
            f"{served.base}/chatkit/api",
            json={"type": "threads.create", "params": {"input": user_input("count slowly")}},
            headers={"Authorization": f"Bearer {served.token}"},
        )
        assert resp.status == 200
        async for line in resp.content:
            if line.startswith(b"data: "):
                seen.append(json.loads(line[6:]))
                if sum(e["type"] == "thread.item.updated" for e in seen) >= 5:
                    break
        code = await served.stop(signal.SIGTERM)
    assert code == 0
    db_path = tmp_path / "chatkit-desktop.sqlite3"
    assert not (tmp_path / "chatkit-desktop.sqlite3-wal").exists() or (
        (tmp_path / "chatkit-desktop.sqlite3-wal").stat().st_size == 0
    ), "database was not closed cleanly"
    with sqlite3.connect(db_path) as db:
        rows = [json.loads(r[0]) for r in db.execute("SELECT data FROM items ORDER BY seq")]
    db.close()
    kinds = [r["type"] for r in rows]
    assert kinds[0] == "user_message"
    assistant = [r for r in rows if r["type"] == "assistant_message"]
    assert len(assistant) == 1
    text = assistant[0]["content"][0]["text"]
    assert text.startswith("one two three")
    assert len(text) < len("one two three four five six seven eight nine ten " * 20)


async def test_log_file_in_data_dir_and_log_level(tmp_path, openai_server):
    _, base_url = openai_server
    served = await start_serve(tmp_path, serve_env(base_url), "--log-level", "debug")
    assert await served.stop(signal.SIGTERM) == 0
    log = (tmp_path / "logs" / "chatkit-desktop.log").read_text()
    assert "Serving on http://127.0.0.1:" in log
    assert "Stopped cleanly" in log
    assert "DEBUG" in log


@pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="the XDG variables decide only on Linux"
)
async def test_without_data_dir_the_log_file_is_in_the_os_log_directory(tmp_path, openai_server):
    _, base_url = openai_server
    served = await start_serve(None, serve_env(base_url, xdg_env(tmp_path)))
    assert await served.stop(signal.SIGTERM) == 0
    data_dir = tmp_path / "data" / "chatkit-desktop"
    assert (data_dir / "chatkit-desktop.sqlite3").is_file()
    log_file = tmp_path / "state" / "chatkit-desktop" / "log" / "chatkit-desktop.log"
    log = log_file.read_text()
    assert (
        f"Serving on http://127.0.0.1:{served.port}/ (data in {data_dir}, log file {log_file})"
        in log
    )
    assert "Stopped cleanly" in log
    assert not (data_dir / "logs").exists()
    # Nothing went to the default places under HOME either.
    assert not (tmp_path / "home" / ".local").exists()


async def test_an_unwritable_log_file_is_reported_and_serving_goes_on(tmp_path, openai_server):
    _, base_url = openai_server
    (tmp_path / "logs").write_text("a file where the log folder should be")
    served = await start_serve(tmp_path, serve_env(base_url))
    assert await served.stop(signal.SIGTERM) == 0
    err = await served.stderr()
    assert f"Cannot write the log file {tmp_path / 'logs' / 'chatkit-desktop.log'}" in err
    assert "logging to stderr only" in err
    assert "Stopped cleanly" in err
    assert "Traceback" not in err


async def test_database_from_a_newer_version_is_refused_untouched(tmp_path, openai_server):
    _, base_url = openai_server
    served = await start_serve(tmp_path, serve_env(base_url))
    assert await served.stop(signal.SIGTERM) == 0
    db_path = tmp_path / "chatkit-desktop.sqlite3"
    with sqlite3.connect(db_path) as db:
        db.execute("INSERT INTO _migrations VALUES (999, 'm999_future', 'later')")
    db.close()
    before = db_path.read_bytes()
    proc = run_cli("serve", "--data-dir", str(tmp_path), env=serve_env(base_url))
    assert proc.returncode != 0
    assert "newer version of chatkit-desktop" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stdout == ""  # never claimed to be ready
    assert db_path.read_bytes() == before


def test_busy_port_is_reported_in_words(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        proc = run_cli("serve", "--port", str(port), "--data-dir", str(tmp_path))
    assert proc.returncode != 0
    assert "Could not start the server" in proc.stderr
    assert "Traceback" not in proc.stderr


async def test_provider_model_and_base_url_flags_choose_where_answers_come_from(
    tmp_path, openai_server
):
    scripted, base_url = openai_server
    env = serve_env("http://127.0.0.1:9/unused")
    served = await start_serve(
        tmp_path,
        env,
        "--provider",
        "openai-compatible",
        "--model",
        "qwen2.5",
        "--base-url",
        base_url,
    )
    try:
        async with aiohttp.ClientSession() as http:
            resp = await http.post(
                f"{served.base}/chatkit/api",
                json={"type": "threads.create", "params": {"input": user_input("via flags")}},
                headers={"Authorization": f"Bearer {served.token}"},
            )
            events = parse_sse(await resp.text())
        assert not [e for e in events if e["type"] == "error"], events
    finally:
        assert await served.stop(signal.SIGTERM) == 0
    first = scripted.requests[0]
    assert first.path == "/v1/chat/completions"
    assert first.body["model"] == "qwen2.5"


async def test_environment_chooses_the_provider_too(tmp_path, openai_server):
    scripted, base_url = openai_server
    env = serve_env(
        "http://127.0.0.1:9/unused",
        {
            "CHATKIT_DESKTOP_PROVIDER": "gemini",
            "CHATKIT_DESKTOP_MODEL": "gemini-2.5-pro",
            "CHATKIT_DESKTOP_BASE_URL": base_url,
            "GEMINI_API_KEY": "gm-from-env",
        },
    )
    served = await start_serve(tmp_path, env)
    try:
        async with aiohttp.ClientSession() as http:
            resp = await http.post(
                f"{served.base}/chatkit/api",
                json={"type": "threads.create", "params": {"input": user_input("via env")}},
                headers={"Authorization": f"Bearer {served.token}"},
            )
            await resp.read()
    finally:
        assert await served.stop(signal.SIGTERM) == 0
    first = scripted.requests[0]
    assert first.path == "/v1/chat/completions"
    assert first.body["model"] == "gemini-2.5-pro"
    assert first.authorization == "Bearer gm-from-env"


@pytest.mark.parametrize(
    ("args", "env", "words"),
    [
        (["--base-url", "localhost:11434"], {}, "http://"),
        ([], {"CHATKIT_DESKTOP_PROVIDER": "claude"}, "unknown provider 'claude'"),
        ([], {"CHATKIT_DESKTOP_TIMEOUT": "soon"}, "CHATKIT_DESKTOP_TIMEOUT"),
        (["--provider", "claude"], {}, "invalid choice"),
    ],
)
def test_bad_overrides_are_refused_in_words_before_starting(tmp_path, args, env, words):
    proc = run_cli(
        "serve", "--data-dir", str(tmp_path), *args, env=serve_env("http://127.0.0.1:9/v1", env)
    )
    assert proc.returncode == 2
    assert words in proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stdout == ""


async def test_a_second_server_on_the_same_data_directory_is_refused(tmp_path, openai_server):
    _, base_url = openai_server
    served = await start_serve(tmp_path, serve_env(base_url))
    try:
        proc = run_cli("serve", "--data-dir", str(tmp_path), env=serve_env(base_url))
        assert proc.returncode == 5
        assert "already running" in proc.stderr and "Traceback" not in proc.stderr
        assert proc.stdout == ""
    finally:
        assert await served.stop(signal.SIGTERM) == 0
    # Once the first is gone, the directory is free again.
    again = await start_serve(tmp_path, serve_env(base_url))
    assert await again.stop(signal.SIGTERM) == 0
