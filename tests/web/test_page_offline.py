"""(b) When OpenAI's ChatKit script cannot load (offline, firewall, a changed CDN), the page
says so in words within seconds and shows the offline screen: the thread list, settings and
the history browser. Never a blank page."""

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
async def test_offline_screen_when_the_chatkit_script_cannot_load(
    open_app, client, cdn, words, within_s
):
    await new_thread(client, "The older thread")
    await new_thread(client, "The newest thread")
    started = time.monotonic()
    app = await open_app(cdn)
    page = app.page
    await expect(page.locator("#offline-reason")).to_contain_text(words, timeout=8000)
    await expect(page.locator("#offline-view .thread-title")).to_have_text(
        ["The newest thread", "The older thread"]
    )
    assert time.monotonic() - started < within_s

    offline = page.locator("#offline-view")
    await expect(offline).to_contain_text("Your conversations are safe")
    await expect(offline.get_by_role("link", name="Settings")).to_be_visible()
    await expect(offline.get_by_role("link", name="History browser")).to_be_visible()
    dates = await page.locator("#offline-view .thread-date").all_inner_texts()
    assert all(d.strip() for d in dates), dates
    assert not await page.locator("#chat-view").is_visible()
    assert len((await page.locator("body").inner_text()).strip()) > 200
    assert await page.locator("openai-chatkit").count() == 0
    assert app.script_errors() == []
    if cdn == "abort":
        await app.screenshot("offline-screen.png")
        return

    # Should the script arrive after all (a slow network), the page offers to switch to it.
    app.late_answer = "double"
    app.release_cdn.set()
    switch = page.get_by_role("button", name="Open the chat interface")
    await expect(switch).to_be_visible()
    await switch.click()
    await double_ready(app)
    await expect(page.locator("#chat-view openai-chatkit")).to_be_visible()
    await expect(offline).to_be_hidden()
    assert app.script_errors() == []


async def test_offline_links_reach_settings_and_the_history_browser(open_app, client):
    await new_thread(client, "Something to browse")
    app = await open_app("abort")
    page = app.page
    offline = page.locator("#offline-view")
    await expect(offline.locator(".thread-title")).to_have_text(["Something to browse"])

    await offline.get_by_role("link", name="Settings").click()
    dialog = page.get_by_role("dialog", name="Settings")
    await expect(dialog).to_be_visible()
    await page.keyboard.press("Escape")
    await expect(dialog).to_be_hidden()

    await offline.get_by_role("link", name="History browser").click()
    history = page.locator("#history-view")
    await expect(history).to_be_visible()
    # The offline history browser: its search box and its thread list.
    await expect(history.get_by_role("searchbox", name="Search your conversations")).to_be_visible()
    await expect(history.locator(".history-thread-title")).to_have_text(["Something to browse"])
    await expect(offline).to_be_hidden()
    await history.get_by_role("link", name="Back to the chat").click()
    await expect(offline).to_be_visible()
    assert app.script_errors() == []


async def test_the_built_in_client_hook_renders_into_the_main_area(open_app, client):
    await new_thread(client, "Seen by the hook")
    app = await open_app("abort")
    page = app.page
    await expect(page.locator("#offline-reason")).to_be_visible()
    await page.evaluate(
        """async () => {
            const app = await import(new URL("/static/app.js", location.href).href);
            app.registerFallbackClient((slot, ctx) => {
                const p = document.createElement("p");
                p.id = "hook-output";
                slot.append(p);
                ctx.api.listThreads().then((threads) => {
                    p.textContent = `built-in client: ${threads.map((t) => t.title).join(", ")}`
                        + ` | ${ctx.reason.length > 0} | ${typeof ctx.openSettings}`;
                });
            });
        }"""
    )
    await expect(page.locator("#hook-output")).to_have_text(
        "built-in client: Seen by the hook | true | function"
    )
    # It replaced the default thread list in the main area.
    assert await page.locator("#offline-view #threads").count() == 0
    assert app.script_errors() == []
