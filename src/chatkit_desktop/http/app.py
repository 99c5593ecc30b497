"""The application factory: routes, middlewares, and resources that live as long as the app."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from functools import partial

from aiohttp import web

from chatkit_desktop.http import middlewares
from chatkit_desktop.http.chatkit_api import chatkit_endpoint
from chatkit_desktop.http.config import ServerConfig
from chatkit_desktop.http.health import healthz
from chatkit_desktop.http.history_api import add_history_routes
from chatkit_desktop.http.keys import CONFIG, SERVICES, STREAMS
from chatkit_desktop.http.services import LazyServices, StoreOpener
from chatkit_desktop.http.settings_api import add_settings_routes
from chatkit_desktop.http.sse import cancel_streams
from chatkit_desktop.http.static import add_csp, add_static_routes
from chatkit_desktop.http.uploads import add_upload_routes
from chatkit_desktop.store.migrations import migrate

log = logging.getLogger(__name__)


def _services_ctx(
    open_store: StoreOpener | None,
) -> Callable[[web.Application], AsyncIterator[None]]:
    return partial(_services, open_store=open_store)


async def _services(app: web.Application, open_store: StoreOpener | None) -> AsyncIterator[None]:
    config = app[CONFIG]
    # Fail before the server says it is ready: a database from a newer version is refused here.
    await asyncio.to_thread(config.paths.root.mkdir, parents=True, exist_ok=True)
    await asyncio.to_thread(migrate, config.paths.database)
    services = LazyServices(config, open_store)
    app[SERVICES] = services
    yield
    await services.close()


async def _cancel_streams_on_shutdown(app: web.Application) -> None:
    await cancel_streams(app[STREAMS])


def create_app(config: ServerConfig, *, open_store: StoreOpener | None = None) -> web.Application:
    app = web.Application(
        middlewares=[middlewares.errors, middlewares.guard],
        client_max_size=config.max_json_bytes,
    )
    app[CONFIG] = config
    app[STREAMS] = set()
    app.cleanup_ctx.append(_services_ctx(open_store))
    app.on_shutdown.append(_cancel_streams_on_shutdown)
    app.on_response_prepare.append(middlewares.security_headers)
    app.on_response_prepare.append(add_csp)
    app.router.add_get("/healthz", healthz)
    app.router.add_post("/chatkit/api", chatkit_endpoint)
    add_settings_routes(app)
    add_history_routes(app)
    add_upload_routes(app)
    add_static_routes(app)
    return app
