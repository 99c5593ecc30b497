"""Downloads from the desktop window: the page's exports saved under their own names, where the
user says.

The page saves an export the way a browser does: it fetches `/api/export?...` with its token,
turns the answer into a `blob:` URL and clicks a temporary `<a download="Trip to Lyon.md">`. A
browser offers the file under that name. pywebview does not: downloads are ignored unless
`webview.settings['ALLOW_DOWNLOADS']` is on, and even then its Qt handler names the file after
the URL's path, which for a `blob:` URL is a UUID without an extension.

So on the Qt backend (Linux) the app connects its own handler to the web profile's
`downloadRequested` and leaves pywebview's off: with both connected, two save dialogs would
open for one click and both would try to accept the same download. The handler proposes Qt's
`suggestedFileName()`, which honours the link's `download` attribute (and a server's
Content-Disposition), in a save dialog that starts in the user's Downloads folder; the dialog
asks before overwriting a file. Accepting saves there; cancelling cancels the download. The log
says where a file went and never what was in it (an export is the user's conversations).

The handler is connected on the Qt main thread (the profile and the dialog live there) as soon
as pywebview has built the window (`before_show`, when `window.native` exists), before the page
can ask for a download. An exception in a Qt slot aborts a PyQt process, so the handler catches
everything and cancels the download instead.

Tests cannot click through a native dialog, so in the smoke/test mode only
(`CHATKIT_DESKTOP_SMOKE_DOWNLOAD_DIR`, see `smoke.py`) the handler saves straight into that
directory under the suggested name. The rest of the path (Qt's download of the blob, the name,
the bytes written) is the real one.

A flaw of QtWebEngine (6.11) this cannot mend: on a busy machine, Qt sometimes writes every
byte of a download under its final name and then never reports it finished: it stays "in
progress" and `isFinishedChanged` never comes. A bare PyQt6 page that clicks a blob link (no
code of this app) stalled the same way in 9 of 146 runs on a 2-core machine with two busy
processes beside it: rare and timing-dependent, Qt's and not the app's. The file is whole, and
stays when the app quits, so the user loses nothing; but "Download saved" is then never logged,
so the handler also logs where it saves when it accepts.

The other backends are left to pywebview (6.2.1), which with ALLOW_DOWNLOADS off does this, read
from its code and the toolkits' documentation (this Linux machine cannot run them):
- GTK (WebKitGTK, `--gui gtk`): pywebview connects no download handler, so WebKitGTK's default
  applies: the file is saved without a dialog into the user's Downloads folder under the
  suggested name.
- Windows (WebView2): pywebview's `DownloadStarting` handler cancels every download, so the
  export buttons save nothing.
- macOS (WKWebView): pywebview does not turn `download` links into downloads, so the click is an
  ordinary navigation that saves nothing.
With ALLOW_DOWNLOADS on, pywebview's Windows and macOS handlers show a save dialog in the
Downloads folder with the suggested name, so the app turns it on for those two backends only (on
Qt it would connect pywebview's handler beside this one). Untested here: no Windows or macOS.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import platformdirs

from chatkit_desktop.desktop.backends import Gui

if TYPE_CHECKING:
    from webview import Window

log = logging.getLogger(__name__)

FALLBACK_NAME = "download"
DIALOG_TITLE = "Save as"

# Where a download goes (the full path), or None when the user declined.
Chooser = Callable[[str], Path | None]


def proposed_name(suggested: str) -> str:
    """A plain file name from the page's suggestion: Chromium already sanitises it, but a name
    that still carried a directory part must not steer the file elsewhere, and an empty one
    needs a name the user can see in the dialog."""
    name = suggested.replace("\\", "/").rsplit("/", 1)[-1].replace("\0", "").strip()
    if name in ("", ".", ".."):
        return FALLBACK_NAME
    return name


def start_directory(downloads: str | None = None, home: Path | None = None) -> Path:
    """The dialog's first folder: the user's Downloads folder (platformdirs: XDG's
    `XDG_DOWNLOAD_DIR` on Linux), or the home folder when that does not exist, since a dialog
    opened on a missing folder falls back to the process's working directory."""
    folder = Path(downloads if downloads is not None else platformdirs.user_downloads_dir())
    if folder.is_dir():
        return folder
    return home if home is not None else Path.home()


def save_into(directory: Path) -> Chooser:
    """The test hook's chooser: no dialog, the suggested name in `directory` (overwritten)."""

    def choose(suggested: str) -> Path | None:
        directory.mkdir(parents=True, exist_ok=True)
        return directory / proposed_name(suggested)

    return choose


def handle_download(request: Any, choose: Chooser) -> None:
    """Decide one `QWebEngineDownloadRequest`, inside the `downloadRequested` signal (Qt deletes
    a request nobody accepted when the signal returns, so this cannot be deferred)."""
    try:
        target = choose(request.suggestedFileName())
        if target is None:
            request.cancel()
            log.info("Download cancelled in the save dialog")
            return
        request.setDownloadDirectory(str(target.parent))
        request.setDownloadFileName(target.name)
        request.isFinishedChanged.connect(lambda: report_finished(request, target))
        request.accept()
        # Said now, not only when Qt reports the end, which it sometimes never does (see the
        # module's docstring): the log always tells where the file went.
        log.info("Saving download to %s", target)
    except Exception:
        log.exception("Could not start a download; cancelling it")
        try:
            request.cancel()
        except Exception:
            log.debug("Could not cancel the download", exc_info=True)


def report_finished(request: Any, target: Path) -> None:
    """Log where the file went (INFO) or why it did not get there (WARNING); never its bytes."""
    try:
        if not request.isFinished():
            return
        if request.state() == request.DownloadState.DownloadCompleted:
            log.info("Download saved to %s", target)
        elif request.state() == request.DownloadState.DownloadCancelled:
            log.info("Download to %s cancelled", target)
        else:
            log.warning("Download to %s failed: %s", target, request.interruptReasonString())
    except Exception:
        log.debug("Could not report a finished download", exc_info=True)


def install_downloads(window: Window, gui: Gui, save_dir: Path | None = None) -> None:
    """Handle the window's downloads ourselves on the Qt backend; other backends keep
    pywebview's behaviour (see the module's docstring). Call on the main thread before
    `webview.start()`. `save_dir` is the test hook's folder (no dialog), else None."""
    if gui in ("edgechromium", "cocoa"):
        # pywebview's own handlers there offer a save dialog with the suggested name; without
        # the setting, exports would save nothing. (The setting is global, which is why the Qt
        # backend, with a handler of ours, never turns it on.)
        webview: Any = importlib.import_module("webview")
        webview.settings["ALLOW_DOWNLOADS"] = True
        return
    if gui != "qt":
        log.debug("Downloads are left to pywebview's %s backend", gui)
        return
    _install_qt(window, save_dir)


def _install_qt(window: Window, save_dir: Path | None) -> None:
    qt_core: Any = importlib.import_module("qtpy.QtCore")

    class Connector(qt_core.QObject):  # type: ignore[misc]
        """Lives on the main thread, where its slot runs: directly when `before_show` fires
        there (pywebview's Qt backend does, inside the window's constructor), queued to the
        main thread if a pywebview version ever fires it from another thread."""

        requested = qt_core.Signal()

        def __init__(self) -> None:
            super().__init__()
            self._connected = False
            self.requested.connect(self.connect_profile)

        @qt_core.Slot()  # type: ignore[misc, untyped-decorator]
        def connect_profile(self) -> None:
            if self._connected:
                return
            try:
                view: Any = window.native
                profile = view.webview.page().profile()
                profile.downloadRequested.connect(self.on_download_requested)
            except Exception:
                log.exception("Downloads in the window could not be set up")
                return
            self._connected = True
            if save_dir is not None:
                log.info("Test hook: downloads are saved into %s without a dialog", save_dir)

        def on_download_requested(self, request: Any) -> None:
            choose = save_into(save_dir) if save_dir is not None else self.ask
            handle_download(request, choose)

        def ask(self, suggested: str) -> Path | None:
            widgets: Any = importlib.import_module("qtpy.QtWidgets")
            start = start_directory() / proposed_name(suggested)
            path, _ = widgets.QFileDialog.getSaveFileName(window.native, DIALOG_TITLE, str(start))
            return Path(path) if path else None

    connector = Connector()

    def on_before_show() -> None:
        connector.requested.emit()

    # The event's list of handlers keeps the connector (and so the connection) alive.
    window.events.before_show += on_before_show
