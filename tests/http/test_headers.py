"""What every client sees before any content: status, content types, caching, the CSP."""

from __future__ import annotations

from yarl import URL

from chatkit_desktop import __version__
from tests.support.assertions import assert_json_error, new_thread
from tests.support.chatkit_client import post, user_input


async def test_streaming_requests_answer_with_an_uncached_event_stream(client):
    resp = await post(client, "threads.create", {"input": user_input("stream please")})
    assert resp.status == 200
    assert resp.content_type == "text/event-stream"
    assert resp.headers["Cache-Control"] == "no-cache"
    body = await resp.text()
    assert body.startswith("data: ")
    assert body.endswith("\n\n")


async def test_non_streaming_requests_answer_with_json(client):
    thread_id, _ = await new_thread(client)
    for type_, params in [
        ("threads.list", {}),
        ("threads.get_by_id", {"thread_id": thread_id}),
        ("items.list", {"thread_id": thread_id}),
    ]:
        resp = await post(client, type_, params)
        assert resp.status == 200, type_
        assert resp.content_type == "application/json", type_
        assert resp.headers.get("X-Content-Type-Options") == "nosniff"
        await resp.json()


async def test_healthz_needs_no_token(client):
    resp = await client.get("/healthz")
    assert resp.status == 200
    assert resp.content_type == "application/json"
    assert await resp.json() == {"status": "ok", "version": __version__}
    assert "Content-Security-Policy" not in resp.headers


def _check_csp(headers) -> None:
    csp = headers["Content-Security-Policy"]
    directives = {
        part.split()[0]: part.split()[1:] for part in (p.strip() for p in csp.split(";")) if part
    }
    assert directives["default-src"] == ["'self'"]
    assert "https://cdn.platform.openai.com" in directives["script-src"]
    assert "'unsafe-inline'" not in directives["script-src"]
    assert "'unsafe-eval'" not in directives["script-src"]
    assert directives["object-src"] == ["'none'"]
    # ChatKit's frame from the CDN must load: no cross-origin isolation.
    assert "Cross-Origin-Embedder-Policy" not in headers
    # Nothing on the page (nor ChatKit's frame) may use the camera or microphone unasked.
    policy = headers["Permissions-Policy"]
    assert "camera=()" in policy and "microphone=()" in policy


async def test_page_needs_no_token_and_carries_the_csp(client):
    resp = await client.get("/")
    assert resp.status == 200
    assert resp.content_type == "text/html"
    assert '<script type="module" src="/static/app.js">' in await resp.text()
    _check_csp(resp.headers)


async def test_static_script_needs_no_token_and_carries_the_csp(client):
    resp = await client.get("/static/app.js")
    assert resp.status == 200
    assert "javascript" in resp.content_type
    assert (await resp.text()).strip()
    _check_csp(resp.headers)


async def test_missing_static_file_is_a_json_404(client):
    resp = await client.get("/static/nope.js")
    await assert_json_error(resp, 404, "/static/nope.js")


async def test_static_files_cannot_escape_the_web_directory(client):
    # /static/ needs no token, so the file handler alone must keep the rest of the disk private.
    # web/ sits next to pyproject.toml in a checkout: "../pyproject.toml" would exist.
    base = str(client.make_url("/")).rstrip("/")
    for path in (
        "/static/../pyproject.toml",
        "/static/%2e%2e/pyproject.toml",
        "/static/..%2fpyproject.toml",
        "/static/..%2f..%2fetc%2fpasswd",
        "/static/%2fetc%2fpasswd",
        "/static/app.js%00",
        "/static/" + "x" * 5000,
    ):
        resp = await client.session.get(URL(base + path, encoded=True))
        text = await resp.text()
        assert resp.status == 404, (path, resp.status, text)
        assert "[project]" not in text
        assert "root:" not in text
