"""`chatkit-desktop keys set|delete|status`: provider API keys in the system keyring.

A key is read with a hidden prompt on a terminal, or as one line from standard input otherwise
(`printf %s "$KEY" | chatkit-desktop keys set openai`); it is never printed or logged.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from chatkit_desktop.providers.catalog import PROVIDERS

if TYPE_CHECKING:
    from chatkit_desktop.vault import KeyStatus, Vault

PROG = "chatkit-desktop keys"


def add_keys_parser(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
    parents: Sequence[argparse.ArgumentParser] = (),
) -> argparse.ArgumentParser:
    """Add `keys` (with `set`, `delete`, `status`) to a command's subparsers."""
    providers = list(PROVIDERS)
    keys = subparsers.add_parser(
        "keys",
        parents=list(parents),
        help="save, remove or show provider API keys (kept in the system keyring)",
        description=(
            "Provider API keys live in the system keyring (macOS Keychain, Windows Credential "
            "Locker, Secret Service or KWallet), never in a file. An environment variable "
            "(" + ", ".join(info.key_env for info in PROVIDERS.values()) + ") takes precedence."
        ),
    )
    actions = keys.add_subparsers(dest="keys_command", metavar="ACTION", required=True)
    set_ = actions.add_parser(
        "set",
        help="save a provider's API key",
        description=(
            "Save a provider's API key in the system keyring. The key is read with a hidden "
            "prompt, or as one line from standard input when that is not a terminal."
        ),
    )
    set_.add_argument("provider", metavar="PROVIDER", choices=providers, help=", ".join(providers))
    set_.add_argument(
        "--session-only",
        action="store_true",
        help=(
            "do not save it: keep it in memory only (a session-only key lasts as long as the "
            "process that holds it, so from this command it only checks the key's form)"
        ),
    )
    delete = actions.add_parser(
        "delete",
        help="remove a provider's saved API key",
        description="Remove a provider's API key from the system keyring.",
    )
    delete.add_argument(
        "provider", metavar="PROVIDER", choices=providers, help=", ".join(providers)
    )
    actions.add_parser(
        "status",
        help="show which providers have a key and where it comes from",
        description="Show, per provider, whether a key is present and where it comes from.",
    )
    return keys


def _fail(message: str) -> int:
    print(f"{PROG}: {message}", file=sys.stderr)
    return 1


def _read_key(label: str) -> str | None:
    """The key from a hidden prompt or one line of standard input; None if nothing came."""
    if sys.stdin is not None and sys.stdin.isatty():
        try:
            return getpass.getpass(f"{label} API key (typing is hidden): ")
        except (EOFError, KeyboardInterrupt):
            print(file=sys.stderr)
            return None
    if sys.stdin is None:
        return None
    line = sys.stdin.readline()
    return line or None


def _source_words(vault: Vault, status: KeyStatus) -> str:
    info = PROVIDERS[status.provider]
    if status.error is not None:
        return f"could not check: {status.error}"
    if status.source == "env":
        return f"key set, from the environment variable {info.key_env}"
    if status.source == "keyring":
        return f"key set, saved in {vault.backend_status().name}"
    if status.source == "session":
        return "key set, for this session only"
    if not info.key_required:
        return "no key (optional: local servers usually need none)"
    return f"no key (run `chatkit-desktop keys set {info.id}` or set {info.key_env})"


def _set(vault: Vault, provider: str, session_only: bool) -> int:
    from chatkit_desktop.vault import VaultError

    info = PROVIDERS[provider]
    backend = vault.backend_status()
    if not session_only and not backend.secure:
        return _fail(backend.message)
    key = _read_key(info.label)
    if key is None:
        return _fail(f"no key was given; nothing was saved. Type or pipe the {info.label} key.")
    try:
        source = vault.set(provider, key, session_only=session_only)
    except (ValueError, VaultError) as exc:
        return _fail(str(exc))
    if source == "session":
        print(
            f"The {info.label} key looks valid but was not saved: a session-only key lasts as "
            "long as the process holding it, and this command ends now. Add it as a session-only "
            f"key in the app's Settings, or set {info.key_env} before starting the app."
        )
    else:
        print(f"Saved the {info.label} key in {backend.name}.")
    if vault.status(provider).source == "env":
        print(
            f"Note: the {info.key_env} environment variable is set and takes precedence over "
            "this key."
        )
    return 0


def _delete(vault: Vault, provider: str) -> int:
    from chatkit_desktop.vault import VaultError

    info = PROVIDERS[provider]
    backend = vault.backend_status()
    try:
        vault.delete(provider)
    except VaultError as exc:
        return _fail(str(exc))
    if backend.secure:
        print(f"Removed the {info.label} key from {backend.name} (if one was saved).")
    else:
        print(f"No secure system keyring is in use, so no {info.label} key was saved there.")
    if vault.status(provider).source == "env":
        print(
            f"The key from the {info.key_env} environment variable still applies; unset it to "
            "stop using it."
        )
    return 0


def _status(vault: Vault) -> int:
    backend = vault.backend_status()
    if backend.secure:
        print(f"Keyring: {backend.name} (secure)")
    else:
        print("Keyring: none (keys cannot be saved)")
    print(f"  {backend.message}")
    width = max(len(provider) for provider in PROVIDERS)
    failed = False
    for provider in PROVIDERS:
        status = vault.status(provider)
        failed = failed or status.error is not None
        print(f"{provider:<{width}}  {_source_words(vault, status)}")
    return 1 if failed else 0


def run_keys(args: argparse.Namespace, *, vault: Vault | None = None) -> int:
    """Run `keys set|delete|status`; 0 on success, 1 with a message on stderr otherwise.
    `vault` is for tests; by default the system keyring is detected."""
    if vault is None:
        from chatkit_desktop.vault import Vault

        vault = Vault()
    command = args.keys_command
    if command == "set":
        return _set(vault, args.provider, args.session_only)
    if command == "delete":
        return _delete(vault, args.provider)
    if command == "status":
        return _status(vault)
    return _fail(f"unknown action {command!r}; use set, delete or status")
