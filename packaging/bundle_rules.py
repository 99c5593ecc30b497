"""What goes into the desktop bundle and what is left out, as plain functions the spec applies.

Kept apart from `chatkit-desktop.spec` so the rules can be read and tested without building:
PyInstaller collects everything a module could load, and for Qt that is three times what a
window with one web view needs (QML, Quick 3D, multimedia, 60 languages...). Each rule here says
why it is safe; `packaging/smoke` proves the trimmed bundle still opens the window and answers.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterable
from pathlib import PurePosixPath

APP_NAME = "chatkit-desktop"
CLI_NAME = "chatkit-desktop-cli"  # Windows: the console twin of the window app, for commands
DISPLAY_NAME = "ChatKit Desktop"
BUNDLE_ID = "io.github.chatkit-desktop.ChatKitDesktop"

# Modules nothing at run time needs, on every OS: build and test tools that happen to be in the
# environment, and optional imports of libraries we do not use (Pillow is only for the icons).
EXCLUDED_EVERYWHERE = (
    "tkinter",
    "_tkinter",
    "PIL",
    "mypy",
    "mypyc",
    "librt",
    "ast_serialize",
    "pytest",
    "_pytest",
    "playwright",
    "setuptools",
    "pip",
    "hatchling",
    "PyInstaller",
    "IPython",
    "numpy",
    "pydoc_data",
    "readline",  # the interactive prompt's line editing
    "pygments",  # syntax colouring for terminals; only optional imports reach it
    "yaml",  # PyYAML reads the CI workflow in the tests; libraries only try it
)

# pywebview's toolkits: each OS keeps the one `desktop/backends.py` chooses there.
WEBVIEW_PLATFORMS = ("qt", "gtk", "cocoa", "edgechromium", "winforms", "mshtml", "cef", "win32")
KEPT_PLATFORMS = {
    "Linux": ("qt",),
    "Windows": ("edgechromium", "winforms", "win32"),  # edgechromium runs inside winforms
    "Darwin": ("cocoa",),
}
OTHER_TOOLKITS = {
    # Python bindings for toolkits the OS's window does not use.
    "Linux": (
        "gi",
        "PyQt5",
        "PySide2",
        "PySide6",
        "clr",
        "clr_loader",
        "pythonnet",
        "objc",
        # PyQt6 bindings the web view window does not need (qtpy tries QtOpenGL inside a
        # try/except ImportError); Qt's own libraries stay as far as something kept needs them.
        "PyQt6.QtQml",
        "PyQt6.QtQuick",
        "PyQt6.QtQuickWidgets",
        "PyQt6.QtPositioning",
        "PyQt6.QtOpenGL",
        "PyQt6.QtOpenGLWidgets",
        "PyQt6.QtDBus",
    ),
    "Windows": ("gi", "PyQt5", "PyQt6", "PySide2", "PySide6", "qtpy", "objc", "AppKit"),
    "Darwin": ("gi", "PyQt5", "PyQt6", "PySide2", "PySide6", "qtpy", "clr", "clr_loader"),
}


def excluded_modules(system: str) -> list[str]:
    """Module names for Analysis(excludes=...) on `platform.system()`."""
    kept = KEPT_PLATFORMS.get(system, ())
    unused_platforms = [
        f"webview.platforms.{name}" for name in WEBVIEW_PLATFORMS if name not in kept
    ]
    return [*EXCLUDED_EVERYWHERE, *unused_platforms, *OTHER_TOOLKITS.get(system, ())]


# --- Qt (Linux only: Windows and macOS draw with the system's web view) ---------------------

QT_ROOT = PurePosixPath("PyQt6/Qt6")

# Plugins the window loads. Everything else in plugins/ is for features the app has no use for
# (printing, positioning, evdev/eglfs for kiosks, the GTK theme that drags in all of GTK 3).
KEPT_QT_PLUGINS = {
    "platforms": {"libqxcb.so", "libqwayland.so", "libqoffscreen.so"},
    "xcbglintegrations": None,  # None: the whole folder
    "platformthemes": {"libqxdgdesktopportal.so"},  # the desktop's own file dialog, via portal
    "platforminputcontexts": None,  # compose keys and IBus: typing accents and CJK
    "iconengines": None,
    "imageformats": {"libqsvg.so", "libqico.so"},
    "tls": None,
    "wayland-decoration-client": None,
    "wayland-graphics-integration-client": {"libqt-plugin-wayland-egl.so", "libdmabuf-server.so"},
    "wayland-shell-integration": {"libxdg-shell.so"},
}

# Translation and locale files worth keeping: English only (Chromium falls back to en-US).
_ENGLISH_QM = re.compile(r"^qt[a-z]*_en(_[A-Z]{2})?\.qm$")
_ENGLISH_PAK = {"en-US.pak"}

# Resources only the developer tools use; the window never opens them (pywebview debug=False).
DROPPED_QT_RESOURCES = {"qtwebengine_devtools_resources.pak"}


def keep_qt_file(dest: str) -> bool:
    """Whether a collected file (its path inside the bundle) stays; non-Qt files always do."""
    path = PurePosixPath(dest.replace("\\", "/"))
    try:
        rel = path.relative_to(QT_ROOT)
    except ValueError:
        return True
    parts = rel.parts
    if not parts:
        return True
    top = parts[0]
    if top == "qml":
        return False  # QML plugins: the window is a QWidget with a web view, no QML scene
    if top == "translations":
        if len(parts) >= 2 and parts[1] == "qtwebengine_locales":
            return parts[-1] in _ENGLISH_PAK
        return bool(_ENGLISH_QM.match(parts[-1]))
    if top == "resources":
        return parts[-1] not in DROPPED_QT_RESOURCES
    if top == "plugins" and len(parts) >= 3:
        kept = KEPT_QT_PLUGINS.get(parts[1], set())
        return kept is None or parts[-1] in kept
    return True


# Installer bookkeeping in the packages' metadata: read by pip, never by the app (the versions,
# entry points and licences it keeps are in METADATA, entry_points.txt and licenses/).
DROPPED_METADATA = {"RECORD", "INSTALLER", "REQUESTED", "direct_url.json"}


def keep_metadata_file(dest: str) -> bool:
    path = PurePosixPath(dest.replace("\\", "/"))
    return not (path.parent.name.endswith(".dist-info") and path.name in DROPPED_METADATA)


def is_qt_library(dest: str) -> bool:
    path = PurePosixPath(dest.replace("\\", "/"))
    return path.parent == QT_ROOT / "lib"


def unneeded_libraries(
    kept: Iterable[tuple[str, str]],
    dropped_sources: Iterable[str],
    needed_by: Callable[[str], Iterable[str]],
) -> set[str]:
    """Shared libraries (bundle paths) that only the dropped files needed.

    `kept` are the (bundle path, source file) pairs still in the bundle, `dropped_sources` the
    source files `keep_qt_file` removed, and `needed_by(source)` a file's needed sonames.
    Candidates are Qt's own libraries and every library a dropped file needed (the GTK 3 theme
    plugin alone brings GTK, GDK, cairo and pango; Quick 3D, Multimedia and Pdf come with the QML
    plugins). A candidate stays if something kept that is not a candidate needs it, directly or
    through another candidate that stays.
    """
    kept = list(kept)
    pulled_in = {soname for source in dropped_sources for soname in needed_by(source)}
    candidates: dict[str, tuple[str, str]] = {}
    roots: list[str] = []
    for dest, source in kept:
        name = PurePosixPath(dest.replace("\\", "/")).name
        if is_qt_library(dest) or (name in pulled_in and "/" not in dest.replace("\\", "/")):
            candidates[name] = (dest, source)
        else:
            roots.append(source)
    reached: set[str] = set()
    pending = list(roots)
    while pending:
        source = pending.pop()
        for soname in needed_by(source):
            if soname in candidates and soname not in reached:
                reached.add(soname)
                pending.append(candidates[soname][1])
    return {dest for name, (dest, _) in candidates.items() if name not in reached}


def dangling_symlinks(entries: Iterable[tuple[str, str, str]]) -> set[str]:
    """SYMLINK entries (bundle path, relative target, "SYMLINK") whose target is no longer there.

    PyInstaller links Qt's libraries into the bundle's top folder; once a library is left out,
    its link would point nowhere. A link to another link counts as present when that chain ends
    at a file that stays.
    """
    entries = list(entries)
    present = {_posix(dest) for dest, _, kind in entries if kind != "SYMLINK"}
    links: dict[PurePosixPath, tuple[str, PurePosixPath]] = {}
    for dest, target, kind in entries:
        if kind == "SYMLINK":
            link = _posix(dest)
            resolved = posixpath.normpath(str(link.parent / target.replace("\\", "/")))
            links[link] = (dest, PurePosixPath(resolved))

    def reaches_a_file(path: PurePosixPath, seen: frozenset[PurePosixPath]) -> bool:
        if path in present:
            return True
        if path not in links or path in seen:
            return False
        return reaches_a_file(links[path][1], seen | {path})

    return {
        dest
        for link, (dest, target) in links.items()
        if not reaches_a_file(target, frozenset({link}))
    }


def _posix(dest: str) -> PurePosixPath:
    return PurePosixPath(dest.replace("\\", "/"))


def archive_name(version: str, system: str, machine: str) -> str:
    """The file people download: chatkit-desktop-0.1.0-linux-x86_64.tar.xz and the like."""
    os_name = {"Linux": "linux", "Windows": "windows", "Darwin": "macos"}.get(
        system, system.lower()
    )
    arch = {"amd64": "x86_64", "AMD64": "x86_64", "aarch64": "arm64"}.get(machine, machine)
    extension = "tar.xz" if system == "Linux" else "zip"
    return f"{APP_NAME}-{version}-{os_name}-{arch}.{extension}"
