"""What a provider needs to answer: which service, which model, where, and with which key.

Deliberately free of SDK imports so the command line can build it before the SDKs load.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

OPENAI_DEFAULT_BASE_URL = "https://api.openai.com/v1"
OPENAI_DEFAULT_MODEL = "gpt-4.1-mini"


class ProviderConfigError(Exception):
    """The provider cannot be used as configured (no key, bad URL…); the message says why."""


@dataclass(frozen=True)
class ProviderSettings:
    provider: str = "openai"
    model: str = OPENAI_DEFAULT_MODEL
    base_url: str | None = None
    # Read on every request (never copied into settings files or logs); `repr=False` keeps it
    # out of any accidental debug print of the settings.
    api_key_env: str = "OPENAI_API_KEY"
    timeout_s: float = 60.0
    max_retries: int = 2
    env: Mapping[str, str] = field(default_factory=lambda: os.environ, repr=False, compare=False)

    @property
    def effective_base_url(self) -> str:
        return self.base_url or self.env.get("OPENAI_BASE_URL") or OPENAI_DEFAULT_BASE_URL

    def api_key(self) -> str | None:
        return self.env.get(self.api_key_env) or None

    @classmethod
    def from_env(
        cls, env: Mapping[str, str] | None = None, **overrides: object
    ) -> ProviderSettings:
        env = os.environ if env is None else env
        values: dict[str, object] = {"env": env}
        if env.get("CHATKIT_DESKTOP_MODEL"):
            values["model"] = env["CHATKIT_DESKTOP_MODEL"]
        if env.get("CHATKIT_DESKTOP_BASE_URL"):
            values["base_url"] = env["CHATKIT_DESKTOP_BASE_URL"]
        if env.get("CHATKIT_DESKTOP_TIMEOUT"):
            values["timeout_s"] = float(env["CHATKIT_DESKTOP_TIMEOUT"])
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]
