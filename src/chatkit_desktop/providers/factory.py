"""One `create_model()` for every provider: models are built per request, never global.

`set_default_openai_client/_key` would make a key process-global (and, with tracing on, send a
Gemini key to OpenAI's trace endpoint), so each request gets its own model object over a client
cached per (base URL, key, timeout) by the factory instance that the app owns.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from chatkit_desktop.providers.config import (
    ProviderConfigError,
    ProviderSettings,
    ResolvedProvider,
    resolve,
)
from chatkit_desktop.settings.preferences import Preferences

if TYPE_CHECKING:
    from agents.models.interface import Model
    from openai import AsyncOpenAI

# Local servers ignore the key, but the OpenAI client insists on one.
NO_KEY_PLACEHOLDER = "no-key-needed"

KeyLookup = Callable[[str], "str | None"]


@dataclass(frozen=True)
class ChosenModel:
    model: Model
    target: ResolvedProvider


class ModelFactory:
    """Builds Agents SDK models for the app; owns (and closes) the HTTP clients behind them.

    `keys(provider)` returns the provider's key (environment, session or keyring) or None; it
    may block (keyring over D-Bus), so async callers run `create_model` in a worker thread or
    look the key up first.
    """

    def __init__(
        self,
        settings: ProviderSettings,
        preferences: Callable[[], Preferences],
        keys: KeyLookup,
    ) -> None:
        self.settings = settings
        self._preferences = preferences
        self._keys = keys
        self._clients: dict[tuple[str, str, float, int], AsyncOpenAI] = {}

    def target(self, *, provider: str | None = None, model: str | None = None) -> ResolvedProvider:
        return resolve(self.settings, self._preferences(), provider=provider, model=model)

    def create_model(self, model: str | None = None, *, provider: str | None = None) -> ChosenModel:
        """The model that answers this request: `model` if the message chose one."""
        try:
            target = self.target(provider=provider, model=model)
        except ValueError as exc:
            raise ProviderConfigError(str(exc)) from None
        info = target.info
        key = self._keys(info.id)
        if not key:
            if info.key_required:
                raise ProviderConfigError(
                    f"No {info.label} API key is set. Add it in Settings (it is kept in your "
                    f"system keyring) or set the {info.key_env} environment variable, then send "
                    "your message again."
                )
            key = NO_KEY_PLACEHOLDER
        client = self._client(target.base_url, key)
        if info.api == "responses":
            from agents.models.openai_responses import OpenAIResponsesModel

            return ChosenModel(
                OpenAIResponsesModel(model=target.model, openai_client=client), target
            )
        from agents.models.openai_chatcompletions import OpenAIChatCompletionsModel

        return ChosenModel(
            OpenAIChatCompletionsModel(model=target.model, openai_client=client), target
        )

    def client_for(self, target: ResolvedProvider) -> AsyncOpenAI:
        """A client for a direct call (e.g. the provider check), with the provider's key."""
        key = self._keys(target.info.id)
        if not key:
            if target.info.key_required:
                raise ProviderConfigError(
                    f"No {target.info.label} API key is set (Settings, or {target.info.key_env})."
                )
            key = NO_KEY_PLACEHOLDER
        return self._client(target.base_url, key)

    def _client(self, base_url: str, key: str) -> AsyncOpenAI:
        from openai import AsyncOpenAI

        # The cache key holds a digest, not the key itself.
        digest = hashlib.sha256(key.encode()).hexdigest()
        cache_key = (base_url, digest, self.settings.timeout_s, self.settings.max_retries)
        client = self._clients.get(cache_key)
        if client is None:
            client = AsyncOpenAI(
                api_key=key,
                base_url=base_url,
                timeout=self.settings.timeout_s,
                max_retries=self.settings.max_retries,
            )
            self._clients[cache_key] = client
        return client

    async def aclose(self) -> None:
        clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            await client.close()
