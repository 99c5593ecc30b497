"""One `create_model()` for every provider: models are built per request, never global.

`set_default_openai_client/_key` would make a key process-global (and, with tracing on, send it to
OpenAI's trace endpoint), so each request gets its own model object over a client cached per
(base URL, key, timeout) by the factory instance that the app owns.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from chatkit_desktop.providers.config import ProviderConfigError, ProviderSettings

if TYPE_CHECKING:
    from agents.models.interface import Model
    from openai import AsyncOpenAI


class ModelFactory:
    """Builds Agents SDK models for the app; owns (and closes) the HTTP clients behind them."""

    def __init__(self, settings: ProviderSettings) -> None:
        self.settings = settings
        self._clients: dict[tuple[str, str, float, int], AsyncOpenAI] = {}

    def create_model(self, model: str | None = None) -> Model:
        """The model that answers this request: `model` if the message chose one."""
        from agents.models.openai_responses import OpenAIResponsesModel

        settings = self.settings
        if settings.provider != "openai":
            raise ProviderConfigError(f"Unknown provider {settings.provider!r}.")
        key = settings.api_key()
        if not key:
            raise ProviderConfigError(
                "No OpenAI API key is set. Set the OPENAI_API_KEY environment variable "
                "(or point OPENAI_BASE_URL at a local OpenAI-compatible server and give any "
                "placeholder key), then send your message again."
            )
        client = self._client(settings.effective_base_url, key)
        return OpenAIResponsesModel(model=model or settings.model, openai_client=client)

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
