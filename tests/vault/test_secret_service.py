"""The vault on a real Secret Service (gnome-keyring-daemon on a private D-Bus), and detection as
a real process sees it, with and without a Secret Service."""

from __future__ import annotations

import contextlib
import json
import logging
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from keyring.backends.SecretService import Keyring as SecretServiceKeyring
from keyring.testing.backend import BackendBasicTests

from chatkit_desktop.vault import (
    SERVICE,
    KeyStatus,
    Vault,
    VaultLockedError,
    VaultUnavailableError,
)
from tests.support.secret_service import SecretService, clean_env, stored_items
from tests.vault.conftest import LEAK_KEY

pytestmark = pytest.mark.slow

KEY = "sk-test-secret-service-0123456789"


def lock_default_collection(address: str) -> None:
    import secretstorage
    from jeepney.io.blocking import open_dbus_connection

    with contextlib.closing(open_dbus_connection(address)) as conn:
        collection = secretstorage.Collection(conn)
        collection.lock()
        assert collection.is_locked()


class TestSecretServiceConformance(BackendBasicTests):
    """keyring's own backend tests pass on this daemon, so it is a faithful Secret Service."""

    @pytest.fixture(autouse=True)
    def _init_properties(
        self, request: pytest.FixtureRequest, on_secret_service: SecretService
    ) -> None:
        self.keyring = self.init_keyring()
        self.credentials_created = set()
        request.addfinalizer(self.cleanup)

    def init_keyring(self) -> SecretServiceKeyring:
        return SecretServiceKeyring()


def test_set_get_delete_on_a_real_secret_service(on_secret_service: SecretService) -> None:
    vault = Vault(env={}, backend=SecretServiceKeyring())
    status = vault.backend_status()
    assert (status.secure, status.name) == (True, "Secret Service")
    assert "Secret Service" in status.message
    assert vault.get("openai") == (None, None)
    assert vault.set("openai", KEY) == "keyring"
    items = stored_items(on_secret_service.address)
    assert len(items) == 1
    attributes, secret = items[0]
    assert (attributes["service"], attributes["username"], secret) == (SERVICE, "openai", KEY)
    # Another vault (another start of the app) finds it.
    assert Vault(env={}, backend=SecretServiceKeyring()).get("openai") == (KEY, "keyring")
    assert vault.set("openai", KEY + "-new") == "keyring"
    assert [secret for _, secret in stored_items(on_secret_service.address)] == [KEY + "-new"]
    vault.delete("openai")
    assert stored_items(on_secret_service.address) == []
    assert vault.get("openai") == (None, None)
    vault.delete("openai")  # missing is fine


def test_env_override_and_session_only_on_a_real_secret_service(
    on_secret_service: SecretService,
) -> None:
    env: dict[str, str] = {}
    vault = Vault(env=env, backend=SecretServiceKeyring())
    vault.set("gemini", KEY)
    env["GEMINI_API_KEY"] = "sk-from-env"
    assert vault.get("gemini") == ("sk-from-env", "env")
    assert vault.set("openai", "sk-session-only", session_only=True) == "session"
    assert vault.status("openai") == KeyStatus("openai", has_key=True, source="session")
    assert [a["username"] for a, _ in stored_items(on_secret_service.address)] == ["gemini"]


def test_a_key_is_not_logged_on_the_real_path(
    on_secret_service: SecretService, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # keyring, secretstorage and jeepney included
    vault = Vault(env={}, backend=SecretServiceKeyring())
    vault.set("openai", LEAK_KEY)
    assert vault.get("openai") == (LEAK_KEY, "keyring")
    vault.status("openai")
    vault.delete("openai")
    assert LEAK_KEY not in caplog.text
    assert all(LEAK_KEY not in repr(record.args) for record in caplog.records)


def test_a_locked_secret_service_gives_a_locked_error(
    private_secret_service: SecretService, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", private_secret_service.address)
    vault = Vault(env={}, backend=SecretServiceKeyring())
    vault.set("openai", KEY)
    # Locked, and no prompt can be shown here (no desktop): the unlock attempt fails.
    lock_default_collection(private_secret_service.address)
    with pytest.raises(VaultLockedError, match=r"Secret Service\) is locked"):
        vault.get("openai")
    with pytest.raises(VaultLockedError):
        vault.set("gemini", KEY)
    status = vault.status("openai")
    assert not status.has_key and status.error is not None and "locked" in status.error
    # The environment and session keys still work.
    assert vault.set("gemini", KEY, session_only=True) == "session"
    assert vault.get("gemini") == (KEY, "session")


def test_a_secret_service_that_stops_gives_an_unavailable_error(
    private_secret_service: SecretService, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", private_secret_service.address)
    vault = Vault(env={}, backend=SecretServiceKeyring())
    vault.set("openai", KEY)
    private_secret_service.stop_daemon()
    with pytest.raises(VaultUnavailableError, match="is not answering") as raised:
        vault.get("openai")
    assert "OPENAI_API_KEY" in str(raised.value)
    private_secret_service.close()  # the bus too: D-Bus itself is gone now
    with pytest.raises(VaultUnavailableError, match="is not answering"):
        vault.set("openai", KEY)


# Detection, in a fresh process (keyring caches what it finds per process).

DETECT = textwrap.dedent(
    """
    import json, sys
    from keyring.backend import KeyringBackend

    # What keyrings.alt would add: plaintext files keyring itself does not recommend. Two of them,
    # so keyring's chainer ranks itself first (priority 10) and must be skipped as well.
    class PlaintextFile(KeyringBackend):
        priority = 0.5
        def get_password(self, service, username):
            return None
        def set_password(self, service, username, password):
            raise AssertionError("a key was written to a plaintext backend")

    class OtherPlaintextFile(PlaintextFile):
        priority = 0.4

    import keyring.core
    from chatkit_desktop.vault import Vault, VaultUnavailableError

    results = []
    for env in json.loads(sys.argv[1]):
        vault = Vault(env=env)
        status = vault.backend_status()
        out = {"secure": status.secure, "name": status.name, "message": status.message}
        try:
            out["set"] = vault.set("openai", sys.argv[2])
            out["get"] = vault.get("openai")
            vault.delete("openai")
            out["after_delete"] = vault.get("openai")
        except VaultUnavailableError as exc:
            out["error"] = str(exc)
        results.append(out)
    default = type(keyring.core.get_keyring()).__name__
    print(json.dumps({"vaults": results, "keyring_default": default}))
    """
)


def detect(env: dict[str, str], *vault_envs: dict[str, str]) -> dict[str, Any]:
    """Build a `Vault(env=vault_env)` for each in one new process with `env` as its environment;
    each saves, reads and deletes a key."""
    done = subprocess.run(
        [sys.executable, "-c", DETECT, json.dumps(vault_envs or [{}]), KEY],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert KEY not in done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def test_detection_finds_the_secret_service_and_ignores_insecure_settings(
    secret_service: SecretService,
) -> None:
    configured = [
        "keyring.backends.SecretService.Keyring",  # recommended: honoured
        "keyring.backends.null.Keyring",  # not recommended: ignored
        "__main__.PlaintextFile",
        "no_such_module.Keyring",
    ]
    result = detect(
        secret_service.env(), {}, *({"PYTHON_KEYRING_BACKEND": name} for name in configured)
    )
    for vault in result["vaults"]:
        assert (vault["secure"], vault["name"]) == (True, "Secret Service"), vault
        assert vault["set"] == "keyring"
        assert vault["get"] == [KEY, "keyring"]
        assert vault["after_delete"] == [None, None]
    assert stored_items(secret_service.address) == []


@pytest.mark.parametrize("bus", ["unset", "no-such-socket"])
def test_detection_without_a_secret_service_refuses_in_words(bus: str, tmp_path: Path) -> None:
    env = clean_env(HOME=str(tmp_path), XDG_RUNTIME_DIR=str(tmp_path))
    if bus == "no-such-socket":
        env["DBUS_SESSION_BUS_ADDRESS"] = f"unix:path={tmp_path}/no-bus-here"
    result = detect(env)
    [vault] = result["vaults"]
    assert (vault["secure"], vault["name"]) == (False, "none")
    message = vault["message"]
    assert message.startswith("No secure system keyring was found, so API keys cannot be saved.")
    assert "session only" in message and "OPENAI_API_KEY" in message
    assert "The OpenAI key was not saved." in vault["error"]
    assert "set" not in vault
    # Left alone, keyring itself would have settled for the plaintext backends (via its chainer).
    assert result["keyring_default"] == "ChainerBackend"
