"""Attachments reach the model: what each provider's request carries, over real HTTP to the
scripted OpenAI-protocol server, and the converter's notes for what cannot be read."""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Any

import pytest
from chatkit.types import FileAttachment, ImageAttachment

from chatkit_desktop.chat.history import (
    TEXT_LIMIT_CHARS,
    AttachmentSupport,
    DesktopItemConverter,
    attachment_support,
    unreadable_notice,
)
from chatkit_desktop.providers.catalog import PROVIDERS
from chatkit_desktop.store.attachment_files import AttachmentFiles
from chatkit_desktop.store.sqlite_store import SQLiteStore
from tests.http.test_uploads import PDF, png_bytes, upload_ok
from tests.support.assertions import error_events
from tests.support.chatkit_client import assistant_text, stream, thread_id_of, user_input

KEYS = {"OPENAI_API_KEY": "sk-openai-att", "GEMINI_API_KEY": "gm-gemini-att"}
NOTES = b"Shopping list:\n- apples\n- pears\n"


def data_url(mime: str, data: bytes) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def last_user_content_responses(body: dict[str, Any]) -> list[dict[str, Any]]:
    users = [i for i in body["input"] if isinstance(i, dict) and i.get("role") == "user"]
    return list(users[-1]["content"])


def last_user_content_chat(body: dict[str, Any]) -> list[dict[str, Any]]:
    users = [m for m in body["messages"] if m.get("role") == "user"]
    return list(users[-1]["content"])


async def _three_uploads(client) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    image = await upload_ok(client, png_bytes(), "chart.png", "image/png")
    pdf = await upload_ok(client, PDF, "report.pdf", "application/pdf")
    notes = await upload_ok(client, NOTES, "list.txt", "text/plain")
    return image, pdf, notes


async def test_openai_gets_the_image_the_pdf_and_the_text(client, openai_server):
    scripted, _ = openai_server
    image, pdf, notes = await _three_uploads(client)
    ids = [image["id"], pdf["id"], notes["id"]]
    events = await stream(
        client, "threads.create", {"input": user_input("What is in these?", attachments=ids)}
    )
    assert assistant_text(events).startswith("You said: What is in these?")
    assert not error_events(events)
    assert not [e for e in events if e["type"] == "notice"]

    request = scripted.requests[-1]
    assert request.kind == "responses"
    content = last_user_content_responses(request.body)
    assert content[0] == {"type": "input_text", "text": "What is in these?"}
    by_type = {part["type"]: part for part in content[1:3]}
    assert by_type["input_image"]["image_url"] == data_url("image/png", png_bytes())
    assert by_type["input_file"]["file_data"] == data_url("application/pdf", PDF)
    assert by_type["input_file"]["filename"] == "report.pdf"
    text = content[3]
    assert text["type"] == "input_text"
    assert "'list.txt'" in text["text"] and NOTES.decode() in text["text"]

    # The next turn sends the whole history again, attachments included.
    thread_id = thread_id_of(events)
    await stream(
        client, "threads.add_user_message", {"thread_id": thread_id, "input": user_input("More?")}
    )
    first_user = next(i for i in scripted.requests[-1].body["input"] if i.get("role") == "user")
    assert any(part["type"] == "input_image" for part in first_user["content"])


@pytest.mark.parametrize("provider", ["gemini", "openai-compatible"])
async def test_chat_completions_providers_get_images_and_a_note_for_a_pdf(
    make_client, openai_server, provider
):
    scripted, _ = openai_server
    client = await make_client(providers={"provider": provider, "env": dict(KEYS)})
    image, pdf, notes = await _three_uploads(client)
    ids = [image["id"], pdf["id"], notes["id"]]
    events = await stream(
        client, "threads.create", {"input": user_input("Summarise", attachments=ids)}
    )
    assert assistant_text(events).startswith("You said: Summarise")
    assert not error_events(events)

    label = PROVIDERS[provider].label
    notices = [e for e in events if e["type"] == "notice"]
    assert len(notices) == 1
    assert notices[0]["level"] == "warning"
    assert f"{label} cannot read PDF files" in notices[0]["message"]
    assert "'report.pdf'" in notices[0]["message"]

    request = scripted.requests[-1]
    assert request.kind == "chat_completions"
    content = last_user_content_chat(request.body)
    types = [part["type"] for part in content]
    assert "file" not in types
    images = [part for part in content if part["type"] == "image_url"]
    assert images[0]["image_url"]["url"] == data_url("image/png", png_bytes())
    texts = " ".join(part.get("text", "") for part in content if part["type"] == "text")
    assert "'report.pdf'" in texts and "cannot read PDF" in texts
    assert NOTES.decode() in texts


async def test_an_attachment_whose_bytes_are_gone_becomes_a_note(client, openai_server, data_dir):
    scripted, _ = openai_server
    image = await upload_ok(client, png_bytes(), "lost.png", "image/png")
    events = await stream(
        client, "threads.create", {"input": user_input("see", attachments=[image["id"]])}
    )
    os.remove(data_dir / "attachments" / image["id"])

    await stream(
        client,
        "threads.add_user_message",
        {"thread_id": thread_id_of(events), "input": user_input("and now?")},
    )
    first_user = next(i for i in scripted.requests[-1].body["input"] if i.get("role") == "user")
    texts = [part.get("text", "") for part in first_user["content"]]
    assert any("'lost.png'" in t and "no longer available" in t for t in texts)
    assert not any(part["type"] == "input_image" for part in first_user["content"])


# the converter on its own -----------------------------------------------------------------


@pytest.fixture
async def files(tmp_path: Path):
    store = await SQLiteStore.open(tmp_path / "db.sqlite3")
    try:
        yield AttachmentFiles(tmp_path / "attachments", store)
    finally:
        await store.close()


async def _put(files: AttachmentFiles, attachment_id: str, data: bytes) -> None:
    pending = await files.begin_upload()
    await pending.write(data)
    await files.commit(pending, attachment_id)


def _file(attachment_id: str, name: str, mime: str) -> FileAttachment:
    return FileAttachment(id=attachment_id, name=name, mime_type=mime)


async def test_long_text_is_cut_and_says_so(files):
    await _put(files, "atc_long", ("é" * (TEXT_LIMIT_CHARS + 50)).encode())
    converter = DesktopItemConverter(files, AttachmentSupport(provider="OpenAI", pdf=True))
    part: Any = await converter.attachment_to_message_content(
        _file("atc_long", "long.md", "text/markdown")
    )
    assert part["type"] == "input_text"
    assert f"cut to its first {TEXT_LIMIT_CHARS:,} characters" in part["text"]
    assert part["text"].count("é") == TEXT_LIMIT_CHARS
    assert part["text"].endswith("[END OF 'long.md']")


async def test_notes_instead_of_content_the_provider_cannot_take(files):
    await _put(files, "atc_pdf", PDF)
    await _put(files, "atc_img", png_bytes())
    no_images = DesktopItemConverter(
        files, AttachmentSupport(provider="Tiny", image_types=frozenset())
    )
    image = ImageAttachment(
        id="atc_img",
        name="a.png",
        mime_type="image/png",
        preview_url="chatkit-desktop://attachments/atc_img/preview",  # type: ignore[arg-type]
    )
    part: Any = await no_images.attachment_to_message_content(image)
    assert part["type"] == "input_text" and "Tiny cannot read that image type" in part["text"]
    part = await no_images.attachment_to_message_content(
        _file("atc_pdf", "r.pdf", "application/pdf")
    )
    assert part["type"] == "input_text" and "Tiny cannot read PDF" in part["text"]
    part = await no_images.attachment_to_message_content(
        _file("atc_x", "x.bin", "application/x-unknown")
    )
    assert part["type"] == "input_text" and "cannot read that type" in part["text"]
    # Without a file store (or bytes) nothing fails either.
    part = await DesktopItemConverter().attachment_to_message_content(
        _file("atc_pdf", "r.pdf", "application/pdf")
    )
    assert part["type"] == "input_text"


def test_support_and_notice_per_provider():
    openai = attachment_support(PROVIDERS["openai"])
    gemini = attachment_support(PROVIDERS["gemini"])
    local = attachment_support(PROVIDERS["openai-compatible"])
    every_image = {"image/png", "image/jpeg", "image/gif", "image/webp"}
    assert (openai.image_types, openai.pdf) == (every_image, True)
    assert (gemini.image_types, gemini.pdf) == (every_image - {"image/gif"}, False)
    assert (local.image_types, local.pdf) == (every_image, False)

    attachments = [
        _file("atc_1", "a.pdf", "application/pdf"),
        _file("atc_2", "b.pdf", "application/pdf"),
        _file("atc_3", "c.txt", "text/plain"),
    ]
    assert unreadable_notice(attachments, openai) is None
    notice = unreadable_notice(attachments, gemini)
    assert notice is not None
    assert notice.startswith("Google Gemini cannot read PDF files")
    assert "'a.pdf' and 'b.pdf' are attached" in notice


async def test_gemini_gets_no_gif_but_a_note_and_the_user_a_notice(make_client, openai_server):
    scripted, _ = openai_server
    client = await make_client(providers={"provider": "gemini", "env": dict(KEYS)})
    gif = await upload_ok(client, b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "dance.gif", "image/gif")
    png = await upload_ok(client, png_bytes(), "still.png", "image/png")
    events = await stream(
        client, "threads.create", {"input": user_input("Look", attachments=[gif["id"], png["id"]])}
    )
    notices = [e for e in events if e["type"] == "notice"]
    assert len(notices) == 1
    assert "Google Gemini cannot read GIF images" in notices[0]["message"]
    assert "'dance.gif' is attached" in notices[0]["message"]
    content = last_user_content_chat(scripted.requests[-1].body)
    urls = [part["image_url"]["url"] for part in content if part["type"] == "image_url"]
    assert urls == [data_url("image/png", png_bytes())]
    texts = " ".join(part.get("text", "") for part in content if part["type"] == "text")
    assert "'dance.gif'" in texts
