"""Keyring backends for tests: an in-memory one keyring would recommend, and ones it would not.

Defining a `KeyringBackend` subclass registers it with keyring for detection in this process;
each class here is taken out of that registry again so detection elsewhere never sees it.
"""

from __future__ import annotations

from keyring.backend import KeyringBackend
from keyring.compat import properties
from keyring.errors import KeyringLocked, PasswordDeleteError, PasswordSetError


class MemoryKeyring(KeyringBackend):
    """A recommended (priority 1) backend holding passwords in a dict."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.passwords: dict[tuple[str, str], str] = {}
        self.calls: list[tuple[str, str, str]] = []

    def get_password(self, service: str, username: str) -> str | None:
        self.calls.append(("get", service, username))
        return self.passwords.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.calls.append(("set", service, username))
        self.passwords[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.calls.append(("delete", service, username))
        try:
            del self.passwords[(service, username)]
        except KeyError:
            raise PasswordDeleteError("No such password") from None


class PreferredMemoryKeyring(MemoryKeyring):
    """A recommended backend keyring ranks higher than `MemoryKeyring`."""

    priority = 3  # type: ignore[assignment]


class PlaintextFileLikeKeyring(MemoryKeyring):
    """Like keyrings.alt's plaintext file: works, but keyring does not recommend it."""

    priority = 0.5  # type: ignore[assignment]


class UnviableKeyring(MemoryKeyring):
    """A backend whose priority check says "not here" (as Secret Service does without D-Bus)."""

    @properties.classproperty
    def priority(cls) -> float:
        raise RuntimeError("no such service here")


class LockedKeyring(MemoryKeyring):
    """A recommended backend whose collection is locked and whose unlock prompt was dismissed."""

    def get_password(self, service: str, username: str) -> str | None:
        raise KeyringLocked("Failed to unlock the collection!")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise KeyringLocked("Failed to unlock the collection!")

    def delete_password(self, service: str, username: str) -> None:
        raise KeyringLocked("Failed to unlock the collection!")


class FailingKeyring(MemoryKeyring):
    """A recommended backend that fails with `error` on every call (the same object each time)."""

    def __init__(self, error: Exception) -> None:
        super().__init__()
        self.error = error

    def get_password(self, service: str, username: str) -> str | None:
        raise self.error

    def set_password(self, service: str, username: str, password: str) -> None:
        raise self.error

    def delete_password(self, service: str, username: str) -> None:
        raise self.error


class EchoingKeyring(MemoryKeyring):
    """A badly behaved backend whose error messages repeat the password it was given."""

    def set_password(self, service: str, username: str, password: str) -> None:
        raise PasswordSetError(f"could not store {password!r} for {username}")


class StuckDeleteKeyring(MemoryKeyring):
    """Says PasswordDeleteError ("could not") while the password stays stored."""

    def delete_password(self, service: str, username: str) -> None:
        raise PasswordDeleteError("Can't delete password in keychain")


TEST_BACKENDS: tuple[type[KeyringBackend], ...] = (
    MemoryKeyring,
    PreferredMemoryKeyring,
    PlaintextFileLikeKeyring,
    UnviableKeyring,
    LockedKeyring,
    FailingKeyring,
    EchoingKeyring,
    StuckDeleteKeyring,
)
for _cls in TEST_BACKENDS:
    KeyringBackend._classes.discard(_cls)  # type: ignore[attr-defined]
