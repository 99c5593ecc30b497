"""(a) The session token: read from the address fragment, gone from the address bar at once,
kept in memory only, and sent only as the bearer header to the app's own origin."""

from __future__ import annotations

import pytest

from tests.support.assertions import new_thread
from tests.support.chatkit_client import TOKEN
from tests.web.helpers import BEARER, CDN_HOST, AppPage, authorization_of, double_ready

pytestmark = pytest.mark.slow
expect = pytest.importorskip("playwright.async_api").expect


async def _assert_token_only_in_memory(app: AppPage) -> None:
    assert TOKEN not in app.page.url
    assert TOKEN not in await app.page.evaluate("() => location.href")
    assert await app.page.evaluate("() => location.hash") == ""
    stored = await app.page.evaluate(
        """() => JSON.stringify({
            local: {...localStorage},
            session: {...sessionStorage},
            cookie: document.cookie,
            html: document.documentElement.outerHTML,
            state: history.state,
        })"""
    )
    assert TOKEN not in stored
    assert await app.context.cookies() == []


@pytest.mark.parametrize("cdn", ["double", "abort"])
async def test_the_token_leaves_the_address_bar_and_travels_only_as_the_bearer(
    open_app, client, cdn
):
    await new_thread(client, "A thread to list")
    app = await open_app(cdn)
    if cdn == "double":
        await double_ready(app)
    else:
        await expect(app.page.locator("[data-chat=threads] li[data-thread-id]")).to_contain_text(
            ["A thread to list"]
        )
    await _assert_token_only_in_memory(app)

    settings = app.requests_to("/api/settings")
    protocol = app.requests_to("/chatkit/api")
    assert settings, "the page never asked for its settings"
    assert protocol, "no ChatKit protocol request was made"
    for request in settings + protocol:
        assert await authorization_of(request) == BEARER, request.url
    for request in app.requests:
        assert TOKEN not in request.url
        if CDN_HOST in request.url:
            assert await authorization_of(request) is None
    assert app.script_errors() == []


async def test_without_a_token_the_page_says_how_to_open_it(open_app):
    app = await open_app(open=False)
    await app.open(fragment="")
    await expect(app.page.locator("#no-token-view")).to_be_visible()
    await expect(app.page.locator("#status")).to_contain_text("No access token")
    assert [r.url for r in app.requests if "/api/" in r.url or "/chatkit/" in r.url] == []
    assert app.script_errors() == []


async def test_a_wrong_token_is_reported_in_words(open_app):
    app = await open_app("abort", open=False)
    await app.open(fragment="#token=not-the-right-token")
    await expect(app.page.locator("#alert")).to_contain_text("access token")
    # Still not a blank page: the built-in client, and a notice that says what happened. With
    # the settings unread, the interface chosen is unknown: the CDN is not asked.
    await expect(app.page.locator("#builtin-view")).to_be_visible()
    await expect(app.page.locator("#interface-notice")).to_contain_text(
        "The settings could not be read from the local server"
    )
    assert [r.url for r in app.requests if CDN_HOST in r.url] == []
