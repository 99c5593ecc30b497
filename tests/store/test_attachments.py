"""Attachment metadata through the SDK's Store API."""

from __future__ import annotations

import pytest
from chatkit.store import NotFoundError

from chatkit_desktop.store.sqlite_store import SQLiteStore
from tests.store.helpers import ALICE, file_attachment, image_attachment, thread


async def test_file_and_image_attachments_round_trip(store: SQLiteStore) -> None:
    doc = file_attachment("atc_doc")
    img = image_attachment("atc_img")
    await store.save_attachment(doc, ALICE)
    await store.save_attachment(img, ALICE)

    assert await store.load_attachment("atc_doc", ALICE) == doc
    loaded_img = await store.load_attachment("atc_img", ALICE)
    assert loaded_img == img
    assert loaded_img.type == "image"
    assert str(loaded_img.preview_url) == "https://example.org/cat.png"


async def test_save_attachment_is_an_upsert_that_can_attach_it_to_a_thread(
    store: SQLiteStore,
) -> None:
    await store.save_attachment(file_attachment("atc_1"), ALICE)
    await store.save_thread(thread("thr_1"), ALICE)

    # What the SDK does when the user message carrying the attachment is stored.
    await store.save_attachment(file_attachment("atc_1", thread_id="thr_1", name="v2.txt"), ALICE)

    loaded = await store.load_attachment("atc_1", ALICE)
    assert (loaded.thread_id, loaded.name) == ("thr_1", "v2.txt")


async def test_missing_attachment_is_not_found(store: SQLiteStore) -> None:
    with pytest.raises(NotFoundError):
        await store.load_attachment("atc_nope", ALICE)


async def test_attachment_pointing_at_a_missing_thread_is_not_found(store: SQLiteStore) -> None:
    with pytest.raises(NotFoundError):
        await store.save_attachment(file_attachment("atc_1", thread_id="thr_nope"), ALICE)
    with pytest.raises(NotFoundError):
        await store.load_attachment("atc_1", ALICE)


async def test_delete_attachment(store: SQLiteStore) -> None:
    await store.save_attachment(file_attachment("atc_gone"), ALICE)
    await store.save_attachment(file_attachment("atc_kept"), ALICE)

    await store.delete_attachment("atc_gone", ALICE)

    with pytest.raises(NotFoundError):
        await store.load_attachment("atc_gone", ALICE)
    assert (await store.load_attachment("atc_kept", ALICE)).id == "atc_kept"
