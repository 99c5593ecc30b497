"""Everything the HTTP server needs to start, decided by the command line before it starts."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from typing import Any

from chatkit_desktop.context import LOCAL_USER
from chatkit_desktop.providers.config import ProviderSettings
from chatkit_desktop.settings.paths import DataPaths

TOKEN_ENV = "CHATKIT_DESKTOP_TOKEN"  # noqa: S105 - a variable name, not a secret
MAX_JSON_BYTES = 1024 * 1024


def new_token() -> str:
    """256 random bits, URL-safe, unless the environment fixes one for scripted use."""
    return os.environ.get(TOKEN_ENV) or secrets.token_urlsafe(32)


@dataclass(frozen=True)
class ServerConfig:
    paths: DataPaths
    token: str = field(repr=False)
    host: str = "127.0.0.1"
    port: int = 0
    user_id: str = LOCAL_USER
    providers: ProviderSettings = field(default_factory=ProviderSettings)
    tracing: bool = False
    # Tests and headless tools can keep the OS keyring out (keys then come from the environment
    # or session memory only).
    use_keyring: bool = True
    # A specific keyring backend (a `keyring.backend.KeyringBackend`) instead of detection:
    # for embedding and tests. Refused like any other if keyring does not rate it secure.
    keyring_backend: Any = field(default=None, repr=False)
    # None: follow the user's setting (on by default).
    generate_titles: bool | None = None
    max_json_bytes: int = MAX_JSON_BYTES
    shutdown_timeout_s: float = 5.0
