"""Choosing a keyring backend: only ones keyring rates as recommended (priority >= 1).

keyring's own `get_keyring()` falls back silently to whatever is left: a plaintext file
(keyrings.alt) or the `fail` backend. We never do: we pick the best recommended backend ourselves,
without touching keyring's process-global backend, and say in words when there is none.

Detection blocks (it asks D-Bus whether a Secret Service or KWallet answers). keyring caches the
list of viable backends per process (`keyring.backend.get_all_keyring`), so a keyring daemon that
starts after the first detection is only seen by a new process.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

import keyring.backend
import keyring.core
from keyring.backend import KeyringBackend
from keyring.backends.chainer import ChainerBackend

from chatkit_desktop.providers.catalog import PROVIDERS

log = logging.getLogger(__name__)

BACKEND_ENV = "PYTHON_KEYRING_BACKEND"
NONE = "none"

# keyring's class names, as a person knows them.
_HUMAN_NAMES = {
    "keyring.backends.macOS.Keyring": "macOS Keychain",
    "keyring.backends.Windows.WinVaultKeyring": "Windows Credential Locker",
    "keyring.backends.SecretService.Keyring": "Secret Service",
    "keyring.backends.libsecret.Keyring": "Secret Service",
    "keyring.backends.kwallet.DBusKeyring": "KWallet",
    "keyring.backends.kwallet.DBusKeyringKWallet4": "KWallet",
}


@dataclass(frozen=True)
class BackendStatus:
    """Where keys are saved. `name` is "Secret Service", "macOS Keychain",
    "Windows Credential Locker", "KWallet" (or another recommended backend's name), or "none";
    `message` is plain words for the settings page and `doctor`."""

    secure: bool
    name: str
    message: str


def class_path(backend: KeyringBackend) -> str:
    cls = type(backend)
    return f"{cls.__module__}.{cls.__qualname__}"


def human_name(backend: KeyringBackend) -> str:
    known = _HUMAN_NAMES.get(class_path(backend))
    if known is not None:
        return known
    name = type(backend).name
    return str(name) if name else class_path(backend)


def priority_of(backend: KeyringBackend) -> float | None:
    """The backend's priority now, or None if it is not usable here (its check failed)."""
    try:
        return float(backend.priority)
    except Exception as exc:  # a backend signals "not here" with RuntimeError, or worse
        log.debug("keyring backend %s is not usable: %s", class_path(backend), exc)
        return None


def is_recommended(backend: KeyringBackend) -> bool:
    """keyring's own bar (`keyring.core.recommended`, priority >= 1); the chainer never passes
    (it would reach non-recommended backends behind our back)."""
    if isinstance(backend, ChainerBackend):
        return False
    try:
        return bool(keyring.core.recommended(backend))
    except Exception as exc:  # its priority check failed: not usable here
        log.debug("keyring backend %s is not usable: %s", class_path(backend), exc)
        return False


def _env_names() -> str:
    names = [info.key_env for info in PROVIDERS.values()]
    return ", ".join(names[:-1]) + " or " + names[-1]


def alternatives() -> str:
    """The two ways to use a key without a keyring, in words."""
    return (
        "You can keep a key for this session only (held in memory and forgotten when the app "
        f"quits), or set it in an environment variable ({_env_names()}) before starting the app."
    )


def secure_status(backend: KeyringBackend) -> BackendStatus:
    name = human_name(backend)
    return BackendStatus(
        secure=True,
        name=name,
        message=(
            f"API keys are saved in {name}, your system keyring. An environment variable "
            f"({_env_names()}) takes precedence over a saved key."
        ),
    )


def no_backend_status() -> BackendStatus:
    return BackendStatus(
        secure=False,
        name=NONE,
        message=(
            "No secure system keyring was found, so API keys cannot be saved. (On Linux this "
            "needs a Secret Service such as GNOME Keyring, or KWallet, running in your desktop "
            "session; macOS and Windows have one built in.) " + alternatives()
        ),
    )


def refused_status(backend: KeyringBackend) -> BackendStatus:
    return BackendStatus(
        secure=False,
        name=NONE,
        message=(
            f"The keyring backend {class_path(backend)} is not a secure system keyring (keyring "
            "does not recommend it; it may keep keys in a plain file), so API keys are not saved "
            "there. " + alternatives()
        ),
    )


def disabled_status() -> BackendStatus:
    return BackendStatus(
        secure=False,
        name=NONE,
        message="The system keyring is not used, so API keys cannot be saved. " + alternatives(),
    )


def _configured(env: Mapping[str, str]) -> KeyringBackend | None:
    """PYTHON_KEYRING_BACKEND, honoured only when it names a recommended backend."""
    configured = env.get(BACKEND_ENV, "").strip()
    if not configured:
        return None
    try:
        backend = keyring.core.load_keyring(configured)
    except Exception as exc:
        log.warning(
            "%s=%s cannot be used (%s: %s); looking for a secure keyring instead",
            BACKEND_ENV,
            configured,
            type(exc).__name__,
            exc,
        )
        return None
    if not is_recommended(backend):
        log.warning(
            "%s=%s is not a secure keyring (keyring does not recommend it); ignoring it and "
            "looking for a secure keyring instead",
            BACKEND_ENV,
            configured,
        )
        return None
    return backend


def detect_backend(env: Mapping[str, str]) -> KeyringBackend | None:
    """The best recommended backend here, or None. Blocks (D-Bus)."""
    configured = _configured(env)
    if configured is not None:
        return configured
    best: tuple[float, KeyringBackend] | None = None
    for backend in keyring.backend.get_all_keyring():
        if isinstance(backend, ChainerBackend):
            continue
        priority = priority_of(backend)
        if priority is None or priority < 1:  # keyring.core.recommended's bar
            continue
        if best is None or priority > best[0]:
            best = (priority, backend)
    return None if best is None else best[1]
