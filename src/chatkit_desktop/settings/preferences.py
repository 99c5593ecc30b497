"""Non-secret preferences in `settings.json` in the data directory.

The file is the user's: a hand edit that does not validate is reported with the field it names
and is never overwritten behind the user's back (the app keeps running on defaults until the user
fixes it or saves new settings from the app, which replaces it deliberately).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from chatkit_desktop.providers.catalog import ProviderId
from chatkit_desktop.settings.urls import check_base_url

DEFAULT_DOMAIN_KEY = "domain_pk_localhost_dev"

# Which chat interface the page shows: OpenAI's ChatKit web component (loaded from OpenAI's CDN on
# every start, with OpenAI's telemetry) or the app's own built-in client (web/chat/, no request
# to any host but this app's server).
Interface = Literal["chatkit", "builtin"]


class SettingsError(Exception):
    """The settings file (or a change to it) is not valid; the message names the field."""


class ProviderPreferences(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model: str | None = Field(default=None, min_length=1, max_length=200)
    base_url: str | None = Field(default=None, max_length=2000)

    _check_url = field_validator("base_url")(classmethod(lambda cls, v: check_base_url(v)))


class Preferences(BaseModel):
    model_config = ConfigDict(extra="forbid")

    provider: ProviderId = "openai"
    providers: dict[ProviderId, ProviderPreferences] = Field(default_factory=dict)
    chatkit_domain_key: str = Field(default=DEFAULT_DOMAIN_KEY, min_length=1, max_length=200)
    theme: Literal["system", "light", "dark"] = "system"
    interface: Interface = "chatkit"
    tracing: bool = False
    generate_titles: bool = True

    def for_provider(self, provider: str) -> ProviderPreferences:
        for known, entry in self.providers.items():
            if known == provider:
                return entry
        return ProviderPreferences()


def describe(exc: ValidationError, source: str) -> str:
    problems = []
    for error in exc.errors()[:5]:
        where = ".".join(str(part) for part in error["loc"]) or "(the whole file)"
        message = error["msg"]
        if error["type"] == "extra_forbidden":
            message = "is not a setting chatkit-desktop knows"
        problems.append(
            f"'{where}' {message}" if message.startswith("is ") else f"'{where}': {message}"
        )
    return f"{source}: " + "; ".join(problems)


def parse_preferences(data: Any, source: str) -> Preferences:
    try:
        return Preferences.model_validate(data)
    except ValidationError as exc:
        raise SettingsError(describe(exc, source)) from None


def load_preferences(path: Path) -> Preferences:
    """The preferences in `path`; defaults when there is no file yet."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Preferences()
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsError(f"{path} cannot be read ({exc}). It has not been changed.") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SettingsError(
            f"{path} is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno}). "
            "Fix it or delete it; it has not been changed."
        ) from None
    if not isinstance(data, dict):
        raise SettingsError(f"{path} must hold a JSON object. It has not been changed.")
    return parse_preferences(data, f"{path} has a bad value (it has not been changed)")


def save_preferences(path: Path, preferences: Preferences) -> None:
    """Write atomically: a crash mid-write leaves the old file, never half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = preferences.model_dump_json(indent=2, exclude_defaults=False) + "\n"
    fd, tmp = tempfile.mkstemp(prefix=".settings-", suffix=".json", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def merge(preferences: Preferences, changes: dict[str, Any]) -> Preferences:
    """Apply a partial update (as sent by `PUT /api/settings`); nested provider entries merge."""
    data = preferences.model_dump()
    for key, value in changes.items():
        if (
            key == "providers"
            and isinstance(value, dict)
            and isinstance(data.get("providers"), dict)
        ):
            for provider, entry in value.items():
                current = data["providers"].get(provider) or {}
                data["providers"][provider] = (
                    {**current, **entry}
                    if isinstance(entry, dict) and isinstance(current, dict)
                    else entry
                )
        else:
            data[key] = value
    return parse_preferences(data, "Invalid settings")


class PreferencesFile:
    """The current preferences of a running app, and the file they come from.

    A file that does not validate leaves the app on defaults with `error` set (shown by the
    settings API and `doctor`); only an explicit save from the user replaces it.
    """

    def __init__(self, path: Path, current: Preferences, error: str | None = None) -> None:
        self.path = path
        self.current = current
        self.error = error

    @classmethod
    def load(cls, path: Path) -> PreferencesFile:
        try:
            return cls(path, load_preferences(path))
        except SettingsError as exc:
            return cls(path, Preferences(), str(exc))

    def get(self) -> Preferences:
        return self.current

    def update(self, changes: dict[str, Any]) -> Preferences:
        """Validate and save a partial update (blocking: call it from a worker thread)."""
        updated = merge(self.current, changes)
        save_preferences(self.path, updated)
        self.current, self.error = updated, None
        return updated
