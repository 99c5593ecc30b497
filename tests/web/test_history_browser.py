"""The offline history browser (issue #5): the thread list, one thread, renames, deletes with
Undo, downloads, keyboard use, narrow windows and the dark theme. Everything the page shows
comes from the local server (seeded through the real store); nothing may leave the machine (the
`open_app` fixture checks that for every page)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.support.chatkit_client import TOKEN, call
from tests.web.helpers import double_ready
from tests.web.history_page import (
    current_hash,
    go,
    has_no_horizontal_scroll,
    message,
    open_history,
    scroller,
    thread_link,
    thread_row,
    thread_titles,
)
from tests.web.history_seed import (
    message_text,
    parse_jsonl,
    seed,
    seed_long_thread,
    seed_many,
    thread_exists,
    thread_title,
    trash_ids,
)

pytestmark = pytest.mark.slow
expect = pytest.importorskip("playwright.async_api").expect


async def test_the_header_link_opens_the_list_newest_first_with_dates_and_previews(
    open_app, client, data_dir
):
    await seed(
        client,
        data_dir,
        [
            ("Trip to Lyon", ["Where should we eat?", "Try a bouchon near the old town."]),
            ("Tax questions", ["What can I deduct?", "Your home office, in part."]),
            ("Garden plans", ["When do tomatoes go out?", "After the last frost, in May."]),
        ],
    )
    app = await open_app("double")
    page = app.page
    await double_ready(app)
    await page.locator("#topbar").get_by_role("link", name="History").click()

    history = page.locator("#history-view")
    await expect(history).to_be_visible()
    await expect(page.locator("#chat-view")).to_be_hidden()
    await expect(thread_titles(app)).to_have_text(["Garden plans", "Tax questions", "Trip to Lyon"])
    newest = thread_row(app, "Garden plans")
    await expect(newest).to_contain_text("After the last frost, in May.")
    await expect(newest.locator("time")).to_contain_text("2026")
    await expect(thread_row(app, "Trip to Lyon")).to_contain_text(
        "Try a bouchon near the old town."
    )
    await expect(page.get_by_role("status").filter(has_text="3 threads")).to_be_visible()
    await expect(page.get_by_role("search")).to_be_visible()
    await expect(page.get_by_role("link", name="Trash")).to_be_visible()

    await page.get_by_role("link", name="Back to the chat").click()
    await expect(page.locator("#chat-view")).to_be_visible()
    await expect(history).to_be_hidden()
    assert app.script_errors() == []


async def test_the_list_pages_in_more_threads_as_it_scrolls(open_app, client, data_dir):
    await seed_many(client, data_dir, 60)
    app = await open_history(open_app)
    page = app.page
    titles = thread_titles(app)
    await expect(titles).to_have_count(30)
    await expect(titles.first).to_have_text("Thread 60")
    await expect(page.get_by_role("button", name="Load more threads")).to_be_attached()

    await page.get_by_role("navigation", name="Threads").hover()
    await page.mouse.wheel(0, 10_000)
    await expect(titles).to_have_count(60)
    await expect(titles.last).to_have_text("Thread 1")
    await expect(page.get_by_role("button", name="Load more threads")).to_be_hidden()
    await expect(page.get_by_role("status").filter(has_text="60 threads")).to_be_visible()
    assert app.script_errors() == []


async def test_load_more_threads_works_from_the_keyboard(open_app, client, data_dir):
    await seed_many(client, data_dir, 35)
    app = await open_history(open_app)
    page = app.page
    titles = thread_titles(app)
    await expect(titles).to_have_count(30)
    await thread_row(app, "Thread 6").get_by_role("button", name="Delete “Thread 6”").focus()
    # Focusing the last row brings the end of the list into view, which may page the rest in by
    # itself; if not, Tab reaches "Load more threads" (it never pages in while it has the focus)
    # and Enter presses it. Either way the focus goes on to the first thread that arrived.
    await page.keyboard.press("Tab")
    if await page.evaluate("() => document.activeElement.textContent") == "Load more threads":
        await page.keyboard.press("Enter")
    await expect(titles).to_have_count(35)
    await expect(thread_link(app, "Thread 5")).to_be_focused()
    await expect(page.locator("#history-threads-more")).to_be_hidden()
    assert app.script_errors() == []


async def test_a_rename_from_the_list_is_saved(open_app, client, data_dir):
    [thread] = await seed(client, data_dir, [("Old name", ["Hello", "Hi there"])])
    app = await open_history(open_app)
    page = app.page
    row = thread_row(app, "Old name")
    await row.hover()
    await row.get_by_role("button", name="Rename “Old name”").click()
    box = page.get_by_role("textbox", name="New title for “Old name”")
    await expect(box).to_be_focused()
    await box.fill("Holiday planning")
    await box.press("Enter")

    await expect(thread_titles(app)).to_have_text(["Holiday planning"])
    await expect(thread_link(app, "Holiday planning")).to_be_focused()
    assert await thread_title(client, thread.id) == "Holiday planning"

    # Escape gives up a rename; F2 on a thread starts one from the keyboard.
    await page.keyboard.press("F2")
    box = page.get_by_role("textbox", name="New title for “Holiday planning”")
    await expect(box).to_be_focused()
    await box.fill("Not this")
    await page.keyboard.press("Escape")
    await expect(thread_titles(app)).to_have_text(["Holiday planning"])
    await expect(thread_link(app, "Holiday planning")).to_be_focused()
    assert await thread_title(client, thread.id) == "Holiday planning"

    # It stays renamed when the page is opened again.
    await app.open()
    await go(app, "#history")
    await expect(thread_titles(app)).to_have_text(["Holiday planning"])
    assert app.script_errors() == []


async def test_delete_moves_the_thread_to_the_trash_and_undo_brings_it_back(
    open_app, client, data_dir
):
    older, newer = await seed(
        client, data_dir, [("Keep me", ["one", "two"]), ("Delete me", ["three", "four"])]
    )
    app = await open_history(open_app)
    page = app.page
    await expect(thread_titles(app)).to_have_text(["Delete me", "Keep me"])
    row = thread_row(app, "Delete me")
    await row.hover()
    await row.get_by_role("button", name="Delete “Delete me”").click()

    await expect(thread_titles(app)).to_have_text(["Keep me"])
    toast = page.locator("#history-toast")
    await expect(toast).to_contain_text("Moved to trash")
    assert await trash_ids(client) == [newer.id]
    assert not await thread_exists(client, newer.id)

    await toast.get_by_role("button", name="Undo").click()
    await expect(thread_titles(app)).to_have_text(["Delete me", "Keep me"])
    await expect(toast).to_contain_text("is back")
    assert await trash_ids(client) == []
    assert await thread_exists(client, newer.id)
    assert await thread_exists(client, older.id)
    assert app.script_errors() == []


async def test_deleting_the_open_thread_returns_to_the_list(open_app, client, data_dir):
    [thread] = await seed(client, data_dir, [("Open and delete", ["a question", "an answer"])])
    app = await open_history(open_app, hash=f"#history/t/{thread.id}")
    page = app.page
    await expect(page.get_by_role("heading", name="Open and delete")).to_be_visible()
    await thread_link(app, "Open and delete").focus()
    await page.keyboard.press("Delete")
    await expect(page.locator("#history-toast")).to_contain_text("Moved to trash")
    await expect(page.locator("#history-thread")).to_be_hidden()
    assert await current_hash(app) == "#history"
    assert await trash_ids(client) == [thread.id]
    assert app.script_errors() == []


async def test_a_long_thread_opens_at_the_newest_and_loads_older_messages_upwards(
    open_app, client, data_dir
):
    thread = await seed_long_thread(client, data_dir, 250)
    app = await open_history(open_app)
    page = app.page
    await thread_link(app, "A long conversation").click()

    await expect(page.get_by_role("heading", name="A long conversation")).to_be_visible()
    newest = message(app, message_text(249))
    await expect(newest).to_be_in_viewport()
    await expect(scroller(app)).to_be_focused()
    await expect(message(app, message_text(0))).to_have_count(0)
    first_loaded = message(app, message_text(200))
    await expect(first_loaded).to_be_attached()
    await expect(message(app, message_text(199))).to_have_count(0)
    assert await current_hash(app) == f"#history/t/{thread.id}"

    # Scrolling to the top loads the page before it, and the reader stays where they were.
    await scroller(app).hover()
    await page.mouse.wheel(0, -100_000)
    await expect(message(app, message_text(199))).to_be_attached()
    await expect(first_loaded).to_be_in_viewport()
    await expect(newest).not_to_be_in_viewport()

    # And so on up to the very first message.
    for _ in range(10):
        if await message(app, message_text(0)).count():
            break
        await page.mouse.wheel(0, -100_000)
        await page.wait_for_function(
            "(n) => document.querySelectorAll('#history-items .history-item').length > n",
            arg=await page.locator("#history-items .history-item").count(),
        )
    await expect(message(app, message_text(0))).to_be_attached()
    await expect(page.locator("#history-items .history-item")).to_have_count(250)
    assert app.script_errors() == []


async def test_a_link_to_an_item_opens_the_thread_there_highlighted_and_focused(
    open_app, client, data_dir
):
    thread = await seed_long_thread(client, data_dir, 250)
    await seed(
        client,
        data_dir,
        [("Another thread", ["x", "y"])],
        start=datetime(2026, 5, 1, 9, 0, tzinfo=UTC),
    )
    app = await open_history(open_app)
    page = app.page
    target_id = thread.item_ids[119]
    await go(app, f"#history/t/{thread.id}/i/{target_id}")

    target = message(app, message_text(119))
    await expect(target).to_be_focused()
    await expect(target).to_be_in_viewport()
    assert await target.get_attribute("data-item-id") == target_id
    assert await target.get_attribute("data-item-type") == "assistant_message"
    # Marked: a bar the messages around it do not have.
    marker = await target.evaluate("(e) => getComputedStyle(e).boxShadow")
    neighbour = await message(app, message_text(118)).evaluate(
        "(e) => getComputedStyle(e).boxShadow"
    )
    assert marker != "none" and marker != neighbour, (marker, neighbour)
    await expect(thread_link(app, "A long conversation")).to_have_attribute("aria-current", "page")

    # The items on both sides are there, the far ends are not (yet).
    await expect(message(app, message_text(70))).to_be_attached()
    await expect(message(app, message_text(168))).to_be_attached()
    await expect(message(app, message_text(0))).to_have_count(0)
    await expect(message(app, message_text(249))).to_have_count(0)

    # Scrolling down loads newer messages.
    await scroller(app).hover()
    await page.mouse.wheel(0, 100_000)
    await expect(message(app, message_text(169))).to_be_attached()
    for _ in range(10):
        if await message(app, message_text(249)).count():
            break
        await page.mouse.wheel(0, 100_000)
        await page.wait_for_function(
            "(n) => document.querySelectorAll('#history-items .history-item').length > n",
            arg=await page.locator("#history-items .history-item").count(),
        )
    await expect(message(app, message_text(249))).to_be_attached()

    # Another item of the same thread: the view moves there.
    other_id = thread.item_ids[10]
    await go(app, f"#history/t/{thread.id}/i/{other_id}")
    await expect(message(app, message_text(10))).to_be_focused()
    await expect(message(app, message_text(10))).to_be_in_viewport()
    assert app.script_errors() == []


async def test_a_link_to_a_deleted_thread_or_a_missing_item_says_so(open_app, client, data_dir):
    gone, kept = await seed(client, data_dir, [("Gone", ["a", "b"]), ("Kept", ["c", "d"])])
    await call(client, "threads.delete", {"thread_id": gone.id})
    app = await open_history(open_app)
    page = app.page
    await go(app, f"#history/t/{gone.id}")
    status = page.locator("#history-thread-status")
    await expect(status).to_have_text("This thread no longer exists (it may be in the trash).")
    await expect(page.get_by_role("button", name="Download Markdown")).to_be_hidden()

    await go(app, "#history/t/thr_doesnotexist0000")
    await expect(status).to_have_text("This thread no longer exists (it may be in the trash).")

    await go(app, f"#history/t/{kept.id}/i/msg_notthere00000000")
    await expect(status).to_contain_text("not in this thread any more")
    await expect(message(app, "d")).to_be_visible()
    await expect(page.get_by_role("heading", name="Kept", exact=True)).to_be_visible()
    assert app.script_errors() == []


async def test_downloads_give_the_thread_as_markdown_and_json_and_all_threads_as_jsonl(
    open_app, client, data_dir, tmp_path: Path
):
    lyon, tax = await seed(
        client,
        data_dir,
        [
            ("Trip to Lyon", ["Where should we eat?", "Try a bouchon."]),
            ("Tax questions", ["What can I deduct?", "Your home office."]),
        ],
    )
    app = await open_history(open_app, hash=f"#history/t/{lyon.id}")
    page = app.page
    await expect(message(app, "Try a bouchon.")).to_be_visible()

    async with page.expect_download() as info:
        await page.get_by_role("button", name="Download Markdown").click()
    download = await info.value
    assert download.suggested_filename == "Trip to Lyon.md"
    markdown = Path(await download.path()).read_text(encoding="utf-8")
    assert markdown.startswith("# "), markdown[:200]
    assert "Trip to Lyon" in markdown and "Try a bouchon." in markdown

    async with page.expect_download() as info:
        await page.get_by_role("button", name="Download JSON").click()
    download = await info.value
    assert download.suggested_filename == "Trip to Lyon.json"
    exported = json.loads(Path(await download.path()).read_text(encoding="utf-8"))
    assert exported["id"] == lyon.id
    assert [item["id"] for item in exported["items"]["data"]] == lyon.item_ids

    async with page.expect_download() as info:
        await page.get_by_role("button", name="All threads as JSONL").click()
    download = await info.value
    assert download.suggested_filename.endswith(".jsonl")
    lines = parse_jsonl(Path(await download.path()).read_text(encoding="utf-8"))
    assert {line["id"] for line in lines} == {lyon.id, tax.id}
    assert app.script_errors() == []


async def test_keyboard_only_search_box_arrows_enter_and_escape(open_app, client, data_dir):
    await seed(
        client,
        data_dir,
        [(f"Thread {n}", [f"question {n}", f"answer {n}"]) for n in (1, 2, 3)],
    )
    app = await open_history(open_app)
    page = app.page
    await expect(thread_titles(app)).to_have_count(3)
    await page.locator("#history-heading").focus()

    await page.keyboard.press("/")
    search = page.get_by_role("searchbox", name="Search your conversations")
    await expect(search).to_be_focused()
    await expect(search).to_have_value("")
    await page.keyboard.press("ArrowDown")
    await expect(thread_link(app, "Thread 3")).to_be_focused()
    await page.keyboard.press("ArrowDown")
    await expect(thread_link(app, "Thread 2")).to_be_focused()
    await page.keyboard.press("ArrowDown")
    await page.keyboard.press("ArrowUp")
    await expect(thread_link(app, "Thread 2")).to_be_focused()

    await page.keyboard.press("Enter")
    await expect(page.get_by_role("heading", name="Thread 2", exact=True)).to_be_visible()
    await expect(message(app, "answer 2")).to_be_visible()
    await expect(scroller(app)).to_be_focused()
    assert (await current_hash(app)).startswith("#history/t/")

    await page.keyboard.press("Escape")
    await expect(page.locator("#history-thread")).to_be_hidden()
    await expect(thread_link(app, "Thread 2")).to_be_focused()
    assert await current_hash(app) == "#history"

    # Tab reaches the row's own buttons, then the next thread.
    await page.keyboard.press("Tab")
    await expect(page.get_by_role("button", name="Rename “Thread 2”")).to_be_focused()
    await page.keyboard.press("Tab")
    await expect(page.get_by_role("button", name="Delete “Thread 2”")).to_be_focused()
    await page.keyboard.press("Tab")
    await expect(thread_link(app, "Thread 1")).to_be_focused()
    await page.keyboard.press("Shift+Tab")
    await expect(page.get_by_role("button", name="Delete “Thread 2”")).to_be_focused()

    await page.keyboard.press("Control+k")
    await expect(search).to_be_focused()
    # The keyboard focus is drawn.
    await page.keyboard.press("ArrowDown")
    outline = await thread_link(app, "Thread 3").evaluate("(e) => getComputedStyle(e).outlineStyle")
    assert outline != "none"
    assert app.script_errors() == []


async def test_a_400_pixel_window_shows_the_list_or_the_thread_without_sideways_scrolling(
    open_app, client, data_dir
):
    long_word = "Supercalifragilisticexpialidocious" * 4
    [thread] = await seed(
        client,
        data_dir,
        [
            (
                "A thread with a rather long title that must wrap on a narrow window",
                ["A question that is long enough to wrap several times " * 5, long_word],
            )
        ],
    )
    app = await open_history(open_app, viewport={"width": 400, "height": 800})
    page = app.page
    link = thread_link(app, "A thread with a rather long title")
    await expect(link).to_be_visible()
    assert await has_no_horizontal_scroll(app)

    await link.click()
    heading = page.get_by_role("heading", name="A thread with a rather long title")
    await expect(heading).to_be_visible()
    await expect(link).to_be_hidden()  # the thread replaces the list
    answer = message(app, long_word)
    await expect(answer).to_be_visible()
    box = await answer.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 400, box
    assert await has_no_horizontal_scroll(app)
    await app.screenshot("history-narrow-thread.png", full_page=False)

    await page.get_by_role("link", name="Back to the list").click()
    await expect(link).to_be_visible()
    await expect(heading).to_be_hidden()
    assert await current_hash(app) == "#history"
    assert await has_no_horizontal_scroll(app)
    assert thread.id
    assert app.script_errors() == []


@pytest.mark.parametrize("how", ["system", "setting"])
async def test_the_dark_theme_applies_to_the_history_browser(open_app, client, data_dir, how):
    [thread] = await seed(client, data_dir, [("Night reading", ["Is it dark?", "It is."])])
    light = await open_history(open_app, hash=f"#history/t/{thread.id}")
    if how == "system":
        dark = await open_history(open_app, hash=f"#history/t/{thread.id}", color_scheme="dark")
    else:
        from tests.web.helpers import put_settings

        await put_settings(client, {"theme": "dark"})
        dark = await open_history(open_app, hash=f"#history/t/{thread.id}")
    colours = []
    for app in (light, dark):
        await expect(message(app, "It is.")).to_be_visible()
        colours.append(
            await app.page.evaluate(
                """() => {
                    const view = document.getElementById('history-view');
                    return [getComputedStyle(document.body).backgroundColor,
                            getComputedStyle(view).color];
                }"""
            )
        )
    assert colours[0][0] != colours[1][0], colours
    assert colours[0][1] != colours[1][1], colours
    await dark.screenshot(f"history-dark-{how}.png", full_page=False)
    assert light.script_errors() == [] and dark.script_errors() == []


async def test_back_and_forward_move_between_the_list_and_a_thread(open_app, client, data_dir):
    await seed(client, data_dir, [("First", ["1", "2"]), ("Second", ["3", "4"])])
    app = await open_history(open_app)
    page = app.page
    await thread_link(app, "First").click()
    await expect(page.get_by_role("heading", name="First", exact=True)).to_be_visible()
    await thread_link(app, "Second").click()
    await expect(page.get_by_role("heading", name="Second", exact=True)).to_be_visible()
    await page.go_back()
    await expect(page.get_by_role("heading", name="First", exact=True)).to_be_visible()
    await expect(message(app, "2")).to_be_visible()
    await page.go_back()
    await expect(page.locator("#history-thread")).to_be_hidden()
    await expect(page.locator("#history-placeholder")).to_be_visible()
    await page.go_forward()
    await expect(page.get_by_role("heading", name="First", exact=True)).to_be_visible()
    assert app.script_errors() == []


async def test_the_fallback_s_threads_open_in_the_history_browser(open_app, client, data_dir):
    """When even the built-in client cannot load, the main area lists the threads; each opens
    here."""
    [thread] = await seed(client, data_dir, [("Read me offline", ["Is this saved?", "Yes."])])
    app = await open_app("abort", open=False)
    page = app.page
    await page.route("**/static/chat/chat.js", lambda route: route.fulfill(status=404))
    await app.open()
    fallback = page.locator("#builtin-fallback")
    await fallback.get_by_role("link", name="Read me offline").click()
    await expect(page.get_by_role("heading", name="Read me offline", exact=True)).to_be_visible()
    await expect(message(app, "Yes.")).to_be_visible()
    await expect(fallback).to_be_hidden()
    assert await current_hash(app) == f"#history/t/{thread.id}"
    await page.get_by_role("link", name="Back to the chat").click()
    await expect(fallback).to_be_visible()
    assert app.script_errors() == []


async def test_the_app_opens_straight_at_a_message_from_its_address(open_app, client, data_dir):
    thread = await seed_long_thread(client, data_dir, 250)
    target_id = thread.item_ids[119]
    app = await open_app("abort", open=False)
    await app.open(f"#token={TOKEN}&to=history/t/{thread.id}/i/{target_id}")

    target = message(app, message_text(119))
    await expect(target).to_be_focused()
    await expect(target).to_be_in_viewport()
    assert await current_hash(app) == f"#history/t/{thread.id}/i/{target_id}"
    # The token is gone from the address; anything but a page route is dropped with it.
    assert TOKEN not in app.page.url
    await app.open(f"#token={TOKEN}&to=https://example.com/")
    await expect(app.page.locator("#interface-notice")).to_be_visible(timeout=8000)
    assert await current_hash(app) == ""
