"""Origins and paths that cross-cutting code must agree on, in one light module."""

from __future__ import annotations

# OpenAI's ChatKit web component loads from here and runs its UI in a frame of this origin.
CHATKIT_CDN = "https://cdn.platform.openai.com"

# ChatKit's direct upload strategy may POST from that frame, without our fetch (and so without
# the bearer token): this route accepts the frame's origin, with a signed URL only.
UPLOAD_PATH = "/chatkit/api/upload"


def is_chatkit_frame_upload(path: str, origin: str | None) -> bool:
    return path == UPLOAD_PATH and origin == CHATKIT_CDN
