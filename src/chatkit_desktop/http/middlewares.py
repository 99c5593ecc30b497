"""Cross-cutting checks: JSON errors for everything, DNS-rebinding and Origin defence, the token.

Order matters: `errors` is outermost, so a refusal from `guard` is also answered as JSON.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import secrets
from collections.abc import Awaitable, Callable

from aiohttp import web

from chatkit_desktop.http.errors import ApiError, json_error
from chatkit_desktop.http.keys import CONFIG
from chatkit_desktop.http.origins import CHATKIT_CDN, is_chatkit_frame_upload

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# The upload and preview routes check a bearer token or a signed, expiring URL themselves
# (http/uploads.py): ChatKit's frame fetches them without our token.
PUBLIC_PATHS = frozenset({"/", "/healthz", "/chatkit/api/upload"})
PUBLIC_PREFIXES = ("/static/", "/attachments/")

_STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    501: "not_implemented",
    503: "unavailable",
}


def _http_exception_message(request: web.Request, exc: web.HTTPException) -> str:
    if isinstance(exc, web.HTTPMethodNotAllowed):
        allowed = ", ".join(sorted(exc.allowed_methods))
        return f"{request.method} is not allowed on {request.path}; use {allowed}."
    if isinstance(exc, web.HTTPNotFound):
        return f"Nothing here: {request.method} {request.path}."
    if isinstance(exc, web.HTTPRequestEntityTooLarge):
        limit = request.app[CONFIG].max_json_bytes
        return f"The request body is too large (the limit is {limit // 1024} KiB)."
    return exc.reason


@web.middleware
async def errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except ApiError as exc:
        return json_error(exc.status, exc.code, exc.message, headers=exc.headers)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        headers = {k: v for k, v in exc.headers.items() if k.lower() == "allow"}
        return json_error(
            exc.status,
            _STATUS_CODES.get(exc.status, "http_error"),
            _http_exception_message(request, exc),
            headers=headers,
        )
    except (asyncio.CancelledError, ConnectionResetError):
        raise
    except Exception:
        error_id = secrets.token_hex(6)
        log.exception(
            "Unexpected error on %s %s (error id %s)", request.method, request.path, error_id
        )
        return json_error(
            500,
            "internal_error",
            f"Something went wrong inside chatkit-desktop (error id {error_id}). "
            "Nothing you sent was lost; the log file has the details under that id.",
            error_id=error_id,
        )


def _served_port(request: web.Request) -> int | None:
    sockname = request.transport.get_extra_info("sockname") if request.transport else None
    return sockname[1] if sockname else None


def bearer_ok(request: web.Request) -> bool:
    """The request carries this launch's token (compared in constant time)."""
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    token = request.app[CONFIG].token
    return scheme.lower() == "bearer" and hmac.compare_digest(
        value.strip().encode(), token.encode()
    )


@web.middleware
async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    port = _served_port(request)
    allowed_hosts = {f"127.0.0.1:{port}", f"localhost:{port}"}
    if request.host not in allowed_hosts:
        # A DNS-rebinding page reaches us under its own host name: refuse it.
        raise ApiError(403, "forbidden_host", "This server only answers requests for 127.0.0.1.")
    origin = request.headers.get("Origin")
    if (
        origin is not None
        and origin != f"http://{request.host}"
        and not is_chatkit_frame_upload(request.path, origin)
    ):
        raise ApiError(403, "forbidden_origin", "Requests from other web pages are not accepted.")
    if request.path in PUBLIC_PATHS or request.path.startswith(PUBLIC_PREFIXES):
        return await handler(request)
    if not bearer_ok(request):
        raise ApiError(
            401,
            "unauthorized",
            "Missing or wrong access token. Open the app from the address it printed at start "
            "(it carries #token=…), or send 'Authorization: Bearer <token>'.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return await handler(request)


async def security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """`on_response_prepare`: headers every response carries, streamed ones included.

    An upload from ChatKit's frame (another origin) may read its answer, errors included;
    nothing else is ever shared across origins."""
    if is_chatkit_frame_upload(request.path, request.headers.get("Origin")):
        response.headers["Access-Control-Allow-Origin"] = CHATKIT_CDN
        response.headers["Vary"] = "Origin"
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    response.headers.setdefault("Cache-Control", "no-store")
