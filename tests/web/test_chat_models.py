"""The built-in client's model picker (issue #7): `createModelPicker(settings)` (web/chat/
model-picker.js) offers the active provider's models from the settings view, "Default (<model>)"
first; the choice goes into the message's `inference_options.model` and is the model the scripted
OpenAI server is asked for (a retry too); it lasts while the page is open, never stored. Against
the real app and the scripted model server on 127.0.0.1; nothing else is reachable."""

from __future__ import annotations

from typing import Any

import pytest

from chatkit_desktop.testing.openai_server import Reply
from tests.support.assertions import items_of
from tests.web.chat_page import expect, open_chat, reopen

pytestmark = pytest.mark.slow

OPENAI_MODELS = ["gpt-4.1", "gpt-4o-mini", "gpt-4o", "gpt-5-mini", "gpt-5"]

# Pickers of their own in a test container, for settings views the test shapes (`change` edits
# a copy of the real view first). Returns the new picker's index in `window.__pickers`.
MOUNT_JS = """
async (change) => {
  const api = await import('/static/api.js');
  const { createModelPicker } = await import('/static/chat/model-picker.js');
  let box = document.getElementById('picker-test');
  if (!box) {
    box = document.createElement('section');
    box.id = 'picker-test';
    document.body.prepend(box);
    window.__pickers = [];
  }
  let settings = await api.request('GET', '/api/settings');
  if (change === 'no-models') {
    settings.providers.find((p) => p.id === settings.provider).models = [];
  } else if (change === 'gemini') {
    settings.provider = 'gemini';
    settings.model = settings.providers.find((p) => p.id === 'gemini').model;
  } else if (change === 'none') {
    settings = null;
  }
  const picker = createModelPicker(settings);
  const slot = document.createElement('div');
  slot.dataset.picker = String(window.__pickers.length);
  slot.append(picker.element);
  box.append(slot);
  window.__pickers.push(picker);
  return window.__pickers.length - 1;
}
"""


async def mount_picker(page: Any, change: str = "") -> tuple[Any, Any]:
    """(the picker's container, a function returning its value())."""
    index = await page.evaluate(MOUNT_JS, change)
    slot = page.locator(f"#picker-test [data-picker='{index}']")

    async def value() -> Any:
        return await page.evaluate("(i) => window.__pickers[i].value()", index)

    return slot, value


async def test_the_picker_lists_the_providers_models_with_the_default_first(open_app, client):
    app = await open_app("abort")
    page = app.page
    await page.wait_for_function("() => document.body.dataset.interface === 'builtin'")

    slot, value = await mount_picker(page)
    select = slot.get_by_label("Model")
    await expect(select).to_have_attribute("data-chat", "model")
    await expect(select).to_be_enabled()
    assert await select.locator("option").all_inner_texts() == [
        "Default (gpt-4.1-mini)",
        *OPENAI_MODELS,
    ]
    assert await value() is None

    # Keyboard: focus it and choose with the arrow keys.
    await select.focus()
    await select.press("ArrowDown")
    await expect(select).to_have_value("gpt-4.1")
    await select.select_option("gpt-5-mini")
    assert await value() == "gpt-5-mini"

    # Remembered while the page is open: a new picker (the client mounted again) keeps it.
    again, again_value = await mount_picker(page)
    await expect(again.get_by_label("Model")).to_have_value("gpt-5-mini")
    assert await again_value() == "gpt-5-mini"
    # Per provider: Gemini's own list and default.
    gemini, gemini_value = await mount_picker(page, "gemini")
    assert await gemini.get_by_label("Model").locator("option").all_inner_texts() == [
        "Default (gemini-2.5-flash)",
        "gemini-2.5-flash-lite",
        "gemini-2.5-pro",
    ]
    assert await gemini_value() is None

    # A provider listing no models: disabled, and the reason is shown.
    empty, empty_value = await mount_picker(page, "no-models")
    empty_select = empty.get_by_label("Model")
    await expect(empty_select).to_be_disabled()
    await expect(empty_select.locator("option")).to_have_text(["Default (gpt-4.1-mini)"])
    await expect(empty).to_contain_text(
        "OpenAI lists no other models: gpt-4.1-mini answers (Settings can change it)."
    )
    await expect(empty_select).to_have_accessible_description(
        "OpenAI lists no other models: gpt-4.1-mini answers (Settings can change it)."
    )
    assert await empty_value() is None

    # No settings at all: nothing to pick, nothing shown.
    hidden, hidden_value = await mount_picker(page, "none")
    await expect(hidden.locator("[data-chat=model-picker]")).to_be_hidden()
    assert await hidden_value() is None

    # Only for the session: after a reload the default is back.
    await app.open()
    await page.wait_for_function("() => document.body.dataset.interface === 'builtin'")
    fresh, fresh_value = await mount_picker(page)
    await expect(fresh.get_by_label("Model")).to_have_value("")
    assert await fresh_value() is None
    assert app.script_errors() == []


async def test_the_picked_model_is_the_one_the_model_server_is_asked_for(
    open_app, openai_server, client
):
    scripted, _ = openai_server
    scripted.queue(
        Reply(text="Answered by the picked model."),
        Reply(text="Answered again by the picked model."),
        Reply(text="Answered by the default model."),
    )
    chat = await open_chat(open_app)
    model = chat.chat("model")
    await expect(model).to_have_accessible_name("Model")
    await expect(model).to_have_value("")
    await model.select_option("gpt-4.1")

    await chat.ask("Which model are you?")
    assert scripted.requests[-1].path == "/v1/responses"
    assert scripted.requests[-1].model == "gpt-4.1"
    await expect(chat.answer_text()).to_contain_text("Answered by the picked model.")
    thread_id = await chat.current_thread_id()
    [question, _] = await items_of(client, thread_id)
    assert question["inference_options"]["model"] == "gpt-4.1"

    # A retry asks the same model (the server re-uses the stored message's choice).
    await chat.last_answer().locator("[data-chat=retry]").click()
    await chat.idle()
    await expect(chat.answer_text()).to_contain_text("Answered again by the picked model.")
    assert scripted.requests[-1].model == "gpt-4.1"

    # Back to the default: the server's own choice (Settings) answers.
    await model.select_option("")
    await chat.ask("And now?")
    assert scripted.requests[-1].model == "gpt-4.1-mini"
    items = await items_of(client, thread_id)
    assert items[-2]["inference_options"].get("model") is None

    # The choice lasts for the session only: a reload shows the default again.
    await model.select_option("gpt-5")
    await reopen(chat)
    await expect(chat.chat("model")).to_have_value("")
    assert chat.app.script_errors() == []
