"""The trash in the history browser: what was deleted and when it goes for good, Restore,
"Delete forever" and "Empty trash" (each confirmed first)."""

from __future__ import annotations

import pytest

from tests.support.chatkit_client import call
from tests.web.history_page import current_hash, open_history, thread_titles
from tests.web.history_seed import seed, thread_exists, trash_ids

pytestmark = pytest.mark.slow
expect = pytest.importorskip("playwright.async_api").expect


def entries(app):  # type: ignore[no-untyped-def]
    return app.page.locator("#history-trash-list .history-trash-entry")


async def seed_and_trash(client, data_dir, titles, keep=("Still here",)):  # type: ignore[no-untyped-def]
    threads = await seed(client, data_dir, [(t, [f"about {t}", "ok"]) for t in (*keep, *titles)])
    for thread in threads[len(keep) :]:
        await call(client, "threads.delete", {"thread_id": thread.id})
    return threads


async def test_the_trash_link_lists_deleted_threads_with_their_dates(open_app, client, data_dir):
    await seed_and_trash(client, data_dir, ["First gone", "Second gone"])
    app = await open_history(open_app)
    page = app.page
    await expect(thread_titles(app)).to_have_text(["Still here"])
    await page.get_by_role("link", name="Trash").click()

    assert await current_hash(app) == "#history/trash"
    await expect(page.get_by_role("heading", name="Trash", exact=True)).to_be_focused()
    # Most recently deleted first.
    await expect(entries(app).locator("h3")).to_have_text(["Second gone", "First gone"])
    first = entries(app).first
    await expect(first).to_contain_text("Deleted ")
    await expect(first).to_contain_text("deleted for good on ")
    await expect(page.locator("#history-trash-status")).to_contain_text("2 threads in the trash")
    await expect(page.get_by_role("link", name="Trash")).to_have_attribute("aria-current", "page")
    assert app.script_errors() == []


async def test_restore_brings_a_thread_back_to_the_list(open_app, client, data_dir):
    _, gone = await seed_and_trash(client, data_dir, ["Bring me back"])
    app = await open_history(open_app, hash="#history/trash")
    page = app.page
    await page.get_by_role("button", name="Restore “Bring me back”").click()
    await expect(entries(app)).to_have_count(0)
    await expect(page.locator("#history-trash-status")).to_contain_text("Restored “Bring me back”")
    assert await trash_ids(client) == []
    assert await thread_exists(client, gone.id)
    await expect(thread_titles(app)).to_have_text(["Bring me back", "Still here"])
    assert app.script_errors() == []


async def test_delete_forever_asks_first_and_then_deletes_for_good(open_app, client, data_dir):
    _, doomed, spared = await seed_and_trash(client, data_dir, ["Doomed", "Spared"])
    app = await open_history(open_app, hash="#history/trash")
    page = app.page
    await expect(entries(app)).to_have_count(2)

    forever = page.get_by_role("button", name="Delete “Doomed” forever")
    await forever.click()
    dialog = page.get_by_role("dialog", name="Delete “Doomed” forever?")
    await expect(dialog).to_be_visible()
    await expect(dialog).to_contain_text("cannot be undone")
    await expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    await page.keyboard.press("Escape")
    await expect(dialog).to_be_hidden()
    await expect(forever).to_be_focused()
    await expect(entries(app)).to_have_count(2)
    assert sorted(await trash_ids(client)) == sorted([doomed.id, spared.id])

    await forever.click()
    await dialog.get_by_role("button", name="Delete forever").click()
    await expect(entries(app).locator("h3")).to_have_text(["Spared"])
    await expect(page.locator("#history-trash-status")).to_contain_text("Deleted “Doomed” for good")
    assert await trash_ids(client) == [spared.id]
    assert not await thread_exists(client, doomed.id)
    assert app.script_errors() == []


async def test_empty_trash_asks_first_and_then_deletes_everything_in_it(open_app, client, data_dir):
    kept, *gone = await seed_and_trash(client, data_dir, ["One", "Two", "Three"])
    app = await open_history(open_app, hash="#history/trash")
    page = app.page
    await expect(entries(app)).to_have_count(3)
    empty = page.get_by_role("button", name="Empty trash")

    await empty.click()
    dialog = page.get_by_role("dialog", name="Empty the trash?")
    await expect(dialog).to_contain_text("(3)")
    await dialog.get_by_role("button", name="Cancel").click()
    await expect(entries(app)).to_have_count(3)

    await empty.click()
    await dialog.get_by_role("button", name="Empty trash").click()
    await expect(entries(app)).to_have_count(0)
    await expect(page.locator("#history-trash-status")).to_contain_text(
        "3 threads deleted for good"
    )
    await expect(empty).to_be_disabled()
    assert await trash_ids(client) == []
    for thread in gone:
        assert not await thread_exists(client, thread.id)
    assert await thread_exists(client, kept.id)

    # Escape leaves the trash for the list.
    await page.keyboard.press("Escape")
    assert await current_hash(app) == "#history"
    await expect(thread_titles(app)).to_have_text(["Still here"])
    await expect(page.get_by_role("link", name="Trash")).to_be_focused()
    assert app.script_errors() == []


async def test_an_empty_trash_says_so(open_app, client, data_dir):
    await seed(client, data_dir, [("Nothing deleted", ["a", "b"])])
    app = await open_history(open_app, hash="#history/trash")
    await expect(app.page.locator("#history-trash-status")).to_have_text("The trash is empty.")
    await expect(app.page.get_by_role("button", name="Empty trash")).to_be_disabled()
    assert app.script_errors() == []
