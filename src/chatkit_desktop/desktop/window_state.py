"""The window's size and place, remembered between launches in `window-state.json`.

Positions are relative to the primary screen's top-left corner, as pywebview places windows.
A missing file means the defaults; a damaged one is logged and ignored; odd values are clamped,
and a place no screen shows any more (a monitor unplugged) is dropped so the window centres.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

DEFAULT_WIDTH = 1100
DEFAULT_HEIGHT = 760
MIN_WIDTH = 480
MIN_HEIGHT = 360
MAX_SIDE = 16384
MAX_COORDINATE = 65536
# Enough of the window must lie on some screen to grab it: this many pixels each way, with the
# top edge (where the title bar is) on that screen.
VISIBLE_PIXELS = 64
SAVE_DELAY_S = 1.0


@dataclass(frozen=True)
class Rect:
    x: int
    y: int
    width: int
    height: int


@dataclass(frozen=True)
class WindowState:
    width: int = DEFAULT_WIDTH
    height: int = DEFAULT_HEIGHT
    x: int | None = None
    y: int | None = None
    maximized: bool = False

    def clamped(self) -> WindowState:
        width = min(max(self.width, MIN_WIDTH), MAX_SIDE)
        height = min(max(self.height, MIN_HEIGHT), MAX_SIDE)
        x, y = self.x, self.y
        if x is None or y is None or abs(x) > MAX_COORDINATE or abs(y) > MAX_COORDINATE:
            x = y = None
        return replace(self, width=width, height=height, x=x, y=y)

    def to_json(self) -> dict[str, Any]:
        return {
            "version": 1,
            "width": self.width,
            "height": self.height,
            "x": self.x,
            "y": self.y,
            "maximized": self.maximized,
        }

    @classmethod
    def from_json(cls, data: object) -> WindowState:
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")

        def number(key: str, *, optional: bool) -> int | None:
            value = data.get(key)
            if value is None and optional:
                return None
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"{key!r} is not a number")
            return int(value)

        width = number("width", optional=False)
        height = number("height", optional=False)
        assert width is not None and height is not None
        maximized = data.get("maximized", False)
        if not isinstance(maximized, bool):
            raise ValueError("'maximized' is not true or false")
        return cls(
            width=width,
            height=height,
            x=number("x", optional=True),
            y=number("y", optional=True),
            maximized=maximized,
        ).clamped()


def load_state(path: Path) -> WindowState:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return WindowState()
    except OSError as exc:
        log.warning("Could not read the window state %s (%s); using the default size", path, exc)
        return WindowState()
    try:
        return WindowState.from_json(json.loads(text))
    except ValueError as exc:  # json.JSONDecodeError is a ValueError
        log.warning("Ignoring the damaged window state %s (%s); using the default size", path, exc)
        return WindowState()


def save_state(path: Path, state: WindowState) -> bool:
    """Write atomically (a crash leaves the old file or the new one); False if it failed."""
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps(state.clamped().to_json()) + "\n", encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        log.warning("Could not save the window state to %s: %s", path, exc)
        with contextlib.suppress(OSError):
            tmp.unlink()
        return False
    return True


def fit_to_screens(state: WindowState, screens: Sequence[Rect]) -> WindowState:
    """No bigger than the largest screen; the place dropped unless a screen shows the window.

    `screens` use the same origin as the state (the primary screen's top-left corner).
    """
    if not screens:
        return state
    width = min(state.width, max(MIN_WIDTH, max(s.width for s in screens)))
    height = min(state.height, max(MIN_HEIGHT, max(s.height for s in screens)))
    fitted = replace(state, width=width, height=height)
    if fitted.x is None or fitted.y is None:
        return fitted
    if any(_grabbable(fitted.x, fitted.y, width, height, s) for s in screens):
        return fitted
    return replace(fitted, x=None, y=None)


def _grabbable(x: int, y: int, width: int, height: int, screen: Rect) -> bool:
    overlap_w = min(x + width, screen.x + screen.width) - max(x, screen.x)
    overlap_h = min(y + height, screen.y + screen.height) - max(y, screen.y)
    top_on_screen = screen.y <= y <= screen.y + screen.height - VISIBLE_PIXELS
    return overlap_w >= VISIBLE_PIXELS and overlap_h >= VISIBLE_PIXELS and top_on_screen


class WindowStateTracker:
    """Follows the window's moves and resizes (pywebview events, each on a thread of its own)
    and writes them a moment after they stop, and at close.

    While the window is maximized or minimized its size and place are the toolkit's, not the
    user's: they are not recorded. Toolkits may report the resize of a maximize before the
    maximize itself, so a maximize or minimize goes back to the last geometry that held still
    for `delay` seconds.
    """

    def __init__(self, path: Path, initial: WindowState, *, delay: float = SAVE_DELAY_S) -> None:
        self._path = path
        self._delay = delay
        self._lock = threading.Lock()
        self._current = initial
        self._stable = initial
        self._origin = (0, 0)
        self._minimized = False
        self._dirty = False
        self._last_change = 0.0
        self._timer: threading.Timer | None = None
        self._closed = False

    @property
    def state(self) -> WindowState:
        with self._lock:
            return self._current

    @property
    def is_minimized(self) -> bool:
        with self._lock:
            return self._minimized

    def set_origin(self, x: int, y: int) -> None:
        """The primary screen's top-left corner in the toolkit's absolute coordinates."""
        with self._lock:
            self._origin = (x, y)

    def on_moved(self, x: int, y: int) -> None:
        with self._lock:
            if self._current.maximized or self._minimized:
                return
            ox, oy = self._origin
            self._change(replace(self._current, x=x - ox, y=y - oy))

    def on_resized(self, width: int, height: int) -> None:
        with self._lock:
            if self._current.maximized or self._minimized:
                return
            self._change(replace(self._current, width=width, height=height))

    def on_maximized(self) -> None:
        with self._lock:
            self._minimized = False
            self._change(replace(self._stable, maximized=True))

    def on_minimized(self) -> None:
        with self._lock:
            self._minimized = True
            self._current = replace(self._stable, maximized=self._current.maximized)

    def on_restored(self) -> None:
        with self._lock:
            was_minimized, self._minimized = self._minimized, False
            if was_minimized:
                return  # back to what it was: maximized or not
            self._change(replace(self._current, maximized=False))

    def _change(self, state: WindowState) -> None:
        if state == self._current:
            return
        self._current = state
        self._dirty = True
        self._last_change = time.monotonic()
        if self._timer is None and not self._closed:
            self._start_timer(self._delay)

    def _start_timer(self, delay: float) -> None:
        self._timer = threading.Timer(delay, self._timer_fired)
        self._timer.daemon = True
        self._timer.start()

    def _timer_fired(self) -> None:
        with self._lock:
            self._timer = None
            if self._closed:
                return
            quiet_for = time.monotonic() - self._last_change
            if quiet_for < self._delay:
                self._start_timer(self._delay - quiet_for)
                return
            self._stable = self._current
            state, self._dirty = self._current, False
        save_state(self._path, state)

    def close(self) -> WindowState:
        """Stop following; write what changed since the last write. Returns the final state."""
        with self._lock:
            self._closed = True
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            state, dirty, self._dirty = self._current, self._dirty, False
        if dirty:
            save_state(self._path, state)
        return state
