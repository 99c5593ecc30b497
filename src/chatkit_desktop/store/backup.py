"""A consistent copy of the database and its attachment files, safe while the app runs.

`VACUUM INTO` copies one snapshot of the database (a read transaction: writers in WAL mode go
on meanwhile) into a fresh, compacted file. The attachment files are then copied for exactly
the attachments that snapshot names; files are written once and never changed in place, so the
pair is consistent even though the copies are not taken at the same instant.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from chatkit_desktop.store.migrations import migrate

DATABASE_NAME = "chatkit-desktop.sqlite3"
ATTACHMENTS_DIR = "attachments"
# The names attachment files can have (`attachment_files._SAFE_ID`, not imported: it would pull
# in the SDK). Checking for "/" alone would let "..\\x" out of the directory on Windows.
_FILE_NAME = re.compile(r"[A-Za-z0-9_-]{1,128}")


class BackupError(Exception):
    """A backup that could not be made, in words for the user."""


@dataclass(frozen=True, slots=True)
class BackupReport:
    path: Path
    database_bytes: int
    attachment_files: int
    missing_files: int


def _snapshot(database: Path, target: Path) -> None:
    source = sqlite3.connect(f"{database.as_uri()}?mode=ro", uri=True, timeout=10.0)
    try:
        source.execute("VACUUM INTO ?", (str(target),))
    finally:
        source.close()


def _attachment_ids(copy: Path) -> list[str]:
    db = sqlite3.connect(f"{copy.as_uri()}?mode=ro", uri=True)
    try:
        return [row[0] for row in db.execute("SELECT id FROM attachments")]
    finally:
        db.close()


def back_up_sync(database: Path, attachments: Path, destination: Path) -> BackupReport:
    if not database.is_file():
        raise BackupError(f"There is no database at {database} to back up.")
    if destination.exists() and (not destination.is_dir() or any(destination.iterdir())):
        raise BackupError(f"{destination} already exists and is not an empty directory.")
    created = not destination.exists()
    destination.mkdir(parents=True, exist_ok=True)
    try:
        return _copy(database, attachments, destination)
    except BaseException:
        # Leave no half backup behind: it would look complete, and a retry into the same
        # destination would be refused as not empty.
        # The destination was empty (or absent) when we started: all in it is ours.
        if created:
            shutil.rmtree(destination, ignore_errors=True)
        else:
            for entry in destination.iterdir():
                if entry.is_dir() and not entry.is_symlink():
                    shutil.rmtree(entry, ignore_errors=True)
                else:
                    entry.unlink(missing_ok=True)
        raise


def _copy(database: Path, attachments: Path, destination: Path) -> BackupReport:
    migrate(database)  # an old database is brought up to date (with its own backup) first
    copy = destination / DATABASE_NAME
    _snapshot(database, copy)
    copied = missing = 0
    target_dir = destination / ATTACHMENTS_DIR
    for attachment_id in _attachment_ids(copy):
        source = attachments / attachment_id
        if not _FILE_NAME.fullmatch(attachment_id) or not source.is_file():
            missing += 1
            continue
        target_dir.mkdir(mode=0o700, exist_ok=True)
        shutil.copy2(source, target_dir / attachment_id)
        copied += 1
    return BackupReport(destination, copy.stat().st_size, copied, missing)


async def back_up(database: Path, attachments: Path, destination: Path) -> BackupReport:
    return await asyncio.to_thread(back_up_sync, database, attachments, destination)
