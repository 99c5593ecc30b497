"""`chatkit-desktop keys set|delete|status`: through `run_keys` with a test keyring, and once as a
real process on a real Secret Service."""

from __future__ import annotations

import argparse
import io
import subprocess
import sys

import pytest

from chatkit_desktop.cli.keys import add_keys_parser, run_keys
from chatkit_desktop.vault import SERVICE, Vault
from tests.support.secret_service import SecretService, clean_env, forget_all, stored_items
from tests.vault.backends import LockedKeyring, MemoryKeyring, PlaintextFileLikeKeyring
from tests.vault.conftest import LEAK_KEY


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="chatkit-desktop")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--log-level", default="INFO")
    sub = parser.add_subparsers(dest="command")
    add_keys_parser(sub, [common])
    return parser.parse_args(argv)


class TtyInput(io.StringIO):
    def isatty(self) -> bool:
        return True


def run(
    vault: Vault,
    *argv: str,
    stdin: str | io.StringIO = "",
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> tuple[int, str, str]:
    monkeypatch.setattr(
        sys, "stdin", stdin if isinstance(stdin, io.StringIO) else io.StringIO(stdin)
    )
    code = run_keys(parse("keys", *argv), vault=vault)
    out, err = capsys.readouterr()
    assert LEAK_KEY not in out + err
    return code, out, err


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    def call(vault: Vault, *argv: str, stdin: str | io.StringIO = "") -> tuple[int, str, str]:
        return run(vault, *argv, stdin=stdin, monkeypatch=monkeypatch, capsys=capsys)

    return call


def test_the_parser_has_set_delete_and_status() -> None:
    args = parse("keys", "set", "gemini", "--session-only")
    assert (args.command, args.keys_command, args.provider, args.session_only) == (
        "keys",
        "set",
        "gemini",
        True,
    )
    assert parse("keys", "delete", "openai").keys_command == "delete"
    assert parse("keys", "status").keys_command == "status"
    assert parse("keys", "--log-level", "DEBUG", "status").log_level == "DEBUG"


@pytest.mark.parametrize("argv", [["keys"], ["keys", "set"], ["keys", "set", "anthropic"]])
def test_the_parser_refuses_missing_or_unknown_arguments(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as raised:
        parse(*argv)
    assert raised.value.code == 2
    assert "usage:" in capsys.readouterr().err


def test_set_reads_one_line_from_stdin_and_saves_it(cli, memory: MemoryKeyring) -> None:
    vault = Vault(env={}, backend=memory)
    code, out, err = cli(vault, "set", "openai", stdin=f"{LEAK_KEY}\nsecond line\n")
    assert (code, err) == (0, "")
    assert "Saved the OpenAI key in" in out
    assert memory.passwords == {(SERVICE, "openai"): LEAK_KEY}


def test_set_on_a_terminal_asks_with_a_hidden_prompt(
    cli, memory: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    prompts: list[str] = []

    def fake_getpass(prompt: str = "") -> str:
        prompts.append(prompt)
        return LEAK_KEY

    monkeypatch.setattr("getpass.getpass", fake_getpass)
    code, out, _ = cli(Vault(env={}, backend=memory), "set", "gemini", stdin=TtyInput())
    assert code == 0
    assert "Saved the Google Gemini key" in out
    assert prompts == ["Google Gemini API key (typing is hidden): "]
    assert memory.passwords == {(SERVICE, "gemini"): LEAK_KEY}


def test_set_without_input_or_with_something_else_fails_in_words(
    cli, memory: MemoryKeyring
) -> None:
    vault = Vault(env={}, backend=memory)
    code, out, err = cli(vault, "set", "openai", stdin="")
    assert (code, out) == (1, "")
    assert "no key was given" in err
    code, _, err = cli(vault, "set", "openai", stdin=f"{LEAK_KEY} {LEAK_KEY}\n")
    assert code == 1
    assert "does not look like an API key" in err
    assert memory.passwords == {}


def test_set_without_a_secure_keyring_fails_before_asking(cli) -> None:
    vault = Vault(env={}, backend=PlaintextFileLikeKeyring())
    stdin = io.StringIO(f"{LEAK_KEY}\n")
    code, out, err = cli(vault, "set", "openai", stdin=stdin)
    assert (code, out) == (1, "")
    assert "is not a secure system keyring" in err
    assert "session only" in err and "OPENAI_API_KEY" in err
    assert stdin.tell() == 0  # the key was not even read


def test_set_session_only_checks_the_key_and_says_it_is_not_kept(cli) -> None:
    vault = Vault(env={}, detect=False)
    code, out, _ = cli(vault, "set", "openai", "--session-only", stdin=f"{LEAK_KEY}\n")
    assert code == 0
    assert "looks valid but was not saved" in out
    assert "OPENAI_API_KEY" in out


def test_set_notes_an_environment_variable_that_wins(cli, memory: MemoryKeyring) -> None:
    vault = Vault(env={"OPENAI_API_KEY": "sk-env"}, backend=memory)
    code, out, _ = cli(vault, "set", "openai", stdin=f"{LEAK_KEY}\n")
    assert code == 0
    assert "OPENAI_API_KEY environment variable is set and takes precedence over this key" in out


def test_set_on_a_locked_keyring_fails_in_words(cli) -> None:
    code, out, err = cli(Vault(env={}, backend=LockedKeyring()), "set", "openai", stdin="sk-x\n")
    assert (code, out) == (1, "")
    assert err.startswith("chatkit-desktop keys: Your system keyring")
    assert "is locked" in err
    assert "Traceback" not in err


def test_status_shows_where_each_key_comes_from_and_never_the_key(
    cli, memory: MemoryKeyring
) -> None:
    vault = Vault(env={"CHATKIT_DESKTOP_API_KEY": LEAK_KEY}, backend=memory)
    vault.set("openai", LEAK_KEY)
    code, out, err = cli(vault, "status")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].startswith("Keyring: ") and lines[0].endswith("(secure)")
    assert "API keys are saved in" in lines[1]
    rows = {line.split()[0]: line for line in lines[2:]}
    assert "key set, saved in" in rows["openai"]
    assert "no key (run `chatkit-desktop keys set gemini` or set GEMINI_API_KEY)" in rows["gemini"]
    assert "environment variable CHATKIT_DESKTOP_API_KEY" in rows["openai-compatible"]


def test_status_without_a_keyring_and_with_a_locked_one(cli) -> None:
    code, out, _ = cli(Vault(env={}, detect=False), "status")
    assert code == 0
    assert out.startswith("Keyring: none (keys cannot be saved)")
    assert "optional" in out  # the local server's key is not required
    code, out, _ = cli(Vault(env={}, backend=LockedKeyring()), "status")
    assert code == 1
    assert out.count("could not check: Your system keyring") == 3


def test_delete_removes_the_saved_key(cli, memory: MemoryKeyring) -> None:
    vault = Vault(env={}, backend=memory)
    vault.set("gemini", LEAK_KEY)
    code, out, _ = cli(vault, "delete", "gemini")
    assert code == 0
    assert "Removed the Google Gemini key from" in out
    assert memory.passwords == {}
    code, _, _ = cli(vault, "delete", "gemini")  # again: nothing to remove is fine
    assert code == 0


def test_delete_says_when_the_environment_still_applies(cli, memory: MemoryKeyring) -> None:
    code, out, _ = cli(Vault(env={"OPENAI_API_KEY": "sk-env"}, backend=memory), "delete", "openai")
    assert code == 0
    assert "OPENAI_API_KEY environment variable still applies" in out


def test_delete_on_a_locked_keyring_fails_in_words(cli) -> None:
    code, _, err = cli(Vault(env={}, backend=LockedKeyring()), "delete", "openai")
    assert code == 1
    assert "is locked" in err


# As a real process


def keys_wired() -> bool:
    from chatkit_desktop.cli.main import build_parser

    try:
        build_parser().parse_args(["keys", "status"])
    except SystemExit:
        return False
    return True


def keys_command(*argv: str) -> list[str]:
    return [sys.executable, "-m", "chatkit_desktop", "keys", *argv]


@pytest.mark.slow
def test_keys_as_a_real_command_on_a_real_secret_service(secret_service: SecretService) -> None:
    if not keys_wired():
        pytest.skip("`chatkit-desktop keys` is not wired into the command line yet")
    env = secret_service.env()

    def keys(*argv: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            keys_command(*argv), env=env, input=stdin, capture_output=True, text=True, timeout=60
        )
        assert LEAK_KEY not in done.stdout + done.stderr
        return done

    try:
        done = keys("set", "openai", stdin=LEAK_KEY + "\n")
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == "Saved the OpenAI key in Secret Service."
        [(attributes, secret)] = stored_items(secret_service.address)
        assert (attributes["username"], secret) == ("openai", LEAK_KEY)
        done = keys("status")
        assert done.returncode == 0, done.stderr
        assert "Keyring: Secret Service (secure)" in done.stdout
        assert "key set, saved in Secret Service" in done.stdout
        done = keys("delete", "openai")
        assert done.returncode == 0, done.stderr
        assert "Removed the OpenAI key from Secret Service" in done.stdout
        assert stored_items(secret_service.address) == []
    finally:
        forget_all(secret_service.address)


@pytest.mark.slow
def test_keys_set_as_a_real_command_without_a_keyring(tmp_path) -> None:
    if not keys_wired():
        pytest.skip("`chatkit-desktop keys` is not wired into the command line yet")
    env = clean_env(HOME=str(tmp_path), XDG_RUNTIME_DIR=str(tmp_path))
    done = subprocess.run(
        keys_command("set", "gemini"), env=env, input=LEAK_KEY, capture_output=True, text=True
    )
    assert done.returncode == 1
    assert "No secure system keyring was found" in done.stderr
    assert "Traceback" not in done.stderr
    assert LEAK_KEY not in done.stdout + done.stderr
