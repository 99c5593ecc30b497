"""Provider keys from the vault, as the model factory wants them.

A locked or unreachable keyring must read as a provider problem in words (an error event, a
doctor line), not as an exception from deep inside a request.
"""

from __future__ import annotations

from collections.abc import Callable

from chatkit_desktop.providers.config import ProviderConfigError
from chatkit_desktop.vault import Vault, VaultError


def key_lookup(vault: Vault) -> Callable[[str], str | None]:
    """`lookup(provider)`: the key, or None; blocks (keyring), so call it off the event loop."""

    def lookup(provider: str) -> str | None:
        try:
            return vault.get(provider)[0]
        except VaultError as exc:
            raise ProviderConfigError(str(exc)) from None

    return lookup
