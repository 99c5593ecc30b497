"""Where things live: `--data-dir DIR` keeps everything in DIR, else the OS's per-user places."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import platformdirs
import platformdirs.macos
import platformdirs.windows
import pytest

from chatkit_desktop.settings.paths import DataPaths, default_log_dir

linux_only = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="the XDG variables decide only on Linux"
)


@pytest.fixture
def xdg(tmp_path, monkeypatch):
    """HOME and every XDG base directory inside tmp_path, as a user could set them."""
    home = tmp_path / "home"
    monkeypatch.setenv("HOME", str(home))
    for name in ("DATA", "STATE", "CONFIG", "CACHE"):
        monkeypatch.setenv(f"XDG_{name}_HOME", str(tmp_path / name.lower()))
    return tmp_path


def test_a_data_dir_holds_the_log_file_too(xdg):
    paths = DataPaths.for_data_dir(xdg / "mine")
    assert paths.root == xdg / "mine"
    assert paths.logs == xdg / "mine" / "logs"
    assert paths.log_file == xdg / "mine" / "logs" / "chatkit-desktop.log"
    assert paths.database == xdg / "mine" / "chatkit-desktop.sqlite3"


def test_paths_built_from_a_root_alone_keep_the_logs_inside_it(tmp_path):
    # Tests, the benchmark and the history seeders build DataPaths(dir) directly.
    assert DataPaths(tmp_path).log_file == tmp_path / "logs" / "chatkit-desktop.log"


@linux_only
def test_without_a_data_dir_the_log_file_is_in_xdg_state_home(xdg):
    paths = DataPaths.for_data_dir(None)
    assert paths.root == xdg / "data" / "chatkit-desktop"
    assert paths.log_file == xdg / "state" / "chatkit-desktop" / "log" / "chatkit-desktop.log"
    # Only the log file moves; everything else stays in the data directory.
    for inside in (paths.database, paths.settings, paths.attachments, paths.instance_lock):
        assert inside.parent == paths.root
    assert not paths.log_file.is_relative_to(paths.root)


@linux_only
def test_without_xdg_state_home_the_log_file_is_under_local_state(xdg, monkeypatch):
    monkeypatch.delenv("XDG_STATE_HOME")
    monkeypatch.delenv("XDG_DATA_HOME")
    paths = DataPaths.for_data_dir(None)
    home = xdg / "home"
    assert paths.root == home / ".local" / "share" / "chatkit-desktop"
    assert paths.log_file == home / ".local" / "state" / "chatkit-desktop" / "log" / (
        "chatkit-desktop.log"
    )


def test_finding_the_paths_creates_nothing(xdg):
    # The folders appear when the app starts (setup_logging), never when a path is asked for.
    for data_dir in (None, xdg / "mine"):
        assert not DataPaths.for_data_dir(data_dir).log_file.parent.exists()
    assert list(xdg.iterdir()) == []


def test_macos_keeps_logs_in_library_logs(tmp_path, monkeypatch):
    monkeypatch.setattr(platformdirs, "PlatformDirs", platformdirs.macos.MacOS)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("USERPROFILE", str(tmp_path))
    assert default_log_dir() == tmp_path / "Library" / "Logs" / "chatkit-desktop"


def test_windows_keeps_logs_in_local_app_data(monkeypatch):
    local = r"C:\Users\someone\AppData\Local"
    monkeypatch.setattr(platformdirs, "PlatformDirs", platformdirs.windows.Windows)
    monkeypatch.setenv("WIN_PD_OVERRIDE_LOCAL_APPDATA", local)  # platformdirs' own override
    assert default_log_dir() == Path(local) / "chatkit-desktop" / "Logs"


def test_paths_are_frozen(tmp_path):
    paths = DataPaths(tmp_path)
    with pytest.raises(dataclasses.FrozenInstanceError):
        paths.log_dir = tmp_path  # type: ignore[misc]
