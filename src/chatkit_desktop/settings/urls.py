"""Base-URL validation, light enough for the command line to use before anything loads."""

from __future__ import annotations

from urllib.parse import urlparse


def check_base_url(value: str | None) -> str | None:
    """The URL without surrounding spaces; ValueError (in words) unless it is http(s)."""
    if value is None:
        return None
    value = value.strip()
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ValueError("must be an http:// or https:// URL such as http://localhost:11434/v1")
    return value
