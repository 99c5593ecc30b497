"""`chatkit-desktop serve`: the server alone, until SIGINT or SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys

from chatkit_desktop.desktop.single_instance import InstanceLock
from chatkit_desktop.http.config import ServerConfig, new_token
from chatkit_desktop.logs import setup_logging_or_stderr, stop_logging
from chatkit_desktop.providers.catalog import PROVIDERS
from chatkit_desktop.providers.config import ProviderConfigError, ProviderSettings
from chatkit_desktop.settings.paths import DataPaths
from chatkit_desktop.settings.urls import check_base_url
from chatkit_desktop.store.errors import StoreError

log = logging.getLogger(__name__)


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
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
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
