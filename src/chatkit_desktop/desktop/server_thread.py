"""The local server on an event loop of its own in a background thread.

The GUI toolkit owns the main thread, so the aiohttp server (AppRunner on 127.0.0.1:0, the
same `start_server` as `serve`) runs beside it. Other threads hand work to the loop with
`run_coroutine_threadsafe`/`call_soon_threadsafe` and wait for the result.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Coroutine
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from chatkit_desktop.http.config import ServerConfig
    from chatkit_desktop.http.runner import RunningServer

log = logging.getLogger(__name__)

T = TypeVar("T")
START_TIMEOUT_S = 60.0


class ServerThread:
    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self.loop = asyncio.new_event_loop()
        self.server: RunningServer | None = None
        self._thread = threading.Thread(
            target=self._main, name="chatkit-desktop-server", daemon=True
        )

    def _main(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_forever()
        finally:
            try:
                pending = [t for t in asyncio.all_tasks(self.loop) if not t.done()]
                for task in pending:
                    task.cancel()
                if pending:
                    self.loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
                self.loop.run_until_complete(self.loop.shutdown_asyncgens())
                self.loop.run_until_complete(self.loop.shutdown_default_executor())
            finally:
                self.loop.close()

    def start(self, timeout: float = START_TIMEOUT_S) -> RunningServer:
        """Start the loop and the server on it; errors starting the server are raised here."""
        return self.finish_start(self.begin(), timeout)

    def begin(self) -> Future[RunningServer]:
        """Start the loop and the server without waiting, so the caller can do other start-up
        work (the window's toolkit) meanwhile; `finish_start` waits for it."""
        from chatkit_desktop.http.runner import start_server

        self._thread.start()
        return asyncio.run_coroutine_threadsafe(start_server(self.config), self.loop)

    def finish_start(
        self, pending: Future[RunningServer], timeout: float = START_TIMEOUT_S
    ) -> RunningServer:
        try:
            self.server = pending.result(timeout)
        except TimeoutError:
            pending.cancel()
            raise
        return self.server

    def run(self, coro: Coroutine[Any, Any, T], timeout: float) -> T:
        """Run a coroutine on the server's loop and wait for its result (from another thread)."""
        future: Future[T] = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            return future.result(timeout)
        except TimeoutError:
            future.cancel()
            raise

    def call(self, fn: Callable[[], T], timeout: float = 10.0) -> T:
        """Run a plain function on the loop's thread and wait for its result."""

        async def wrapper() -> T:
            return fn()

        return self.run(wrapper(), timeout)

    def stop(self, timeout: float | None = None) -> bool:
        """Stop the server (turns in flight cancelled, partial answers saved, database closed),
        then the loop, and join the thread. True when everything ended in time."""
        if timeout is None:
            timeout = self.config.shutdown_timeout_s + 10.0
        if self._thread.ident is None:  # never started
            self.loop.close()
            return True
        clean = True
        if self._thread.is_alive() and self.server is not None:
            try:
                self.run(self.server.stop(), timeout)
            except Exception:
                log.exception("The server did not stop cleanly")
                clean = False
        if self._thread.is_alive():
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(timeout)
            if self._thread.is_alive():
                log.error("The server thread did not end within %.0f s", timeout)
                clean = False
        return clean
