"""`GET /healthz`: is the server up, and which version. No token, no data."""

from __future__ import annotations

from aiohttp import web

from chatkit_desktop import __version__


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok", "version": __version__})
