"""The thread's stored history as Agents SDK input, attachments included.

Attachments reach the model from the bytes on disk (`store/attachment_files.py`), re-read on
every turn (the whole history is sent each time):

- images (PNG, JPEG, GIF, WebP): `input_image` with a base64 data URL (over Chat Completions the
  Agents SDK sends it as an `image_url` part); Gemini gets no GIF (not among its image types):
  a note and a notice instead;
- PDF: `input_file` with base64 `file_data` and the `filename` for OpenAI (Responses API); for
  Gemini and local servers (Chat Completions) a note to the model and a notice to the user;
- text, Markdown, CSV, JSON: `input_text` with the file's name and text (cut at
  `TEXT_LIMIT_CHARS`), for every provider.

Why no PDFs over Chat Completions: the Agents SDK would turn `input_file` into a `file` part,
which Gemini's OpenAI-compatible endpoint and local servers (Ollama, LM Studio, llama.cpp) do not
document. A part a provider refuses would not fail once: the history is re-sent, so every later
turn of the thread would fail too. So the model is told the PDF is there but unreadable, and
`unreadable_notice` gives the user words for it. Images are sent everywhere (a local model
without vision answers with an error the chat layer puts in words).

Anything missing (bytes deleted, an unknown type) becomes a note, never an exception.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass

from agents import TResponseInputItem
from chatkit.agents import ThreadItemConverter
from chatkit.store import Store
from chatkit.types import AssistantMessageItem, Attachment, ThreadItem, UserMessageTagContent
from openai.types.responses import (
    EasyInputMessageParam,
    ResponseInputContentParam,
    ResponseInputFileParam,
    ResponseInputImageParam,
    ResponseInputTextParam,
)

from chatkit_desktop.context import RequestContext
from chatkit_desktop.providers.catalog import ProviderInfo
from chatkit_desktop.store.attachment_files import (
    IMAGE_TYPES,
    PDF_TYPE,
    TEXT_TYPES,
    AttachmentFiles,
)

PAGE = 200
# A text attachment gives the model at most this many characters (about 25,000 tokens).
TEXT_LIMIT_CHARS = 100_000


@dataclass(frozen=True)
class AttachmentSupport:
    """Which attachment types a provider's API can read; `provider` names it in words."""

    provider: str
    image_types: frozenset[str] = frozenset(IMAGE_TYPES)
    pdf: bool = False


# Gemini reads PNG, JPEG and WebP (also HEIC/HEIF), not GIF: its documented image types.
_GEMINI_IMAGES = frozenset({"image/png", "image/jpeg", "image/webp"})


def attachment_support(info: ProviderInfo) -> AttachmentSupport:
    if info.api == "responses":  # OpenAI: PNG, JPEG, WebP, GIF, and PDF as input_file
        return AttachmentSupport(provider=info.label, pdf=True)
    if info.id == "gemini":
        return AttachmentSupport(provider=info.label, image_types=_GEMINI_IMAGES)
    return AttachmentSupport(provider=info.label)


def _kind(attachment: Attachment) -> str:
    mime = attachment.mime_type
    if mime in IMAGE_TYPES:
        return "image"
    if mime == PDF_TYPE:
        return "pdf"
    if mime in TEXT_TYPES:
        return "text"
    return "other"


def unreadable_notice(attachments: Sequence[Attachment], support: AttachmentSupport) -> str | None:
    """Words for the user when this message carries files the provider cannot read."""
    pdfs = [a.name for a in attachments if _kind(a) == "pdf" and not support.pdf]
    images = [
        a for a in attachments if _kind(a) == "image" and a.mime_type not in support.image_types
    ]
    others = [a.name for a in attachments if _kind(a) == "other"]
    parts = []
    if pdfs:
        parts.append(
            f"{support.provider} cannot read PDF files in chatkit-desktop, so the model only "
            f"knows that {_names(pdfs)} {_is(pdfs)} attached. Switch to OpenAI to ask about a "
            "PDF, or paste the text you need."
        )
    if images:
        kinds = sorted({_image_kind(a.mime_type) for a in images})
        names = [a.name for a in images]
        parts.append(
            f"{support.provider} cannot read {' or '.join(kinds)} images, so the model only "
            f"knows that {_names(names)} {_is(names)} attached. Convert to PNG or JPEG, or "
            "switch to OpenAI."
        )
    if others:
        parts.append(f"The model cannot read {_names(others)}.")
    return " ".join(parts) or None


def _is(names: Sequence[str]) -> str:
    return "is" if len(names) == 1 else "are"


def _image_kind(mime: str) -> str:
    return mime.removeprefix("image/").upper()


def _names(names: Sequence[str]) -> str:
    quoted = [f"'{name}'" for name in names]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]


def _note(text: str) -> ResponseInputTextParam:
    return ResponseInputTextParam(type="input_text", text=text)


class DesktopItemConverter(ThreadItemConverter):
    """Never fails on content the model cannot take: it says what was there instead.

    `files` holds the attachments' bytes; `support` is what the thread's provider can read.
    """

    def __init__(
        self,
        files: AttachmentFiles | None = None,
        support: AttachmentSupport | None = None,
    ) -> None:
        self.files = files
        self.support = support or AttachmentSupport(provider="This provider")

    async def attachment_to_message_content(
        self, attachment: Attachment
    ) -> ResponseInputContentParam:
        name, mime, kind = attachment.name, attachment.mime_type, _kind(attachment)
        if kind == "other":
            return _note(f"[The user attached {name!r} ({mime}); you cannot read that type.]")
        if kind == "pdf" and not self.support.pdf:
            return _note(
                f"[The user attached the PDF {name!r}, but {self.support.provider} cannot read "
                "PDF files here, so its content is not included. If the user asks about it, "
                "say so and ask them to paste the relevant text.]"
            )
        if kind == "image" and mime not in self.support.image_types:
            return _note(
                f"[The user attached the image {name!r} ({mime}), but {self.support.provider} "
                "cannot read that image type here, so it is not included.]"
            )
        limit = TEXT_LIMIT_CHARS * 4 + 4 if kind == "text" else None
        data = await self.files.read_bytes(attachment.id, limit) if self.files else None
        if data is None:
            return _note(f"[The user attached {name!r} ({mime}); it is no longer available.]")
        if kind == "image":
            encoded = base64.b64encode(data).decode("ascii")
            return ResponseInputImageParam(
                type="input_image", image_url=f"data:{mime};base64,{encoded}", detail="auto"
            )
        if kind == "pdf":
            encoded = base64.b64encode(data).decode("ascii")
            return ResponseInputFileParam(
                type="input_file", file_data=f"data:{mime};base64,{encoded}", filename=name
            )
        return _note(self._text_attachment(attachment, data))

    def _text_attachment(self, attachment: Attachment, data: bytes) -> str:
        text = data.decode("utf-8", errors="replace")
        cut = len(text) > TEXT_LIMIT_CHARS
        if cut:
            text = text[:TEXT_LIMIT_CHARS]
        how = f", cut to its first {TEXT_LIMIT_CHARS:,} characters" if cut else ""
        name = attachment.name
        return (
            f"[The user attached the file {name!r} ({attachment.mime_type}{how}). "
            f"Its content follows, up to the line END OF {name!r}.]\n"
            f"{text}\n"
            f"[END OF {name!r}]"
        )

    async def assistant_message_to_input(
        self, item: AssistantMessageItem
    ) -> TResponseInputItem | list[TResponseInputItem] | None:
        # The SDK sends earlier answers as `output_text` parts, which the Agents SDK's Chat
        # Completions converter rejects ("Unknown content") on turn 2 with Gemini and local
        # servers. Plain text is accepted by both APIs.
        text = "".join(part.text for part in item.content)
        return EasyInputMessageParam(type="message", role="assistant", content=text)

    async def tag_to_message_content(self, tag: UserMessageTagContent) -> ResponseInputTextParam:
        return ResponseInputTextParam(type="input_text", text=f"@{tag.text}: {tag.data}")


async def load_history(
    store: Store[RequestContext], thread_id: str, context: RequestContext
) -> list[ThreadItem]:
    items: list[ThreadItem] = []
    after: str | None = None
    while True:
        page = await store.load_thread_items(thread_id, after, PAGE, "asc", context)
        items.extend(page.data)
        if not page.has_more:
            return items
        after = page.after
