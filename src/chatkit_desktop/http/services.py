"""The store and the ChatKit server, built in the background after the port is open.

Importing the ChatKit and Agents SDKs takes seconds on a slow machine; the server binds, answers
`/healthz` and serves the page while they load. Requests that need them wait for them.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import importlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from chatkit_desktop.http.config import ServerConfig
from chatkit_desktop.http.errors import ApiError

if TYPE_CHECKING:
    from chatkit_desktop.chat.server import DesktopChatKitServer
    from chatkit_desktop.providers.factory import ModelFactory
    from chatkit_desktop.settings.preferences import PreferencesFile
    from chatkit_desktop.store.attachment_files import AttachmentFiles
    from chatkit_desktop.store.sqlite_store import SQLiteStore
    from chatkit_desktop.vault import Vault

log = logging.getLogger(__name__)

_HEAVY_MODULES = ("chatkit_desktop.chat.server", "chatkit_desktop.store.sqlite_store")


@dataclass
class Services:
    store: SQLiteStore
    chat: DesktopChatKitServer
    models: ModelFactory
    vault: Vault
    preferences: PreferencesFile
    janitor: asyncio.Task[None] | None = None


TRASH_CHECK_S = 3600.0


async def empty_expired_trash(store: SQLiteStore, files: AttachmentFiles) -> int:
    """Delete for good what has been in the trash for 30 days; return how many threads."""
    purged = await store.trash.purge_expired()
    await files.remove_bytes(purged.attachment_ids)
    if purged.thread_ids:
        log.info("Deleted %d thread(s) from the trash for good (30 days)", len(purged.thread_ids))
    return len(purged.thread_ids)


async def _trash_janitor(store: SQLiteStore, files: AttachmentFiles) -> None:
    while True:
        try:
            await empty_expired_trash(store, files)
        except Exception:  # never let housekeeping take the server down; try again later
            log.exception("Could not empty the expired part of the trash")
        await asyncio.sleep(TRASH_CHECK_S)


StoreOpener = Callable[[Path], Awaitable["SQLiteStore"]]


async def build_services(config: ServerConfig, open_store: StoreOpener | None = None) -> Services:
    """Everything the API needs. `open_store` replaces the SQLite store (the benchmark runs the
    same server over an in-memory reference store); the app always uses the default."""
    for name in _HEAVY_MODULES:
        # In a worker thread: the loop keeps serving while the SDKs import.
        await asyncio.to_thread(importlib.import_module, name)
    from chatkit_desktop.chat.server import DesktopChatKitServer
    from chatkit_desktop.providers.factory import ModelFactory
    from chatkit_desktop.providers.keys import key_lookup
    from chatkit_desktop.settings.preferences import PreferencesFile
    from chatkit_desktop.store.attachment_files import AttachmentFiles
    from chatkit_desktop.store.sqlite_store import SQLiteStore
    from chatkit_desktop.vault import Vault

    preferences = await asyncio.to_thread(PreferencesFile.load, config.paths.settings)
    if preferences.error:
        log.warning("%s Using default settings until it is fixed.", preferences.error)
    # Finding the keyring backend may talk to D-Bus: not on the event loop.
    vault = await asyncio.to_thread(
        Vault,
        env=config.providers.env,
        backend=config.keyring_backend,
        detect=config.use_keyring,
    )
    store = await (open_store or SQLiteStore.open)(config.paths.database)
    models = ModelFactory(config.providers, preferences.get, key_lookup(vault))
    attachments = AttachmentFiles(config.paths.attachments, store)
    await attachments.sweep_partial_uploads()
    chat = DesktopChatKitServer(
        store,
        models,
        attachments=attachments,
        preferences=preferences.get,
        tracing=config.tracing,
        generate_titles=config.generate_titles,
    )
    # The SDKs leave a couple of hundred thousand long-lived objects behind them; a full garbage
    # collection walking them all stalls the event loop for ~100 ms in the middle of a stream.
    # Frozen, they are never walked again.
    gc.collect()
    gc.freeze()
    janitor = asyncio.create_task(_trash_janitor(store, attachments), name="trash-janitor")
    return Services(
        store=store,
        chat=chat,
        models=models,
        vault=vault,
        preferences=preferences,
        janitor=janitor,
    )


class LazyServices:
    """Builds the services once, in the background, from the first `start()` or `get()`.

    `start_server` calls `start()` right after the port is bound and the address printed, so
    the SDK imports (seconds of CPU, holding the GIL) never delay the moment the app is ready.
    """

    def __init__(self, config: ServerConfig, open_store: StoreOpener | None = None) -> None:
        self._config = config
        self._open_store = open_store
        self._task: asyncio.Task[Services] | None = None

    def start(self) -> asyncio.Task[Services]:
        if self._task is None:
            self._task = asyncio.create_task(
                build_services(self._config, self._open_store), name="build-services"
            )
        return self._task

    async def get(self) -> Services:
        try:
            return await asyncio.shield(self.start())
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            raise ApiError(503, "unavailable", f"The chat service could not start: {exc}") from exc

    async def ready(self) -> Services:
        """Wait for the services, raising their start-up error as is."""
        return await asyncio.shield(self.start())

    async def close(self) -> None:
        if self._task is None:
            return
        # Wait for a build still in flight rather than cancel it: a cancel landing inside
        # `aiosqlite.connect` leaks the connection and its thread (which then fails on the closed
        # loop), and the imports run in a thread that cannot be stopped anyway.
        try:
            services = await self._task
        except BaseException:  # a failed start has nothing to close
            return
        if services.janitor is not None:
            services.janitor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await services.janitor
        await services.models.aclose()
        await services.store.close()
