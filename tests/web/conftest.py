"""Browser tests of the page (`web/`) against the real app on a loopback port.

Playwright's async API runs inside the pytest-aiohttp event loop (the sync API and
pytest-aiohttp break each other in one session). The browser is Debian's chromium, launched
directly: no `playwright install`, no download. OpenAI's CDN can never be reached from a test
machine, so its URL is always intercepted: aborted, left hanging, or answered with the TEST DOUBLE
of `<openai-chatkit>` in `chatkit_double.js`. Every other request must go to the app itself; each
page checks that when the test ends.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from tests.web.helpers import CDN_SCRIPT, CHROMIUM, CHROMIUM_ARGS, DOUBLE_JS, AppPage, Cdn


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        pytest.skip("the browser tests need Debian's chromium (packaging/apt/test.txt)")
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        pytest.skip("the browser tests need the Python package playwright (dev dependencies)")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()


OpenApp = Callable[..., Awaitable[AppPage]]


@pytest.fixture
async def open_app(browser: Any, client: TestClient) -> AsyncIterator[OpenApp]:
    """`await open_app(cdn="double"|"abort"|"hang", color_scheme=..., viewport=..., open=True)`:
    a new browser context on the app, opened at `/#token=…` unless `open=False`."""
    pages: list[AppPage] = []
    base = str(client.make_url("/"))

    async def make(
        cdn: Cdn = "double",
        *,
        color_scheme: str = "light",
        viewport: dict[str, int] | None = None,
        open: bool = True,
    ) -> AppPage:
        context = await browser.new_context(
            color_scheme=color_scheme, viewport=viewport or {"width": 1000, "height": 800}
        )
        page = await context.new_page()
        app = AppPage(page=page, context=context, base=base)
        context.on("request", lambda request: app.requests.append(request))
        page.on("console", lambda message: app.console.append(message))
        page.on("pageerror", lambda error: app.page_errors.append(error))

        async def outside(route: Any) -> None:
            # Nothing may leave the machine: record it (context "request" did) and refuse it.
            await route.abort()

        async def cdn_script(route: Any) -> None:
            if cdn == "double":
                await route.fulfill(
                    status=200, content_type="application/javascript", body=DOUBLE_JS
                )
            elif cdn == "abort":
                await route.abort("internetdisconnected")
            else:  # hang until the test releases it (or ends)
                await app.release_cdn.wait()
                if page.is_closed():
                    return
                try:
                    if app.late_answer == "double":
                        await route.fulfill(
                            status=200, content_type="application/javascript", body=DOUBLE_JS
                        )
                    else:
                        await route.abort("timedout")
                except Exception:  # the test is over and its context closing
                    return

        app_origin = base.rstrip("/")
        await context.route(lambda url: not url.startswith(app_origin), outside)
        await context.route(CDN_SCRIPT, cdn_script)
        pages.append(app)
        if open:
            await app.open()
        return app

    try:
        yield make
    finally:
        for app in pages:
            app.release_cdn.set()
        await asyncio.sleep(0)
        for app in pages:
            await app.context.close()
        for app in pages:
            assert app.foreign_requests() == [], app.foreign_requests()
