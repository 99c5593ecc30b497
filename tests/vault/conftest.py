"""Fixtures for the vault tests: in-memory keyrings and a real Secret Service (gnome-keyring on a
private D-Bus), started and stopped here, so CI needs no desktop session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from chatkit_desktop.vault import Vault
from tests.vault.backends import MemoryKeyring
from tests.vault.secret_service import (
    SecretService,
    forget_all,
    missing_binaries,
    start_secret_service,
)

LEAK_KEY = "sk-test-LEAKCHECK-7f3a9c2e5b1d4f60"


@pytest.fixture
def memory() -> MemoryKeyring:
    return MemoryKeyring()


@pytest.fixture
def env() -> dict[str, str]:
    """An empty environment: no provider key comes from the outside."""
    return {}


@pytest.fixture
def vault(memory: MemoryKeyring, env: dict[str, str]) -> Vault:
    return Vault(env=env, backend=memory)


def _start(root: Path) -> SecretService:
    missing = missing_binaries()
    if missing:
        pytest.skip(
            "a real Secret Service needs the Debian packages " + ", ".join(missing) + " "
            "(scripts/bootstrap test installs them from packaging/apt/test.txt)"
        )
    return start_secret_service(root)


@pytest.fixture(scope="session")
def secret_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecretService]:
    """gnome-keyring-daemon, unlocked, on a private session bus; shared by the session."""
    service = _start(tmp_path_factory.mktemp("secret-service"))
    try:
        yield service
    finally:
        service.close()


@pytest.fixture
def private_secret_service(tmp_path: Path) -> Iterator[SecretService]:
    """A Secret Service of the test's own, for tests that lock or stop it."""
    service = _start(tmp_path / "secret-service")
    try:
        yield service
    finally:
        service.close()


@pytest.fixture
def on_secret_service(
    secret_service: SecretService, monkeypatch: pytest.MonkeyPatch
) -> Iterator[SecretService]:
    """This process talks to the shared Secret Service for the test; no chatkit-desktop entry
    is left behind for the next test."""
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", secret_service.address)
    forget_all(secret_service.address)
    try:
        yield secret_service
    finally:
        forget_all(secret_service.address)
