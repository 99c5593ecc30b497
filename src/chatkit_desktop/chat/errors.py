"""Provider failures in words a user can act on, instead of ChatKit's bare `stream.error`."""

from __future__ import annotations

import openai
from agents.exceptions import ModelBehaviorError

from chatkit_desktop.providers.catalog import ProviderInfo


def describe_provider_error(
    exc: BaseException, *, base_url: str, model: str, provider: ProviderInfo | None = None
) -> str:
    """What happened and what to do about it, for one failed request to the model provider."""
    where = f"the model server at {base_url}"
    key_hint = (
        f"the key in Settings or {provider.key_env}" if provider else "the key (OPENAI_API_KEY)"
    )
    if isinstance(exc, openai.AuthenticationError):
        return (
            f"The API key was rejected by {where} (401 Unauthorized). "
            f"Check {key_hint} and send the message again."
        )
    if isinstance(exc, openai.PermissionDeniedError):
        return (
            f"The API key is not allowed to use model '{model}' at {where} (403 Forbidden). "
            "Check the key's project and permissions, or choose another model."
        )
    if isinstance(exc, openai.RateLimitError):
        return (
            f"Rate limit or quota reached at {where} (429 Too Many Requests). "
            "Wait a moment and retry; if it persists, check your plan and billing."
        )
    if isinstance(exc, openai.NotFoundError):
        return (
            f"Model '{model}' was not found at {where} (404). "
            "Check the model name or choose another model."
        )
    if isinstance(exc, openai.APITimeoutError):
        return (
            f"No answer from {where} in time: the request timed out. "
            "Check your connection or the server's load, then retry."
        )
    if isinstance(exc, openai.APIConnectionError):
        return (
            f"Could not connect to {where}. Check that you are online (or that the local "
            "server is running) and that the base URL is right, then retry."
        )
    if isinstance(exc, openai.BadRequestError):
        return f"{where.capitalize()} rejected the request (400): {_provider_message(exc)}"
    if isinstance(exc, openai.InternalServerError):
        return (
            f"{where.capitalize()} had an internal error ({exc.status_code}). "
            "This is usually temporary: retry in a moment."
        )
    if isinstance(exc, openai.APIStatusError):
        return (
            f"{where.capitalize()} answered with an error ({exc.status_code}): "
            f"{_provider_message(exc)}"
        )
    if isinstance(exc, ModelBehaviorError):
        return (
            f"{where.capitalize()} stopped the answer with an error ({exc}). "
            "Retry, or choose another model."
        )
    if isinstance(exc, openai.APIError):
        return (
            f"{where.capitalize()} reported an error while answering: {_provider_message(exc)}. "
            "Retry, or choose another model."
        )
    return f"The answer failed unexpectedly ({type(exc).__name__}). Retry; details are in the log."


def _provider_message(exc: openai.APIError) -> str:
    body = exc.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and isinstance(inner.get("message"), str):
            return str(inner["message"])
        if isinstance(body.get("message"), str):
            return str(body["message"])
    return exc.message or "no details given"
