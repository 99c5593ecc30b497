"""`Vault`: get, set and delete provider API keys (environment, session memory, system keyring).

Synchronous on purpose: keyring calls block (D-Bus, and possibly an unlock prompt). Async callers
run every method, the constructor included, through `asyncio.to_thread`.

A key value never reaches a log line, an exception message or a repr: logs name the provider and
where the key came from or went, nothing more.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from keyring.backend import KeyringBackend
from keyring.errors import (
    InitError,
    KeyringError,
    KeyringLocked,
    NoKeyringError,
    PasswordDeleteError,
)

from chatkit_desktop.providers.catalog import ProviderInfo, provider_info
from chatkit_desktop.vault.backends import (
    BackendStatus,
    class_path,
    detect_backend,
    disabled_status,
    is_recommended,
    no_backend_status,
    refused_status,
    secure_status,
)
from chatkit_desktop.vault.errors import VaultError, VaultLockedError, VaultUnavailableError

log = logging.getLogger(__name__)

SERVICE = "chatkit-desktop"
MAX_KEY_CHARS = 4096

KeySource = Literal["env", "keyring", "session"]


@dataclass(frozen=True)
class KeyStatus:
    """Whether a provider has a key and where it comes from; never the key itself.

    `error` is set (and `has_key`/`source` describe only the environment and this session) when
    the keyring could not be asked, e.g. because it is locked.
    """

    provider: str
    has_key: bool
    source: KeySource | None
    error: str | None = None


class _Secret:
    """A key held in memory that does not show itself in a repr, a debugger or a traceback."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "<hidden key>"


def check_key(key: str) -> str:
    """The key without surrounding whitespace; ValueError (in words, without the key) if it cannot
    be an API key: empty, too long, or with spaces, line breaks or invisible characters inside."""
    if not isinstance(key, str):
        raise ValueError("That does not look like an API key: it must be text.")
    cleaned = key.strip()
    if not cleaned:
        raise ValueError("That does not look like an API key: it is empty.")
    if len(cleaned) > MAX_KEY_CHARS:
        raise ValueError(
            f"That does not look like an API key: it is longer than {MAX_KEY_CHARS} characters."
        )
    if any(ch.isspace() or not ch.isprintable() for ch in cleaned):
        raise ValueError(
            "That does not look like an API key: it contains spaces, line breaks or invisible "
            "characters. Copy the key again, exactly as the provider shows it."
        )
    return cleaned


def _detail(exc: BaseException, secret: str | None) -> str:
    """What the backend said, short, with the key cut out should a backend ever echo it."""
    text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    if secret:
        text = text.replace(secret, "[hidden]")
    return text if len(text) <= 300 else text[:297] + "..."


class Vault:
    """Provider API keys: environment variable, then this session's memory, then the keyring.

    - `env`: where environment variables are read (default `os.environ`, read on every call).
    - `backend`: a keyring backend to use instead of detecting one; it is used only if keyring
      rates it as recommended (priority >= 1), otherwise it is refused like no backend at all.
    - `detect`: with no `backend`, look for the best recommended backend (blocks: D-Bus);
      `detect=False` keeps the keyring out (keys then come from the environment or the session).

    Session keys live in this object only, so keep one Vault per app. Thread-safe; every method
    may block, so async callers use `asyncio.to_thread`.
    """

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        backend: KeyringBackend | None = None,
        *,
        detect: bool = True,
    ) -> None:
        self._env: Mapping[str, str] = os.environ if env is None else env
        self._session: dict[str, _Secret] = {}
        self._lock = threading.Lock()
        if backend is not None:
            if is_recommended(backend):
                self._backend: KeyringBackend | None = backend
                self._status = secure_status(backend)
            else:
                log.warning("keyring backend %s refused: not secure", class_path(backend))
                self._backend = None
                self._status = refused_status(backend)
        elif detect:
            self._backend = detect_backend(self._env)
            self._status = (
                no_backend_status() if self._backend is None else secure_status(self._backend)
            )
        else:
            self._backend = None
            self._status = disabled_status()
        log.info("key vault: %s", self._status.name if self._status.secure else "no secure keyring")

    def __repr__(self) -> str:
        with self._lock:
            session = sorted(self._session)
        return f"Vault(backend={self._status.name!r}, session_keys={session!r})"

    def backend_status(self) -> BackendStatus:
        return self._status

    # Reading

    def _from_env(self, info: ProviderInfo) -> str | None:
        value = self._env.get(info.key_env, "").strip()
        return value or None

    def _from_session(self, info: ProviderInfo) -> str | None:
        with self._lock:
            secret = self._session.get(info.id)
        return None if secret is None else secret.reveal()

    def _from_keyring(self, info: ProviderInfo) -> str | None:
        if self._backend is None:
            return None
        try:
            value = self._backend.get_password(SERVICE, info.id)
        except Exception as exc:
            raise self._error(exc, info, "read") from None
        return value or None

    def get(self, provider: str) -> tuple[str | None, KeySource | None]:
        """The key and where it came from: environment, then session, then keyring; or
        (None, None). ValueError for an unknown provider; VaultError if the keyring fails."""
        info = provider_info(provider)
        value = self._from_env(info)
        if value is not None:
            log.debug("key for %s: from the environment (%s)", info.id, info.key_env)
            return value, "env"
        value = self._from_session(info)
        if value is not None:
            log.debug("key for %s: from this session", info.id)
            return value, "session"
        value = self._from_keyring(info)
        if value is not None:
            log.debug("key for %s: from the keyring (%s)", info.id, self._status.name)
            return value, "keyring"
        log.debug("key for %s: none", info.id)
        return None, None

    def status(self, provider: str) -> KeyStatus:
        """Whether a key is present and from where. Never raises VaultError: a keyring failure is
        reported in `error` (ValueError for an unknown provider)."""
        info = provider_info(provider)
        try:
            _, source = self.get(info.id)
        except VaultError as exc:
            return KeyStatus(info.id, has_key=False, source=None, error=str(exc))
        return KeyStatus(info.id, has_key=source is not None, source=source)

    # Writing

    def set(self, provider: str, key: str, *, session_only: bool = False) -> KeySource:
        """Save the key in the keyring ("keyring"), or with `session_only` in memory for this
        session ("session"). ValueError for an unknown provider or something that is not a key;
        VaultUnavailableError without a secure keyring (unless `session_only`); VaultError or
        VaultLockedError if the keyring fails."""
        info = provider_info(provider)
        cleaned = check_key(key)
        if session_only:
            with self._lock:
                self._session[info.id] = _Secret(cleaned)
            log.info("key for %s: kept for this session only (in memory)", info.id)
            return "session"
        if self._backend is None:
            raise VaultUnavailableError(
                f"The {info.label} key was not saved. {self._status.message}"
            )
        try:
            self._backend.set_password(SERVICE, info.id, cleaned)
        except Exception as exc:
            raise self._error(exc, info, "saved", secret=cleaned) from None
        with self._lock:
            # A saved key replaces a session one, or the old session key would hide it.
            self._session.pop(info.id, None)
        log.info("key for %s: saved in the keyring (%s)", info.id, self._status.name)
        return "keyring"

    def delete(self, provider: str) -> None:
        """Forget the key: this session's and the keyring's. A missing key is fine. An
        environment variable cannot be removed from here (`status` still shows it)."""
        info = provider_info(provider)
        with self._lock:
            had_session = self._session.pop(info.id, None) is not None
        if had_session:
            log.info("key for %s: session key forgotten", info.id)
        if self._backend is None:
            return
        try:
            self._backend.delete_password(SERVICE, info.id)
        except PasswordDeleteError as exc:
            # Backends say "no such password" this way; make sure that is all it was.
            if self._from_keyring(info) is not None:
                raise self._error(exc, info, "deleted") from None
            log.debug("key for %s: nothing in the keyring to delete", info.id)
            return
        except Exception as exc:
            raise self._error(exc, info, "deleted") from None
        log.info("key for %s: deleted from the keyring (%s)", info.id, self._status.name)

    # Errors

    def _error(
        self, exc: Exception, info: ProviderInfo, verb: str, *, secret: str | None = None
    ) -> VaultError:
        """A VaultError in words for a failure inside keyring, D-Bus or the OS."""
        name = self._status.name
        detail = _detail(exc, secret)
        other_ways = (
            f"Or keep the key for this session only, or set the {info.key_env} environment "
            "variable."
        )
        log.warning("keyring (%s): the %s key could not be %s: %s", name, info.id, verb, detail)
        if isinstance(exc, KeyringLocked):
            return VaultLockedError(
                f"Your system keyring ({name}) is locked and was not unlocked, so the "
                f"{info.label} key could not be {verb}. Unlock it (your desktop's passwords "
                f"and keys app can, or log in again) and try again. {other_ways}"
            )
        if isinstance(exc, InitError | NoKeyringError | OSError):
            # D-Bus gone, daemon stopped, socket refused: nothing is answering.
            return VaultUnavailableError(
                f"Your system keyring ({name}) is not answering, so the {info.label} key could "
                f"not be {verb} ({detail}). Check that it is running and try again. {other_ways}"
            )
        if isinstance(exc, KeyringError):
            return VaultError(
                f"Your system keyring ({name}) refused: the {info.label} key could not be "
                f"{verb} ({detail}). {other_ways}"
            )
        return VaultError(
            f"Your system keyring ({name}) failed: the {info.label} key could not be {verb} "
            f"({detail}). {other_ways}"
        )


__all__ = ["SERVICE", "KeySource", "KeyStatus", "Vault", "check_key"]
