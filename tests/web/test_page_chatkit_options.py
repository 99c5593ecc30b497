"""(c) What the page asks of ChatKit, seen through a TEST DOUBLE of `<openai-chatkit>`
(`chatkit_double.js`, served in place of OpenAI's CDN script): the API options and its fetch,
the domain key, the model picker, the theme, history, header buttons, attachments and errors."""

from __future__ import annotations

import json
import time

import pytest

from tests.support.assertions import new_thread
from tests.support.chatkit_client import AUTH
from tests.web.helpers import (
    BEARER,
    authorization_of,
    double_ready,
    last_options_when,
    put_settings,
    settings_of,
)

pytestmark = pytest.mark.slow
expect = pytest.importorskip("playwright.async_api").expect

MiB = 1024 * 1024


async def test_chatkit_gets_its_options_from_the_settings(open_app, client):
    await put_settings(client, {"chatkit_domain_key": "domain_pk_from_settings"})
    await new_thread(client, "Listed through the double")
    app = await open_app("double")
    record = await double_ready(app)
    options = record["calls"][-1]
    settings = await settings_of(client)

    api = options["api"]
    assert api["url"] == f"{app.origin}/chatkit/api"
    assert api["domainKey"] == "domain_pk_from_settings"
    assert api["fetch"] == "[function]"
    # The double ran threads.list through `api.fetch`: it reached the server with the bearer.
    fetched = record["fetches"][0]
    assert fetched["status"] == 200, fetched
    assert [t["title"] for t in fetched["body"]["data"]] == ["Listed through the double"]
    protocol = app.requests_to("/chatkit/api")
    assert protocol
    for request in protocol:
        assert await authorization_of(request) == BEARER

    active = next(p for p in settings["providers"] if p["id"] == settings["provider"])
    models = options["composer"]["models"]
    assert [m["id"] for m in models] == list(dict.fromkeys([settings["model"], *active["models"]]))
    assert [m["id"] for m in models if m.get("default")] == [settings["model"]]
    assert all(m["label"] for m in models)

    assert options["history"] == {"enabled": True, "showDelete": True, "showRename": True}
    assert options["threadItemActions"] == {"feedback": True, "retry": True}
    assert options["theme"]["colorScheme"] == "light"
    header = options["header"]
    assert header["title"]["text"] == "ChatKit Desktop"
    assert header["rightAction"] == {"icon": "settings-cog", "onClick": "[function]"}
    assert header["leftAction"] == {"icon": "book-open", "onClick": "[function]"}
    assert options["startScreen"]["greeting"]
    assert len(options["startScreen"]["prompts"]) >= 3
    assert all(p["label"] and p["prompt"] for p in options["startScreen"]["prompts"])
    assert options["composer"]["placeholder"]

    # Attachments follow the server: on with its signed upload URL, off where it has none.
    upload = await client.get("/api/uploads/url", headers=AUTH)
    attachments = options["composer"]["attachments"]
    if upload.status == 200:
        assert attachments["enabled"] is True
        assert attachments["maxCount"] == 5
        assert 0 < attachments["maxSize"] <= 20 * MiB
        assert "application/pdf" in attachments["accept"]
        assert any(t.startswith("image/") for t in attachments["accept"])
        assert api["uploadStrategy"]["type"] == "direct"
        assert api["uploadStrategy"]["uploadUrl"].startswith(f"{app.origin}/chatkit/api/upload?")
    else:
        assert upload.status == 404
        assert attachments == {"enabled": False}
        assert "uploadStrategy" not in api

    # The page handled chatkit.ready and shows the component; its own bar stays, so Settings
    # never depends on how ChatKit's header renders our buttons.
    await expect(app.page.locator("body")).to_have_attribute("data-chatkit", "ready")
    await expect(app.page.locator("#chat-view openai-chatkit")).to_be_visible()
    await expect(app.page.locator("#topbar")).to_be_visible()
    assert app.script_errors() == []


async def test_header_buttons_open_settings_and_the_history_browser(open_app, client):
    await new_thread(client, "In the history")
    app = await open_app("double")
    await double_ready(app)
    page = app.page

    await page.evaluate("() => window.__chatkitDouble.options.header.rightAction.onClick()")
    dialog = page.get_by_role("dialog", name="Settings")
    await expect(dialog).to_be_visible()
    await expect(page.locator("#provider")).to_be_focused()
    await page.keyboard.press("Escape")
    await expect(dialog).to_be_hidden()

    await page.evaluate("() => window.__chatkitDouble.options.header.leftAction.onClick()")
    history = page.locator("#history-view")
    await expect(history).to_be_visible()
    # The offline history browser: its search box and its thread list.
    await expect(history.get_by_role("searchbox", name="Search your conversations")).to_be_visible()
    await expect(history.locator(".history-thread-title")).to_have_text(["In the history"])
    await expect(page.locator("#chat-view")).to_be_hidden()
    await history.get_by_role("link", name="Back to the chat").click()
    await expect(page.locator("#chat-view openai-chatkit")).to_be_visible()
    assert app.script_errors() == []


async def test_theme_follows_the_system_unless_the_settings_force_one(open_app, client):
    app = await open_app("double", color_scheme="light")
    await double_ready(app)
    page = app.page
    light_bg = await page.evaluate("() => getComputedStyle(document.body).backgroundColor")

    await page.emulate_media(color_scheme="dark")
    await last_options_when(app, "(o) => o.theme.colorScheme === 'dark'")
    dark_bg = await page.evaluate("() => getComputedStyle(document.body).backgroundColor")
    assert dark_bg != light_bg
    await page.emulate_media(color_scheme="light")
    await last_options_when(app, "(o) => o.theme.colorScheme === 'light'")

    await put_settings(client, {"theme": "dark"})
    await app.open()
    record = await double_ready(app)
    assert record["calls"][0]["theme"]["colorScheme"] == "dark"
    assert await page.evaluate("() => document.documentElement.dataset.theme") == "dark"
    await page.emulate_media(color_scheme="light")
    await page.wait_for_timeout(200)
    assert all(c["theme"]["colorScheme"] == "dark" for c in (await app.double())["calls"])
    assert await page.evaluate("() => getComputedStyle(document.body).backgroundColor") == dark_bg


async def test_a_new_domain_key_from_the_settings_reaches_chatkit(open_app, client):
    app = await open_app("double")
    await double_ready(app)
    page = app.page
    await page.evaluate("() => window.__chatkitDouble.options.header.rightAction.onClick()")
    await page.get_by_label("ChatKit domain key").fill("domain_pk_changed_in_the_page")
    await page.get_by_role("button", name="Save settings").click()
    await expect(page.locator("#settings-message")).to_have_text("Settings saved.")
    # At once (setOptions with the whole new set)…
    await last_options_when(app, "(o) => o.api.domainKey === 'domain_pk_changed_in_the_page'")
    settings = await settings_of(client)
    assert settings["preferences"]["chatkit_domain_key"] == "domain_pk_changed_in_the_page"
    # …and after a reload.
    await app.open()
    record = await double_ready(app)
    assert record["calls"][0]["api"]["domainKey"] == "domain_pk_changed_in_the_page"
    assert app.script_errors() == []


async def test_a_chatkit_error_event_is_shown(open_app):
    app = await open_app("double")
    await double_ready(app)
    await app.page.evaluate(
        """() => document.querySelector("openai-chatkit").dispatchEvent(new CustomEvent(
            "chatkit.error", {detail: {error: new Error("The key was rejected")}}))"""
    )
    alert = app.page.get_by_role("alert")
    await expect(alert).to_contain_text("The key was rejected")
    await alert.get_by_role("button", name="Dismiss").click()
    await expect(alert).to_be_hidden()


async def test_the_upload_url_is_refreshed_before_it_expires(open_app):
    app = await open_app("double", open=False)
    answers = [
        {"url": "/chatkit/api/upload?exp=1&sig=first", "expires_at": int(time.time()) + 3},
        {"url": "/chatkit/api/upload?exp=2&sig=second", "expires_at": int(time.time()) + 900},
    ]
    served: list[str] = []

    async def upload_url(route):
        answer = answers[min(len(served), len(answers) - 1)]
        served.append(answer["url"])
        await route.fulfill(status=200, content_type="application/json", body=json.dumps(answer))

    await app.page.route(f"{app.origin}/api/uploads/url", upload_url)
    await app.open()
    first = (await double_ready(app))["calls"][0]
    assert first["api"]["uploadStrategy"] == {
        "type": "direct",
        "uploadUrl": f"{app.origin}/chatkit/api/upload?exp=1&sig=first",
    }
    assert first["composer"]["attachments"]["enabled"] is True
    # Refreshed before the 3 s are up, and every other option given again with it.
    refreshed = await last_options_when(
        app, "(o) => o.api.uploadStrategy?.uploadUrl.endsWith('sig=second')", timeout=6000
    )
    assert refreshed["api"]["domainKey"] == first["api"]["domainKey"]
    assert refreshed["composer"]["models"] == first["composer"]["models"]
    assert len(served) == 2


async def test_attachments_stay_off_without_an_upload_endpoint(open_app):
    app = await open_app("double", open=False)

    async def not_found(route):
        body = {"error": {"code": "not_found", "message": "Nothing here"}}
        await route.fulfill(status=404, content_type="application/json", body=json.dumps(body))

    await app.page.route(f"{app.origin}/api/uploads/url", not_found)
    await app.open()
    options = (await double_ready(app))["calls"][-1]
    assert options["composer"]["attachments"] == {"enabled": False}
    assert "uploadStrategy" not in options["api"]
