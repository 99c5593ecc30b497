"""(d) The settings dialog: provider and model, a base URL the server refuses, a key kept for
this session when there is no secure keyring (the test app runs with `use_keyring=False`), the
provider check, keyboard use, and a narrow (400 px) window."""

from __future__ import annotations

import pytest

from tests.web.helpers import settings_of

pytestmark = pytest.mark.slow
expect = pytest.importorskip("playwright.async_api").expect

A_KEY = "AIza-test-key-0123456789-never-shown"


async def _open_settings(open_app, **kwargs):
    app = await open_app("abort", **kwargs)
    page = app.page
    await expect(page.locator("#interface-notice")).to_be_visible()
    await page.get_by_role("button", name="Settings").click()
    dialog = page.get_by_role("dialog", name="Settings")
    await expect(dialog).to_be_visible()
    await expect(dialog.locator(".key-row")).to_have_count(3)
    return app, page, dialog


async def test_provider_and_model_are_saved(open_app, client):
    app, page, dialog = await _open_settings(open_app)
    await dialog.get_by_label("Provider").select_option("gemini")
    await dialog.get_by_label("Model", exact=True).select_option("gemini-2.5-pro")
    await dialog.get_by_role("button", name="Save settings").click()
    await expect(dialog.locator("#settings-message")).to_have_text("Settings saved.")
    settings = await settings_of(client)
    assert settings["provider"] == "gemini"
    assert settings["preferences"]["providers"]["gemini"]["model"] == "gemini-2.5-pro"

    # A model that is not in the list, and a local server's base URL.
    await dialog.get_by_label("Provider").select_option("openai-compatible")
    await dialog.get_by_label("Model", exact=True).select_option(label="Other (type a model name)…")
    await expect(dialog.get_by_label("Model name")).to_be_focused()
    await dialog.get_by_label("Model name").fill("qwen2.5-coder:7b")
    await dialog.get_by_label("Base URL").fill("http://127.0.0.1:1234/v1")
    await dialog.get_by_role("button", name="Save settings").click()
    await expect(dialog.locator("#settings-message")).to_have_text("Settings saved.")
    settings = await settings_of(client)
    assert settings["preferences"]["provider"] == "openai-compatible"
    assert settings["preferences"]["providers"]["openai-compatible"] == {
        "model": "qwen2.5-coder:7b",
        "base_url": "http://127.0.0.1:1234/v1",
    }
    # The earlier choice for Gemini is still there.
    assert settings["preferences"]["providers"]["gemini"]["model"] == "gemini-2.5-pro"
    # Shown again as saved when the dialog opens next time.
    await page.keyboard.press("Escape")
    await page.get_by_role("button", name="Settings").click()
    await expect(dialog.get_by_label("Provider")).to_have_value("openai-compatible")
    await expect(dialog.get_by_label("Model", exact=True)).to_have_value("qwen2.5-coder:7b")
    await expect(dialog.get_by_label("Base URL")).to_have_value("http://127.0.0.1:1234/v1")
    assert app.script_errors() == []


async def test_a_bad_base_url_shows_the_servers_message_at_the_field(open_app, client):
    app, _page, dialog = await _open_settings(open_app)
    before = await settings_of(client)
    await dialog.get_by_label("Provider").select_option("openai-compatible")
    await dialog.get_by_label("Base URL").fill("ftp://example.invalid/v1")
    await dialog.get_by_role("button", name="Save settings").click()
    error = dialog.locator("#base-url-error")
    await expect(error).to_be_visible()
    await expect(error).to_contain_text("base_url")
    await expect(error).to_contain_text("http://")
    await expect(dialog.get_by_label("Base URL")).to_have_attribute("aria-invalid", "true")
    await expect(dialog.get_by_label("Base URL")).to_be_focused()
    await expect(dialog.locator("#settings-message")).to_contain_text("Not saved")
    assert (await settings_of(client))["preferences"] == before["preferences"]
    # Typing again clears the error.
    await dialog.get_by_label("Base URL").fill("http://localhost:11434/v1")
    await expect(error).to_be_hidden()
    assert app.script_errors() == []


async def test_a_key_without_a_secure_keyring_is_kept_for_this_session(open_app, client):
    app, page, dialog = await _open_settings(open_app)
    row = dialog.locator(".key-row[data-provider='gemini']")
    openai_row = dialog.locator(".key-row[data-provider='openai']")
    await expect(row.locator(".key-source")).to_have_text("No key")
    await expect(openai_row.locator(".key-source")).to_contain_text(
        "from the environment variable OPENAI_API_KEY"
    )
    key_input = row.get_by_label("New Google Gemini API key")
    await expect(key_input).to_have_attribute("type", "password")
    await expect(key_input).to_have_value("")
    await key_input.fill(A_KEY)
    await row.get_by_role("button", name="Save the Google Gemini key").click()

    offer = row.locator(".key-offer")
    await expect(offer).to_be_visible()
    await expect(offer).to_contain_text("this session only")
    session = offer.get_by_role("button", name="Keep for this session only")
    await expect(session).to_be_focused()
    await session.click()
    await expect(row.locator(".key-source")).to_contain_text("this session only")
    await expect(row.locator(".key-message")).to_have_text("Key saved for this session only.")
    await expect(key_input).to_have_value("")
    await expect(offer).to_be_hidden()
    settings = await settings_of(client)
    gemini = next(p for p in settings["providers"] if p["id"] == "gemini")
    assert gemini["key"] == {"has_key": True, "source": "session"}

    # Never shown again: not in the page, not in a reopened dialog.
    assert A_KEY not in await page.content()
    await page.keyboard.press("Escape")
    await page.get_by_role("button", name="Settings").click()
    await expect(key_input).to_have_value("")
    await expect(row.locator(".key-source")).to_contain_text("this session only")

    await row.get_by_role("button", name="Delete the Google Gemini key").click()
    await expect(row.locator(".key-source")).to_have_text("No key")
    assert app.script_errors() == []


async def test_check_shows_the_providers_answer(open_app):
    app, _page, dialog = await _open_settings(open_app)
    row = dialog.locator(".key-row[data-provider='openai']")
    await row.get_by_role("button", name="Check the OpenAI connection").click()
    message = row.locator(".key-message")
    await expect(message).to_contain_text("Connected to OpenAI at http://127.0.0.1:")
    await expect(message).to_have_attribute("data-kind", "ok")
    # A local server that is not running (nothing listens on loopback port 11434 here).
    local = dialog.locator(".key-row[data-provider='openai-compatible']")
    await local.get_by_role("button", name="Check the Local or OpenAI-compatible").click()
    await expect(local.locator(".key-message")).to_have_attribute("data-kind", "fail")
    assert (await local.locator(".key-message").inner_text()).strip() not in ("", "Checking…")
    assert app.script_errors() == []


async def test_the_dialog_is_keyboard_usable_and_returns_focus(open_app):
    app = await open_app("abort")
    page = app.page
    await expect(page.locator("#interface-notice")).to_be_visible()
    settings_button = page.get_by_role("button", name="Settings")
    await settings_button.focus()
    await page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Settings")
    await expect(dialog).to_be_visible()
    await expect(dialog.get_by_label("Provider")).to_be_focused()
    # Tab moves through the dialog's own controls only (it is modal).
    for _ in range(6):
        await page.keyboard.press("Tab")
        inside = await page.evaluate(
            "() => document.getElementById('settings-dialog').contains(document.activeElement)"
        )
        assert inside
    await page.keyboard.press("Escape")
    await expect(dialog).to_be_hidden()
    await expect(settings_button).to_be_focused()
    # Close button too.
    await page.keyboard.press("Enter")
    await expect(dialog).to_be_visible()
    await dialog.get_by_role("button", name="Close").click()
    await expect(dialog).to_be_hidden()
    await expect(settings_button).to_be_focused()


@pytest.mark.parametrize("width", [400, 1000])
async def test_the_built_in_client_and_settings_fit_the_window(open_app, client, width):
    app, page, dialog = await _open_settings(open_app, viewport={"width": width, "height": 1500})
    overflow = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    assert await page.evaluate(overflow) <= 0
    box = await dialog.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width
    dialog_overflow = await dialog.evaluate("(d) => d.scrollWidth - d.clientWidth")
    assert dialog_overflow <= 0
    if width == 1000:
        await app.screenshot("settings-panel.png", full_page=False)
    else:
        await app.screenshot("settings-panel-400px.png", full_page=False)
        await page.keyboard.press("Escape")
        assert await page.evaluate(overflow) <= 0
        await app.screenshot("builtin-400px.png")
