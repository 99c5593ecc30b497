"""Which provider, model and server answer a request: preferences, then command line and
environment overrides, then the provider's defaults.

Deliberately free of SDK imports so the command line can build it before the SDKs load.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from chatkit_desktop.providers.catalog import ProviderInfo, provider_info

if TYPE_CHECKING:
    from chatkit_desktop.settings.preferences import Preferences


class ProviderConfigError(Exception):
    """The provider cannot be used as configured (no key, bad URL…); the message says why."""


@dataclass(frozen=True)
class ProviderSettings:
    """Run-time knobs: overrides from the command line or environment, and client behaviour.

    `provider`, `model` and `base_url` override the preferences for the active provider only;
    `env` is where API keys may come from (read per request, never copied anywhere).
    """

    provider: str | None = None
    model: str | None = None
    base_url: str | None = None
    timeout_s: float = 60.0
    max_retries: int = 2
    env: Mapping[str, str] = field(default_factory=lambda: os.environ, repr=False, compare=False)

    @classmethod
    def from_env(
        cls, env: Mapping[str, str] | None = None, **overrides: object
    ) -> ProviderSettings:
        env = os.environ if env is None else env
        values: dict[str, object] = {"env": env}
        for name, key in (
            ("provider", "CHATKIT_DESKTOP_PROVIDER"),
            ("model", "CHATKIT_DESKTOP_MODEL"),
            ("base_url", "CHATKIT_DESKTOP_BASE_URL"),
        ):
            if env.get(key):
                values[name] = env[key]
        if env.get("CHATKIT_DESKTOP_TIMEOUT"):
            try:
                timeout = float(env["CHATKIT_DESKTOP_TIMEOUT"])
            except ValueError:
                timeout = -1.0
            if not 0 < timeout <= 3600:
                raise ProviderConfigError(
                    "CHATKIT_DESKTOP_TIMEOUT must be a number of seconds between 0 and 3600, "
                    f"not {env['CHATKIT_DESKTOP_TIMEOUT']!r}"
                )
            values["timeout_s"] = timeout
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]


@dataclass(frozen=True)
class ResolvedProvider:
    info: ProviderInfo
    model: str
    base_url: str


def active_provider(settings: ProviderSettings, preferences: Preferences) -> str:
    return settings.provider or preferences.provider


def resolve(
    settings: ProviderSettings,
    preferences: Preferences,
    *,
    provider: str | None = None,
    model: str | None = None,
) -> ResolvedProvider:
    """Where a request goes. `provider` defaults to the active one; `model` is the message's."""
    active = active_provider(settings, preferences)
    chosen = provider or active
    info = provider_info(chosen)
    mine = preferences.for_provider(chosen)
    overridden = chosen == active
    base_url = (
        (settings.base_url if overridden else None)
        or mine.base_url
        or (settings.env.get("OPENAI_BASE_URL") if chosen == "openai" else None)
        or info.default_base_url
    )
    name = model or (settings.model if overridden else None) or mine.model or info.default_model
    return ResolvedProvider(info=info, model=name, base_url=base_url)
