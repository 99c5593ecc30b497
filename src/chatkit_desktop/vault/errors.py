"""What can go wrong with the vault, in words a person can act on (never with a key inside)."""

from __future__ import annotations


class VaultError(Exception):
    """The system keyring could not do what was asked; `str(error)` says what and what to do."""


class VaultUnavailableError(VaultError):
    """There is no secure system keyring (or it stopped answering): nothing can be saved in it."""


class VaultLockedError(VaultError):
    """The system keyring is locked and was not unlocked (prompt dismissed or impossible)."""
