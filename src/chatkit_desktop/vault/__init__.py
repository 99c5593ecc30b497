"""The key vault: provider API keys in the OS keyring, never anywhere else.

Keys come from, in order: the provider's environment variable, this session's memory, the system
keyring (service `chatkit-desktop`, username = provider id). Only keyring backends that keyring
itself rates as recommended are used (macOS Keychain, Windows Credential Locker, Secret Service,
KWallet); without one the vault says so and offers a session-only key or an environment variable.

Every `Vault` method may block (Secret Service and KWallet talk D-Bus, and may show an unlock
prompt): async code must call them through `asyncio.to_thread`.
"""

from chatkit_desktop.vault.backends import BackendStatus
from chatkit_desktop.vault.errors import VaultError, VaultLockedError, VaultUnavailableError
from chatkit_desktop.vault.vault import SERVICE, KeySource, KeyStatus, Vault, check_key

__all__ = [
    "SERVICE",
    "BackendStatus",
    "KeySource",
    "KeyStatus",
    "Vault",
    "VaultError",
    "VaultLockedError",
    "VaultUnavailableError",
    "check_key",
]
