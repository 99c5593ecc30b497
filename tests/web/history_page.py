"""What the history browser's browser tests share: opening it, going to a route, and the parts
of the page a user looks at."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.helpers import AppPage, Cdn

expect = pytest.importorskip("playwright.async_api").expect


async def open_history(
    open_app: Any, *, cdn: Cdn = "abort", hash: str = "#history", **kwargs: Any
) -> AppPage:
    """The app (ChatKit unavailable by default, so the built-in client) with the history browser
    at `hash`."""
    app: AppPage = await open_app(cdn, **kwargs)
    page = app.page
    if cdn == "abort":
        await expect(page.locator("#interface-notice")).to_be_visible(timeout=8000)
    await go(app, hash)
    await expect(page.locator("#history-view")).to_be_visible()
    return app


async def go(app: AppPage, hash: str) -> None:
    """Puts `hash` in the address, as a link or the address bar would."""
    await app.page.evaluate("(hash) => { location.hash = hash; }", hash)


async def current_hash(app: AppPage) -> str:
    return str(await app.page.evaluate("() => decodeURIComponent(location.hash)"))


def thread_titles(app: AppPage) -> Any:
    """The titles in the thread list, top to bottom."""
    return app.page.get_by_role("navigation", name="Threads").locator(".history-thread-title")


def thread_row(app: AppPage, title: str) -> Any:
    return app.page.locator(".history-thread").filter(
        has=app.page.locator(".history-thread-title", has_text=title)
    )


def thread_link(app: AppPage, title: str) -> Any:
    return thread_row(app, title).locator(".history-thread-link")


def message(app: AppPage, text: str) -> Any:
    """A message of the open thread, by its exact text."""
    return app.page.locator("#history-items .history-item").filter(
        has=app.page.get_by_text(text, exact=True)
    )


def scroller(app: AppPage) -> Any:
    return app.page.get_by_role("region", name="Messages")


async def has_no_horizontal_scroll(app: AppPage) -> bool:
    return bool(
        await app.page.evaluate(
            "() => document.scrollingElement.scrollWidth <= document.scrollingElement.clientWidth"
        )
    )
