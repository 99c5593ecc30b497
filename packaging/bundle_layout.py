"""Where a built bundle is and what it weighs; shared by `build.py` and `smoke`."""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass
from pathlib import Path

from bundle_rules import APP_NAME, CLI_NAME, DISPLAY_NAME

ROOT = Path(__file__).resolve().parent.parent
DIST = ROOT / "dist"


def bundle_dir(dist: Path = DIST, system: str | None = None) -> Path:
    """The folder people unpack: the app folder, or the .app on macOS."""
    system = system or platform.system()
    if system == "Darwin":
        return dist / f"{DISPLAY_NAME}.app"
    return dist / APP_NAME


def executable(bundle: Path, system: str | None = None) -> Path:
    system = system or platform.system()
    if system == "Darwin":
        return bundle / "Contents" / "MacOS" / APP_NAME
    if system == "Windows":
        return bundle / f"{APP_NAME}.exe"
    return bundle / APP_NAME


def cli_executable(bundle: Path, system: str | None = None) -> Path:
    """The executable for commands in a terminal (`keys`, `serve`...): on Windows the console
    twin, since the window app has no console; elsewhere the app itself."""
    system = system or platform.system()
    if system == "Windows":
        return bundle / f"{CLI_NAME}.exe"
    return executable(bundle, system)


@dataclass(frozen=True)
class TreeSize:
    bytes: int
    files: int

    @property
    def mb(self) -> float:
        return self.bytes / 1_000_000


def measure(path: Path) -> TreeSize:
    """Bytes and regular files under `path`, symlinks not followed (as unpacked on disk)."""
    if path.is_file():
        return TreeSize(path.stat().st_size, 1)
    total = files = 0
    for folder, _, names in os.walk(path):
        for name in names:
            file = Path(folder, name)
            if file.is_symlink():
                continue
            total += file.stat().st_size
            files += 1
    return TreeSize(total, files)
