"""Errors the store raises on top of the SDK's `NotFoundError`."""

from __future__ import annotations


class StoreError(Exception):
    """A database problem worth showing to the user in words."""


class SchemaTooNewError(StoreError):
    """The database was written by a newer chatkit-desktop; we refuse to touch it."""

    def __init__(self, path: str, found: int, supported: int) -> None:
        self.path = path
        self.found = found
        self.supported = supported
        super().__init__(
            f"The database {path} was created by a newer version of chatkit-desktop "
            f"(schema version {found}; this version understands up to {supported}). "
            "It has been left untouched. Update chatkit-desktop, or start with another "
            "--data-dir."
        )
