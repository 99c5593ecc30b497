"""A thread title from the user's first words, so the history list is readable at once.

Model-written titles come with the provider layer; this fallback is free and never fails.
"""

from __future__ import annotations

from chatkit.types import UserMessageItem, UserMessageTagContent, UserMessageTextContent

MAX_TITLE = 60


def message_text(message: UserMessageItem) -> str:
    parts: list[str] = []
    for part in message.content:
        if isinstance(part, UserMessageTextContent):
            parts.append(part.text)
        elif isinstance(part, UserMessageTagContent):
            parts.append(f"@{part.text}")
    return " ".join(parts)


def title_from_message(message: UserMessageItem) -> str | None:
    text = " ".join(message_text(message).split())
    if not text:
        return None
    if len(text) <= MAX_TITLE:
        return text
    cut = text[: MAX_TITLE - 1].rsplit(" ", 1)[0] or text[: MAX_TITLE - 1]
    return cut + "…"
