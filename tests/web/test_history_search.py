"""Searching from the history browser: results as you type with the matched words marked,
opening a result at its message, Back to the results, paging, hostile queries and the keyboard."""

from __future__ import annotations

import pytest

from tests.web.history_page import current_hash, go, message, open_history, thread_titles
from tests.web.history_seed import seed

pytestmark = pytest.mark.slow
expect = pytest.importorskip("playwright.async_api").expect

THREADS = [
    ("Trip to Lyon", ["Where should we eat on Saturday?", "Try a bouchon near the old town."]),
    ("Tax questions", ["What can I deduct this year?", "Part of your home office."]),
    ("Bouchon recipes", ["How do I cook quenelles?", "Poach them, then bake in sauce."]),
]


def results(app):  # type: ignore[no-untyped-def]
    return app.page.get_by_role("navigation", name="Threads").locator(".history-result")


def search_box(app):  # type: ignore[no-untyped-def]
    return app.page.get_by_role("searchbox", name="Search your conversations")


async def test_results_mark_the_words_and_open_the_thread_at_the_message(
    open_app, client, data_dir
):
    lyon, _, _ = await seed(client, data_dir, THREADS)
    app = await open_history(open_app)
    page = app.page
    await search_box(app).fill("bouchon")

    found = results(app)
    await expect(found).to_have_count(2)
    await expect(page.locator("#history-results-status")).to_contain_text("2 results")
    by_message = found.filter(has_text="Trip to Lyon")
    await expect(by_message).to_contain_text("Assistant")
    await expect(by_message).to_contain_text("Try a bouchon near the old town.")
    await expect(by_message.locator("mark")).to_have_text(["bouchon"])
    await expect(by_message.locator("time")).to_contain_text("2026")
    by_title = found.filter(has_text="Bouchon recipes").first
    await expect(by_title).to_contain_text("Title")
    assert await current_hash(app) == "#history?q=bouchon"
    # The thread list makes way for the results while searching.
    await expect(thread_titles(app).first).to_be_hidden()

    await by_message.click()
    target = message(app, "Try a bouchon near the old town.")
    await expect(target).to_be_focused()
    await expect(target).to_be_in_viewport()
    await expect(page.get_by_role("heading", name="Trip to Lyon", exact=True)).to_be_visible()
    assert await current_hash(app) == f"#history/t/{lyon.id}/i/{lyon.item_ids[1]}"
    # Beside the thread (a wide window), the results stay, the open one marked.
    await expect(by_message).to_be_visible()
    await expect(by_message).to_have_attribute("aria-current", "page")

    # Back returns to the results, with the words still in the box.
    await page.go_back()
    assert await current_hash(app) == "#history?q=bouchon"
    await expect(page.locator("#history-thread")).to_be_hidden()
    await expect(search_box(app)).to_have_value("bouchon")
    await expect(found).to_have_count(2)

    # A title hit opens the thread itself.
    await by_title.click()
    await expect(page.get_by_role("heading", name="Bouchon recipes", exact=True)).to_be_visible()
    await expect(message(app, "Poach them, then bake in sauce.")).to_be_visible()

    # Emptying the box brings the thread list back.
    await search_box(app).fill("")
    await expect(thread_titles(app)).to_have_count(3)
    await expect(found).to_have_count(0)
    assert app.script_errors() == []


async def test_a_search_address_opens_its_results_and_says_when_nothing_matches(
    open_app, client, data_dir
):
    await seed(client, data_dir, THREADS)
    app = await open_history(open_app, hash="#history?q=quenelles")
    await expect(results(app)).to_have_count(1)
    await expect(search_box(app)).to_have_value("quenelles")
    await expect(results(app).locator("mark")).to_have_text(["quenelles"])

    await go(app, "#history?q=zeppelin")
    status = app.page.locator("#history-results-status")
    await expect(status).to_contain_text("Nothing found for “zeppelin”")
    await expect(results(app)).to_have_count(0)

    # The last word also matches as a prefix, as the user types.
    await search_box(app).fill("deduc")
    await expect(results(app)).to_have_count(1)
    await expect(results(app)).to_contain_text("Tax questions")
    assert await current_hash(app) == "#history?q=deduc"
    assert app.script_errors() == []


@pytest.mark.parametrize(
    "query",
    ['"', "(", "NEAR(", "*", "-x", "a AND", "OR", ")(*", '"unclosed phrase', "x:y", "^", "'; --"],
)
async def test_hostile_queries_show_results_or_nothing_never_an_error(
    open_app, client, data_dir, query
):
    await seed(client, data_dir, THREADS)
    app = await open_history(open_app)
    await search_box(app).fill(query)
    status = app.page.locator("#history-results-status")
    await expect(status).to_contain_text(query.strip())
    await expect(status).not_to_contain_text("Searching")
    assert "did not work" not in (await status.inner_text())
    await expect(app.page.locator("#alert")).to_be_hidden()
    assert app.script_errors() == []


async def test_results_page_in_with_load_more(open_app, client, data_dir):
    await seed(
        client,
        data_dir,
        [(f"Walk {n}", [f"A walk by the river, day {n}", "Lovely."]) for n in range(1, 26)],
    )
    app = await open_history(open_app)
    await search_box(app).fill("river")
    await expect(results(app)).to_have_count(20)
    more = app.page.get_by_role("button", name="Load more results")
    await more.click()
    await expect(results(app)).to_have_count(25)
    await expect(more).to_be_hidden()
    await expect(app.page.locator("#history-results-status")).to_contain_text("25 results")
    assert app.script_errors() == []


async def test_keyboard_search_arrows_enter_and_escape_back_to_the_result(
    open_app, client, data_dir
):
    lyon, _, _ = await seed(client, data_dir, THREADS)
    app = await open_history(open_app)
    page = app.page
    await expect(thread_titles(app)).to_have_count(3)
    await page.locator("#history-heading").focus()

    await page.keyboard.press("/")
    await expect(search_box(app)).to_be_focused()
    await page.keyboard.type("bouchon")
    await expect(results(app)).to_have_count(2)
    await page.keyboard.press("ArrowDown")
    first, second = results(app).nth(0), results(app).nth(1)
    await expect(first).to_be_focused()
    await page.keyboard.press("ArrowDown")
    await expect(second).to_be_focused()
    await page.keyboard.press("ArrowUp")
    await page.keyboard.press("ArrowUp")
    await expect(search_box(app)).to_be_focused()

    # Enter in the box goes to the first result; Enter on a result opens it.
    await page.keyboard.press("Enter")
    await expect(first).to_be_focused()
    lyon_result = results(app).filter(has_text="Trip to Lyon")
    await lyon_result.focus()
    await page.keyboard.press("Enter")
    target = message(app, "Try a bouchon near the old town.")
    await expect(target).to_be_focused()
    assert await current_hash(app) == f"#history/t/{lyon.id}/i/{lyon.item_ids[1]}"

    await page.keyboard.press("Escape")
    await expect(page.locator("#history-thread")).to_be_hidden()
    await expect(lyon_result).to_be_focused()
    assert await current_hash(app) == "#history?q=bouchon"
    assert app.script_errors() == []


async def test_a_search_the_server_refuses_is_explained_in_words(open_app, client, data_dir):
    await seed(client, data_dir, THREADS)
    app = await open_history(open_app)
    await search_box(app).fill("lyon " * 150)  # longer than the server accepts
    status = app.page.locator("#history-results-status")
    await expect(status).to_contain_text("The search did not work")
    await expect(status).to_contain_text("too long")
    await expect(results(app)).to_have_count(0)
    # The next search works again.
    await search_box(app).fill("lyon")
    await expect(results(app)).to_have_count(1)
    assert app.script_errors() == []


async def test_one_word_in_one_answer_among_10000_threads_opens_that_message(
    open_app, client, data_dir
):
    """The issue's own yardstick: a word said once, by the assistant, in a large history."""
    from datetime import timedelta

    from chatkit.types import (
        AssistantMessageContent,
        AssistantMessageItem,
        InferenceOptions,
        Page,
        Thread,
        UserMessageItem,
        UserMessageTextContent,
    )

    from chatkit_desktop.context import RequestContext
    from chatkit_desktop.settings.paths import DataPaths
    from chatkit_desktop.store.sqlite_store import SQLiteStore
    from tests.support.chatkit_client import call
    from tests.web.history_seed import START

    def item(thread_id: str, n: int, text: str) -> UserMessageItem | AssistantMessageItem:
        when = START + timedelta(seconds=n)
        if n % 2 == 0:
            return UserMessageItem(
                id=f"msg_{thread_id}_{n}",
                thread_id=thread_id,
                created_at=when,
                content=[UserMessageTextContent(text=text)],
                inference_options=InferenceOptions(),
            )
        return AssistantMessageItem(
            id=f"msg_{thread_id}_{n}",
            thread_id=thread_id,
            created_at=when,
            content=[AssistantMessageContent(text=text)],
        )

    needle_thread, needle_index = "thr_04321", 41  # deep in a thread longer than one page
    threads = []
    for t in range(10_000):
        thread_id = f"thr_{t:05d}"
        count = 120 if thread_id == needle_thread else 2
        items = [
            item(thread_id, n, f"Message {n} about coffee, trains and the weather in town {t}")
            for n in range(count)
        ]
        if thread_id == needle_thread:
            items[needle_index] = item(
                thread_id, needle_index, "The axolotl regrows its limbs, said the assistant."
            )
        threads.append(
            Thread(
                id=thread_id,
                title=f"Chat number {t}",
                created_at=START + timedelta(minutes=t),
                items=Page(data=items),
            )
        )
    await call(client, "threads.list", {"limit": 1})  # the server's store is open and migrated
    store = await SQLiteStore.open(DataPaths(data_dir).database)
    try:
        await store.archive.import_threads(threads, RequestContext())
    finally:
        await store.close()

    app = await open_history(open_app)
    await search_box(app).fill("axolotl")
    found = results(app)
    await expect(found).to_have_count(1)
    await expect(found.first).to_contain_text("Chat number 4321")
    await expect(found.first.locator("mark")).to_have_text(["axolotl"])

    await found.first.click()
    target = message(app, "The axolotl regrows its limbs, said the assistant.")
    await expect(target).to_be_focused()
    await expect(target).to_be_in_viewport()
    await expect(target).to_have_attribute("data-item-type", "assistant_message")
    assert await current_hash(app) == f"#history/t/{needle_thread}/i/msg_{needle_thread}_41"
    assert app.script_errors() == []
