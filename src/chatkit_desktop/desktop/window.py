"""The pywebview window: created from the remembered state, followed as it moves, brought to the
front on request, and closed (cleanly, through the toolkit) on SIGTERM, SIGHUP or SIGINT."""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
from collections.abc import Callable
from types import ModuleType
from typing import TYPE_CHECKING, Any

from chatkit_desktop.desktop.backends import Gui
from chatkit_desktop.desktop.window_state import (
    MIN_HEIGHT,
    MIN_WIDTH,
    Rect,
    WindowState,
    WindowStateTracker,
    fit_to_screens,
)

if TYPE_CHECKING:
    from webview import Window

log = logging.getLogger(__name__)

TITLE = "ChatKit Desktop"
SHOWN_TIMEOUT_S = 30.0


def screens_relative_to_primary(webview: ModuleType) -> tuple[tuple[int, int], list[Rect]]:
    """The primary screen's origin and every screen relative to it ([] if unknown)."""
    try:
        screens = list(webview.screens)
    except Exception:
        log.debug("Could not list the screens", exc_info=True)
        return (0, 0), []
    if not screens:
        return (0, 0), []
    ox, oy = int(screens[0].x), int(screens[0].y)
    rects = [Rect(int(s.x) - ox, int(s.y) - oy, int(s.width), int(s.height)) for s in screens]
    return (ox, oy), rects


def create_main_window(
    webview: ModuleType, url: str, state: WindowState, tracker: WindowStateTracker
) -> Window:
    window: Window = webview.create_window(
        TITLE,
        url,
        width=state.width,
        height=state.height,
        x=state.x,
        y=state.y,
        maximized=state.maximized,
        min_size=(MIN_WIDTH, MIN_HEIGHT),
        text_select=True,  # pywebview turns selection off by default; answers must be copyable
        zoomable=True,
        background_color="#FFFFFF",
    )
    window.events.moved += tracker.on_moved
    window.events.resized += tracker.on_resized
    window.events.maximized += tracker.on_maximized
    window.events.minimized += tracker.on_minimized
    window.events.restored += tracker.on_restored
    return window


def fit_state(webview: ModuleType, saved: WindowState) -> tuple[WindowState, tuple[int, int]]:
    """The saved state fitted to today's screens, and the primary screen's origin."""
    origin, screens = screens_relative_to_primary(webview)
    fitted = fit_to_screens(saved, screens)
    if (fitted.x, fitted.y) != (saved.x, saved.y):
        log.info("The remembered window position is off every screen; centring the window")
    return fitted, origin


class FocusRelay:
    """Holds how to bring the window forward once it exists; called from any thread."""

    def __init__(self) -> None:
        self._bring: Callable[[], None] | None = None
        self.requests = 0

    def set(self, bring: Callable[[], None]) -> None:
        self._bring = bring

    def __call__(self) -> None:
        self.requests += 1
        if self._bring is not None:
            self._bring()


def make_focuser(window: Window, gui: Gui, tracker: WindowStateTracker) -> Callable[[], None]:
    """A thread-safe 'bring the window to the front'. Call it on the main thread (Qt needs its
    helper object to live there) before `webview.start()`."""
    if gui == "qt":
        return _qt_focuser(window)

    def bring() -> None:
        if not window.events.shown.wait(SHOWN_TIMEOUT_S):
            return
        if gui == "gtk":
            window.restore()  # GTK: deiconify and present, maximized or not
            return
        if tracker.is_minimized:
            window.restore()
            if tracker.state.maximized:
                window.maximize()
        # Raising a window is the window manager's call; "always on top" for a moment is the
        # portable way to ask for it.
        window.on_top = True
        window.on_top = False

    return bring


def _qt_focuser(window: Window) -> Callable[[], None]:
    import importlib

    qt_core: Any = importlib.import_module("qtpy.QtCore")

    class Invoker(qt_core.QObject):  # type: ignore[misc]
        """Lives on the main thread; a signal emitted elsewhere runs `bring` there (queued)."""

        requested = qt_core.Signal()

        def __init__(self) -> None:
            super().__init__()
            self.requested.connect(self.bring)

        @qt_core.Slot()  # type: ignore[misc, untyped-decorator]
        def bring(self) -> None:
            view: Any = window.native
            if view is None:
                return
            minimized = qt_core.Qt.WindowState.WindowMinimized
            state = view.windowState()
            if state & minimized:
                view.setWindowState(state & ~minimized)
            view.show()
            view.raise_()
            view.activateWindow()
            log.debug("Window raised and activated")

    invoker = Invoker()

    def bring() -> None:
        invoker.requested.emit()

    bring.invoker = invoker  # type: ignore[attr-defined]  # keep it alive with the callable
    return bring


class CloseOnSignal:
    """SIGTERM, SIGHUP and SIGINT close the window, so the usual shutdown runs (state saved,
    turns cancelled with their partial answers kept, database closed).

    Python runs signal handlers only when the main thread runs Python code, which a GUI loop
    may not do for a long while. The signal's number is also written to a socket
    (`signal.set_wakeup_fd`) that the server thread's event loop watches, so the window closes
    at once whatever toolkit owns the main thread.
    """

    SIGNALS = tuple(
        getattr(signal, name) for name in ("SIGTERM", "SIGHUP", "SIGINT") if hasattr(signal, name)
    )

    def __init__(self, window: Window) -> None:
        self._window = window
        self._sockets: tuple[socket.socket, socket.socket] | None = None
        self._old_handlers: dict[int, Any] = {}
        self._old_wakeup_fd = -1
        self._closing = False

    def install(self, loop: Any) -> None:
        """From the main thread; `loop` is the server thread's running event loop."""
        if os.name != "posix":
            return
        reader, writer = socket.socketpair()
        reader.setblocking(False)
        writer.setblocking(False)
        self._sockets = (reader, writer)
        self._old_wakeup_fd = signal.set_wakeup_fd(writer.fileno(), warn_on_full_buffer=False)
        for sig in self.SIGNALS:
            self._old_handlers[sig] = signal.signal(sig, self._python_handler)
        loop.call_soon_threadsafe(loop.add_reader, reader.fileno(), self._drain)

    def uninstall(self, loop: Any, call: Callable[[Callable[[], Any]], Any]) -> None:
        """From the main thread; `call(fn)` runs `fn` on the loop's thread and waits."""
        if self._sockets is None:
            return
        reader, writer = self._sockets
        for sig, handler in self._old_handlers.items():
            signal.signal(sig, handler)
        signal.set_wakeup_fd(self._old_wakeup_fd)
        try:
            call(lambda: loop.remove_reader(reader.fileno()))
        finally:
            reader.close()
            writer.close()
            self._sockets = None

    def _python_handler(self, signum: int, frame: object) -> None:
        """The work is done by the wakeup socket; this only replaces the default action."""

    def _drain(self) -> None:
        assert self._sockets is not None
        try:
            data = self._sockets[0].recv(512)
        except (BlockingIOError, InterruptedError):
            return
        received = [b for b in data if b in self.SIGNALS]
        if received and not self._closing:
            self._closing = True
            name = signal.Signals(received[0]).name
            log.info("Received %s: closing the window", name)
            threading.Thread(target=self._close_window, name="close-on-signal", daemon=True).start()

    def _close_window(self) -> None:
        if self._window.events.shown.wait(SHOWN_TIMEOUT_S):
            self._window.destroy()
