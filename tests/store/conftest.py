from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from chatkit_desktop.store.sqlite_store import SQLiteStore


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "chatkit-desktop.sqlite3"


@pytest.fixture
async def store(db_path: Path) -> AsyncIterator[SQLiteStore]:
    opened = await SQLiteStore.open(db_path)
    try:
        yield opened
    finally:
        await opened.close()
