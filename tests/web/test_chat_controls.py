"""The built-in client's controls (issue #7): Stop (button or Escape) keeps the partial answer,
marked "Stopped", also after a reload; Retry answers the last question again; thumbs up/down are
stored and shown pressed after a reload; Enter sends, Shift+Enter starts a new line, nothing is
sent twice while an answer streams; "/" and Ctrl+L come back to the message box; the arrow keys
move through the thread list; a narrow, dark window works."""

from __future__ import annotations

import pytest

from chatkit_desktop.context import RequestContext
from chatkit_desktop.http.keys import SERVICES
from chatkit_desktop.testing.openai_server import Reply
from tests.support.assertions import eventually, items_of, text_of
from tests.support.chatkit_client import call, stream, user_input
from tests.web.chat_page import ChatPage, expect, open_chat, reopen
from tests.web.history_seed import seed_many

pytestmark = pytest.mark.slow

LONG = " ".join(f"word{n}" for n in range(80))


async def _stopped_answer_survives_a_reload(chat: ChatPage, client, stop) -> None:
    await chat.send("Count slowly")
    live = chat.page.locator("[data-chat=messages] .chat-live [data-chat=text]")
    await expect(live).to_contain_text("word4")
    await stop()
    await chat.idle()

    answer = chat.last_answer()
    await expect(answer).to_have_attribute("data-stopped", "true")
    await expect(answer.locator(".item-head")).to_contain_text("Stopped")
    await expect(chat.status).to_contain_text("Stopped")
    shown = (await chat.answer_text().inner_text()).strip()
    assert shown.startswith("word0 word1 word2 word3 word4"), shown
    assert "word79" not in shown

    # The server stored the partial answer (as the SDK does when a stream is cancelled).
    thread_id = await chat.current_thread_id()

    async def stored():
        answers = [i for i in await items_of(client, thread_id) if i["type"] == "assistant_message"]
        return answers[0] if answers else None

    saved = text_of(await eventually(stored, timeout=8))
    assert saved.startswith(shown) and len(saved) < len(LONG)

    await reopen(chat)
    await chat.thread_row("Count slowly").locator("button").click()
    again = chat.last_answer()
    await expect(again).to_have_attribute("data-stopped", "true")
    await expect(again.locator(".item-head")).to_contain_text("Stopped")
    await expect(chat.answer_text(again)).to_contain_text(saved.split()[-1])
    assert chat.app.page_errors == []


async def test_stop_keeps_the_partial_answer_marked_stopped_after_a_reload(
    open_app, openai_server, client
):
    scripted, _ = openai_server
    scripted.queue(Reply(text=LONG, delay_s=0.05))
    chat = await open_chat(open_app)
    await _stopped_answer_survives_a_reload(chat, client, lambda: chat.chat("stop").click())


async def test_escape_stops_the_answer(open_app, openai_server, client):
    scripted, _ = openai_server
    scripted.queue(Reply(text=LONG, delay_s=0.05))
    chat = await open_chat(open_app)
    await _stopped_answer_survives_a_reload(chat, client, lambda: chat.composer.press("Escape"))


async def test_retry_answers_the_last_question_again(open_app, openai_server, client):
    scripted, _ = openai_server
    scripted.queue(Reply(text="First answer."), Reply(text="Second answer."))
    chat = await open_chat(open_app)
    await chat.ask("Tell me a joke")
    await expect(chat.answer_text()).to_have_text("First answer.")
    retry = chat.last_answer().locator("[data-chat=retry]")
    await expect(retry).to_have_count(1)
    await retry.click()
    await chat.idle()
    await expect(chat.answer_text()).to_have_text("Second answer.")
    await expect(chat.answers()).to_have_count(1)
    await expect(chat.items("user_message")).to_have_count(1)
    thread_id = await chat.current_thread_id()
    items = await items_of(client, thread_id)
    assert [(i["type"], text_of(i)) for i in items] == [
        ("user_message", "Tell me a joke"),
        ("assistant_message", "Second answer."),
    ]
    # The model was asked the question again, without the discarded answer.
    assert scripted.requests[-1].user_texts() == ["Tell me a joke"]


async def test_feedback_is_stored_and_shown_after_a_reload(open_app, openai_server, client):
    chat = await open_chat(open_app)
    await chat.ask("Rate me")
    answer = chat.last_answer()
    answer_id = await answer.get_attribute("data-item-id")
    thread_id = await chat.current_thread_id()
    up = answer.locator("[data-chat=thumbs-up]")
    down = answer.locator("[data-chat=thumbs-down]")
    await expect(up).to_have_attribute("aria-pressed", "false")
    services = await client.app[SERVICES].get()

    async def feedback():
        return await services.store.load_feedback(thread_id, RequestContext())

    await up.click()
    await expect(up).to_have_attribute("aria-pressed", "true")
    assert await eventually(feedback) == {answer_id: "positive"}
    await down.click()
    await expect(down).to_have_attribute("aria-pressed", "true")
    await expect(up).to_have_attribute("aria-pressed", "false")

    async def negative():
        return await feedback() == {answer_id: "negative"}

    await eventually(negative)

    await reopen(chat)
    await chat.open_thread("Rate me")
    await expect(chat.last_answer().locator("[data-chat=thumbs-down]")).to_have_attribute(
        "aria-pressed", "true"
    )
    await expect(chat.last_answer().locator("[data-chat=thumbs-up]")).to_have_attribute(
        "aria-pressed", "false"
    )


async def test_enter_sends_shift_enter_breaks_the_line_and_nothing_is_sent_twice(
    open_app, openai_server
):
    scripted, _ = openai_server
    scripted.queue(Reply(text=LONG, delay_s=0.05))
    chat = await open_chat(open_app)
    composer = chat.composer
    await composer.click()
    await composer.type("line one")
    await composer.press("Shift+Enter")
    await composer.type("line two")
    await expect(composer).to_have_value("line one\nline two")
    assert not [
        r for r in chat.app.requests_to("/chatkit/api") if "threads.create" in (r.post_data or "")
    ]
    height_two_lines = await composer.evaluate("(e) => e.offsetHeight")
    await composer.press("Shift+Enter")
    await composer.type("line three")
    assert await composer.evaluate("(e) => e.offsetHeight") > height_two_lines  # it grows

    await composer.press("Enter")
    await expect(composer).to_have_value("")
    await expect(chat.user_texts()).to_have_text("line one\nline two\nline three")
    # While the answer streams, Enter does not send (and says why); the draft stays.
    await expect(chat.status).to_have_text("Answering…")
    await composer.type("second question")
    await composer.press("Enter")
    await expect(composer).to_have_value("second question")
    await expect(chat.chat("send")).to_be_disabled()
    await chat.composer.press("Escape")
    await chat.idle()
    sent = [
        r
        for r in chat.app.requests_to("/chatkit/api")
        if '"threads.' in (r.post_data or "") and '"threads.list"' not in (r.post_data or "")
    ]
    assert len(sent) == 1, [r.post_data for r in sent]
    assert scripted.requests[0].user_texts() == ["line one\nline two\nline three"]


async def test_keys_focus_the_composer_and_move_through_threads(open_app, client):
    for title in ("Alpha", "Beta", "Gamma"):
        await stream(client, "threads.create", {"input": user_input(title)})
    chat = await open_chat(open_app)
    await expect(chat.thread_rows()).to_have_count(3)
    # Newest first.
    await expect(chat.thread_rows().locator(".chat-thread-title")).to_have_text(
        ["Gamma", "Beta", "Alpha"]
    )
    await chat.page.locator("[data-chat=threads] button").first.focus()
    await chat.page.keyboard.press("ArrowDown")
    await expect(chat.thread_row("Beta").locator("button")).to_be_focused()
    await chat.page.keyboard.press("End")
    await expect(chat.thread_row("Alpha").locator("button")).to_be_focused()
    await chat.page.keyboard.press("ArrowUp")
    await chat.page.keyboard.press("Enter")
    await expect(chat.thread_row("Beta")).to_have_attribute("aria-current", "true")
    await expect(chat.user_texts()).to_have_text("Beta")
    await expect(chat.current_thread()).to_have_count(1)

    await chat.page.keyboard.press("/")
    await expect(chat.composer).to_be_focused()
    await expect(chat.composer).to_have_value("")
    await chat.chat("new-thread").focus()
    await chat.page.keyboard.press("Control+l")
    await expect(chat.composer).to_be_focused()
    # The keys are said in the page.
    describedby = await chat.composer.get_attribute("aria-describedby")
    help_text = await chat.page.locator(f"#{describedby}").text_content()
    for words in ("Enter", "Shift+Enter", "Escape", "Ctrl+L", "arrow keys"):
        assert words in help_text, help_text

    await chat.chat("new-thread").click()
    await expect(chat.current_thread()).to_have_count(0)
    await expect(chat.composer).to_be_focused()


async def test_a_narrow_dark_window(open_app, openai_server, client):
    await stream(client, "threads.create", {"input": user_input("Earlier thread")})
    chat = await open_chat(open_app, viewport={"width": 380, "height": 700}, color_scheme="dark")
    await chat.ask("Hello from a small window")
    await expect(chat.answer_text()).to_have_text("You said: Hello from a small window")
    fits = await chat.page.evaluate(
        "() => document.scrollingElement.scrollWidth <= document.scrollingElement.clientWidth"
    )
    assert fits
    # The thread list is a panel behind the Threads button.
    await expect(chat.chat("threads")).to_be_hidden()
    toggle = chat.page.locator("[data-chat=root] .chat-sidebar-toggle")
    await toggle.click()
    await expect(toggle).to_have_attribute("aria-expanded", "true")
    await chat.thread_row("Earlier thread").locator("button").click()
    await expect(chat.chat("threads")).to_be_hidden()
    await expect(chat.page.locator("[data-chat=root] .chat-title")).to_be_focused()
    await expect(chat.user_texts()).to_have_text("Earlier thread")
    colors = await chat.page.evaluate(
        "() => { const s = getComputedStyle(document.querySelector('[data-chat=root]'));"
        " return [s.color, s.backgroundColor]; }"
    )
    assert colors[0] != colors[1]
    assert colors[1] != "rgb(255, 255, 255)"  # dark


async def test_the_thread_list_pages_newest_first(open_app, client, data_dir):
    await seed_many(client, data_dir, 35)  # "Thread 1" (oldest) … "Thread 35" (newest)
    chat = await open_chat(open_app)
    titles = chat.thread_rows().locator(".chat-thread-title")
    await expect(titles).to_have_count(30)
    await expect(titles.first).to_have_text("Thread 35")
    await expect(titles.last).to_have_text("Thread 6")
    await chat.page.get_by_role("button", name="Load more threads").click()
    await expect(titles).to_have_count(35)
    await expect(titles.last).to_have_text("Thread 1")
    await expect(chat.page.get_by_role("button", name="Load more threads")).to_be_hidden()
    await chat.open_thread("Thread 1")
    await expect(chat.answer_text()).to_have_text("Last answer of thread 1")


async def test_the_open_thread_can_be_renamed(open_app, client):
    events = await stream(client, "threads.create", {"input": user_input("Old name")})
    thread_id = events[0]["thread"]["id"]
    chat = await open_chat(open_app)
    rename = chat.chat("rename")
    await expect(rename).to_be_hidden()  # no thread open yet
    await chat.open_thread("Old name")
    await rename.click()
    field = chat.page.get_by_role("textbox", name="Thread title")
    await expect(field).to_be_focused()
    await expect(field).to_have_value("Old name")
    # Escape leaves the field unchanged.
    await field.fill("Discarded")
    await field.press("Escape")
    await expect(rename).to_be_focused()
    await expect(chat.page.locator("[data-chat=root] .chat-title")).to_have_text("Old name")
    await rename.click()
    await field.fill("Shopping list")
    await field.press("Enter")
    await expect(chat.page.locator("[data-chat=root] .chat-title")).to_have_text("Shopping list")
    await expect(chat.current_thread()).to_contain_text("Shopping list")

    async def renamed():
        thread = await call(client, "threads.get_by_id", {"thread_id": thread_id})
        return thread["title"] == "Shopping list"

    await eventually(renamed)
