"""Durable storage of threads, items and attachments in SQLite.

`SQLiteStore` is exported lazily: importing it pulls in the ChatKit SDK types, which start-up
should not pay for before it has to (see `migrations`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chatkit_desktop.store.sqlite_store import SQLiteStore

__all__ = ["SQLiteStore"]


def __getattr__(name: str) -> Any:
    if name == "SQLiteStore":
        from chatkit_desktop.store.sqlite_store import SQLiteStore

        return SQLiteStore
    raise AttributeError(name)
