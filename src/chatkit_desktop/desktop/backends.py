"""Which GUI toolkit draws the window, and whether it can run here, decided before it loads.

pywebview picks a toolkit by itself when not told, and on Linux tries GTK first, logging a
traceback when GTK is missing. Here the choice is explicit: Windows EdgeChromium (WebView2),
macOS Cocoa (WebKit), Linux Qt (QtWebEngine), or GTK (WebKitGTK) when the user asks for it and
has it. Qt aborts the whole process (no exception) when it cannot reach the display or misses a
system library, so both are checked first and reported in words.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib
import logging
import os
import platform
import socket
import sys
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Literal

from chatkit_desktop.desktop.gui_choices import GUI_CHOICES, GUI_ENV

log = logging.getLogger(__name__)

Gui = Literal["qt", "gtk", "edgechromium", "cocoa"]
CHROMIUM_FLAGS_ENV = "QTWEBENGINE_CHROMIUM_FLAGS"

# Qt platform plugins that need no display server.
HEADLESS_QT_PLATFORMS = frozenset(
    {"offscreen", "minimal", "vnc", "linuxfb", "eglfs", "vkkhrdisplay"}
)

# Libraries Qt's X11 plugin and QtWebEngine load, with the Debian/Ubuntu package that has each.
# The PyQt6 wheels carry Qt itself, not these.
QT_X11_LIBRARIES = (
    ("libxcb-cursor.so.0", "libxcb-cursor0"),
    ("libxcb-icccm.so.4", "libxcb-icccm4"),
    ("libxcb-keysyms.so.1", "libxcb-keysyms1"),
    ("libxcb-image.so.0", "libxcb-image0"),
    ("libxcb-render-util.so.0", "libxcb-render-util0"),
    ("libxcb-xkb.so.1", "libxcb-xkb1"),
    ("libxkbcommon-x11.so.0", "libxkbcommon-x11-0"),
    ("libxcb-shape.so.0", "libxcb-shape0"),
    ("libxcb-randr.so.0", "libxcb-randr0"),
    ("libnss3.so", "libnss3"),
    ("libEGL.so.1", "libegl1"),
    ("libGL.so.1", "libgl1"),
)


class GuiUnavailable(Exception):
    """The window cannot open here; the message says why in words."""


@dataclass(frozen=True)
class GuiChoice:
    gui: Gui
    note: str | None = None  # why a preference was not followed, for the log


def requested_gui(flag: str | None, env: Mapping[str, str]) -> tuple[str, str | None]:
    """The user's preference: the --gui flag, else CHATKIT_DESKTOP_GUI, else auto."""
    if flag:
        return flag, None
    value = env.get(GUI_ENV, "").strip().lower()
    if not value:
        return "auto", None
    if value not in GUI_CHOICES:
        return "auto", f"{GUI_ENV}={value!r} is not one of {', '.join(GUI_CHOICES)}; ignored"
    return value, None


def choose_gui(requested: str, system: str, *, gtk_available: bool | None = None) -> GuiChoice:
    """The toolkit for this OS (`platform.system()`); `--gui`/the variable matter on Linux only."""
    if system == "Windows":
        note = None if requested == "auto" else f"--gui {requested} is ignored on Windows"
        return GuiChoice("edgechromium", note)
    if system == "Darwin":
        note = None if requested == "auto" else f"--gui {requested} is ignored on macOS"
        return GuiChoice("cocoa", note)
    if requested == "gtk":
        if gtk_available is None:
            gtk_available = gtk_webkit_available()
        if gtk_available:
            return GuiChoice("gtk")
        return GuiChoice(
            "qt",
            "GTK was asked for but WebKitGTK's Python bindings are missing (Debian: "
            "gir1.2-webkit2-4.1 gir1.2-gtk-3.0 and PyGObject); using Qt",
        )
    return GuiChoice("qt")


def gtk_webkit_available() -> bool:
    """PyGObject with GTK 3 and WebKit2 (4.1 or 4.0), the versions pywebview's GTK backend uses."""
    try:
        gi = importlib.import_module("gi")
    except ImportError:
        return False
    try:
        gi.require_version("Gtk", "3.0")
    except ValueError:
        return False
    for version in ("4.1", "4.0"):
        try:
            gi.require_version("WebKit2", version)
        except ValueError:
            continue
        return True
    return False


def prepare_environment(gui: Gui, env: MutableMapping[str, str], *, euid: int | None) -> None:
    """Settings the toolkit reads when it loads, so call this before importing it."""
    if gui != "qt":
        return
    # qtpy (pywebview's Qt layer) would try PyQt5 first; the dependency installed is PyQt6.
    env.setdefault("QT_API", "pyqt6")
    if euid == 0:
        # Chromium refuses to run its sandbox as root; append, keeping the user's own flags.
        flags = env.get(CHROMIUM_FLAGS_ENV, "").split()
        if "--no-sandbox" not in flags:
            env[CHROMIUM_FLAGS_ENV] = " ".join([*flags, "--no-sandbox"])


def display_problem(gui: Gui, env: Mapping[str, str], system: str) -> str | None:
    """Why no window can be shown here (in words), or None. Windows and macOS always have one."""
    if system in ("Windows", "Darwin"):
        return None
    if gui == "qt" and env.get("QT_QPA_PLATFORM", "").split(":")[0] in HEADLESS_QT_PLATFORMS:
        return None
    display = env.get("DISPLAY", "")
    wayland = env.get("WAYLAND_DISPLAY", "")
    if wayland and _wayland_reachable(wayland, env):
        return None
    if display:
        if _x11_reachable(display):
            return None
        return f"the X display {display!r} does not answer"
    if wayland:
        return f"the Wayland display {wayland!r} does not answer"
    return "there is no graphical display (neither DISPLAY nor WAYLAND_DISPLAY is set)"


def _x11_reachable(display: str, timeout: float = 2.0) -> bool:
    """Connect to the X server named by DISPLAY (`[host]:N[.S]`), as Xlib would."""
    host, sep, rest = display.rpartition(":")
    if not sep:
        return False
    number_text = rest.split(".")[0]
    if not number_text.isdigit():
        return False
    number = int(number_text)
    if host in ("", "unix"):
        path = f"/tmp/.X11-unix/X{number}"  # noqa: S108 - the X server's well-known socket
        if sys.platform.startswith("linux") and _unix_connect("\0" + path, timeout):
            return True
        return _unix_connect(path, timeout)
    try:
        with socket.create_connection((host, 6000 + number), timeout=timeout):
            return True
    except OSError:
        return False


def _wayland_reachable(name: str, env: Mapping[str, str]) -> bool:
    path = Path(name) if os.path.isabs(name) else Path(env.get("XDG_RUNTIME_DIR", "")) / name
    return _unix_connect(str(path), 2.0)


def _unix_connect(address: str, timeout: float) -> bool:
    family = getattr(socket, "AF_UNIX", None)
    if family is None:
        return False
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        try:
            sock.connect(address)
        except OSError:
            return False
    return True


def missing_qt_packages(env: Mapping[str, str], system: str) -> list[str]:
    """Debian packages whose libraries Qt's X11 plugin would fail to load (it then aborts).

    A frozen bundle carries most of them (PyInstaller copies the X libraries it finds linked)
    but never the graphics drivers' libEGL and libGL, which must come from the system.
    """
    if system != "Linux":
        return []
    if not env.get("DISPLAY") or env.get("QT_QPA_PLATFORM", "xcb").split(":")[0] != "xcb":
        return []
    bundled = Path(getattr(sys, "_MEIPASS", "")) if getattr(sys, "frozen", False) else None
    missing = []
    for soname, package in QT_X11_LIBRARIES:
        if bundled is not None and (bundled / soname).exists():
            continue
        try:
            ctypes.CDLL(soname)
        except OSError:
            missing.append(package)
    return missing


def load_webview(gui: Gui, env: Mapping[str, str], system: str) -> ModuleType:
    """Import pywebview and the chosen toolkit, or say in words what is missing."""
    if gui == "qt":
        missing = missing_qt_packages(env, system)
        if missing:
            how = (
                "your distribution's equivalents"
                if getattr(sys, "frozen", False)
                else "scripts/bootstrap run does this on Debian and Ubuntu"
            )
            raise GuiUnavailable(
                "Qt needs system libraries that are missing; install the packages "
                + " ".join(missing)
                + f" ({how})"
            )
        try:
            importlib.import_module("qtpy.QtWebEngineWidgets")
        except Exception as exc:  # qtpy raises its own errors besides ImportError
            log.debug("Qt failed to load", exc_info=True)
            raise GuiUnavailable(
                f"Qt with QtWebEngine could not be loaded ({exc}); reinstall with "
                "`pip install 'pywebview[qt]'`"
            ) from None
    try:
        webview = importlib.import_module("webview")
    except ImportError as exc:
        raise GuiUnavailable(f"pywebview is not installed ({exc})") from None
    # pywebview logs through its own stderr handler; send its records to ours instead.
    pywebview_log = logging.getLogger("pywebview")
    for handler in list(pywebview_log.handlers):
        pywebview_log.removeHandler(handler)
        with contextlib.suppress(Exception):
            handler.close()
    pywebview_log.setLevel(logging.NOTSET)
    return webview


def current_system() -> str:
    return platform.system()
