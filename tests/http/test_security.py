"""The token, the Host check (DNS rebinding) and the Origin check, over real HTTP."""

from __future__ import annotations

import json

import pytest

from tests.support.assertions import assert_json_error
from tests.support.chatkit_client import AUTH, TOKEN

LIST = json.dumps({"type": "threads.list", "params": {}})
JSON = {"Content-Type": "application/json"}


async def _api(client, headers: dict[str, str]):
    return await client.post("/chatkit/api", data=LIST, headers={**JSON, **headers})


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="no-authorization"),
        pytest.param({"Authorization": "Bearer wrong-token"}, id="wrong-token"),
        pytest.param({"Authorization": f"Bearer {TOKEN}x"}, id="token-plus-one"),
        pytest.param({"Authorization": f"Bearer {TOKEN[:-1]}"}, id="token-prefix"),
        pytest.param({"Authorization": f"Basic {TOKEN}"}, id="wrong-scheme"),
        pytest.param({"Authorization": TOKEN}, id="no-scheme"),
        pytest.param({"Authorization": "Bearer "}, id="empty-token"),
    ],
)
async def test_api_refuses_a_missing_or_wrong_token(client, headers):
    resp = await _api(client, headers)
    error = await assert_json_error(resp, 401, "token")
    assert error["code"] == "unauthorized"
    assert TOKEN not in await resp.text()
    assert resp.headers.get("WWW-Authenticate") == "Bearer"


async def test_api_accepts_the_right_token(client):
    resp = await _api(client, AUTH)
    assert resp.status == 200
    assert await resp.json() == {"data": [], "has_more": False}
    # The scheme is case-insensitive (RFC 7235).
    resp = await _api(client, {"Authorization": f"bearer {TOKEN}"})
    assert resp.status == 200


async def test_token_is_checked_before_the_body_is_looked_at(client):
    resp = await client.post("/chatkit/api", data=b"{not json", headers=JSON)
    await assert_json_error(resp, 401)


@pytest.mark.parametrize("path", ["/healthz", "/chatkit/api", "/", "/static/app.js"])
@pytest.mark.parametrize("host", ["evil.example:{port}", "127.0.0.1:{other}", "evil.example"])
async def test_foreign_host_is_refused_everywhere_even_with_a_token(client, path, host):
    port = client.port
    headers = {**AUTH, **JSON, "Host": host.format(port=port, other=port + 1)}
    if path == "/chatkit/api":
        resp = await client.post(path, data=LIST, headers=headers)
    else:
        resp = await client.get(path, headers=headers)
    error = await assert_json_error(resp, 403, "127.0.0.1")
    assert error["code"] == "forbidden_host"


async def test_localhost_and_loopback_hosts_are_accepted(client):
    for host in (f"127.0.0.1:{client.port}", f"localhost:{client.port}"):
        resp = await client.get("/healthz", headers={"Host": host})
        assert resp.status == 200, host


@pytest.mark.parametrize(
    "origin",
    [
        "http://evil.example",
        "null",
        "http://127.0.0.1:{other}",
        "https://127.0.0.1:{port}",
        "http://localhost:{port}",
    ],
)
async def test_cross_origin_requests_are_refused(client, origin):
    origin = origin.format(port=client.port, other=client.port + 1)
    resp = await _api(client, {**AUTH, "Origin": origin})
    error = await assert_json_error(resp, 403, "other web pages")
    assert error["code"] == "forbidden_origin"
    # Even the public health check: a foreign page learns nothing.
    resp = await client.get("/healthz", headers={"Origin": origin})
    await assert_json_error(resp, 403)


async def test_same_origin_requests_are_allowed(client):
    resp = await _api(client, {**AUTH, "Origin": f"http://127.0.0.1:{client.port}"})
    assert resp.status == 200
    assert await resp.json() == {"data": [], "has_more": False}
