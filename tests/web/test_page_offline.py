"""(b) When OpenAI's ChatKit script cannot load (offline, firewall, a changed CDN), the page
says so in words within seconds and switches to the built-in client by itself, with settings
and the history browser at hand; should the script arrive late, it offers ChatKit again. Never
a blank page."""

from __future__ import annotations

import time

import pytest

from tests.support.assertions import new_thread
from tests.web.helpers import double_ready

pytestmark = pytest.mark.slow
expect = pytest.importorskip("playwright.async_api").expect


@pytest.mark.parametrize(
    ("cdn", "words", "within_s"),
    [
        ("abort", "could not be loaded from OpenAI's servers", 4.0),
        ("hang", "did not arrive from OpenAI's servers within 4 seconds", 8.0),
    ],
)
async def test_the_built_in_client_when_the_chatkit_script_cannot_load(
    open_app, client, cdn, words, within_s
):
    await new_thread(client, "The older thread")
    await new_thread(client, "The newest thread")
    started = time.monotonic()
    app = await open_app(cdn)
    page = app.page
    notice = page.locator("#interface-notice")
    await expect(notice).to_contain_text(words, timeout=8000)
    await expect(page.locator("[data-chat=threads] li[data-thread-id]")).to_contain_text(
        ["The newest thread", "The older thread"]
    )
    assert time.monotonic() - started < within_s

    await expect(notice).to_contain_text("The built-in client is in use instead")
    await expect(notice).to_contain_text("your conversations are the same")
    await expect(page.get_by_role("button", name="Settings")).to_be_visible()
    await expect(page.get_by_role("link", name="History", exact=True)).to_be_visible()
    assert not await page.locator("#chat-view").is_visible()
    assert len((await page.locator("body").inner_text()).strip()) > 100
    assert await page.locator("openai-chatkit").count() == 0
    assert app.script_errors() == []
    if cdn == "abort":
        # The notice can be put away; the client stays.
        await notice.get_by_role("button", name="Dismiss").click()
        await expect(notice).to_be_hidden()
        await expect(page.locator("[data-chat=root]")).to_be_visible()
        await app.screenshot("offline-screen.png")
        return

    # Should the script arrive after all (a slow network), the page offers to switch to it.
    app.late_answer = "double"
    app.release_cdn.set()
    switch = page.get_by_role("button", name="Open the chat interface")
    await expect(switch).to_be_visible()
    await expect(page.locator("#status")).to_have_text("The chat interface has loaded now.")
    await switch.click()
    await double_ready(app)
    await expect(page.locator("#chat-view openai-chatkit")).to_be_visible()
    await expect(page.locator("#builtin-view")).to_be_hidden()
    await expect(page.locator("body")).to_have_attribute("data-interface", "chatkit")
    assert await page.locator("[data-chat=root]").count() == 0
    assert app.script_errors() == []


async def test_without_chatkit_settings_and_the_history_browser_are_reachable(open_app, client):
    await new_thread(client, "Something to browse")
    app = await open_app("abort")
    page = app.page
    builtin = page.locator("#builtin-view")
    await expect(builtin.locator("[data-chat=threads] li[data-thread-id]")).to_contain_text(
        ["Something to browse"]
    )

    await page.get_by_role("button", name="Settings").click()
    dialog = page.get_by_role("dialog", name="Settings")
    await expect(dialog).to_be_visible()
    await page.keyboard.press("Escape")
    await expect(dialog).to_be_hidden()

    await page.get_by_role("link", name="History", exact=True).click()
    history = page.locator("#history-view")
    await expect(history).to_be_visible()
    # The offline history browser: its search box and its thread list.
    await expect(history.get_by_role("searchbox", name="Search your conversations")).to_be_visible()
    await expect(history.locator(".history-thread-title")).to_have_text(["Something to browse"])
    await expect(builtin).to_be_hidden()
    await history.get_by_role("link", name="Back to the chat").click()
    await expect(builtin).to_be_visible()
    await expect(page.locator("#interface-notice")).to_contain_text("OpenAI's servers")
    assert app.script_errors() == []
