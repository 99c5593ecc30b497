"""The per-request context every layer receives from the HTTP layer.

It lives at the bottom of the package so the store, the chat layer and the HTTP layer can all
name it without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass

LOCAL_USER = "local"


@dataclass(frozen=True, slots=True)
class RequestContext:
    """Who is asking. The desktop app has one local user, but the store scopes everything by
    `user_id` so a second profile (or a test) can never see another's threads."""

    user_id: str = LOCAL_USER
