"""The data directory's layout, in one place (platformdirs picks the OS's per-user location)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "chatkit-desktop"


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


@dataclass(frozen=True)
class DataPaths:
    root: Path

    @property
    def database(self) -> Path:
        return self.root / "chatkit-desktop.sqlite3"

    @property
    def settings(self) -> Path:
        return self.root / "settings.json"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

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
