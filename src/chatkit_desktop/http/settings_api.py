"""Settings, keys and provider checks for the page: `/api/settings`, `/api/keys/{provider}`,
`/api/providers/{provider}/check`.

Keys are write-only: no answer ever carries one, only whether a key is present and where it comes
from (keyring, environment or this session). Vault and file calls block (D-Bus, disk), so they
run in worker threads.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiohttp import web

from chatkit_desktop.http.errors import ApiError
from chatkit_desktop.http.keys import CONFIG, SERVICES
from chatkit_desktop.http.services import CoreServices
from chatkit_desktop.providers.catalog import PROVIDERS, ProviderInfo
from chatkit_desktop.providers.config import ProviderConfigError, active_provider

CHECK_TIMEOUT_S = 15.0


async def _json_object(request: web.Request) -> dict[str, Any]:
    body = await request.read()
    try:
        data = json.loads(body or b"null")
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ApiError(400, "invalid_json", "The request body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise ApiError(400, "invalid_request", "The request body must be a JSON object.")
    return data


def _provider(request: web.Request) -> ProviderInfo:
    provider = request.match_info["provider"]
    info = PROVIDERS.get(provider)
    if info is None:
        raise ApiError(
            404,
            "unknown_provider",
            f"Unknown provider {provider!r}; choose one of: {', '.join(PROVIDERS)}.",
        )
    return info


def _key_view(status: Any) -> dict[str, Any]:
    view: dict[str, Any] = {"has_key": status.has_key, "source": status.source}
    if status.error:
        view["error"] = status.error
    return view


def _settings_view(services: CoreServices, request: web.Request) -> dict[str, Any]:
    """Blocking (asks the vault): run in a worker thread."""
    config = request.app[CONFIG]
    prefs_file = services.preferences
    preferences = prefs_file.get()
    models = services.models
    vault = services.vault
    backend = vault.backend_status()
    providers = []
    for info in PROVIDERS.values():
        target = models.target(provider=info.id)
        status = vault.status(info.id)
        providers.append(
            {
                "id": info.id,
                "label": info.label,
                "api": info.api,
                "help": info.help,
                "models": list(info.models),
                "default_model": info.default_model,
                "model": target.model,
                "default_base_url": info.default_base_url,
                "base_url": target.base_url,
                "key_env": info.key_env,
                "key_required": info.key_required,
                "key": _key_view(status),
            }
        )
    overrides = {
        name: value
        for name, value in (
            ("provider", config.providers.provider),
            ("model", config.providers.model),
            ("base_url", config.providers.base_url),
        )
        if value is not None
    }
    active = models.target()
    return {
        "provider": active_provider(config.providers, preferences),
        "model": active.model,
        "base_url": active.base_url,
        "preferences": preferences.model_dump(mode="json"),
        "overrides": overrides,
        "settings_error": prefs_file.error,
        "keyring": {"secure": backend.secure, "name": backend.name, "message": backend.message},
        "providers": providers,
    }


async def get_settings(request: web.Request) -> web.Response:
    services = await request.app[SERVICES].core()
    return web.json_response(await asyncio.to_thread(_settings_view, services, request))


async def put_settings(request: web.Request) -> web.Response:
    changes = await _json_object(request)
    from chatkit_desktop.settings.preferences import SettingsError

    services = await request.app[SERVICES].core()
    try:
        await asyncio.to_thread(services.preferences.update, changes)
    except SettingsError as exc:
        raise ApiError(400, "invalid_settings", str(exc)) from None
    return web.json_response(await asyncio.to_thread(_settings_view, services, request))


def _vault_error(exc: Exception) -> ApiError:
    from chatkit_desktop.vault import VaultLockedError, VaultUnavailableError

    if isinstance(exc, VaultUnavailableError):
        return ApiError(409, "no_secure_keyring", str(exc))
    if isinstance(exc, VaultLockedError):
        return ApiError(423, "keyring_locked", str(exc))
    return ApiError(503, "keyring_error", str(exc))


async def put_key(request: web.Request) -> web.Response:
    from chatkit_desktop.vault import VaultError

    info = _provider(request)
    data = await _json_object(request)
    key = data.get("key")
    session_only = data.get("session_only", False)
    if not isinstance(key, str):
        raise ApiError(400, "invalid_request", "Send the key as a string field 'key'.")
    if not isinstance(session_only, bool):
        raise ApiError(400, "invalid_request", "'session_only' must be true or false.")
    services = await request.app[SERVICES].core()
    try:
        source = await asyncio.to_thread(
            services.vault.set, info.id, key, session_only=session_only
        )
    except ValueError as exc:
        raise ApiError(400, "invalid_key", str(exc)) from None
    except VaultError as exc:
        raise _vault_error(exc) from None
    status = await asyncio.to_thread(services.vault.status, info.id)
    return web.json_response(
        {
            "provider": info.id,
            "saved_to": source,
            "key": {"has_key": status.has_key, "source": status.source},
        }
    )


async def delete_key(request: web.Request) -> web.Response:
    from chatkit_desktop.vault import VaultError

    info = _provider(request)
    services = await request.app[SERVICES].core()
    try:
        await asyncio.to_thread(services.vault.delete, info.id)
    except VaultError as exc:
        raise _vault_error(exc) from None
    status = await asyncio.to_thread(services.vault.status, info.id)
    body: dict[str, Any] = {
        "provider": info.id,
        "key": {"has_key": status.has_key, "source": status.source},
    }
    if status.source == "env":
        body["message"] = (
            f"The key from the {info.key_env} environment variable still applies; unset it to "
            "stop using it."
        )
    return web.json_response(body)


async def check_provider(request: web.Request) -> web.Response:
    """A cheap real request (listing models) that proves the URL and the key work."""
    from chatkit_desktop.chat.errors import describe_provider_error

    info = _provider(request)
    services = await request.app[SERVICES].core()
    target = services.models.target(provider=info.id)
    answer: dict[str, Any] = {"provider": info.id, "base_url": target.base_url}
    try:
        client = await asyncio.to_thread(services.models.client_for, target)
        quick = client.with_options(max_retries=0, timeout=CHECK_TIMEOUT_S)
        page = await quick.models.list()
        names = sorted(model.id for model in page.data)
    except ProviderConfigError as exc:
        return web.json_response({**answer, "ok": False, "message": str(exc)})
    except Exception as exc:
        words = describe_provider_error(
            exc, base_url=target.base_url, model=target.model, provider=info
        )
        return web.json_response({**answer, "ok": False, "message": words})
    message = f"Connected to {info.label} at {target.base_url}."
    if names and target.model not in names and info.id == "openai-compatible":
        message += f" The model '{target.model}' is not on this server; it has: " + ", ".join(
            names[:10]
        )
    return web.json_response({**answer, "ok": True, "message": message, "models": names[:100]})


def add_settings_routes(app: web.Application) -> None:
    app.router.add_get("/api/settings", get_settings)
    app.router.add_put("/api/settings", put_settings)
    app.router.add_put("/api/keys/{provider}", put_key)
    app.router.add_delete("/api/keys/{provider}", delete_key)
    app.router.add_post("/api/providers/{provider}/check", check_provider)
