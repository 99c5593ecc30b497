"""Downloads from the window: the page's `<a download>` exports saved under their own names.

The pure parts (names, the dialog's folder, the decision on one request) are tested without Qt.
The real window tests run the app under Xvfb and have the page download a blob the way the
history browser's export buttons do: once through the test hook (no dialog), once through the
real save dialog, answered with a key press (XTEST), and once closing the app while the dialog
is open."""

from __future__ import annotations

import asyncio
import ctypes
import enum
import json
import logging
import signal
from collections.abc import Callable
from pathlib import Path

import pytest

from chatkit_desktop.desktop import downloads
from chatkit_desktop.desktop.downloads import (
    handle_download,
    install_downloads,
    proposed_name,
    save_into,
    start_directory,
)
from chatkit_desktop.desktop.smoke import SmokeHook
from tests.desktop.processes import DesktopProcess, desktop_env, start_desktop


@pytest.mark.parametrize(
    ("suggested", "name"),
    [
        ("Trip to Lyon.md", "Trip to Lyon.md"),
        ("  Trip to Lyon.json ", "Trip to Lyon.json"),
        ("../../.bashrc", ".bashrc"),
        ("a/b/c.jsonl", "c.jsonl"),
        ("C:\\Users\\x\\notes.md", "notes.md"),
        ("nul\0byte.md", "nulbyte.md"),
        ("", "download"),
        ("..", "download"),
        ("dir/", "download"),
    ],
)
def test_the_proposed_name_is_a_plain_file_name(suggested, name):
    assert proposed_name(suggested) == name


def test_the_dialog_starts_in_downloads_or_home_when_there_is_none(tmp_path):
    folder = tmp_path / "Downloads"
    folder.mkdir()
    assert start_directory(str(folder), home=tmp_path / "home") == folder
    assert start_directory(str(tmp_path / "missing"), home=tmp_path / "home") == tmp_path / "home"


def test_the_test_hook_saves_under_the_suggested_name(tmp_path):
    choose = save_into(tmp_path / "made" / "here")
    assert choose("../Trip to Lyon.md") == tmp_path / "made" / "here" / "Trip to Lyon.md"
    assert (tmp_path / "made" / "here").is_dir()


def test_the_test_hook_is_off_outside_smoke_mode(tmp_path):
    folder = str(tmp_path)
    assert SmokeHook.download_dir({"CHATKIT_DESKTOP_SMOKE_DOWNLOAD_DIR": folder}) is None
    assert SmokeHook.download_dir({"CHATKIT_DESKTOP_SMOKE": "1"}) is None
    for mode in ("1", "hold"):
        env = {"CHATKIT_DESKTOP_SMOKE": mode, "CHATKIT_DESKTOP_SMOKE_DOWNLOAD_DIR": folder}
        assert SmokeHook.download_dir(env) == tmp_path


def test_other_backends_use_pywebviews_save_dialog_where_it_has_one(monkeypatch):
    import webview

    monkeypatch.setitem(webview.settings, "ALLOW_DOWNLOADS", False)
    install_downloads(object(), "gtk")  # WebKitGTK saves into Downloads by itself
    assert webview.settings["ALLOW_DOWNLOADS"] is False
    for gui in ("edgechromium", "cocoa"):
        monkeypatch.setitem(webview.settings, "ALLOW_DOWNLOADS", False)
        install_downloads(object(), gui)  # no Qt, no window touched
        assert webview.settings["ALLOW_DOWNLOADS"] is True


class FakeSignal:
    def __init__(self) -> None:
        self.slots: list[Callable[[], None]] = []

    def connect(self, slot: Callable[[], None]) -> None:
        self.slots.append(slot)

    def emit(self) -> None:
        for slot in self.slots:
            slot()


class FakeRequest:
    """The part of `QWebEngineDownloadRequest` the handler uses."""

    class DownloadState(enum.Enum):
        DownloadRequested = 0
        DownloadInProgress = 1
        DownloadCompleted = 2
        DownloadCancelled = 3
        DownloadInterrupted = 4

    def __init__(self, suggested: str) -> None:
        self.suggested = suggested
        self.directory: str | None = None
        self.file_name: str | None = None
        self.accepted = False
        self.cancelled = False
        self.finished = False
        self.current = self.DownloadState.DownloadRequested
        self.isFinishedChanged = FakeSignal()

    def suggestedFileName(self) -> str:
        return self.suggested

    def setDownloadDirectory(self, directory: str) -> None:
        self.directory = directory

    def setDownloadFileName(self, name: str) -> None:
        self.file_name = name

    def accept(self) -> None:
        self.accepted = True

    def cancel(self) -> None:
        self.cancelled = True

    def isFinished(self) -> bool:
        return self.finished

    def state(self) -> DownloadState:
        return self.current

    def interruptReasonString(self) -> str:
        return "Insufficient free space"

    def finish(self, state: DownloadState) -> None:
        self.finished, self.current = True, state
        self.isFinishedChanged.emit()


def test_an_accepted_download_goes_where_chosen_and_its_place_is_logged(tmp_path, caplog):
    request = FakeRequest("Trip to Lyon.md")
    chosen = tmp_path / "elsewhere" / "Lyon notes.md"
    with caplog.at_level(logging.INFO, logger=downloads.__name__):
        handle_download(request, lambda suggested: chosen)
        assert (request.directory, request.file_name) == (str(chosen.parent), "Lyon notes.md")
        assert request.accepted and not request.cancelled
        assert f"Saving download to {chosen}" in caplog.text
        assert "Download saved" not in caplog.text  # not before Qt says it is done
        request.finish(FakeRequest.DownloadState.DownloadCompleted)
    assert f"Download saved to {chosen}" in caplog.text


def test_the_dialog_gets_the_suggested_name(tmp_path):
    seen: list[str] = []
    request = FakeRequest("Trip to Lyon.json")
    handle_download(request, lambda suggested: seen.append(suggested) or tmp_path / suggested)
    assert seen == ["Trip to Lyon.json"]
    assert request.file_name == "Trip to Lyon.json"


def test_a_declined_dialog_cancels_the_download(caplog):
    request = FakeRequest("Trip to Lyon.md")
    with caplog.at_level(logging.INFO, logger=downloads.__name__):
        handle_download(request, lambda suggested: None)
    assert request.cancelled and not request.accepted
    assert "Download cancelled" in caplog.text


def test_a_failed_download_is_logged_with_qts_reason(tmp_path, caplog):
    request = FakeRequest("big.jsonl")
    handle_download(request, lambda suggested: tmp_path / suggested)
    with caplog.at_level(logging.INFO, logger=downloads.__name__):
        request.finish(FakeRequest.DownloadState.DownloadInterrupted)
    assert "failed: Insufficient free space" in caplog.text
    assert "Download saved" not in caplog.text


def test_an_error_while_deciding_cancels_instead_of_raising_into_qt(caplog):
    """An exception escaping a PyQt slot aborts the whole process."""

    def broken(suggested: str) -> Path | None:
        raise OSError("read-only file system")

    request = FakeRequest("Trip to Lyon.md")
    handle_download(request, broken)
    assert request.cancelled and not request.accepted
    assert "Could not start a download" in caplog.text


DOWNLOAD_NAME = "Trip to Lyon.md"
DOWNLOAD_TEXT = "# Trip to Lyon\n\nBouchons, quenelles, café ☕ — and the Fourvière funicular.\n"

# What the history browser's export does once it has the answer (web/history/util.js), with
# the content made here instead of fetched.
#
DOWNLOAD_SCRIPT = """
(function () {
  var blob = new Blob([%(text)s], {type: 'text/markdown'});
  var href = URL.createObjectURL(blob);
  var link = document.createElement('a');
  link.href = href;
  link.download = %(name)s;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(function () { URL.revokeObjectURL(href); }, 60000);
  return 'clicked ' + href.slice(0, 5);
})()
"""


def _download_script(tmp_path: Path) -> Path:
    script = tmp_path / "download.js"
    values = {"text": json.dumps(DOWNLOAD_TEXT), "name": json.dumps(DOWNLOAD_NAME)}
    script.write_text(DOWNLOAD_SCRIPT % values, encoding="utf-8")
    return script


async def _start_and_click(
    tmp_path: Path, base_url: str, display: str, extra: dict[str, str]
) -> DesktopProcess:
    """The app with its window open; the page has clicked the download link."""
    env = desktop_env(
        base_url,
        display,
        {
            "CHATKIT_DESKTOP_SMOKE": "hold",
            "CHATKIT_DESKTOP_SMOKE_SCRIPT": str(_download_script(tmp_path)),
            **extra,
        },
    )
    app = await start_desktop(tmp_path / "data", env)
    try:
        await app.wait_running()
        report, _ = await app.wait_smoke()
    except BaseException:
        app.kill()
        raise
    assert report["ok"] is True, report
    assert report["script_result"] == "clicked blob:"
    return app


async def _logged(app: DesktopProcess, text: str, timeout: float) -> bool:
    """True once the app has logged `text`; False after `timeout` or when it has exited."""
    deadline = asyncio.get_running_loop().time() + timeout
    while text not in app.stderr():
        if app.proc.returncode is not None or asyncio.get_running_loop().time() > deadline:
            return text in app.stderr()
        await asyncio.sleep(0.05)
    return True


async def _wait_for(app: DesktopProcess, text: str, timeout: float = 15) -> None:
    if not await _logged(app, text, timeout):
        raise AssertionError(f"never logged {text!r}; stderr: {await app.killed()}")


async def _wait_for_file(app: DesktopProcess, path: Path, timeout: float = 15) -> None:
    """Until `path` holds the whole export: what the user looks for. (Not Qt's "finished",
    which QtWebEngine sometimes never reports for a complete file: see `downloads.py`.)"""
    expected = DOWNLOAD_TEXT.encode("utf-8")
    deadline = asyncio.get_running_loop().time() + timeout
    while not (path.is_file() and path.read_bytes() == expected):
        if app.proc.returncode is not None or asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"{path} never held the export; stderr: {await app.killed()}")
        await asyncio.sleep(0.05)


async def _close(app: DesktopProcess) -> str:
    """Close the window as the session does (SIGTERM); it must exit 0 and cleanly."""
    app.proc.send_signal(signal.SIGTERM)
    code, _, err = await app.finish()
    assert code == 0, err
    assert "Stopped cleanly" in err
    assert "Traceback" not in err
    assert DOWNLOAD_TEXT.splitlines()[2] not in err  # the log says where, never what
    return err


@pytest.mark.slow
async def test_the_window_saves_a_blob_download_under_its_download_name(
    tmp_path, openai_server, xvfb_display
):
    _, base_url = openai_server
    download_dir = tmp_path / "Downloads"
    saved = download_dir / DOWNLOAD_NAME
    app = await _start_and_click(
        tmp_path,
        base_url,
        xvfb_display,
        {"CHATKIT_DESKTOP_SMOKE_DOWNLOAD_DIR": str(download_dir)},
    )
    try:
        await _wait_for(app, f"Saving download to {saved}")
        await _wait_for_file(app, saved)
        await _close(app)
    finally:
        app.kill()
    assert [p.name for p in download_dir.iterdir()] == [DOWNLOAD_NAME]
    assert saved.read_bytes() == DOWNLOAD_TEXT.encode("utf-8")


def _home_with_downloads(tmp_path: Path) -> tuple[dict[str, str], Path]:
    """A home whose Downloads folder is named by XDG user-dirs, as on a French desktop."""
    home = tmp_path / "home"
    downloads = home / "Téléchargements"
    downloads.mkdir(parents=True)
    (home / ".config").mkdir()
    (home / ".config" / "user-dirs.dirs").write_text(
        'XDG_DOWNLOAD_DIR="$HOME/Téléchargements"\n', encoding="utf-8"
    )
    return {"HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config")}, downloads


@pytest.mark.slow
async def test_the_save_dialog_proposes_the_name_in_the_downloads_folder(
    tmp_path, openai_server, xvfb_display
):
    _, base_url = openai_server
    env, downloads = _home_with_downloads(tmp_path)
    saved = downloads / DOWNLOAD_NAME
    app = await _start_and_click(tmp_path, base_url, xvfb_display, env)
    try:
        await _wait_for_window(app, xvfb_display, "Save as")
        # The dialog opened on the Downloads folder with the name in its field: Enter saves.
        # (A key pressed before the dialog takes the focus is lost: press again.)
        for _ in range(3):
            await asyncio.to_thread(_press_key, xvfb_display, "Return")
            if await _logged(app, f"Saving download to {saved}", timeout=5):
                break
        await _wait_for(app, f"Saving download to {saved}")
        await _wait_for_file(app, saved)
        await _close(app)
    finally:
        app.kill()
    assert [p.name for p in downloads.iterdir()] == [DOWNLOAD_NAME]
    assert saved.read_bytes() == DOWNLOAD_TEXT.encode("utf-8")


@pytest.mark.slow
async def test_closing_the_app_with_the_save_dialog_open_cancels_the_download(
    tmp_path, openai_server, xvfb_display
):
    _, base_url = openai_server
    env, downloads = _home_with_downloads(tmp_path)
    app = await _start_and_click(tmp_path, base_url, xvfb_display, env)
    try:
        await _wait_for_window(app, xvfb_display, "Save as")
        err = await _close(app)
    finally:
        app.kill()
    assert "Download cancelled in the save dialog" in err
    assert list(downloads.iterdir()) == []


# X11 through ctypes: QtWebEngine links libX11 and libXtst, so wherever the window runs, these
# are installed. No window manager runs on Xvfb: top-level windows are children of the root.


def _xlib() -> tuple[ctypes.CDLL, ctypes.CDLL]:
    x11 = ctypes.CDLL("libX11.so.6")
    xtst = ctypes.CDLL("libXtst.so.6")
    x11.XOpenDisplay.restype = ctypes.c_void_p
    x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
    x11.XCloseDisplay.argtypes = [ctypes.c_void_p]
    x11.XDefaultRootWindow.restype = ctypes.c_ulong
    x11.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
    x11.XQueryTree.argtypes = [
        ctypes.c_void_p,
        ctypes.c_ulong,
        ctypes.POINTER(ctypes.c_ulong),
        ctypes.POINTER(ctypes.c_ulong),
        ctypes.POINTER(ctypes.POINTER(ctypes.c_ulong)),
        ctypes.POINTER(ctypes.c_uint),
    ]
    x11.XFetchName.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.POINTER(ctypes.c_char_p)]
    x11.XFree.argtypes = [ctypes.c_void_p]
    x11.XStringToKeysym.restype = ctypes.c_ulong
    x11.XStringToKeysym.argtypes = [ctypes.c_char_p]
    x11.XKeysymToKeycode.restype = ctypes.c_ubyte
    x11.XKeysymToKeycode.argtypes = [ctypes.c_void_p, ctypes.c_ulong]
    x11.XFlush.argtypes = [ctypes.c_void_p]
    xtst.XTestFakeKeyEvent.argtypes = [ctypes.c_void_p, ctypes.c_uint, ctypes.c_int, ctypes.c_ulong]
    return x11, xtst


def _window_names(display: str) -> list[str]:
    x11, _ = _xlib()
    dpy = x11.XOpenDisplay(display.encode())
    assert dpy, f"cannot open {display}"
    try:
        root, parent = ctypes.c_ulong(), ctypes.c_ulong()
        children = ctypes.POINTER(ctypes.c_ulong)()
        count = ctypes.c_uint()
        x11.XQueryTree(
            dpy,
            x11.XDefaultRootWindow(dpy),
            ctypes.byref(root),
            ctypes.byref(parent),
            ctypes.byref(children),
            ctypes.byref(count),
        )
        names = []
        for i in range(count.value):
            name = ctypes.c_char_p()
            if x11.XFetchName(dpy, children[i], ctypes.byref(name)) and name.value is not None:
                names.append(name.value.decode("utf-8", "replace"))
                x11.XFree(name)
        if children:
            x11.XFree(children)
        return names
    finally:
        x11.XCloseDisplay(dpy)


def _press_key(display: str, keysym: str) -> None:
    """Press and release a key, as a user would (to the window that has the focus)."""
    x11, xtst = _xlib()
    dpy = x11.XOpenDisplay(display.encode())
    assert dpy, f"cannot open {display}"
    try:
        code = x11.XKeysymToKeycode(dpy, x11.XStringToKeysym(keysym.encode()))
        xtst.XTestFakeKeyEvent(dpy, code, 1, 0)
        xtst.XTestFakeKeyEvent(dpy, code, 0, 0)
        x11.XFlush(dpy)
    finally:
        x11.XCloseDisplay(dpy)


async def _wait_for_window(app: DesktopProcess, display: str, title: str) -> None:
    for _ in range(200):
        if title in await asyncio.to_thread(_window_names, display):
            await asyncio.sleep(0.3)  # mapped and focused
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"no {title!r} window; stderr: {await app.killed()}")
