"""Attachment bytes on disk: names, permissions, scoping by user, and cleanup."""

from __future__ import annotations

import os
import stat
import sys
import time
from pathlib import Path

import pytest
from chatkit.types import (
    AttachmentCreateParams,
    FileAttachment,
    InferenceOptions,
    UserMessageItem,
    UserMessageTextContent,
)

from chatkit_desktop.store.attachment_files import AttachmentFiles, sniff_binary_type
from chatkit_desktop.store.sqlite_store import SQLiteStore
from tests.store.helpers import ALICE, BOB, T0, thread


@pytest.fixture
def files(store: SQLiteStore, tmp_path: Path) -> AttachmentFiles:
    return AttachmentFiles(tmp_path / "attachments", store)


async def put(files: AttachmentFiles, attachment_id: str, data: bytes) -> Path:
    pending = await files.begin_upload()
    await pending.write(data)
    return await files.commit(pending, attachment_id)


def doc(attachment_id: str, thread_id: str | None = None) -> FileAttachment:
    return FileAttachment(
        id=attachment_id, name=f"{attachment_id}.txt", mime_type="text/plain", thread_id=thread_id
    )


def message(thread_id: str, item_id: str, *attachments: FileAttachment) -> UserMessageItem:
    return UserMessageItem(
        id=item_id,
        thread_id=thread_id,
        created_at=T0,
        content=[UserMessageTextContent(text="see")],
        attachments=list(attachments),
        inference_options=InferenceOptions(),
    )


async def test_bytes_round_trip_under_the_id_private_to_the_user(files: AttachmentFiles) -> None:
    path = await put(files, "atc_0123456789abcdef", b"hello")
    assert path == files.root / "atc_0123456789abcdef"
    assert await files.read_bytes("atc_0123456789abcdef") == b"hello"
    assert await files.read_bytes("atc_0123456789abcdef", 2) == b"he"
    assert await files.size_of("atc_0123456789abcdef") == 5
    if sys.platform != "win32":  # Windows has no POSIX modes: the profile's ACL keeps it private
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(files.root.stat().st_mode) == 0o700
    assert os.listdir(files.root) == ["atc_0123456789abcdef"]  # no partial file left


@pytest.mark.parametrize(
    "attachment_id", ["../x", "a/b", "a\\b", "", ".upload-1.part", "..", "a.b", "x" * 129]
)
def test_only_safe_ids_become_paths(files: AttachmentFiles, attachment_id: str) -> None:
    with pytest.raises(ValueError):
        files.path_for(attachment_id)


async def test_missing_or_unsafe_ids_read_as_none(files: AttachmentFiles) -> None:
    assert await files.read_bytes("atc_missing") is None
    assert await files.read_bytes("../../etc/passwd") is None
    assert await files.size_of("atc_missing") is None


async def test_a_discarded_upload_leaves_nothing(files: AttachmentFiles) -> None:
    pending = await files.begin_upload()
    await pending.write(b"partial")
    assert pending.path.name.startswith(".upload-") and pending.path.exists()
    await pending.discard()
    assert os.listdir(files.root) == []


async def test_delete_attachment_only_touches_the_owners_bytes(
    files: AttachmentFiles, store: SQLiteStore
) -> None:
    await put(files, "atc_alice", b"a")
    await store.save_attachment(doc("atc_alice"), ALICE)

    await files.delete_attachment("atc_alice", BOB)
    assert await files.read_bytes("atc_alice") == b"a"
    await files.delete_attachment("atc_unknown", ALICE)  # nothing to do, no error

    await files.delete_attachment("atc_alice", ALICE)
    assert await files.read_bytes("atc_alice") is None


async def test_purging_a_thread_names_the_files_to_remove_but_not_shared_ones(
    files: AttachmentFiles, store: SQLiteStore
) -> None:
    for thread_id in ("thr_a", "thr_b"):
        await store.save_thread(thread(thread_id), ALICE)
    for attachment_id in ("atc_only", "atc_shared"):
        await put(files, attachment_id, attachment_id.encode())
    await store.save_attachment(doc("atc_only", "thr_a"), ALICE)
    await store.add_thread_item(
        "thr_a", message("thr_a", "msg_1", doc("atc_only"), doc("atc_shared")), ALICE
    )
    # Later re-used by thread B: the SDK moved the row there.
    await store.save_attachment(doc("atc_shared", "thr_b"), ALICE)

    # In the trash, everything stays: a restore must bring the thread back whole.
    await store.delete_thread("thr_a", ALICE)
    assert await store.trash.purge(BOB) == type(await store.trash.purge(BOB))()
    assert await files.read_bytes("atc_only") == b"atc_only"

    purged = await store.trash.purge(ALICE, ["thr_a"])
    assert purged.thread_ids == ["thr_a"]
    assert purged.attachment_ids == ["atc_only"]
    await files.remove_bytes(purged.attachment_ids)
    assert await files.read_bytes("atc_only") is None
    assert await files.read_bytes("atc_shared") == b"atc_shared"


async def test_sweep_removes_only_stale_partial_uploads(files: AttachmentFiles) -> None:
    await put(files, "atc_kept", b"k")
    stale = await files.begin_upload()
    await stale.close()
    old = time.time() - 7200
    os.utime(stale.path, (old, old))
    fresh = await files.begin_upload()
    await fresh.close()

    assert await files.sweep_partial_uploads() == 1
    assert sorted(os.listdir(files.root)) == sorted(["atc_kept", fresh.path.name])
    assert await AttachmentFiles(files.root / "nope", files.store).sweep_partial_uploads() == 0


async def test_two_phase_create_is_refused(files: AttachmentFiles) -> None:
    with pytest.raises(NotImplementedError, match="direct"):
        await files.create_attachment(
            AttachmentCreateParams(name="a.txt", size=1, mime_type="text/plain"), ALICE
        )


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"\x89PNG\r\n\x1a\n....", "image/png"),
        (b"\xff\xd8\xff\xe0", "image/jpeg"),
        (b"GIF89a..", "image/gif"),
        (b"GIF87a..", "image/gif"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp"),
        (b"%PDF-1.7", "application/pdf"),
        (b"<svg", None),
        (b"<html>", None),
        (b"RIFF\x00\x00\x00\x00WAVE", None),
        (b"", None),
    ],
)
def test_sniffing(head: bytes, expected: str | None) -> None:
    assert sniff_binary_type(head) == expected
