"""Typed application state (`web.AppKey`), so handlers and startup code agree on types."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from aiohttp import web

from chatkit_desktop.http.config import ServerConfig

if TYPE_CHECKING:
    from chatkit_desktop.http.services import LazyServices

CONFIG = web.AppKey("config", ServerConfig)
SERVICES = web.AppKey("services", "LazyServices")
STREAMS = web.AppKey("streams", set[asyncio.Task[None]])
