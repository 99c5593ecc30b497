"""What the browser tests share: the browser's launch arguments, the CDN URL, the ChatKit test
double, and `AppPage` (one browser context with the app open, and what it did)."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from aiohttp.test_utils import TestClient

from tests.support.chatkit_client import AUTH, TOKEN

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
CDN_SCRIPT = "https://cdn.platform.openai.com/deployments/chatkit/chatkit.js"
CDN_HOST = "cdn.platform.openai.com"
DOUBLE_JS = (Path(__file__).parent / "chatkit_double.js").read_text(encoding="utf-8")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

Cdn = Literal["double", "abort", "hang"]


@dataclass
class AppPage:
    """One browser context with the app open, and what it did."""

    page: Any
    context: Any
    base: str  # http://127.0.0.1:PORT/
    requests: list[Any] = field(default_factory=list)
    console: list[Any] = field(default_factory=list)
    page_errors: list[Any] = field(default_factory=list)
    release_cdn: asyncio.Event = field(default_factory=asyncio.Event)
    # With cdn="hang": how the held CDN request ends once `release_cdn` is set.
    late_answer: Literal["abort", "double"] = "abort"

    @property
    def origin(self) -> str:
        return self.base.rstrip("/")

    def requests_to(self, path: str) -> list[Any]:
        return [r for r in self.requests if urlsplit(r.url).path == path]

    def foreign_requests(self) -> list[str]:
        """Requests to anything but the app's own server and the (intercepted) CDN."""
        app_host = urlsplit(self.base).netloc
        return [
            r.url
            for r in self.requests
            if urlsplit(r.url).scheme not in ("data", "blob", "about")
            and urlsplit(r.url).netloc not in (app_host, CDN_HOST)
        ]

    def script_errors(self) -> list[str]:
        """Uncaught exceptions, and console errors other than the browser's own notes about a
        resource that failed to load (the blocked CDN script, a deliberate 404)."""
        errors = [str(e) for e in self.page_errors]
        errors += [
            m.text
            for m in self.console
            if m.type == "error" and not m.text.startswith("Failed to load resource")
        ]
        return errors

    async def open(self, fragment: str = f"#token={TOKEN}") -> None:
        """Loads the page afresh (a reload, as the desktop window does: from `about:blank`,
        since going to the same address with only a new fragment would not reload it)."""
        if self.page.url != "about:blank":
            await self.page.goto("about:blank")
        await self.page.goto(self.base + fragment)

    async def double(self) -> dict[str, Any]:
        """What the ChatKit test double recorded (JSON-safe parts)."""
        return await self.page.evaluate(  # type: ignore[no-any-return]
            "() => ({calls: window.__chatkitDouble?.calls ?? [],"
            " fetches: window.__chatkitDouble?.fetches ?? []})"
        )

    async def screenshot(self, name: str, *, full_page: bool = True) -> Path:
        """Into test-artifacts/ (gitignored), to look at."""
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / name
        await self.page.screenshot(path=str(path), full_page=full_page)
        return path


BEARER = f"Bearer {TOKEN}"


async def settings_of(client: TestClient) -> dict[str, Any]:
    resp = await client.get("/api/settings", headers=AUTH)
    assert resp.status == 200, await resp.text()
    return dict(await resp.json())


async def put_settings(client: TestClient, changes: dict[str, Any]) -> dict[str, Any]:
    resp = await client.put(
        "/api/settings",
        data=json.dumps(changes),
        headers={**AUTH, "Content-Type": "application/json"},
    )
    assert resp.status == 200, await resp.text()
    return dict(await resp.json())


async def double_ready(app: AppPage, calls: int = 1) -> dict[str, Any]:
    """Waits until the ChatKit test double got `calls` setOptions calls and ran its first
    request through the page's fetch; returns what it recorded."""
    await app.page.wait_for_function(
        "(n) => (window.__chatkitDouble?.calls.length ?? 0) >= n"
        " && (window.__chatkitDouble?.fetches.length ?? 0) >= 1",
        arg=calls,
        timeout=8000,
    )
    return await app.double()


async def last_options_when(app: AppPage, predicate_js: str, timeout: float = 8000) -> Any:
    """Waits until the last options the double got satisfy `predicate_js` (a JS function of
    the JSON-safe options) and returns them."""
    await app.page.wait_for_function(
        f"() => {{ const c = window.__chatkitDouble?.calls ?? [];"
        f" return c.length > 0 && ({predicate_js})(c[c.length - 1]); }}",
        timeout=timeout,
    )
    return (await app.double())["calls"][-1]


async def authorization_of(request: Any) -> str | None:
    headers = await request.all_headers()
    value = headers.get("authorization")
    return str(value) if value is not None else None
