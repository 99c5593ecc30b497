"""Fixtures for the vault tests: in-memory keyrings and a real Secret Service (gnome-keyring on a
private D-Bus), started and stopped here, so CI needs no desktop session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from chatkit_desktop.vault import Vault
from tests.conftest import start_or_skip
from tests.support.secret_service import SecretService, forget_all
from tests.vault.backends import MemoryKeyring

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


@pytest.fixture
def private_secret_service(tmp_path: Path) -> Iterator[SecretService]:
    """A Secret Service of the test's own, for tests that lock or stop it."""
    service = start_or_skip(tmp_path / "secret-service")
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
