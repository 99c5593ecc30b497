"""The data directory's layout, in one place (platformdirs picks the OS's per-user locations).

Without `--data-dir` the data lives in the OS per-user data directory and the log file in the OS
per-user log directory; with `--data-dir DIR` everything, the log file too, lives in DIR.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "chatkit-desktop"


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def default_log_dir() -> Path:
    """Linux `$XDG_STATE_HOME/chatkit-desktop/log` (default `~/.local/state/...`), macOS
    `~/Library/Logs/chatkit-desktop`, Windows `%LOCALAPPDATA%\\chatkit-desktop\\Logs`."""
    return platformdirs.user_log_path(APP_NAME, appauthor=False)


@dataclass(frozen=True)
class DataPaths:
    root: Path
    log_dir: Path | None = None
    """Where the log file goes; None keeps it inside the data directory (`root/logs`)."""

    @classmethod
    def for_data_dir(cls, data_dir: Path | None) -> DataPaths:
        """The paths for a `--data-dir` option: DIR holds everything; None means the OS's places."""
        if data_dir is not None:
            return cls(data_dir)
        return cls(default_data_dir(), log_dir=default_log_dir())

    @property
    def database(self) -> Path:
        return self.root / "chatkit-desktop.sqlite3"

    @property
    def settings(self) -> Path:
        return self.root / "settings.json"

    @property
    def logs(self) -> Path:
        return self.log_dir if self.log_dir is not None else self.root / "logs"

    @property
    def log_file(self) -> Path:
        return self.logs / "chatkit-desktop.log"

    @property
    def attachments(self) -> Path:
        return self.root / "attachments"

    @property
    def window_state(self) -> Path:
        """The desktop window's size and position, remembered between launches."""
        return self.root / "window-state.json"

    @property
    def instance_lock(self) -> Path:
        """Held (an OS file lock) by the one desktop app using this data directory."""
        return self.root / "desktop.lock"

    @property
    def instance_file(self) -> Path:
        """How to reach that app: its loopback port and a secret (readable by the user only)."""
        return self.root / "desktop-instance.json"
