"""`chatkit-desktop` (or `chatkit-desktop run`): the server in a background thread, the window
on the main thread, one app per data directory.

Order of events: take the data directory's lock (or ask the app that holds it to come forward,
and exit 0: this path imports little, so it is quick); refuse bad flags; check that a window can
open at all (exit 3 with words otherwise); start the server and the focus listener; open the
window; when the window closes, save its state, stop the server (turns in flight cancelled,
partial answers saved, database closed), join its thread, release the lock, exit 0.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from types import ModuleType
from typing import TYPE_CHECKING

from chatkit_desktop.desktop import backends
from chatkit_desktop.desktop.single_instance import (
    FocusListener,
    InstanceInfo,
    InstanceLock,
    claim_or_focus,
    new_secret,
    remove_instance_file,
    write_instance_file,
)
from chatkit_desktop.settings.paths import DataPaths

if TYPE_CHECKING:
    from chatkit_desktop.desktop.server_thread import ServerThread
    from chatkit_desktop.http.config import ServerConfig

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_NOT_CLEAN = 1
EXIT_USAGE = 2
EXIT_CANNOT_START = 3  # no window possible here, or the database is unusable (as `serve`)
EXIT_SERVER_FAILED = 4

ALREADY_RUNNING = "chatkit-desktop is already running; brought its window to the front"
SERVE_HINT = "Run `chatkit-desktop serve` instead and open the address it prints in a web browser."


def _say(message: str) -> None:
    print(f"chatkit-desktop: {message}", file=sys.stderr, flush=True)


def run_desktop(args: argparse.Namespace) -> int:
    started = time.monotonic()
    paths = DataPaths.for_data_dir(args.data_dir)
    try:
        paths.root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        _say(f"cannot create the data directory {paths.root}: {exc}")
        return EXIT_SERVER_FAILED
    lock = InstanceLock(paths.instance_lock)
    outcome = claim_or_focus(lock, paths.instance_file)
    if outcome == "focused":
        print(ALREADY_RUNNING, flush=True)
        return EXIT_OK
    if outcome == "no answer":
        _say(
            f"another chatkit-desktop is using {paths.root} but did not answer. Close it (or "
            "end its process) and try again, or use another --data-dir."
        )
        return EXIT_NOT_CLEAN
    try:
        return _run_locked(args, started)
    finally:
        lock.release()


def _run_locked(args: argparse.Namespace, started: float) -> int:
    from chatkit_desktop.cli.serve import check_overrides, config_from_args
    from chatkit_desktop.logs import setup_logging_or_stderr, stop_logging
    from chatkit_desktop.providers.config import ProviderConfigError

    try:
        config = config_from_args(args)
    except ProviderConfigError as exc:
        _say(str(exc))
        return EXIT_USAGE
    problem = check_overrides(config)
    if problem:
        _say(problem)
        return EXIT_USAGE

    requested, env_note = backends.requested_gui(getattr(args, "gui", None), os.environ)
    system = backends.current_system()
    choice = backends.choose_gui(requested, system)
    problem = backends.display_problem(choice.gui, os.environ, system)
    if problem:
        _say(f"cannot open a window: {problem}. {SERVE_HINT}")
        return EXIT_CANNOT_START
    backends.prepare_environment(
        choice.gui, os.environ, euid=os.geteuid() if hasattr(os, "geteuid") else None
    )
    # pywebview reads it when asked about screens before `start()`; keep it on our choice.
    os.environ["PYWEBVIEW_GUI"] = choice.gui
    try:
        webview = backends.load_webview(choice.gui, os.environ, system)
    except backends.GuiUnavailable as exc:
        _say(f"cannot open a window: {exc}. {SERVE_HINT}")
        return EXIT_CANNOT_START
    setup_logging_or_stderr(args.log_level, config.paths.log_file)
    try:
        for note in (env_note, choice.note):
            if note:
                log.warning("%s", note)
        return _run_window(webview, choice.gui, config, started)
    finally:
        stop_logging()


def _run_window(
    webview: ModuleType, gui: backends.Gui, config: ServerConfig, started: float
) -> int:
    from chatkit_desktop.desktop.downloads import install_downloads
    from chatkit_desktop.desktop.server_thread import ServerThread
    from chatkit_desktop.desktop.smoke import SmokeHook
    from chatkit_desktop.desktop.window import (
        CloseOnSignal,
        FocusRelay,
        create_main_window,
        fit_state,
        make_focuser,
    )
    from chatkit_desktop.desktop.window_state import WindowStateTracker, load_state
    from chatkit_desktop.store.errors import StoreError

    paths = config.paths
    log.info(
        "Starting chatkit-desktop with the %s window (data in %s, log file %s)",
        gui,
        paths.root,
        paths.log_file,
    )
    server_thread = ServerThread(config)
    relay = FocusRelay()
    secret = new_secret()
    listener = FocusListener(secret, relay)
    try:
        pending = server_thread.begin()
        # While the server starts in its thread, ask the toolkit about the screens here (for Qt
        # this builds the application object, a good part of its start-up).
        fitted = fit_state(webview, load_state(paths.window_state))
        server = server_thread.finish_start(pending)
        focus_port = server_thread.run(listener.start(), 10.0)
        write_instance_file(paths.instance_file, InstanceInfo(os.getpid(), focus_port, secret))
    except StoreError as exc:
        log.error("%s", exc)
        _stop_server(server_thread, listener)
        return EXIT_CANNOT_START
    except OSError as exc:
        log.error("Could not start the server: %s", exc)
        _stop_server(server_thread, listener)
        return EXIT_SERVER_FAILED
    except BaseException:
        _stop_server(server_thread, listener)
        raise
    gui_error: Exception | None = None
    try:
        print(f"chatkit-desktop is running at {server.base_url} (in its window)", flush=True)
        log.info("Serving on %s; opening the window", server.base_url)

        saved, origin = fitted
        tracker = WindowStateTracker(paths.window_state, saved)
        tracker.set_origin(*origin)
        window = create_main_window(webview, server.launch_url, saved, tracker)
        relay.set(make_focuser(window, gui, tracker))
        install_downloads(window, gui, SmokeHook.download_dir(os.environ))
        SmokeHook.from_env(os.environ, window, config.token, started)
        # The page's first requests (settings, thread list) need only the store, the settings
        # and the keyring: open them now. The Agents SDK's import (seconds of CPU holding the
        # GIL) starts once the window is shown, or when a request needs it.
        server_thread.loop.call_soon_threadsafe(server.warm_up_core)
        window.events.shown += lambda: server_thread.loop.call_soon_threadsafe(server.warm_up)
        window.events.shown += lambda: log.info(
            "Window shown after %.2f s", time.monotonic() - started
        )
        signals = CloseOnSignal(window)
        signals.install(server_thread.loop)
        try:
            webview.start(gui=gui, private_mode=True, icon=window_icon(gui))
        except Exception as exc:
            gui_error = exc
            log.debug("The window failed", exc_info=True)
        finally:
            signals.uninstall(server_thread.loop, server_thread.call)
        final = tracker.close()
        log.info(
            "Window closed (%dx%d%s): stopping the server, cancelling turns in flight and "
            "closing the database",
            final.width,
            final.height,
            ", maximized" if final.maximized else "",
        )
    finally:
        remove_instance_file(paths.instance_file, secret)
        clean = _stop_server(server_thread, listener)
    if gui_error is not None:
        _say(f"the window could not be shown ({gui_error}). {SERVE_HINT}")
        return EXIT_CANNOT_START
    if not clean:
        return EXIT_NOT_CLEAN
    log.info("Stopped cleanly")
    return EXIT_OK


def window_icon(gui: backends.Gui) -> str | None:
    """The app's icon for the window and the task bar. Qt and GTK take it from here (the
    Windows and macOS bundles carry it in the executable); Qt draws the SVG at every size."""
    if gui not in ("qt", "gtk"):
        return None
    from chatkit_desktop.http.static import web_root

    icon = web_root() / "icon.svg"
    return str(icon) if icon.is_file() else None


def _stop_server(server_thread: ServerThread, listener: FocusListener) -> bool:
    if server_thread.loop.is_running():
        try:
            server_thread.run(listener.close(), 5.0)
        except Exception:
            log.debug("The focus listener did not close", exc_info=True)
    return server_thread.stop()
