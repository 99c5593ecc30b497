"""Choosing the GUI toolkit and checking that a window can open, before any toolkit loads."""

from __future__ import annotations

import os
import shutil
import socket
import sys
import tempfile

import pytest

from chatkit_desktop.desktop import backends
from chatkit_desktop.desktop.backends import (
    choose_gui,
    display_problem,
    prepare_environment,
    requested_gui,
)


@pytest.mark.parametrize(
    ("system", "requested", "gui"),
    [
        ("Windows", "auto", "edgechromium"),
        ("Windows", "gtk", "edgechromium"),
        ("Darwin", "auto", "cocoa"),
        ("Darwin", "qt", "cocoa"),
        ("Linux", "auto", "qt"),
        ("Linux", "qt", "qt"),
    ],
)
def test_each_os_gets_its_own_toolkit(system, requested, gui):
    assert choose_gui(requested, system, gtk_available=True).gui == gui


def test_gtk_when_asked_for_and_installed():
    assert choose_gui("gtk", "Linux", gtk_available=True).gui == "gtk"


def test_gtk_asked_for_but_missing_falls_back_to_qt_with_a_note():
    choice = choose_gui("gtk", "Linux", gtk_available=False)
    assert choice.gui == "qt"
    assert choice.note is not None and "gir1.2-webkit2-4.1" in choice.note


def test_the_flag_wins_over_the_variable_which_wins_over_auto():
    assert requested_gui("qt", {"CHATKIT_DESKTOP_GUI": "gtk"}) == ("qt", None)
    assert requested_gui(None, {"CHATKIT_DESKTOP_GUI": "GTK"}) == ("gtk", None)
    assert requested_gui(None, {}) == ("auto", None)
    value, note = requested_gui(None, {"CHATKIT_DESKTOP_GUI": "motif"})
    assert value == "auto" and note is not None and "motif" in note


def test_no_sandbox_is_appended_for_root_only_and_keeps_the_users_flags():
    env = {"QTWEBENGINE_CHROMIUM_FLAGS": "--disable-gpu"}
    prepare_environment("qt", env, euid=0)
    assert env["QTWEBENGINE_CHROMIUM_FLAGS"] == "--disable-gpu --no-sandbox"
    prepare_environment("qt", env, euid=0)  # not twice
    assert env["QTWEBENGINE_CHROMIUM_FLAGS"] == "--disable-gpu --no-sandbox"
    assert env["QT_API"] == "pyqt6"

    user: dict[str, str] = {}
    prepare_environment("qt", user, euid=1000)
    assert "QTWEBENGINE_CHROMIUM_FLAGS" not in user

    gtk: dict[str, str] = {}
    prepare_environment("gtk", gtk, euid=0)
    assert gtk == {}


def test_no_display_at_all_is_explained():
    problem = display_problem("qt", {}, "Linux")
    assert problem is not None and "DISPLAY" in problem and "WAYLAND_DISPLAY" in problem


def test_a_display_nobody_serves_is_explained():
    problem = display_problem("qt", {"DISPLAY": ":4242"}, "Linux")
    assert problem == "the X display ':4242' does not answer"
    assert display_problem("qt", {"DISPLAY": "nonsense"}, "Linux") is not None


@pytest.mark.skipif(sys.platform == "win32", reason="Windows' Python has no socket.AF_UNIX")
def test_a_wayland_socket_counts():
    # A short directory: pytest's tmp_path is too long for macOS's 104-byte socket paths.
    runtime_dir = tempfile.mkdtemp(prefix="ckd-", dir="/tmp")
    try:
        with socket.socket(socket.AF_UNIX) as server:
            server.bind(os.path.join(runtime_dir, "wayland-9"))
            server.listen()
            env = {"WAYLAND_DISPLAY": "wayland-9", "XDG_RUNTIME_DIR": runtime_dir}
            assert display_problem("qt", env, "Linux") is None
        assert display_problem("qt", {**env, "WAYLAND_DISPLAY": "wayland-8"}, "Linux") is not None
    finally:
        shutil.rmtree(runtime_dir, ignore_errors=True)


def test_headless_qt_platforms_and_other_oses_need_no_display():
    assert display_problem("qt", {"QT_QPA_PLATFORM": "offscreen"}, "Linux") is None
    assert display_problem("gtk", {"QT_QPA_PLATFORM": "offscreen"}, "Linux") is not None
    assert display_problem("edgechromium", {}, "Windows") is None
    assert display_problem("cocoa", {}, "Darwin") is None


def test_missing_qt_libraries_are_named_as_debian_packages(monkeypatch):
    loaded: list[str] = []

    # Every other library loads, whatever this machine has (macOS and Windows have none of them).
    def fake_cdll(name, *args, **kwargs):
        if name == "libxcb-cursor.so.0":
            raise OSError("not found")
        loaded.append(name)
        return object()

    monkeypatch.setattr(backends.ctypes, "CDLL", fake_cdll)
    assert backends.missing_qt_packages({"DISPLAY": ":0"}, "Linux") == ["libxcb-cursor0"]
    assert loaded and set(loaded) < {soname for soname, _ in backends.QT_X11_LIBRARIES}
    assert backends.missing_qt_packages({}, "Linux") == []  # no X11: not checked
    with pytest.raises(backends.GuiUnavailable, match="libxcb-cursor0"):
        backends.load_webview("qt", {"DISPLAY": ":0"}, "Linux")


def test_a_frozen_bundle_checks_only_what_it_does_not_carry(monkeypatch, tmp_path):
    # The bundle's folder holds the X libraries PyInstaller copied, not libEGL and libGL.
    carried = [soname for soname, _ in backends.QT_X11_LIBRARIES if not soname.startswith("libE")]
    carried = [soname for soname in carried if not soname.startswith("libGL")]
    for soname in carried:
        (tmp_path / soname).write_bytes(b"")
    monkeypatch.setattr(backends.sys, "frozen", True, raising=False)
    monkeypatch.setattr(backends.sys, "_MEIPASS", str(tmp_path), raising=False)
    asked: list[str] = []

    def no_system_library(name, *args, **kwargs):
        asked.append(name)
        raise OSError("not found")

    monkeypatch.setattr(backends.ctypes, "CDLL", no_system_library)
    assert backends.missing_qt_packages({"DISPLAY": ":0"}, "Linux") == ["libegl1", "libgl1"]
    assert asked == ["libEGL.so.1", "libGL.so.1"]
    with pytest.raises(backends.GuiUnavailable, match=r"libegl1 libgl1 \(your distribution"):
        backends.load_webview("qt", {"DISPLAY": ":0"}, "Linux")


@pytest.mark.skipif(os.name != "posix", reason="Linux libraries")
def test_this_machine_has_the_qt_libraries():
    """scripts/bootstrap installs packaging/apt/run.txt; the window tests rely on it."""
    if not os.path.exists("/usr/bin/dpkg"):
        pytest.skip("not a Debian system")
    assert backends.missing_qt_packages({"DISPLAY": ":0"}, "Linux") == []


def test_a_qt_that_does_not_load_is_reported_in_words(monkeypatch):
    real = backends.importlib.import_module

    def fake_import(name, *args, **kwargs):
        if name == "qtpy.QtWebEngineWidgets":
            raise ImportError("libQt6WebEngineCore.so.6: cannot open shared object file")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(backends, "missing_qt_packages", lambda env, system: [])
    monkeypatch.setattr(backends.importlib, "import_module", fake_import)
    with pytest.raises(backends.GuiUnavailable, match="QtWebEngine could not be loaded"):
        backends.load_webview("qt", {}, "Linux")
