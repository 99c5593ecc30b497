"""A recognisable key goes through every path of the vault and shows up nowhere: not in a log line
(DEBUG, every logger), an exception message, a traceback or a repr."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable

import pytest
from keyring.errors import PasswordSetError

from chatkit_desktop.vault import Vault, VaultError
from tests.vault.backends import (
    EchoingKeyring,
    FailingKeyring,
    LockedKeyring,
    MemoryKeyring,
    PlaintextFileLikeKeyring,
)
from tests.vault.conftest import LEAK_KEY


def assert_no_key(text: str) -> None:
    assert LEAK_KEY not in text
    assert "LEAKCHECK" not in text


def assert_clean_records(caplog: pytest.LogCaptureFixture) -> None:
    assert caplog.records, "the vault is expected to log something"
    for record in caplog.records:
        assert_no_key(record.getMessage())
        assert_no_key(repr(record.args))
        if record.exc_info:
            assert_no_key("".join(traceback.format_exception(*record.exc_info)))


def assert_clean_error(error: BaseException) -> None:
    assert_no_key(str(error))
    assert_no_key(repr(error))
    assert_no_key("".join(traceback.format_exception(error)))


def capture_error(call: Callable[[], object]) -> BaseException:
    try:
        call()
    except (VaultError, ValueError) as exc:
        return exc
    raise AssertionError("expected an error")


def test_a_key_through_every_working_path_is_never_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    memory = MemoryKeyring()
    env: dict[str, str] = {}
    vault = Vault(env=env, backend=memory)
    vault.set("openai", f"  {LEAK_KEY}\n")
    assert vault.get("openai") == (LEAK_KEY, "keyring")
    vault.set("gemini", LEAK_KEY, session_only=True)
    assert vault.get("gemini") == (LEAK_KEY, "session")
    assert_no_key(repr(vault) + repr(vars(vault)))
    env["CHATKIT_DESKTOP_API_KEY"] = LEAK_KEY
    assert vault.get("openai-compatible") == (LEAK_KEY, "env")
    statuses = [vault.status(provider) for provider in ("openai", "gemini", "openai-compatible")]
    vault.delete("openai")
    vault.delete("gemini")
    assert_clean_records(caplog)
    # (The env mapping and the keyring hold the key by design; the vault's own state shows none.)
    assert_no_key(repr(vault) + repr(vault._session) + repr(statuses))
    # The log says which provider and where, so the lines are still useful.
    assert "key for openai: saved in the keyring" in caplog.text
    assert "key for gemini: kept for this session only" in caplog.text
    assert "key for openai-compatible: from the environment" in caplog.text


@pytest.mark.parametrize(
    "backend",
    [
        LockedKeyring(),
        EchoingKeyring(),
        FailingKeyring(PasswordSetError(f"backend said {LEAK_KEY}")),
        FailingKeyring(OSError(f"socket error with {LEAK_KEY}")),
        PlaintextFileLikeKeyring(),
    ],
    ids=["locked", "echoing", "echoing-error", "echoing-oserror", "refused"],
)
def test_a_key_is_not_in_errors_even_when_the_backend_repeats_it(
    backend: MemoryKeyring, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    vault = Vault(env={}, backend=backend)
    error = capture_error(lambda: vault.set("openai", LEAK_KEY))
    assert_clean_error(error)
    assert_clean_records(caplog)


def test_the_backends_own_words_are_kept_with_the_key_cut_out() -> None:
    vault = Vault(env={}, backend=EchoingKeyring())
    error = capture_error(lambda: vault.set("openai", LEAK_KEY))
    assert "PasswordSetError: could not store '[hidden]' for openai" in str(error)


def test_a_refused_key_is_not_repeated(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    vault = Vault(env={}, backend=MemoryKeyring())
    for bad in (f"{LEAK_KEY} {LEAK_KEY}", f"{LEAK_KEY}\n{LEAK_KEY}", f"{LEAK_KEY}\x00"):
        assert_clean_error(capture_error(lambda bad=bad: vault.set("openai", bad)))
    for record in caplog.records:
        assert_no_key(record.getMessage())
