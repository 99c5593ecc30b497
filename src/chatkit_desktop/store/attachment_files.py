"""Attachment bytes on disk, beside their metadata in `SQLiteStore`: the SDK's `AttachmentStore`.

Layout: one file per attachment, `DataPaths.attachments / <attachment id>`, mode 0600 in a 0700
directory. The name is always the id the server generated (checked against a strict pattern
before it becomes a path), never anything the client sent, so no filename can reach outside the
directory. An upload is written to a hidden `.upload-*.part` file there and renamed into place
once it is complete and accepted (the same file system, so the rename is atomic); `.part` names
cannot be attachment ids, and leftovers from a crash are swept at start.

Ownership lives in the store: every read or delete of bytes on behalf of a request first loads the
attachment's metadata for that request's user, so one user can never read or delete another's
bytes by naming their id.

Deleting:
- `attachments.delete`: the SDK calls `delete_attachment` here (bytes), then the store's (row).
- `threads.delete` moves the thread to the trash (`store/trash.py`): rows and bytes stay, so a
  restore is complete. Purging it (by hand or after 30 days) cascades the rows and names the
  attachments whose rows are gone; `remove_bytes` then removes their files (an attachment re-used
  by another thread still has its row, and keeps its bytes).

Two-phase uploads (`attachments.create` with an upload descriptor) are not offered: the app uses
ChatKit's direct upload strategy (`http/uploads.py`), so `create_attachment` is refused (501).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import secrets
import time
from collections.abc import Iterable
from pathlib import Path

from chatkit.store import AttachmentStore, NotFoundError
from chatkit.types import Attachment, AttachmentCreateParams

from chatkit_desktop.context import RequestContext
from chatkit_desktop.store.ids import new_id
from chatkit_desktop.store.sqlite_store import SQLiteStore

log = logging.getLogger(__name__)

# Our ids are `atc_` + 16 hex digits; anything path-safe is accepted so ids from another
# version still resolve, but never a separator, a dot or an empty name.
_SAFE_ID = re.compile(r"[A-Za-z0-9_-]{1,128}")
_PART_PREFIX = ".upload-"
_PART_SUFFIX = ".part"
STALE_PART_S = 3600.0
_PAGE = 200


# What may be uploaded. Images and PDF are recognised by their first bytes, never by the
# client's word; text types must decode as UTF-8 without NUL bytes.
IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")
PDF_TYPE = "application/pdf"
TEXT_TYPES = ("text/plain", "text/markdown", "text/csv", "application/json")
ALLOWED_TYPES = (*IMAGE_TYPES, PDF_TYPE, *TEXT_TYPES)


def sniff_binary_type(head: bytes) -> str | None:
    """The image or PDF type `head` (the first bytes of a file) starts like, else None."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith(b"%PDF-"):
        return PDF_TYPE
    return None


class TwoPhaseUploadsNotSupportedError(NotImplementedError):
    """`attachments.create` is refused; the HTTP layer answers 501 with these words."""


def safe_attachment_id(attachment_id: str) -> bool:
    return _SAFE_ID.fullmatch(attachment_id) is not None


class PendingUpload:
    """A file being received. Chunks are written in a worker thread; nothing is visible under an
    attachment id until `AttachmentFiles.commit` renames it into place."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self._fd: int | None = fd
        self.size = 0

    async def write(self, data: bytes) -> None:
        if self._fd is None:
            raise RuntimeError("upload already closed")
        await asyncio.to_thread(_write_all, self._fd, data)
        self.size += len(data)

    async def close(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            await asyncio.to_thread(os.close, fd)

    async def discard(self) -> None:
        await self.close()
        await asyncio.to_thread(self.path.unlink, missing_ok=True)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


class AttachmentFiles(AttachmentStore[RequestContext]):
    """The bytes of every attachment, one file each, under `root`."""

    def __init__(self, root: Path, store: SQLiteStore) -> None:
        self.root = Path(root)
        self.store = store

    # paths ----------------------------------------------------------------------------------

    def path_for(self, attachment_id: str) -> Path:
        """The file that holds `attachment_id`'s bytes; ValueError for an id that is not safe."""
        if not safe_attachment_id(attachment_id):
            raise ValueError(f"not an attachment id: {attachment_id!r}")
        return self.root / attachment_id

    def _ensure_root(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)

    # writing --------------------------------------------------------------------------------

    async def begin_upload(self) -> PendingUpload:
        def create() -> PendingUpload:
            self._ensure_root()
            path = self.root / f"{_PART_PREFIX}{secrets.token_hex(8)}{_PART_SUFFIX}"
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
            flags |= getattr(os, "O_BINARY", 0)
            return PendingUpload(path, os.open(path, flags, 0o600))

        return await asyncio.to_thread(create)

    async def commit(self, upload: PendingUpload, attachment_id: str) -> Path:
        """Make the received bytes `attachment_id`'s (an atomic rename)."""
        target = self.path_for(attachment_id)
        await upload.close()
        await asyncio.to_thread(os.replace, upload.path, target)
        return target

    # reading --------------------------------------------------------------------------------

    async def read_bytes(self, attachment_id: str, limit: int | None = None) -> bytes | None:
        """The stored bytes (at most `limit`), or None when there are none (deleted, lost).

        No ownership check: callers hold an attachment the store gave them for this user.
        """

        def read() -> bytes | None:
            try:
                with self.path_for(attachment_id).open("rb") as handle:
                    return handle.read() if limit is None else handle.read(limit)
            except (FileNotFoundError, ValueError):
                return None

        return await asyncio.to_thread(read)

    async def size_of(self, attachment_id: str) -> int | None:
        def size() -> int | None:
            try:
                return self.path_for(attachment_id).stat().st_size
            except (FileNotFoundError, ValueError):
                return None

        return await asyncio.to_thread(size)

    # deleting -------------------------------------------------------------------------------

    async def remove_bytes(self, attachment_ids: Iterable[str]) -> None:
        def remove(ids: list[str]) -> None:
            for attachment_id in ids:
                try:
                    self.path_for(attachment_id).unlink(missing_ok=True)
                except ValueError:
                    continue
                except OSError as exc:  # never fail a delete over a file; say so in the log
                    log.warning(
                        "Could not remove the bytes of attachment %s: %s", attachment_id, exc
                    )

        await asyncio.to_thread(remove, list(attachment_ids))

    async def sweep_partial_uploads(self, older_than_s: float = STALE_PART_S) -> int:
        """Remove `.part` files a crash left behind (only old ones: another instance of the app
        on the same data directory may be receiving one right now)."""

        def sweep() -> int:
            removed = 0
            cutoff = time.time() - older_than_s
            try:
                entries = list(os.scandir(self.root))
            except FileNotFoundError:
                return 0
            except OSError as exc:  # never keep the app from starting over a cleanup
                log.warning("Could not look for partial uploads in %s: %s", self.root, exc)
                return 0
            for entry in entries:
                if not (entry.name.startswith(_PART_PREFIX) and entry.name.endswith(_PART_SUFFIX)):
                    continue
                with contextlib.suppress(OSError):
                    if entry.stat(follow_symlinks=False).st_mtime < cutoff:
                        os.unlink(entry.path)
                        removed += 1
            return removed

        return await asyncio.to_thread(sweep)

    # the SDK's AttachmentStore ----------------------------------------------------------------

    async def delete_attachment(self, attachment_id: str, context: RequestContext) -> None:
        # Only this user's: someone else's id (or an unknown one) leaves every byte alone; the
        # SDK's following store delete is scoped the same way.
        try:
            await self.store.load_attachment(attachment_id, context)
        except NotFoundError:
            return
        await self.remove_bytes([attachment_id])

    async def create_attachment(
        self, input: AttachmentCreateParams, context: RequestContext
    ) -> Attachment:
        raise TwoPhaseUploadsNotSupportedError(
            "Two-phase uploads (attachments.create) are not supported; upload the file directly "
            "to the URL from GET /api/uploads/url (ChatKit's uploadStrategy 'direct')."
        )

    def generate_attachment_id(self, mime_type: str, context: RequestContext) -> str:
        # The SDK's default carries 32 random bits; ours are as long as every other id (`ids`).
        return new_id("attachment")
