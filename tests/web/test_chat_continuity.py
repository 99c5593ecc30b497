"""One thread, two clients (issue #7): a thread started over the ChatKit protocol by another
client (plain HTTP here, as ChatKit's widget or any client would) continues in the built-in
client with its history intact, and a thread started in the built-in client continues over plain
HTTP: items.list shows both turns in order, and the model got the whole history each time. The
title the server gives a new thread appears in the thread list while the answer streams."""

from __future__ import annotations

import re

import pytest

from chatkit_desktop.testing.openai_server import Reply
from tests.support.assertions import items_of, text_of
from tests.support.chatkit_client import assistant_text, stream, thread_id_of, user_input
from tests.web.chat_page import expect, open_chat, reopen
from tests.web.history_seed import seed_long_thread

pytestmark = pytest.mark.slow


async def test_a_thread_from_another_client_continues_in_the_built_in_client(
    open_app, openai_server, client
):
    scripted, _ = openai_server
    events = await stream(client, "threads.create", {"input": user_input("Question one")})
    thread_id = thread_id_of(events)
    assert assistant_text(events) == "You said: Question one"

    chat = await open_chat(open_app)
    await chat.open_thread("Question one")
    assert await chat.current_thread_id() == thread_id
    await expect(chat.user_texts()).to_have_text(["Question one"])
    await expect(chat.answer_text()).to_have_text("You said: Question one")

    await chat.ask("Question two")
    await expect(chat.user_texts()).to_have_text(["Question one", "Question two"])
    await expect(chat.answers().locator("[data-chat=text]")).to_have_text(
        ["You said: Question one", "You said: Question two"]
    )
    # Same thread, same store, in order; the model saw the earlier turn.
    assert await chat.current_thread_id() == thread_id
    await expect(chat.thread_rows()).to_have_count(1)
    items = await items_of(client, thread_id)
    assert [(i["type"], text_of(i)) for i in items] == [
        ("user_message", "Question one"),
        ("assistant_message", "You said: Question one"),
        ("user_message", "Question two"),
        ("assistant_message", "You said: Question two"),
    ]
    assert scripted.requests[-1].user_texts() == ["Question one", "Question two"]


async def test_a_thread_from_the_built_in_client_continues_over_http(
    open_app, openai_server, client
):
    scripted, _ = openai_server
    scripted.queue(Reply(text="Hello, human."), Reply(text="Still here."))
    chat = await open_chat(open_app)
    await chat.ask("Hello machine")
    thread_id = await chat.current_thread_id()

    events = await stream(
        client,
        "threads.add_user_message",
        {"thread_id": thread_id, "input": user_input("Are you still there?")},
    )
    assert assistant_text(events) == "Still here."
    items = await items_of(client, thread_id)
    assert [(i["type"], text_of(i)) for i in items] == [
        ("user_message", "Hello machine"),
        ("assistant_message", "Hello, human."),
        ("user_message", "Are you still there?"),
        ("assistant_message", "Still here."),
    ]
    assert scripted.requests[-1].user_texts() == ["Hello machine", "Are you still there?"]

    # And back in the built-in client after a reload: the whole thread.
    await reopen(chat)
    await chat.open_thread("Hello machine")
    await expect(chat.user_texts()).to_have_text(["Hello machine", "Are you still there?"])
    await expect(chat.answers().locator("[data-chat=text]")).to_have_text(
        ["Hello, human.", "Still here."]
    )


async def test_the_new_threads_title_appears_in_the_list_while_it_answers(
    open_app, openai_server, client
):
    scripted, _ = openai_server
    await stream(client, "threads.create", {"input": user_input("An older thread")})
    scripted.queue(Reply(text=" ".join(f"w{n}" for n in range(80)), delay_s=0.05))
    chat = await open_chat(open_app)
    await expect(chat.thread_rows()).to_have_count(1)
    await chat.send("Plan a picnic for Saturday")
    # The new thread comes first, titled, and is the open one, before the answer ends.
    first = chat.thread_rows().first
    await expect(first).to_contain_text("Plan a picnic for Saturday")
    await expect(first).to_have_attribute("aria-current", "true")
    await expect(chat.page.locator("[data-chat=root] .chat-title")).to_have_text(
        "Plan a picnic for Saturday"
    )
    await expect(chat.chat("stop")).to_be_visible()
    await chat.composer.press("Escape")
    await chat.idle()
    await expect(chat.thread_rows()).to_have_count(2)
    await expect(chat.thread_rows().first).to_contain_text("Plan a picnic for Saturday")


async def test_a_long_thread_opens_at_its_newest_messages_and_loads_older_ones(
    open_app, openai_server, client, data_dir
):
    # "Question number 1", "Answer number 2", … "Answer number 48", written into the store.
    thread = await seed_long_thread(client, data_dir, 48, title="A long conversation")
    chat = await open_chat(open_app)
    await chat.open_thread("A long conversation")
    # The newest page (40 items), at the bottom; the older ones on request.
    await expect(chat.items()).to_have_count(40)
    await expect(chat.answer_text()).to_have_text("Answer number 48")
    await expect(chat.user_texts().first).to_have_text("Question number 9")
    older = chat.page.get_by_role("button", name="Load older messages")
    await expect(older).to_be_visible()
    await older.click()
    await expect(chat.items()).to_have_count(48)
    await expect(chat.user_texts().first).to_have_text("Question number 1")
    await expect(older).to_be_hidden()
    # And the thread goes on at the bottom, with the whole history sent to the model.
    await chat.ask("Question number 49")
    await expect(chat.user_texts().last).to_have_text("Question number 49")
    await expect(chat.answer_text()).to_have_text("You said: Question number 49")
    assert len(await items_of(client, thread.id)) == 50


async def test_another_thread_can_be_read_while_an_answer_streams(open_app, openai_server, client):
    scripted, _ = openai_server
    await stream(client, "threads.create", {"input": user_input("Earlier thread")})
    scripted.queue(Reply(text=" ".join(f"w{n}" for n in range(120)), delay_s=0.04))
    chat = await open_chat(open_app)
    await chat.send("Long story please")
    live = chat.page.locator("[data-chat=messages] .chat-live [data-chat=text]")
    await expect(live).to_contain_text("w3")

    # Away to the other thread: only its own messages, and the answer goes on elsewhere.
    await chat.open_thread("Earlier thread")
    await expect(chat.user_texts()).to_have_text(["Earlier thread"])
    await expect(live).to_have_count(0)
    await expect(chat.status).to_have_text("An answer is still being written in another thread.")

    # Back: the answer, still growing, where it was.
    await chat.open_thread("Long story please")
    await expect(chat.user_texts()).to_have_text(["Long story please"])
    await expect(live).to_have_count(1)
    before = len(await live.inner_text())
    await expect(live).not_to_have_text(re.compile(rf"^.{{0,{before}}}$", re.S))
    await chat.composer.press("Escape")
    await chat.idle()
    await expect(chat.last_answer()).to_have_attribute("data-stopped", "true")
    await expect(chat.answers()).to_have_count(1)
