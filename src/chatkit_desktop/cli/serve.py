"""`chatkit-desktop serve`: the server alone, until SIGINT or SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from collections.abc import Callable
from types import FrameType

from chatkit_desktop.desktop.single_instance import InstanceLock
from chatkit_desktop.http.config import ServerConfig, new_token
from chatkit_desktop.logs import setup_logging_or_stderr, stop_logging
from chatkit_desktop.providers.catalog import PROVIDERS
from chatkit_desktop.providers.config import ProviderConfigError, ProviderSettings
from chatkit_desktop.settings.paths import DataPaths
from chatkit_desktop.settings.urls import check_base_url
from chatkit_desktop.store.errors import StoreError

log = logging.getLogger(__name__)

# SIGBREAK (Ctrl+Break) exists on Windows only: there it is the console event another process
# can send (`os.kill(pid, signal.CTRL_BREAK_EVENT)`) to stop a program cleanly.
STOP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGBREAK") if hasattr(signal, name)
)


def config_from_args(args: argparse.Namespace) -> ServerConfig:
    paths = DataPaths.for_data_dir(args.data_dir)
    tracing = args.tracing or os.environ.get("CHATKIT_DESKTOP_TRACING", "") in {"1", "true"}
    return ServerConfig(
        paths=paths,
        token=new_token(),
        port=args.port,
        providers=ProviderSettings.from_env(
            provider=args.provider, model=args.model, base_url=args.base_url
        ),
        tracing=tracing,
    )


def check_overrides(config: ServerConfig) -> str | None:
    """Wrong values from flags or the environment are refused before anything starts."""
    chosen = config.providers
    if chosen.provider is not None and chosen.provider not in PROVIDERS:
        return (
            f"unknown provider {chosen.provider!r} (from CHATKIT_DESKTOP_PROVIDER); "
            f"choose one of: {', '.join(PROVIDERS)}"
        )
    try:
        check_base_url(chosen.base_url)
    except ValueError as exc:
        return f"the base URL {chosen.base_url!r} {exc}"
    return None


async def serve(config: ServerConfig) -> int:
    from chatkit_desktop.http.runner import start_server

    server = await start_server(config)
    stop = asyncio.Event()
    uninstall_signals = install_stop_signals(asyncio.get_running_loop(), stop)
    try:
        print(f"chatkit-desktop is ready at {server.launch_url}", flush=True)
        server.warm_up()
        log.info(
            "Serving on %s (data in %s, log file %s)",
            server.base_url,
            config.paths.root,
            config.paths.log_file,
        )
        await stop.wait()
        log.info("Stopping: cancelling turns in flight and closing the database")
        await server.stop()
        log.info("Stopped cleanly")
        return 0
    finally:
        uninstall_signals()


def install_stop_signals(
    loop: asyncio.AbstractEventLoop, stop: asyncio.Event
) -> Callable[[], None]:
    """SIGINT, SIGTERM (and SIGBREAK on Windows) set `stop`; call the returned function to put
    the previous handling back. From the main thread, with `loop` running in it.

    On POSIX the loop handles the signals itself (`loop.add_signal_handler`). Windows event
    loops do not implement that method (asyncio's "Platform Support" page), so there a plain
    `signal.signal` handler asks the loop to set `stop`. Ctrl+C still wakes the loop at once:
    since Python 3.8 the Proactor loop is the `signal.set_wakeup_fd` target, so the handler runs
    without waiting for some other event. It must not touch `stop` itself (a signal handler may
    run between any two bytecodes of the loop), hence `call_soon_threadsafe`.
    """
    added: list[int] = []
    previous: dict[int, Callable[[int, FrameType | None], object] | int | None] = {}

    def from_signal(signum: int, frame: FrameType | None) -> None:
        loop.call_soon_threadsafe(stop.set)

    for sig in STOP_SIGNALS:
        try:
            loop.add_signal_handler(sig, stop.set)
        except NotImplementedError:
            previous[sig] = signal.signal(sig, from_signal)
        else:
            added.append(sig)

    def uninstall() -> None:
        for sig in added:
            loop.remove_signal_handler(sig)
        for sig, handler in previous.items():
            # None: the handler was not set from Python; the default is the best guess.
            signal.signal(sig, signal.SIG_DFL if handler is None else handler)
        added.clear()
        previous.clear()

    return uninstall


def run_serve(args: argparse.Namespace) -> int:
    if not 0 <= args.port <= 65535:
        print(
            f"chatkit-desktop: --port must be between 0 and 65535, not {args.port}", file=sys.stderr
        )
        return 2
    try:
        config = config_from_args(args)
    except ProviderConfigError as exc:
        print(f"chatkit-desktop: {exc}", file=sys.stderr)
        return 2
    problem = check_overrides(config)
    if problem:
        print(f"chatkit-desktop: {problem}", file=sys.stderr)
        return 2
    setup_logging_or_stderr(args.log_level, config.paths.log_file)
    # One server per database: the window and `serve` share this lock.
    lock = InstanceLock(config.paths.instance_lock)
    try:
        config.paths.root.mkdir(parents=True, exist_ok=True)
        if not lock.acquire():
            log.error(
                "chatkit-desktop is already running on %s (a window or `serve`). Use that one, "
                "stop it first, or pass another --data-dir.",
                config.paths.root,
            )
            return 5
        return asyncio.run(serve(config))
    except StoreError as exc:
        log.error("%s", exc)
        return 3
    except OSError as exc:
        log.error("Could not start the server: %s", exc)
        return 4
    finally:
        lock.release()
        stop_logging()
