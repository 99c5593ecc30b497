"""(e) Every request the page makes goes to the app's own loopback server, or, with the ChatKit
interface only, to OpenAI's CDN script (intercepted in tests). The fixture checks this after
every browser test; these tests walk through the whole page to make the count meaningful."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.support.assertions import new_thread
from tests.web.chat_page import ChatPage
from tests.web.helpers import CDN_HOST, CDN_SCRIPT, double_ready, put_settings

pytestmark = pytest.mark.slow
expect = pytest.importorskip("playwright.async_api").expect


async def test_no_request_leaves_the_machine(open_app, client):
    await new_thread(client, "Networked")
    chat = await open_app("double")
    await double_ready(chat)
    await chat.page.evaluate("() => window.__chatkitDouble.options.header.rightAction.onClick()")
    await chat.page.get_by_role("button", name="Save settings").click()
    await expect(chat.page.locator("#settings-message")).to_have_text("Settings saved.")
    await chat.page.keyboard.press("Escape")
    await chat.page.evaluate("() => window.__chatkitDouble.options.header.leftAction.onClick()")
    await expect(chat.page.locator("#history-view .history-thread-title")).to_have_text(
        ["Networked"]
    )
    # A thread and a search in the history browser (its items' renderer included).
    await chat.page.locator("#history-view .history-thread-link").click()
    await expect(chat.page.get_by_role("heading", name="Networked")).to_be_visible()
    await chat.page.get_by_role("searchbox", name="Search your conversations").fill("networked")
    await expect(chat.page.locator("#history-results-status")).to_contain_text("results for")

    offline = await open_app("abort")
    await expect(offline.page.locator("[data-chat=threads] li[data-thread-id]")).to_contain_text(
        ["Networked"]
    )
    await offline.page.get_by_role("button", name="Settings").click()
    row = offline.page.locator(".key-row[data-provider='openai']")
    await row.get_by_role("button", name="Check the OpenAI connection").click()
    await expect(row.locator(".key-message")).to_contain_text("Connected")

    for app in (chat, offline):
        hosts = {urlsplit(r.url).netloc for r in app.requests}
        app_host = urlsplit(app.base).netloc
        assert hosts <= {app_host, CDN_HOST}, hosts
        others = [r.url for r in app.requests if urlsplit(r.url).netloc not in (app_host, CDN_HOST)]
        assert len(others) == 0, others
        assert [r.url for r in app.requests if urlsplit(r.url).netloc == CDN_HOST] == [CDN_SCRIPT]
        assert len(app.requests) >= 6


async def test_with_the_built_in_interface_only_the_app_is_asked(open_app, client):
    """The whole page in built-in mode (a chat turn, settings, the history browser and a
    search): every request goes to the app's own server, not one to OpenAI's CDN."""
    await put_settings(client, {"interface": "builtin"})
    app = await open_app("double")
    page = app.page
    chat = ChatPage(app)
    await expect(page.locator("[data-chat=root]")).to_be_visible()
    await chat.ask("Only local, please")
    await expect(chat.answer_text()).to_contain_text("You said: Only local, please")

    await page.locator("#settings-button").click()
    await page.get_by_role("button", name="Save settings").click()
    await expect(page.locator("#settings-message")).to_have_text("Settings saved.")
    await page.keyboard.press("Escape")
    await page.get_by_role("link", name="History", exact=True).click()
    await page.locator("#history-view .history-thread-link").first.click()
    await expect(page.locator("#history-thread")).to_contain_text("You said: Only local, please")
    await page.get_by_role("searchbox", name="Search your conversations").fill("local")
    await expect(page.locator("#history-results-status")).to_contain_text("result")

    app_host = urlsplit(app.base).netloc
    assert {urlsplit(r.url).netloc for r in app.requests} == {app_host}
    assert [r.url for r in app.requests if urlsplit(r.url).netloc == CDN_HOST] == []
    assert len(app.requests_to("/chatkit/api")) >= 3
    assert app.script_errors() == []
