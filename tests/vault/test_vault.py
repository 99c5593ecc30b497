"""The vault over in-memory keyrings: where keys come from, what is refused, errors in words."""

from __future__ import annotations

import logging

import keyring.backend
import pytest
from keyring.backends import chainer, fail, null
from keyring.errors import InitError, NoKeyringError, PasswordSetError
from keyring.testing.backend import BackendBasicTests

from chatkit_desktop.providers.catalog import PROVIDERS
from chatkit_desktop.vault import (
    SERVICE,
    KeyStatus,
    Vault,
    VaultError,
    VaultLockedError,
    VaultUnavailableError,
    check_key,
)
from tests.vault.backends import (
    FailingKeyring,
    LockedKeyring,
    MemoryKeyring,
    PlaintextFileLikeKeyring,
    PreferredMemoryKeyring,
    StuckDeleteKeyring,
    UnviableKeyring,
)

KEY = "sk-test-vault-0123456789abcdef"
ALL_ENV_NAMES = [info.key_env for info in PROVIDERS.values()]


class TestMemoryKeyringConformance(BackendBasicTests):
    """The test backend behaves like a keyring backend, so what the vault does over it holds."""

    def init_keyring(self) -> MemoryKeyring:
        return MemoryKeyring()


def assert_offers_alternatives(message: str) -> None:
    assert "session only" in message
    assert "environment variable" in message
    for name in ALL_ENV_NAMES:
        assert name in message


# Set, get, delete


def test_set_get_delete_round_trip(vault: Vault, memory: MemoryKeyring) -> None:
    assert vault.backend_status().secure
    assert vault.get("openai") == (None, None)
    assert vault.set("openai", KEY) == "keyring"
    assert memory.passwords == {(SERVICE, "openai"): KEY}
    assert vault.get("openai") == (KEY, "keyring")
    assert vault.status("openai") == KeyStatus("openai", has_key=True, source="keyring")
    assert vault.status("gemini") == KeyStatus("gemini", has_key=False, source=None)
    vault.delete("openai")
    assert memory.passwords == {}
    assert vault.get("openai") == (None, None)


def test_keys_live_under_the_service_name_with_the_provider_as_username(
    vault: Vault, memory: MemoryKeyring
) -> None:
    for provider in PROVIDERS:
        vault.set(provider, f"{KEY}-{provider}")
    assert memory.passwords == {("chatkit-desktop", p): f"{KEY}-{p}" for p in PROVIDERS}


def test_a_key_is_stripped_before_it_is_saved(vault: Vault, memory: MemoryKeyring) -> None:
    vault.set("gemini", f"  {KEY}\r\n")
    assert memory.passwords[(SERVICE, "gemini")] == KEY


def test_deleting_a_missing_key_is_fine(vault: Vault) -> None:
    vault.delete("openai")
    vault.delete("openai")
    assert vault.get("openai") == (None, None)


def test_a_new_vault_on_the_same_keyring_sees_the_saved_key(memory: MemoryKeyring) -> None:
    Vault(env={}, backend=memory).set("openai", KEY)
    assert Vault(env={}, backend=memory).get("openai") == (KEY, "keyring")


def test_delete_reports_a_key_that_stays_in_the_keyring() -> None:
    stuck = StuckDeleteKeyring()
    vault = Vault(env={}, backend=stuck)
    vault.delete("openai")  # nothing saved: "could not delete" only meant "no such key"
    vault.set("openai", KEY)
    with pytest.raises(VaultError, match="could not be deleted"):
        vault.delete("openai")


# The environment


@pytest.mark.parametrize("provider", list(PROVIDERS))
def test_the_environment_variable_beats_session_and_keyring(
    provider: str, memory: MemoryKeyring
) -> None:
    env_name = PROVIDERS[provider].key_env
    env = {env_name: "sk-from-env"}
    vault = Vault(env=env, backend=memory)
    vault.set(provider, KEY)
    vault.set(provider, "sk-session", session_only=True)
    assert vault.get(provider) == ("sk-from-env", "env")
    assert vault.status(provider).source == "env"
    # Deleting cannot remove the environment variable; the saved key is gone though.
    vault.delete(provider)
    assert vault.get(provider) == ("sk-from-env", "env")
    assert memory.passwords == {}


def test_the_environment_is_read_on_every_call_and_blank_counts_as_unset(
    memory: MemoryKeyring,
) -> None:
    env = {"OPENAI_API_KEY": "   "}
    vault = Vault(env=env, backend=memory)
    vault.set("openai", KEY)
    assert vault.get("openai") == (KEY, "keyring")
    env["OPENAI_API_KEY"] = " sk-later \n"
    assert vault.get("openai") == ("sk-later", "env")
    del env["OPENAI_API_KEY"]
    assert vault.get("openai") == (KEY, "keyring")


def test_another_providers_variable_does_not_count(vault: Vault, env: dict[str, str]) -> None:
    env["OPENAI_API_KEY"] = "sk-openai"
    assert vault.get("gemini") == (None, None)
    assert vault.get("openai-compatible") == (None, None)


def test_the_default_environment_is_os_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GEMINI_API_KEY", "sk-os-environ")
    assert Vault(detect=False).get("gemini") == ("sk-os-environ", "env")


# Session-only keys


def test_a_session_only_key_is_never_written_to_the_keyring(
    vault: Vault, memory: MemoryKeyring
) -> None:
    assert vault.set("openai", KEY, session_only=True) == "session"
    assert vault.get("openai") == (KEY, "session")
    assert vault.status("openai") == KeyStatus("openai", has_key=True, source="session")
    assert memory.passwords == {}
    assert not [call for call in memory.calls if call[0] == "set"]
    # It lives in this vault only.
    assert Vault(env={}, backend=memory).get("openai") == (None, None)
    vault.delete("openai")
    assert vault.get("openai") == (None, None)


def test_session_beats_keyring_and_saving_replaces_the_session_key(
    vault: Vault, memory: MemoryKeyring
) -> None:
    memory.passwords[(SERVICE, "openai")] = "sk-old-saved"
    vault.set("openai", "sk-session", session_only=True)
    assert vault.get("openai") == ("sk-session", "session")
    vault.set("openai", KEY)
    assert vault.get("openai") == (KEY, "keyring")


def test_session_only_keys_work_without_any_keyring() -> None:
    vault = Vault(env={}, detect=False)
    assert vault.set("gemini", KEY, session_only=True) == "session"
    assert vault.get("gemini") == (KEY, "session")
    vault.delete("gemini")
    assert vault.get("gemini") == (None, None)


# Backends that are not secure are refused


@pytest.mark.parametrize(
    "backend",
    [
        PlaintextFileLikeKeyring(),
        UnviableKeyring(),
        fail.Keyring(),
        null.Keyring(),
        chainer.ChainerBackend(),
    ],
    ids=["plaintext-like", "unviable", "fail", "null", "chainer"],
)
def test_a_backend_keyring_does_not_recommend_is_refused(
    backend: keyring.backend.KeyringBackend, caplog: pytest.LogCaptureFixture
) -> None:
    vault = Vault(env={}, backend=backend)
    status = vault.backend_status()
    assert status.secure is False
    assert status.name == "none"
    assert "not a secure system keyring" in status.message
    assert_offers_alternatives(status.message)
    with pytest.raises(VaultUnavailableError) as raised:
        vault.set("openai", KEY)
    assert "The OpenAI key was not saved." in str(raised.value)
    assert_offers_alternatives(str(raised.value))
    # Reads and deletes do not touch it either.
    assert vault.get("openai") == (None, None)
    vault.delete("openai")
    if isinstance(backend, MemoryKeyring):
        assert backend.calls == []
    # Session-only still works.
    assert vault.set("openai", KEY, session_only=True) == "session"
    assert "refused" in caplog.text


def test_without_any_backend_the_vault_says_so_in_words(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    plaintext = PlaintextFileLikeKeyring()
    monkeypatch.setattr(
        keyring.backend,
        "get_all_keyring",
        lambda: [plaintext, fail.Keyring(), null.Keyring(), chainer.ChainerBackend()],
    )
    vault = Vault(env={})
    status = vault.backend_status()
    assert (status.secure, status.name) == (False, "none")
    assert status.message.startswith("No secure system keyring was found")
    assert "Secret Service" in status.message and "KWallet" in status.message
    assert_offers_alternatives(status.message)
    with pytest.raises(VaultUnavailableError, match="No secure system keyring was found"):
        vault.set("gemini", KEY)
    assert plaintext.calls == []


def test_keeping_the_keyring_out_says_so() -> None:
    status = Vault(env={}, detect=False).backend_status()
    assert (status.secure, status.name) == (False, "none")
    assert "not used" in status.message
    assert_offers_alternatives(status.message)


def test_detection_picks_the_best_recommended_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    low, high = MemoryKeyring(), PreferredMemoryKeyring()
    monkeypatch.setattr(
        keyring.backend,
        "get_all_keyring",
        lambda: [PlaintextFileLikeKeyring(), low, high, chainer.ChainerBackend()],
    )
    vault = Vault(env={})
    assert vault.backend_status().secure
    vault.set("openai", KEY)
    assert high.passwords and not low.passwords


def test_a_recommended_python_keyring_backend_setting_is_honoured(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(keyring.backend, "get_all_keyring", list)
    vault = Vault(env={"PYTHON_KEYRING_BACKEND": "tests.vault.backends.MemoryKeyring"})
    assert vault.backend_status().secure
    assert vault.set("openai", KEY) == "keyring"


@pytest.mark.parametrize(
    "configured",
    [
        "tests.vault.backends.PlaintextFileLikeKeyring",
        "keyring.backends.null.Keyring",
        "keyring.backends.fail.Keyring",
        "no_such_module.Keyring",
    ],
)
def test_an_insecure_or_broken_python_keyring_backend_setting_is_ignored(
    configured: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    memory = MemoryKeyring()
    monkeypatch.setattr(keyring.backend, "get_all_keyring", lambda: [memory])
    with caplog.at_level(logging.WARNING):
        vault = Vault(env={"PYTHON_KEYRING_BACKEND": configured})
    assert "PYTHON_KEYRING_BACKEND" in caplog.text
    assert vault.backend_status().secure
    vault.set("openai", KEY)
    assert memory.passwords == {(SERVICE, "openai"): KEY}


def test_detection_does_not_change_keyrings_global_backend(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import keyring.core

    before = keyring.core._keyring_backend
    monkeypatch.setattr(keyring.backend, "get_all_keyring", lambda: [MemoryKeyring()])
    Vault(env={})
    Vault(env={}, backend=MemoryKeyring())
    assert keyring.core._keyring_backend is before


# Checking what comes in


@pytest.mark.parametrize("method", ["get", "status", "delete", "set"])
def test_an_unknown_provider_is_refused_in_words(vault: Vault, method: str) -> None:
    call = {
        "get": lambda: vault.get("anthropic"),
        "status": lambda: vault.status("anthropic"),
        "delete": lambda: vault.delete("anthropic"),
        "set": lambda: vault.set("anthropic", KEY),
    }[method]
    with pytest.raises(ValueError, match=r"Unknown provider 'anthropic'; choose one of: openai"):
        call()


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "   \n",
        "sk-one two",
        "sk-first\nsk-second",
        "sk-tab\there",
        "sk-nul\x00",
        "sk-bell\x07x",
        "sk-zero\u200bwidth",
        "sk-nbsp\u00a0x",
        "x" * 5000,
    ],
    ids=["empty", "blank", "space", "newline", "tab", "nul", "control", "zwsp", "nbsp", "long"],
)
def test_something_that_is_not_a_key_is_refused_without_repeating_it(
    vault: Vault, memory: MemoryKeyring, bad: str
) -> None:
    for session_only in (False, True):
        with pytest.raises(ValueError, match="does not look like an API key") as raised:
            vault.set("openai", bad, session_only=session_only)
        if bad.strip():
            assert bad.strip() not in str(raised.value)
    assert memory.passwords == {}
    assert vault.get("openai") == (None, None)


def test_check_key_strips_and_keeps_ordinary_keys() -> None:
    assert check_key(f"\t{KEY}\n") == KEY
    assert check_key("AIzaSyA-_.~+/=") == "AIzaSyA-_.~+/="


# A locked or failing keyring


def test_a_locked_keyring_gives_a_locked_error_in_words() -> None:
    vault = Vault(env={}, backend=LockedKeyring())
    for call in (
        lambda: vault.get("openai"),
        lambda: vault.set("openai", KEY),
        lambda: vault.delete("openai"),
    ):
        with pytest.raises(VaultLockedError) as raised:
            call()
        message = str(raised.value)
        assert "is locked" in message and "Unlock it" in message
        assert "OPENAI_API_KEY" in message and "session only" in message
        assert raised.value.__suppress_context__
    status = vault.status("openai")
    assert (status.has_key, status.source) == (False, None)
    assert status.error is not None and "is locked" in status.error


def test_the_environment_still_works_while_the_keyring_is_locked() -> None:
    vault = Vault(env={"OPENAI_API_KEY": "sk-env"}, backend=LockedKeyring())
    assert vault.get("openai") == ("sk-env", "env")
    assert vault.status("openai") == KeyStatus("openai", has_key=True, source="env")
    vault.set("openai", KEY, session_only=True)


@pytest.mark.parametrize(
    ("error", "kind", "words"),
    [
        (
            InitError("Failed to create the collection: no such name"),
            VaultUnavailableError,
            "not answering",
        ),
        (NoKeyringError("No recommended backend"), VaultUnavailableError, "not answering"),
        (FileNotFoundError(2, "No such file or directory"), VaultUnavailableError, "not answering"),
        (ConnectionRefusedError(111, "Connection refused"), VaultUnavailableError, "not answering"),
        (PasswordSetError("Access denied"), VaultError, "refused"),
        (RuntimeError("org.freedesktop.DBus.Error.NoReply"), VaultError, "failed"),
    ],
    ids=["init", "no-keyring", "no-socket", "refused-socket", "denied", "dbus-error"],
)
def test_keyring_and_dbus_failures_become_vault_errors_in_words(
    error: Exception, kind: type[VaultError], words: str
) -> None:
    vault = Vault(env={}, backend=FailingKeyring(error))
    for call in (
        lambda: vault.get("gemini"),
        lambda: vault.set("gemini", KEY),
        lambda: vault.delete("gemini"),
    ):
        with pytest.raises(VaultError) as raised:
            call()
        assert type(raised.value) is kind
        message = str(raised.value)
        assert words in message
        assert "Google Gemini key could not be" in message
        assert type(error).__name__ in message  # the backend's own words, for diagnosis
        assert "GEMINI_API_KEY" in message
    status = vault.status("gemini")
    assert status.error is not None and not status.has_key


def test_repr_names_providers_never_keys(vault: Vault) -> None:
    vault.set("openai", KEY, session_only=True)
    vault.set("gemini", KEY)
    text = repr(vault) + repr(vars(vault)) + repr(vault.status("openai"))
    assert KEY not in text
    assert "openai" in repr(vault)


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("keyring.backends.macOS.Keyring", "macOS Keychain"),
        ("keyring.backends.Windows.WinVaultKeyring", "Windows Credential Locker"),
        ("keyring.backends.SecretService.Keyring", "Secret Service"),
        ("keyring.backends.libsecret.Keyring", "Secret Service"),
        ("keyring.backends.kwallet.DBusKeyring", "KWallet"),
        ("keyring.backends.kwallet.DBusKeyringKWallet4", "KWallet"),
    ],
)
def test_recommended_backends_have_the_names_people_know(path: str, name: str) -> None:
    from keyring.core import _load_keyring_class

    from chatkit_desktop.vault.backends import human_name

    cls = _load_keyring_class(path)
    assert human_name(cls.__new__(cls)) == name
