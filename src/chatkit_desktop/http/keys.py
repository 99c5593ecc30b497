"""Typed application state (`web.AppKey`), so handlers and startup code agree on types."""

from __future__ import annotations

import asyncio

from aiohttp import web

from chatkit_desktop.http.config import ServerConfig
from chatkit_desktop.http.services import LazyServices

CONFIG = web.AppKey("config", ServerConfig)
SERVICES = web.AppKey("services", LazyServices)
STREAMS = web.AppKey("streams", set[asyncio.Task[None]])
