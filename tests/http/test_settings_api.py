"""`/api/settings`, `/api/keys/{provider}` and `/api/providers/{provider}/check` over real HTTP.

These run without a keyring (as on a Linux machine with no Secret Service): keys go to session
memory when asked. The vault's own tests cover the real Secret Service.
"""

from __future__ import annotations

import json

import pytest

from tests.support.assertions import assert_json_error, error_events
from tests.support.chatkit_client import AUTH, assistant_text, stream, user_input

SECRET = "sk-test-SETTINGSAPI-9f8e7d6c5b4a"


async def _get(client):
    resp = await client.get("/api/settings", headers=AUTH)
    assert resp.status == 200, await resp.text()
    return await resp.json()


async def _put(client, path, body):
    return await client.put(
        path, data=json.dumps(body), headers={**AUTH, "Content-Type": "application/json"}
    )


async def test_settings_list_every_provider_with_key_status_but_never_a_key(make_client):
    client = await make_client(providers={"env": {"GEMINI_API_KEY": SECRET}})
    resp = await client.get("/api/settings", headers=AUTH)
    text = await resp.text()
    assert SECRET not in text
    body = json.loads(text)
    by_id = {p["id"]: p for p in body["providers"]}
    assert set(by_id) == {"openai", "gemini", "openai-compatible"}
    assert by_id["gemini"]["key"] == {"has_key": True, "source": "env"}
    assert by_id["openai"]["key"] == {"has_key": False, "source": None}
    assert (
        by_id["gemini"]["models"] and by_id["gemini"]["default_model"] in by_id["gemini"]["models"]
    )
    assert by_id["openai-compatible"]["key_required"] is False
    assert body["keyring"]["secure"] is False and body["keyring"]["message"]
    assert body["provider"] == "openai"


async def test_settings_need_the_token(client):
    resp = await client.get("/api/settings")
    await assert_json_error(resp, 401)


async def test_choosing_provider_and_model_in_settings_changes_where_the_next_answer_comes_from(
    make_client, openai_server, data_dir
):
    scripted, _ = openai_server
    client = await make_client(providers={"provider": None, "base_url": None, "env": {}})
    _, base_url = openai_server
    resp = await _put(
        client,
        "/api/settings",
        {
            "provider": "openai-compatible",
            "providers": {"openai-compatible": {"model": "qwen2.5", "base_url": base_url}},
        },
    )
    assert resp.status == 200, await resp.text()
    body = await resp.json()
    assert body["provider"] == "openai-compatible"
    assert body["model"] == "qwen2.5"
    saved = json.loads((data_dir / "settings.json").read_text())
    assert saved["provider"] == "openai-compatible"

    events = await stream(client, "threads.create", {"input": user_input("local please")})
    assert assistant_text(events) == "You said: local please"
    assert scripted.requests[-1].path == "/v1/chat/completions"
    assert scripted.requests[-1].body["model"] == "qwen2.5"


async def test_the_interface_is_chatkit_by_default_and_the_choice_is_saved(client, data_dir):
    assert (await _get(client))["preferences"]["interface"] == "chatkit"
    resp = await _put(client, "/api/settings", {"interface": "builtin"})
    assert resp.status == 200, await resp.text()
    assert (await resp.json())["preferences"]["interface"] == "builtin"
    assert json.loads((data_dir / "settings.json").read_text())["interface"] == "builtin"
    # A change of anything else leaves it alone.
    resp = await _put(client, "/api/settings", {"theme": "dark"})
    assert (await resp.json())["preferences"]["interface"] == "builtin"
    assert (await _get(client))["preferences"]["interface"] == "builtin"


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"provider": "claude"}, ["provider"]),
        ({"providers": {"gemini": {"base_url": "not a url"}}}, ["providers.gemini.base_url"]),
        ({"theme": 3}, ["theme"]),
        ({"interface": "widget"}, ["interface", "chatkit", "builtin"]),
        ({"unknown_setting": True}, ["unknown_setting"]),
    ],
)
async def test_bad_settings_are_refused_by_field_and_nothing_is_saved(
    client, data_dir, change, words
):
    resp = await _put(client, "/api/settings", change)
    await assert_json_error(resp, 400, *words)
    assert not (data_dir / "settings.json").exists()


async def test_a_broken_settings_file_is_reported_not_overwritten(make_client, data_dir):
    data_dir.mkdir(parents=True)
    (data_dir / "settings.json").write_text('{"provider": "nope"}')
    client = await make_client()
    body = await _get(client)
    assert "'provider'" in body["settings_error"]
    assert (data_dir / "settings.json").read_text() == '{"provider": "nope"}'


async def test_without_a_secure_keyring_a_key_is_kept_for_the_session_only_when_asked(
    make_client, openai_server, data_dir, caplog
):
    scripted, _ = openai_server
    client = await make_client(providers={"env": {}})
    resp = await _put(client, "/api/keys/openai", {"key": SECRET})
    error = await assert_json_error(resp, 409, "keyring")
    assert error["code"] == "no_secure_keyring"
    assert "session" in error["message"].lower()

    resp = await _put(client, "/api/keys/openai", {"key": SECRET, "session_only": True})
    text = await resp.text()
    assert resp.status == 200, text
    assert SECRET not in text
    assert json.loads(text)["key"] == {"has_key": True, "source": "session"}

    events = await stream(client, "threads.create", {"input": user_input("with the session key")})
    assert not error_events(events)
    assert scripted.requests[-1].authorization == f"Bearer {SECRET}"

    resp = await client.delete("/api/keys/openai", headers=AUTH)
    assert (await resp.json())["key"] == {"has_key": False, "source": None}
    events = await stream(client, "threads.create", {"input": user_input("and now?")})
    assert "No OpenAI API key" in error_events(events)[0]["message"]


async def test_key_writes_are_checked(client):
    await assert_json_error(
        await _put(client, "/api/keys/anthropic", {"key": "x"}), 404, "anthropic"
    )
    await assert_json_error(await _put(client, "/api/keys/openai", {"nokey": 1}), 400, "key")
    await assert_json_error(
        await _put(client, "/api/keys/openai", {"key": "two words", "session_only": True}),
        400,
        "API key",
    )
    await assert_json_error(
        await _put(client, "/api/keys/openai", {"key": "sk-x", "session_only": "yes"}),
        400,
        "session_only",
    )
    resp = await client.get("/api/keys/openai", headers=AUTH)
    await assert_json_error(resp, 405)


async def test_provider_check_makes_a_real_request_and_reports_in_words(make_client, openai_server):
    scripted, _ = openai_server
    scripted.require_key = "sk-test-FAKEKEY-0000000000000000"
    client = await make_client()
    resp = await client.post("/api/providers/openai/check", headers=AUTH)
    body = await resp.json()
    assert body["ok"] is True, body
    assert "gpt-4.1-mini" in body["models"]
    assert scripted.requests[-1].path == "/v1/models"

    wrong = await make_client(providers={"env": {"OPENAI_API_KEY": "sk-wrong"}})
    body = await (await wrong.post("/api/providers/openai/check", headers=AUTH)).json()
    assert body["ok"] is False
    assert "401" in body["message"] and "OPENAI_API_KEY" in body["message"]

    nokey = await make_client(providers={"env": {}})
    body = await (await nokey.post("/api/providers/gemini/check", headers=AUTH)).json()
    assert body["ok"] is False and "GEMINI_API_KEY" in body["message"]


async def test_a_locked_keyring_is_explained_everywhere_and_nothing_breaks(make_client):
    from tests.vault.backends import LockedKeyring

    client = await make_client(providers={"env": {}}, keyring_backend=LockedKeyring())
    resp = await _put(client, "/api/keys/openai", {"key": SECRET})
    error = await assert_json_error(resp, 423, "locked")
    assert error["code"] == "keyring_locked"

    body = await _get(client)
    openai = next(p for p in body["providers"] if p["id"] == "openai")
    assert openai["key"]["has_key"] is False and "locked" in openai["key"]["error"].lower()

    events = await stream(client, "threads.create", {"input": user_input("still there?")})
    (event,) = error_events(events)
    assert "locked" in event["message"].lower()
    # The user's message is kept; the thread works once the keyring is unlocked.
    assert events[0]["type"] == "thread.created"
