"""Start and stop the server on a loopback port; shared by `serve` and the desktop window."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from chatkit_desktop.http.app import create_app
from chatkit_desktop.http.config import ServerConfig
from chatkit_desktop.http.keys import SERVICES
from chatkit_desktop.http.services import StoreOpener


@dataclass
class RunningServer:
    config: ServerConfig
    runner: web.AppRunner
    port: int

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    @property
    def launch_url(self) -> str:
        """The page's address; the token rides in the fragment, which browsers never send."""
        return f"{self.base_url}#token={self.config.token}"

    def warm_up(self) -> None:
        """Start loading the SDKs and opening the store now (call it once the app is shown)."""
        self.runner.app[SERVICES].start()

    def warm_up_core(self) -> None:
        """Start opening the store, the settings and the keyring now, not the Agents SDK."""
        self.runner.app[SERVICES].start_core()

    async def stop(self) -> None:
        """Stop accepting, cancel turns in flight (partial answers saved), close the database."""
        await self.runner.cleanup()


async def start_server(
    config: ServerConfig, *, open_store: StoreOpener | None = None
) -> RunningServer:
    app = create_app(config, open_store=open_store)
    # handler_cancellation: a client that disconnects cancels its turn, so the SDK's
    # handle_stream_cancelled runs and keeps the partial answer.
    runner = web.AppRunner(
        app,
        handler_cancellation=True,
        shutdown_timeout=config.shutdown_timeout_s,
        access_log=None,
    )
    await runner.setup()
    try:
        site = web.TCPSite(runner, config.host, config.port)
        await site.start()
    except BaseException:
        await runner.cleanup()
        raise
    port = int(runner.addresses[0][1])
    return RunningServer(config=config, runner=runner, port=port)
