"""A recognisable key, saved through the API into a real Secret Service, then used for a
conversation: it reaches the model server and nothing else, no response, no file, no log line."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import aiohttp
import pytest

from chatkit_desktop.testing.openai_server import Reply
from tests.support.chatkit_client import parse_sse, user_input
from tests.support.processes import start_serve
from tests.support.secret_service import forget_all, stored_items

pytestmark = pytest.mark.slow

LEAK = "sk-test-NEVERLEAK-5e1f0c9a7b3d2468"


def _all_bytes(root: Path) -> dict[Path, bytes]:
    return {path: path.read_bytes() for path in root.rglob("*") if path.is_file()}


async def test_key_lives_only_in_the_keyring(tmp_path, openai_server, secret_service):
    scripted, base_url = openai_server
    forget_all(secret_service.address)
    data_dir = tmp_path / "data"
    stderr_log = tmp_path / "stderr.log"
    env = secret_service.env(OPENAI_BASE_URL=base_url)
    seen: list[str] = []

    with stderr_log.open("wb") as stderr:
        served = await start_serve(data_dir, env, "--log-level", "debug", stderr=stderr)
    auth = {"Authorization": f"Bearer {served.token}"}
    try:
        async with aiohttp.ClientSession(base_url=served.base) as http:

            async def record(resp: aiohttp.ClientResponse) -> str:
                text = await resp.text()
                seen.append(json.dumps(dict(resp.headers)) + text)
                return text

            async def chatkit(type_: str, params: dict) -> str:
                body = {"type": type_, "params": params}
                async with http.post("/chatkit/api", json=body, headers=auth) as resp:
                    assert resp.status == 200
                    return await record(resp)

            async with http.put("/api/keys/openai", json={"key": LEAK}, headers=auth) as resp:
                assert resp.status == 200, await resp.text()
                assert json.loads(await record(resp))["saved_to"] == "keyring"
            async with http.get("/api/settings", headers=auth) as resp:
                settings = json.loads(await record(resp))
            openai = next(p for p in settings["providers"] if p["id"] == "openai")
            assert openai["key"] == {"has_key": True, "source": "keyring"}
            assert settings["keyring"] == {
                "secure": True,
                "name": "Secret Service",
                "message": settings["keyring"]["message"],
            }

            # The answer, the thread's title (written by the provider), the second answer.
            scripted.queue(Reply(text="first answer"), Reply(text="Greeting"), Reply(text="2nd"))
            events = parse_sse(await chatkit("threads.create", {"input": user_input("hello")}))
            thread_id = events[0]["thread"]["id"]
            await chatkit(
                "threads.add_user_message", {"thread_id": thread_id, "input": user_input("more")}
            )
            for type_, params in [
                ("threads.list", {}),
                ("threads.get_by_id", {"thread_id": thread_id}),
                ("items.list", {"thread_id": thread_id}),
            ]:
                await chatkit(type_, params)
            async with http.post("/api/providers/openai/check", headers=auth) as resp:
                assert json.loads(await record(resp))["ok"] is True
    finally:
        assert await served.stop(signal.SIGTERM) == 0

    # Positive controls: the key was really used, and really is in the Secret Service.
    answers = [r for r in scripted.requests if r.path == "/v1/responses"]
    assert len(answers) == 3
    assert all(r.authorization == f"Bearer {LEAK}" for r in answers)
    assert [secret for _, secret in stored_items(secret_service.address)] == [LEAK]

    # And nowhere else: responses, every file in the data directory, the process's log output.
    for text in seen:
        assert LEAK not in text
    files = _all_bytes(data_dir)
    assert any(p.name == "chatkit-desktop.log" for p in files)
    assert any(p.suffix == ".sqlite3" for p in files)
    for path, content in files.items():
        assert LEAK.encode() not in content, f"the key leaked into {path}"
    log_text = stderr_log.read_text()
    assert "DEBUG" in log_text
    assert LEAK not in log_text
    forget_all(secret_service.address)
