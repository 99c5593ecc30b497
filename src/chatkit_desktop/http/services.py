"""The store and the ChatKit server, built in the background after the port is open.

Importing the ChatKit and Agents SDKs takes seconds on a slow machine; the server binds, answers
`/healthz` and serves the page while they load. It happens in two stages: the core (settings,
keyring, the SQLite store, the model factory) is ready in a fraction of that, so the page gets
its settings and its thread list at once; the ChatKit server (the Agents SDK behind it) follows.
Requests that need the SDKs wait for them.
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
from typing import TYPE_CHECKING, TypeVar

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

T = TypeVar("T")


@dataclass
class CoreServices:
    """What the settings and the stored threads need: no Agents SDK."""

    store: SQLiteStore
    models: ModelFactory
    vault: Vault
    preferences: PreferencesFile


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


async def build_core(config: ServerConfig, open_store: StoreOpener | None = None) -> CoreServices:
    """Settings, keyring, store and model factory. `open_store` replaces the SQLite store (the
    benchmark runs the same server over an in-memory reference store); the app uses the default."""
    # In a worker thread: the loop keeps serving while ChatKit's types import.
    await asyncio.to_thread(importlib.import_module, "chatkit_desktop.store.sqlite_store")
    from chatkit_desktop.providers.factory import ModelFactory
    from chatkit_desktop.providers.keys import key_lookup
    from chatkit_desktop.settings.preferences import PreferencesFile
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
    return CoreServices(store=store, models=models, vault=vault, preferences=preferences)


async def build_chat(config: ServerConfig, core: CoreServices) -> Services:
    """The ChatKit server over the core: the Agents SDK's import is most of the start-up."""
    await asyncio.to_thread(importlib.import_module, "chatkit_desktop.chat.server")
    from chatkit_desktop.chat.server import DesktopChatKitServer
    from chatkit_desktop.store.attachment_files import AttachmentFiles

    attachments = AttachmentFiles(config.paths.attachments, core.store)
    await attachments.sweep_partial_uploads()
    chat = DesktopChatKitServer(
        core.store,
        core.models,
        attachments=attachments,
        preferences=core.preferences.get,
        tracing=config.tracing,
        generate_titles=config.generate_titles,
    )
    # The SDKs leave a couple of hundred thousand long-lived objects behind them; a full garbage
    # collection walking them all stalls the event loop for ~100 ms in the middle of a stream.
    # Frozen, they are never walked again.
    gc.collect()
    gc.freeze()
    janitor = asyncio.create_task(_trash_janitor(core.store, attachments), name="trash-janitor")
    return Services(
        store=core.store,
        chat=chat,
        models=core.models,
        vault=core.vault,
        preferences=core.preferences,
        janitor=janitor,
    )


async def build_services(config: ServerConfig, open_store: StoreOpener | None = None) -> Services:
    """Everything the API needs, both stages."""
    return await build_chat(config, await build_core(config, open_store))


class LazyServices:
    """Builds the services once, in the background, from the first `start()` or `get()`.

    `start_server` calls `start()` right after the port is bound and the address printed, so
    the SDK imports (seconds of CPU, holding the GIL) never delay the moment the app is ready.
    `core()` waits for the first stage only (settings, keyring, store), `get()` for both.
    """

    def __init__(self, config: ServerConfig, open_store: StoreOpener | None = None) -> None:
        self._config = config
        self._open_store = open_store
        self._core: asyncio.Task[CoreServices] | None = None
        self._task: asyncio.Task[Services] | None = None

    def start_core(self) -> asyncio.Task[CoreServices]:
        """Start the first stage only (the desktop app starts the second when its window shows)."""
        if self._core is None:
            self._core = asyncio.create_task(
                build_core(self._config, self._open_store), name="build-core-services"
            )
        return self._core

    def start(self) -> asyncio.Task[Services]:
        if self._task is None:
            core = self.start_core()
            self._task = asyncio.create_task(self._build_chat(core), name="build-services")
        return self._task

    async def _build_chat(self, core: asyncio.Task[CoreServices]) -> Services:
        return await build_chat(self._config, await asyncio.shield(core))

    @property
    def chat_ready(self) -> bool:
        """True once `get()` would answer at once (successfully or not)."""
        return self._task is not None and self._task.done()

    async def get(self) -> Services:
        return await self._wait(self.start())

    async def core(self) -> CoreServices:
        return await self._wait(self.start_core())

    @staticmethod
    async def _wait(task: asyncio.Task[T]) -> T:
        try:
            return await asyncio.shield(task)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            raise ApiError(503, "unavailable", f"The chat service could not start: {exc}") from exc

    async def ready(self) -> Services:
        """Wait for the services, raising their start-up error as is."""
        return await asyncio.shield(self.start())

    async def close(self) -> None:
        if self._core is None:
            return
        if self._task is None:  # only the first stage was started
            try:
                core = await self._core
            except BaseException:
                return
            await core.models.aclose()
            await core.store.close()
            return
        # Wait for a build still in flight rather than cancel it: a cancel landing inside
        # `aiosqlite.connect` leaks the connection and its thread (which then fails on the closed
        # loop), and the imports run in a thread that cannot be stopped anyway.
        try:
            services = await self._task
        except BaseException:  # the second stage failed: close what the first one opened
            try:
                core = await self._core
            except BaseException:  # a failed start has nothing to close
                return
            await core.models.aclose()
            await core.store.close()
            return
        if services.janitor is not None:
            services.janitor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await services.janitor
        await services.models.aclose()
        await services.store.close()
