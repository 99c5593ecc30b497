"""Every client mistake gets a 4xx JSON answer that says what was wrong; a crash gets an id."""

from __future__ import annotations

import json
import logging
import re

import pytest

from chatkit_desktop.http.keys import SERVICES
from tests.support.assertions import assert_json_error, new_thread
from tests.support.chatkit_client import AUTH, call, post, user_input

JSON = {**AUTH, "Content-Type": "application/json"}


async def _raw(client, body: bytes | str):
    return await client.post("/chatkit/api", data=body, headers=JSON)


# Malformed requests -----------------------------------------------------------------------


async def test_malformed_json_is_a_400_saying_where(client):
    resp = await _raw(client, b'{"type": "threads.list", "params": {')
    error = await assert_json_error(resp, 400, "not valid JSON", "line 1")
    assert error["code"] == "invalid_json"


async def test_body_that_is_not_utf8_is_a_400(client):
    resp = await _raw(client, b'{"type": "\xff\xfe"}')
    await assert_json_error(resp, 400)


async def test_empty_body_is_a_400(client):
    resp = await _raw(client, b"")
    await assert_json_error(resp, 400, "JSON")


@pytest.mark.parametrize("body", ["[1, 2]", '"threads.list"', "42", "null"])
async def test_json_that_is_not_an_object_is_a_400(client, body):
    resp = await _raw(client, body)
    await assert_json_error(resp, 400, "JSON object")


@pytest.mark.parametrize("body", [{"params": {}}, {"type": 7, "params": {}}, {"type": None}])
async def test_missing_or_non_string_type_is_a_400(client, body):
    resp = await _raw(client, json.dumps(body))
    await assert_json_error(resp, 400, "'type'")


async def test_unknown_type_is_a_400_listing_the_known_ones(client):
    resp = await _raw(client, json.dumps({"type": "threads.explode", "params": {}}))
    error = await assert_json_error(resp, 400, "threads.explode", "threads.list", "items.feedback")
    assert error["code"] == "unknown_type"


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"type": "threads.get_by_id"}, ["threads.get_by_id", "params"]),
        ({"type": "threads.get_by_id", "params": {}}, ["params.thread_id", "required"]),
        ({"type": "threads.get_by_id", "params": {"thread_id": 5}}, ["thread_id", "string"]),
        ({"type": "items.list", "params": {"thread_id": "t", "order": "up"}}, ["order", "asc"]),
        ({"type": "threads.list", "params": {"limit": "many"}}, ["limit", "integer"]),
        (
            {"type": "items.feedback", "params": {"thread_id": "t", "item_ids": [], "kind": "meh"}},
            ["kind", "positive"],
        ),
        ({"type": "threads.update", "params": {"thread_id": "t"}}, ["title"]),
        ({"type": "threads.create", "params": {}}, ["threads.create", "input"]),
        (
            {"type": "threads.create", "params": {"input": {"content": "hi"}}},
            ["input.content"],
        ),
        (
            {"type": "threads.add_user_message", "params": {"input": user_input("x")}},
            ["threads.add_user_message", "thread_id"],
        ),
    ],
)
async def test_missing_or_ill_typed_params_are_a_400_naming_the_field(client, body, words):
    resp = await _raw(client, json.dumps(body))
    error = await assert_json_error(resp, 400, *words)
    assert error["code"] == "invalid_request"


async def test_bad_streaming_request_creates_no_thread(client):
    resp = await _raw(client, json.dumps({"type": "threads.create", "params": {"input": 3}}))
    await assert_json_error(resp, 400, "input")
    assert (await call(client, "threads.list", {}))["data"] == []


# Things that do not exist -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("type_", "params"),
    [
        ("threads.get_by_id", {"thread_id": "thr_missing"}),
        ("items.list", {"thread_id": "thr_missing"}),
        ("threads.update", {"thread_id": "thr_missing", "title": "x"}),
        ("threads.add_user_message", {"thread_id": "thr_missing", "input": user_input("hi")}),
        ("threads.retry_after_item", {"thread_id": "thr_missing", "item_id": "msg_x"}),
    ],
)
async def test_unknown_thread_is_a_json_404(client, openai_server, type_, params):
    scripted, _ = openai_server
    resp = await post(client, type_, params)
    # Streaming types too: a 404 answer, not a 200 event stream that breaks.
    error = await assert_json_error(resp, 404, "thr_missing")
    assert error["code"] == "not_found"
    assert scripted.requests == [], "nothing was asked of the model"


async def test_retry_after_an_unknown_item_is_a_404_and_keeps_the_thread(client, openai_server):
    scripted, _ = openai_server
    thread_id, _ = await new_thread(client, "Question")
    before = await call(client, "items.list", {"thread_id": thread_id, "order": "asc"})
    resp = await post(
        client, "threads.retry_after_item", {"thread_id": thread_id, "item_id": "msg_missing"}
    )
    await assert_json_error(resp, 404, "msg_missing")
    assert await call(client, "items.list", {"thread_id": thread_id, "order": "asc"}) == before
    assert len(scripted.requests) == 1


async def test_unknown_attachment_is_a_404_and_creates_no_thread(client, openai_server):
    scripted, _ = openai_server
    resp = await post(
        client, "threads.create", {"input": user_input("see file", attachments=["atc_missing"])}
    )
    await assert_json_error(resp, 404, "atc_missing")
    assert (await call(client, "threads.list", {}))["data"] == []
    assert scripted.requests == []


async def test_unknown_attachment_on_a_new_message_is_a_404_and_adds_nothing(client):
    thread_id, _ = await new_thread(client, "first")
    resp = await post(
        client,
        "threads.add_user_message",
        {"thread_id": thread_id, "input": user_input("see file", attachments=["atc_missing"])},
    )
    await assert_json_error(resp, 404, "atc_missing")
    items = await call(client, "items.list", {"thread_id": thread_id})
    assert len(items["data"]) == 2


# HTTP-level refusals ----------------------------------------------------------------------


async def test_body_over_one_mebibyte_is_a_413(client):
    big = json.dumps({"type": "threads.list", "params": {"pad": "x" * (1024 * 1024 + 10)}})
    resp = await _raw(client, big)
    error = await assert_json_error(resp, 413, "too large", "1024 KiB")
    assert error["code"] == "payload_too_large"


async def test_body_just_under_the_limit_is_read(client):
    body = json.dumps({"type": "threads.list", "params": {}, "pad": ""})
    body = body.replace('"pad": ""', '"pad": "' + "x" * (1024 * 1024 - len(body) - 10) + '"')
    assert len(body) < 1024 * 1024
    resp = await _raw(client, body)
    assert resp.status == 200, await resp.text()


async def test_get_on_the_api_is_a_405_naming_post(client):
    resp = await client.get("/chatkit/api", headers=AUTH)
    error = await assert_json_error(resp, 405, "GET", "POST")
    assert error["code"] == "method_not_allowed"
    assert "POST" in resp.headers["Allow"]


async def test_unknown_path_is_a_json_404(client):
    resp = await client.get("/no/such/thing", headers=AUTH)
    error = await assert_json_error(resp, 404, "/no/such/thing")
    assert error["code"] == "not_found"


async def test_attachment_upload_is_a_501_for_now(client):
    resp = await post(
        client, "attachments.create", {"name": "a.txt", "size": 3, "mime_type": "text/plain"}
    )
    error = await assert_json_error(resp, 501, "upload")
    assert error["code"] == "not_implemented"


# Our own failures -------------------------------------------------------------------------


async def test_internal_error_is_a_500_with_an_id_that_is_in_the_log(client, caplog, monkeypatch):
    services = await client.app[SERVICES].get()

    async def broken(*args, **kwargs):
        raise RuntimeError("disk on fire 8c1f")

    monkeypatch.setattr(services.store, "load_threads", broken)
    with caplog.at_level(logging.ERROR):
        resp = await post(client, "threads.list", {})
        error = await assert_json_error(resp, 500, "error id")
    assert error["code"] == "internal_error"
    error_id = error["error_id"]
    assert re.fullmatch(r"[0-9a-f]{8,}", error_id)
    assert error_id in error["message"]
    # The client is not told the internals; the log has them, under that id.
    assert "disk on fire" not in await resp.text()
    logged = [r for r in caplog.records if error_id in r.getMessage()]
    assert logged, [r.getMessage() for r in caplog.records]
    assert logged[0].exc_info and "disk on fire 8c1f" in str(logged[0].exc_info[1])


async def test_internal_error_on_a_streaming_request_is_a_500_too(client, caplog, monkeypatch):
    thread_id, _ = await new_thread(client)
    services = await client.app[SERVICES].get()

    async def broken(*args, **kwargs):
        raise RuntimeError("cannot read 41d2")

    monkeypatch.setattr(services.store, "load_thread", broken)
    with caplog.at_level(logging.ERROR):
        resp = await post(
            client, "threads.add_user_message", {"thread_id": thread_id, "input": user_input("x")}
        )
        error = await assert_json_error(resp, 500, "error id")
    assert any(error["error_id"] in r.getMessage() for r in caplog.records)
