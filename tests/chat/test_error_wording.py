"""Provider failures in words: each kind of failure says what happened and what to do."""

from __future__ import annotations

import httpx2
import openai
import pytest
from agents.exceptions import ModelBehaviorError

from chatkit_desktop.chat.errors import describe_provider_error

BASE = "http://127.0.0.1:9/v1"
REQUEST = httpx2.Request("POST", f"{BASE}/responses")


def _status_error(cls: type[openai.APIStatusError], status: int, body: object) -> Exception:
    response = httpx2.Response(status, request=REQUEST)
    return cls(f"Error code: {status}", response=response, body=body)


def _describe(exc: BaseException, model: str = "gpt-test") -> str:
    return describe_provider_error(exc, base_url=BASE, model=model)


BODY = {"error": {"message": "Provider says no", "type": "x", "code": None}}


@pytest.mark.parametrize(
    ("exc", "words"),
    [
        (
            _status_error(openai.AuthenticationError, 401, BODY),
            ["API key", "401", "OPENAI_API_KEY"],
        ),
        (
            _status_error(openai.PermissionDeniedError, 403, BODY),
            ["403", "gpt-test", "permissions"],
        ),
        (_status_error(openai.RateLimitError, 429, BODY), ["rate limit", "429", "retry"]),
        (_status_error(openai.NotFoundError, 404, BODY), ["gpt-test", "not found", "404"]),
        (_status_error(openai.BadRequestError, 400, BODY), ["400", "Provider says no"]),
        (_status_error(openai.InternalServerError, 503, BODY), ["503", "internal error"]),
        (_status_error(openai.APIStatusError, 418, BODY), ["418", "Provider says no"]),
        (openai.APITimeoutError(request=REQUEST), ["timed out"]),
        (openai.APIConnectionError(request=REQUEST), ["could not connect", "base url"]),
        (ModelBehaviorError("stream ended early"), ["stream ended early", "retry"]),
        (openai.APIError("boom", REQUEST, body={"message": "flat body"}), ["flat body"]),
        (KeyError("x"), ["KeyError", "log"]),
    ],
)
def test_every_failure_says_what_happened(exc, words):
    message = _describe(exc)
    for word in words:
        assert word.lower() in message.lower(), (word, message)


@pytest.mark.parametrize(
    "exc",
    [
        _status_error(openai.AuthenticationError, 401, BODY),
        _status_error(openai.RateLimitError, 429, BODY),
        _status_error(openai.NotFoundError, 404, BODY),
        openai.APITimeoutError(request=REQUEST),
        openai.APIConnectionError(request=REQUEST),
    ],
)
def test_network_and_status_failures_name_the_server(exc):
    assert BASE in _describe(exc)


def test_timeout_is_not_mistaken_for_a_refused_connection():
    # APITimeoutError is a subclass of APIConnectionError: the order of checks matters.
    message = _describe(openai.APITimeoutError(request=REQUEST))
    assert "could not connect" not in message.lower()


def test_bodies_without_a_message_still_give_words():
    message = _describe(_status_error(openai.APIStatusError, 418, None))
    assert "418" in message
    assert message.strip().endswith(("Error code: 418", "no details given"))


def test_the_key_never_appears_in_the_words():
    key = "sk-secret-0123456789"
    exc = _status_error(
        openai.AuthenticationError, 401, {"error": {"message": f"Incorrect API key: {key}"}}
    )
    assert key not in _describe(exc)
