"""Choosing the interface (issue #7): "ChatKit" (OpenAI's component from its CDN) or "Built-in"
(the app's own client, web/chat/). With the built-in client chosen the page never even asks
OpenAI's CDN; with ChatKit chosen but unavailable the page takes the built-in client by itself
and says why; a change in Settings applies in the open page; the history browser works over
either."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.support.assertions import new_thread
from tests.web.helpers import CDN_HOST, CDN_SCRIPT, double_ready, put_settings, settings_of

pytestmark = pytest.mark.slow
expect = pytest.importorskip("playwright.async_api").expect

ROOT = "[data-chat=root]"


def cdn_requests(app, since: int = 0) -> list[str]:
    return [r.url for r in app.requests[since:] if urlsplit(r.url).netloc == CDN_HOST]


async def choose_interface(page, label: str) -> None:
    """Settings → Interface → `label` → Save, with the dialog closed again."""
    await page.locator("#settings-button").click()
    dialog = page.get_by_role("dialog", name="Settings")
    await expect(dialog).to_be_visible()
    await dialog.get_by_label("Interface").select_option(label=label)
    await dialog.get_by_role("button", name="Save settings").click()
    await expect(dialog.locator("#settings-message")).to_have_text("Settings saved.")
    await page.keyboard.press("Escape")
    await expect(dialog).to_be_hidden()


async def test_with_the_built_in_client_chosen_the_cdn_is_never_asked(open_app, client):
    await new_thread(client, "Kept on this computer")
    await put_settings(client, {"interface": "builtin"})
    app = await open_app("double")
    page = app.page
    await expect(page.locator("body")).to_have_attribute("data-interface", "builtin")
    await expect(page.locator(f"#builtin-view {ROOT}")).to_be_visible()
    await expect(page.locator("[data-chat=threads] li[data-thread-id]")).to_contain_text(
        ["Kept on this computer"]
    )
    await page.wait_for_function("() => document.readyState === 'complete'")
    # No script element for the CDN, no request to it, no notice: the user chose this.
    assert await page.locator("script[src*='cdn.platform.openai.com']").count() == 0
    assert await page.locator("openai-chatkit").count() == 0
    await expect(page.locator("#interface-notice")).to_be_hidden()
    assert cdn_requests(app) == []
    assert app.script_errors() == []


async def test_choosing_built_in_in_settings_applies_at_once_and_after_a_reload(open_app, client):
    app = await open_app("double")
    page = app.page
    await double_ready(app)
    await expect(page.locator("body")).to_have_attribute("data-interface", "chatkit")
    assert len(cdn_requests(app)) == 1

    await choose_interface(page, "Built-in (no third-party requests)")
    # In the open page: ChatKit is gone, the built-in client is there, no reload.
    await expect(page.locator("body")).to_have_attribute("data-interface", "builtin")
    await expect(page.locator(ROOT)).to_be_visible()
    assert await page.locator("openai-chatkit").count() == 0
    await expect(page.locator("#chat-view")).to_be_hidden()
    await expect(page.locator("#interface-notice")).to_be_hidden()
    assert (await settings_of(client))["preferences"]["interface"] == "builtin"

    before = len(app.requests)
    await app.open()
    await expect(page.locator("body")).to_have_attribute("data-interface", "builtin")
    await expect(page.locator(ROOT)).to_be_visible()
    await page.wait_for_function("() => document.readyState === 'complete'")
    assert cdn_requests(app, before) == [], "the reloaded page asked OpenAI's CDN"
    assert app.script_errors() == []


async def test_choosing_chatkit_in_settings_applies_in_the_open_page(open_app, client):
    await put_settings(client, {"interface": "builtin"})
    app = await open_app("double")
    page = app.page
    await expect(page.locator(ROOT)).to_be_visible()

    await choose_interface(page, "ChatKit (needs internet, loads from OpenAI)")
    await double_ready(app)
    await expect(page.locator("#chat-view openai-chatkit")).to_be_visible()
    await expect(page.locator("body")).to_have_attribute("data-interface", "chatkit")
    assert await page.locator(ROOT).count() == 0, "the built-in client was not taken down"
    await expect(page.locator("#builtin-view")).to_be_hidden()

    # And back, still without a reload.
    await choose_interface(page, "Built-in (no third-party requests)")
    await expect(page.locator(ROOT)).to_be_visible()
    assert await page.locator("openai-chatkit").count() == 0
    assert app.script_errors() == []


@pytest.mark.parametrize(
    ("cdn", "words"),
    [
        ("abort", "could not be loaded from OpenAI's servers"),
        ("hang", "did not arrive from OpenAI's servers within 4 seconds"),
        ("empty", "loaded but did not provide the chat interface"),
    ],
)
async def test_when_chatkit_cannot_load_the_built_in_client_takes_over_and_says_why(
    open_app, client, cdn, words
):
    await new_thread(client, "Still here")
    if cdn == "empty":  # the CDN answers, but with a script that defines nothing
        app = await open_app("double", open=False)
        await app.page.route(
            CDN_SCRIPT,
            lambda route: route.fulfill(
                status=200, content_type="application/javascript", body="// nothing"
            ),
        )
        await app.open()
    else:
        app = await open_app(cdn)
    page = app.page
    notice = page.locator("#interface-notice")
    await expect(notice).to_contain_text(words, timeout=8000)
    await expect(notice).to_contain_text("The built-in client is in use instead")
    await expect(page.locator("body")).to_have_attribute("data-interface", "builtin")
    await expect(page.locator(f"#builtin-view {ROOT}")).to_be_visible()
    await expect(page.locator("[data-chat=threads] li[data-thread-id]")).to_contain_text(
        ["Still here"]
    )
    assert await page.locator("openai-chatkit").count() == 0
    # The setting is untouched: ChatKit is tried again at the next start.
    assert (await settings_of(client))["preferences"]["interface"] == "chatkit"

    # The notice leads to the setting.
    await notice.get_by_role("button", name="Choose the interface").click()
    dialog = page.get_by_role("dialog", name="Settings")
    await expect(dialog).to_be_visible()
    await expect(dialog.get_by_label("Interface")).to_have_value("chatkit")
    await page.keyboard.press("Escape")
    await expect(dialog).to_be_hidden()
    assert app.script_errors() == []
    if cdn == "abort":
        await app.screenshot("builtin-after-chatkit-failed.png")


async def test_the_history_browser_opens_over_the_built_in_client_and_back(open_app, client):
    await new_thread(client, "Browse me")
    await put_settings(client, {"interface": "builtin"})
    app = await open_app("double")
    page = app.page
    composer = page.locator("textarea[data-chat=composer]")
    await expect(composer).to_be_visible()
    await composer.fill("a draft that survives a look at the history")

    await page.get_by_role("link", name="History", exact=True).click()
    history = page.locator("#history-view")
    await expect(history).to_be_visible()
    await expect(history.locator(".history-thread-title")).to_have_text(["Browse me"])
    await expect(page.locator("#builtin-view")).to_be_hidden()
    await history.get_by_role("link", name="Back to the chat").click()
    await expect(page.locator("#builtin-view")).to_be_visible()
    # The same client, not a new one: the draft is still there.
    await expect(composer).to_have_value("a draft that survives a look at the history")
    assert app.script_errors() == []


async def test_if_the_built_in_client_cannot_load_the_threads_and_the_reason_show(open_app, client):
    await new_thread(client, "Readable anyway")
    await put_settings(client, {"interface": "builtin"})
    app = await open_app("double", open=False)
    page = app.page
    await page.route("**/static/chat/chat.js", lambda route: route.fulfill(status=404))
    await app.open()
    fallback = page.locator("#builtin-fallback")
    await expect(fallback.locator("#fallback-reason")).to_contain_text(
        "The built-in chat client could not be loaded"
    )
    await expect(fallback.locator(".thread-title")).to_have_text(["Readable anyway"])
    await expect(fallback.get_by_role("link", name="History browser")).to_be_visible()
    assert cdn_requests(app) == []
    # Its threads open in the history browser.
    await fallback.get_by_role("link", name="Readable anyway").click()
    await expect(page.get_by_role("heading", name="Readable anyway", exact=True)).to_be_visible()
    await page.get_by_role("link", name="Back to the chat").click()
    await expect(fallback).to_be_visible()


async def test_built_in_chosen_while_chatkit_is_still_loading_wins(open_app, client):
    app = await open_app("hang")
    page = app.page
    await expect(page.locator("#status")).to_have_text("Loading the chat interface…")
    assert await page.locator("body").get_attribute("data-mode") == "loading"
    await choose_interface(page, "Built-in (no third-party requests)")
    await expect(page.locator("body")).to_have_attribute("data-interface", "builtin")
    await expect(page.locator(ROOT)).to_be_visible()
    # The user chose it: no "ChatKit could not load" notice.
    await expect(page.locator("#interface-notice")).to_be_hidden()

    # The script that was already on its way arrives: it is not mounted, nor offered.
    app.late_answer = "double"
    app.release_cdn.set()
    await page.wait_for_function("() => customElements.get('openai-chatkit') !== undefined")
    await page.evaluate("() => new Promise((resolve) => setTimeout(resolve, 0))")
    assert await page.locator("openai-chatkit").count() == 0
    await expect(page.locator("#chatkit-retry")).to_be_hidden()
    await expect(page.locator(ROOT)).to_be_visible()
    assert app.script_errors() == []


async def test_the_built_in_client_follows_a_new_provider_from_settings(open_app, client):
    await put_settings(client, {"interface": "builtin"})
    app = await open_app("double")
    page = app.page
    models = page.locator("select[data-chat=model] option")
    await expect(page.locator("select[data-chat=model]")).to_be_visible()
    assert "gemini-2.5-pro" not in await models.all_inner_texts()

    await page.locator("#settings-button").click()
    dialog = page.get_by_role("dialog", name="Settings")
    await dialog.get_by_label("Provider").select_option("gemini")
    await dialog.get_by_role("button", name="Save settings").click()
    await expect(dialog.locator("#settings-message")).to_have_text("Settings saved.")
    await page.keyboard.press("Escape")
    # Mounted afresh with the new settings: the picker lists the new provider's models.
    await expect(models.filter(has_text="gemini-2.5-pro")).to_have_count(1)
    await expect(page.locator("#interface-notice")).to_be_hidden()
    assert cdn_requests(app) == []
    assert app.script_errors() == []
