"""The built-in client streams an answer as it arrives (issue #7): the words grow in several
steps in the same text element (appended, never redrawn), the status says "Answering…", the
Markdown is drawn once the answer is done, a tool's progress is shown, and a provider's error is
said in words with a Retry that answers again. Against the real app and the scripted
OpenAI-compatible server on 127.0.0.1; nothing else is reachable (open_app checks)."""

from __future__ import annotations

import re

import pytest

from chatkit_desktop.testing.openai_server import Reply, ToolCall
from tests.support.assertions import items_of, text_of
from tests.web.chat_page import expect, open_chat

pytestmark = pytest.mark.slow

WORDS = " ".join(f"w{n}" for n in range(12))
MARKDOWN = f"Here is **bold** text and `code`: {WORDS}"


async def test_the_answer_grows_in_steps_then_its_markdown_is_drawn(
    open_app, openai_server, client
):
    scripted, _ = openai_server
    scripted.queue(Reply(text=MARKDOWN, delay_s=0.04))
    chat = await open_chat(open_app)
    await chat.watch()

    await chat.send("Hello there")
    # The question shows at once; the answer streams into the page, then ends.
    await expect(chat.items("user_message").filter(has_text="Hello there")).to_be_visible()
    await chat.idle()

    answer = chat.last_answer()
    await expect(chat.answer_text()).to_contain_text(f"Here is bold text and code: {WORDS}")
    # Rendered once done: Markdown, not the raw asterisks.
    await expect(answer.locator("[data-chat=text] strong")).to_have_text("bold")
    await expect(answer.locator("[data-chat=text] code")).to_have_text("code")
    await expect(answer).not_to_have_attribute("data-stopped", "true")
    await expect(chat.status).not_to_have_text("Answering…")

    watched = await chat.watched()
    lengths = watched["lengths"]
    assert len(set(lengths)) >= 5, lengths  # several steps, not one jump
    assert lengths == sorted(lengths), lengths  # only ever growing
    assert watched["rebuilt"] == 0, watched  # deltas appended, never redrawn
    assert watched["boxes"] == 1, watched
    assert "Answering…" in watched["statuses"], watched
    assert all(watched["stop"]), watched  # Stop was there while the words came

    # The thread was created by the stream and is the open one in the list.
    thread_id = await chat.current_thread_id()
    items = await items_of(client, thread_id)
    assert [(i["type"], text_of(i)) for i in items] == [
        ("user_message", "Hello there"),
        ("assistant_message", MARKDOWN),
    ]
    assert chat.app.page_errors == []  # no uncaught exception in the page


async def test_a_tools_progress_is_shown_while_it_runs(open_app, openai_server):
    scripted, _ = openai_server
    scripted.queue(
        Reply(tool_calls=[ToolCall(name="get_current_time")]),
        Reply(text="It is time to test.", delay_s=0.05),
    )
    chat = await open_chat(open_app)
    await chat.watch()
    await chat.ask("What time is it?")
    await expect(chat.answer_text()).to_have_text("It is time to test.")
    watched = await chat.watched()
    assert "Checking the time" in watched["progress"], watched
    assert any("Checking the time" in s for s in watched["statuses"]), watched
    # The progress line is gone once the answer came.
    await expect(chat.chat("progress")).to_have_count(0)


async def test_a_provider_error_is_said_in_words_and_retry_answers(open_app, openai_server, client):
    scripted, _ = openai_server
    scripted.queue(Reply(status=401, error_message="Incorrect API key provided"))
    chat = await open_chat(open_app)
    await chat.send("Are you there?")

    await expect(chat.error).to_be_visible()
    await expect(chat.error).to_have_attribute("role", "alert")
    await expect(chat.error).to_contain_text("API key was rejected")
    await expect(chat.error).to_contain_text("401")
    retry = chat.error.locator("[data-chat=retry]")
    await expect(retry).to_be_visible()
    await chat.idle()
    assert await chat.answers().count() == 0

    # A retry that fails again can be retried again.
    scripted.queue(Reply(status=500, error_message="Overloaded"))
    await retry.click()
    await chat.idle()
    await expect(chat.error).to_be_visible()
    await expect(chat.error).not_to_contain_text("API key")
    await expect(retry).to_be_visible()
    await expect(chat.items("user_message")).to_have_count(1)

    scripted.queue(Reply(text="Yes, here now."))
    await retry.click()
    await chat.idle()
    await expect(chat.error).to_be_hidden()
    await expect(chat.answer_text()).to_have_text("Yes, here now.")
    thread_id = await chat.current_thread_id()
    items = await items_of(client, thread_id)
    assert [(i["type"], text_of(i)) for i in items] == [
        ("user_message", "Are you there?"),
        ("assistant_message", "Yes, here now."),
    ]


async def test_an_error_mid_answer_keeps_what_was_said(open_app, openai_server):
    scripted, _ = openai_server
    scripted.queue(Reply(text=WORDS, fail_after=4, delay_s=0.02))
    chat = await open_chat(open_app)
    await chat.send("Tell me")
    await expect(chat.error).to_be_visible()
    await expect(chat.error).not_to_have_text("")
    await chat.idle()
    await expect(chat.answer_text()).to_contain_text("w0 w1 w2")
    await expect(chat.error.locator("[data-chat=retry]")).to_be_visible()


PARSER_JS = """
async () => {
  const { SSEParser } = await import('/static/chat/stream.js');
  const text = '\\ufeff: a comment\\r\\ndata: {"n":1}\\r\\n\\r\\ndata: {"n":2}\\n\\n'
    + 'data: {"n":3,\\ndata: "s":"é"}\\r\\r' + 'event: x\\ndata:{"n":4}\\n\\n' + 'data: {"n":5}';
  const run = (pieces) => {
    const parser = new SSEParser();
    const out = [];
    for (const piece of pieces) out.push(...parser.push(piece));
    out.push(...parser.end());
    return JSON.stringify(out);
  };
  const whole = run([text]);
  const bad = [];
  for (let i = 0; i <= text.length; i++) {           // every split in two
    if (run([text.slice(0, i), text.slice(i)]) !== whole) bad.push(i);
  }
  const chars = run([...text]);                       // one character at a time
  return { whole: JSON.parse(whole), bad, chars: chars === whole };
}
"""


async def test_the_event_stream_parser_reads_events_however_the_bytes_are_split(open_app):
    chat = await open_chat(open_app)
    result = await chat.page.evaluate(PARSER_JS)
    assert result["bad"] == []
    assert result["chars"] is True
    # Several events per piece, CR/LF/CRLF line ends, a BOM, a comment, multi-line data, a
    # named event; an unterminated last event is dropped.
    assert result["whole"] == [
        {"event": "message", "data": '{"n":1}'},
        {"event": "message", "data": '{"n":2}'},
        {"event": "message", "data": '{"n":3,\n"s":"é"}'},
        {"event": "x", "data": '{"n":4}'},
    ]


def _synthetic_stream() -> str:
    """Every kind of event the protocol streams, as one answer (what a server with tools,
    workflows and widgets sends), for the page to draw."""
    import json as _json

    now = "2026-11-27T10:00:00"
    thread = {"id": "thr_synthetic", "title": None, "created_at": now, "status": {"type": "active"}}
    base = {"thread_id": "thr_synthetic", "created_at": now}
    task = {"type": "custom", "title": "Read the notes", "status_indicator": "loading"}
    done_task = {**task, "status_indicator": "complete", "content": "Notes **read**."}
    workflow = {"type": "custom", "tasks": [], "expanded": True}
    events = [
        {"type": "thread.created", "thread": {**thread, "items": {"data": [], "has_more": False}}},
        {
            "type": "thread.item.done",
            "item": {
                **base,
                "id": "msg_u",
                "type": "user_message",
                "content": [{"type": "input_text", "text": "Show me everything"}],
                "attachments": [],
                "inference_options": {},
            },
        },
        {"type": "stream_options", "stream_options": {"allow_cancel": True}},
        {"type": "progress_update", "text": "Looking around"},
        {
            "type": "thread.item.added",
            "item": {**base, "id": "wf_1", "type": "workflow", "workflow": workflow},
        },
        {
            "type": "thread.item.updated",
            "item_id": "wf_1",
            "update": {"type": "workflow.task.added", "task_index": 0, "task": task},
        },
        {
            "type": "thread.item.updated",
            "item_id": "wf_1",
            "update": {"type": "workflow.task.updated", "task_index": 0, "task": done_task},
        },
        {
            "type": "thread.item.done",
            "item": {
                **base,
                "id": "wf_1",
                "type": "workflow",
                "workflow": {**workflow, "tasks": [done_task], "summary": {"duration": 2}},
            },
        },
        {
            "type": "thread.item.done",
            "item": {
                **base,
                "id": "tsk_1",
                "type": "task",
                "task": {"type": "thought", "title": "Thinking it over", "content": "Deep thought"},
            },
        },
        {
            "type": "thread.item.done",
            "item": {
                **base,
                "id": "wid_1",
                "type": "widget",
                "widget": {"type": "Card", "children": [{"type": "Text", "value": "First widget"}]},
            },
        },
        {
            "type": "notice",
            "level": "warning",
            "title": "Heads up",
            "message": "A notice in words.",
        },
        {
            "type": "thread.item.added",
            "item": {**base, "id": "msg_gone", "type": "assistant_message", "content": []},
        },
        {
            "type": "thread.item.updated",
            "item_id": "msg_gone",
            "update": {
                "type": "assistant_message.content_part.text_delta",
                "content_index": 0,
                "delta": "Never mind",
            },
        },
        {"type": "thread.item.removed", "item_id": "msg_gone"},
        {
            "type": "thread.item.replaced",
            "item": {
                **base,
                "id": "wid_1",
                "type": "widget",
                "widget": {
                    "type": "Card",
                    "children": [{"type": "Text", "value": "Replaced widget"}],
                },
            },
        },
        {
            "type": "thread.updated",
            "thread": {
                **thread,
                "title": "Synthetic title",
                "items": {"data": [], "has_more": False},
            },
        },
        {"type": "client_effect", "name": "something_new", "data": {}},
        {"type": "error", "code": "stream.error", "allow_retry": False},
    ]
    return "".join(f"data: {_json.dumps(e)}\n\n" for e in events)


async def test_workflows_tasks_widgets_notices_and_a_final_error_are_drawn(open_app):
    chat = await open_chat(open_app)
    body = _synthetic_stream()

    async def answer(route):
        if "threads.create" in (route.request.post_data or ""):
            await route.fulfill(status=200, content_type="text/event-stream", body=body)
        else:
            await route.continue_()

    await chat.page.route("**/chatkit/api", answer)
    await chat.send("Show me everything")
    await chat.idle()

    workflow = chat.items("workflow")
    await expect(workflow).to_have_count(1)
    await expect(workflow).to_contain_text("Worked for 2 s")
    await expect(workflow).to_contain_text("Read the notes")
    await expect(workflow.locator(".task-status")).to_have_text("done")
    await expect(chat.items("task")).to_contain_text("Thinking it over")
    await expect(chat.items("widget")).to_have_text(re.compile("Replaced widget"))
    await expect(chat.page.locator("[data-item-id=msg_gone]")).to_have_count(0)
    notice = chat.chat("notice")
    await expect(notice).to_contain_text("Heads up")
    await expect(notice).to_contain_text("A notice in words.")
    await expect(chat.chat("progress")).to_have_count(0)
    # Titled live, in the list and above the messages.
    await expect(chat.current_thread()).to_contain_text("Synthetic title")
    await expect(chat.page.locator("[data-chat=root] .chat-title")).to_have_text("Synthetic title")
    # An error the server says cannot be retried: words, and no Retry.
    await expect(chat.error).to_contain_text("The answer failed on the local server")
    await expect(chat.page.locator("[data-chat=retry]:visible")).to_have_count(0)
    assert chat.app.page_errors == []
