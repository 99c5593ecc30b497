"""The providers the app knows: how each is reached, its models, and where its key comes from.

Plain data with no SDK imports, shared by the model factory, the settings API, the vault and the
command line.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ProviderId = Literal["openai", "gemini", "openai-compatible"]
Api = Literal["responses", "chat_completions"]


@dataclass(frozen=True)
class ProviderInfo:
    id: ProviderId
    label: str
    api: Api
    default_base_url: str
    default_model: str
    models: tuple[str, ...]
    key_env: str
    key_required: bool
    help: str


PROVIDERS: dict[str, ProviderInfo] = {
    "openai": ProviderInfo(
        id="openai",
        label="OpenAI",
        api="responses",
        default_base_url="https://api.openai.com/v1",
        default_model="gpt-4.1-mini",
        models=("gpt-4.1-mini", "gpt-4.1", "gpt-4o-mini", "gpt-4o", "gpt-5-mini", "gpt-5"),
        key_env="OPENAI_API_KEY",
        key_required=True,
        help="Create a key at platform.openai.com (API keys).",
    ),
    "gemini": ProviderInfo(
        id="gemini",
        label="Google Gemini",
        api="chat_completions",
        default_base_url="https://generativelanguage.googleapis.com/v1beta/openai/",
        default_model="gemini-2.5-flash",
        models=("gemini-2.5-flash", "gemini-2.5-flash-lite", "gemini-2.5-pro"),
        key_env="GEMINI_API_KEY",
        key_required=True,
        help="Create a key in Google AI Studio (Get API key).",
    ),
    "openai-compatible": ProviderInfo(
        id="openai-compatible",
        label="Local or OpenAI-compatible server",
        api="chat_completions",
        default_base_url="http://localhost:11434/v1",
        default_model="llama3.2",
        models=("llama3.2", "qwen2.5", "mistral", "gemma3"),
        key_env="CHATKIT_DESKTOP_API_KEY",
        key_required=False,
        help=(
            "Ollama: http://localhost:11434/v1, LM Studio: http://localhost:1234/v1, "
            "llama.cpp server: http://localhost:8080/v1 (start it with --jinja for tools)."
        ),
    ),
}


def provider_info(provider: str) -> ProviderInfo:
    try:
        return PROVIDERS[provider]
    except KeyError:
        known = ", ".join(PROVIDERS)
        raise ValueError(f"Unknown provider {provider!r}; choose one of: {known}.") from None
