"""Generated ids keep the SDK's prefixes and carry at least 64 random bits."""

from __future__ import annotations

import re
from pathlib import Path
from typing import get_args

import pytest
from chatkit.store import StoreItemType

from chatkit_desktop.store.attachment_files import AttachmentFiles
from chatkit_desktop.store.sqlite_store import SQLiteStore
from tests.store.helpers import ALICE, thread

SDK_PREFIXES = {
    "thread": "thr",
    "message": "msg",
    "tool_call": "tc",
    "task": "tsk",
    "workflow": "wf",
    "attachment": "atc",
    "sdk_hidden_context": "shcx",
}


def test_every_sdk_item_type_has_a_known_prefix() -> None:
    # If the SDK grows a new id kind, this suite must learn its prefix.
    assert set(get_args(StoreItemType)) == set(SDK_PREFIXES)


def suffix_of(generated: str, prefix: str) -> str:
    match = re.fullmatch(rf"{prefix}_([0-9a-f]+)", generated)
    assert match, f"{generated!r} does not look like {prefix}_<hex>"
    return match.group(1)


async def test_thread_ids(store: SQLiteStore) -> None:
    ids = [store.generate_thread_id(ALICE) for _ in range(5000)]
    assert all(len(suffix_of(i, "thr")) >= 16 for i in ids)
    assert len(set(ids)) == len(ids)


@pytest.mark.parametrize("kind", sorted(SDK_PREFIXES))
async def test_item_ids_keep_the_sdk_prefix_and_are_long(store: SQLiteStore, kind: str) -> None:
    owner = thread("thr_ids")
    ids = [store.generate_item_id(kind, owner, ALICE) for _ in range(2000)]  # type: ignore[arg-type]
    suffixes = [suffix_of(i, SDK_PREFIXES[kind]) for i in ids]
    assert all(len(s) >= 16 for s in suffixes)
    assert len(set(ids)) == len(ids)


async def test_ids_are_random_in_every_position(store: SQLiteStore) -> None:
    """A counter or a timestamp would pass a uniqueness check; random hex varies everywhere."""
    owner = thread("thr_ids")
    suffixes = [
        suffix_of(store.generate_item_id("message", owner, ALICE), "msg") for _ in range(2000)
    ]
    for position in range(16):
        seen = {s[position] for s in suffixes}
        assert len(seen) == 16, f"hex digit {position} only ever took {sorted(seen)}"


def test_attachment_ids_from_the_attachment_store_are_as_long(
    store: SQLiteStore, tmp_path: Path
) -> None:
    attachments = AttachmentFiles(tmp_path / "attachments", store)
    ids = [attachments.generate_attachment_id("text/plain", ALICE) for _ in range(2000)]
    assert all(len(suffix_of(i, "atc")) >= 16 for i in ids)
    assert len(set(ids)) == len(ids)
