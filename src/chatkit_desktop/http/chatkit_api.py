"""`POST /chatkit/api`: the ChatKit protocol endpoint.

Bad input is answered before the SDK sees it where that gives better words (malformed JSON, an
unknown type, an attachment that does not exist), and every exception the SDK raises for a
client's mistake is mapped to a 4xx JSON answer, for streaming requests too.
"""

from __future__ import annotations

import functools
import json
import logging
import secrets
import typing
from typing import Any

from aiohttp import web

from chatkit_desktop.context import RequestContext
from chatkit_desktop.http.errors import ApiError
from chatkit_desktop.http.keys import CONFIG, SERVICES, STREAMS
from chatkit_desktop.http.services import LazyServices
from chatkit_desktop.http.sse import error_event, stream_sse
from chatkit_desktop.http.uploads import preview_urls

log = logging.getLogger(__name__)

# The reads chat/store_reads.py answers from the store while the Agents SDK loads (named here so
# that checking a request's type imports nothing).
EARLY_READS = frozenset({"threads.list", "threads.get_by_id", "items.list"})


@functools.cache
def known_request_types() -> tuple[str, ...]:
    from chatkit.types import ChatKitReq

    union = typing.get_args(ChatKitReq)[0]  # Annotated[Union[...], Field(discriminator=...)]
    return tuple(cls.model_fields["type"].default for cls in typing.get_args(union))


def _parse(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except UnicodeDecodeError:
        raise ApiError(400, "invalid_json", "The request body is not UTF-8 text.") from None
    except json.JSONDecodeError as exc:
        raise ApiError(
            400,
            "invalid_json",
            f"The request body is not valid JSON: {exc.msg} at line {exc.lineno}, "
            f"column {exc.colno}.",
        ) from None
    if not isinstance(data, dict):
        raise ApiError(400, "invalid_request", "The request body must be a JSON object.")
    kind = data.get("type")
    if not isinstance(kind, str):
        raise ApiError(
            400, "invalid_request", "The request needs a string field 'type' (e.g. threads.list)."
        )
    if kind not in known_request_types():
        raise ApiError(
            400,
            "unknown_type",
            f"Unknown request type {kind!r}. Known types: {', '.join(known_request_types())}.",
        )
    return data


def describe_validation(exc: Exception, kind: str) -> str:
    from pydantic import ValidationError

    if not isinstance(exc, ValidationError):
        return str(exc)
    problems = []
    for error in exc.errors()[:5]:
        loc = [str(part) for part in error["loc"]]
        if loc and loc[0] == kind:
            loc = loc[1:]
        where = ".".join(loc) or "body"
        problems.append(f"{where}: {error['msg']}")
    more = exc.error_count() - len(problems)
    suffix = f" (and {more} more)" if more > 0 else ""
    return f"Invalid {kind} request: " + "; ".join(problems) + suffix


def map_exception(exc: Exception, kind: str) -> Exception:
    """The HTTP answer for an exception from the SDK or the store."""
    from chatkit.store import NotFoundError
    from pydantic import ValidationError

    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, NotFoundError):
        return ApiError(404, "not_found", str(exc) or "Not found.")
    if isinstance(exc, ValidationError):
        return ApiError(400, "invalid_request", describe_validation(exc, kind))
    if isinstance(exc, ValueError):
        # The SDK raises ValueError for requests that cannot apply (e.g. retry after an
        # item that is not a user message).
        return ApiError(400, "invalid_request", str(exc))
    if isinstance(exc, NotImplementedError):
        return ApiError(501, "not_implemented", str(exc) or f"{kind} is not supported.")
    return exc


def _late_error(exc: Exception) -> bytes:
    mapped = map_exception(exc, "stream")
    if isinstance(mapped, ApiError):
        return error_event("custom", mapped.message)
    error_id = secrets.token_hex(6)
    log.error("Stream failed (error id %s)", error_id, exc_info=exc)
    return error_event(
        "custom", f"The answer failed inside chatkit-desktop (error id {error_id}); see the log."
    )


async def _check_references(data: dict[str, Any], services: Any, context: RequestContext) -> None:
    """Refuse, as a 404, a streaming request naming something that does not exist.

    The SDK would create the thread before it notices an unknown attachment, and answers a retry
    after an unknown item with an empty 200 stream.
    """
    params = data.get("params")
    if data["type"] == "threads.retry_after_item":
        thread_id = params.get("thread_id") if isinstance(params, dict) else None
        item_id = params.get("item_id") if isinstance(params, dict) else None
        if isinstance(thread_id, str) and isinstance(item_id, str):
            await services.store.load_thread(thread_id, context)
            await services.store.load_item(thread_id, item_id, context)
        return
    if data["type"] not in ("threads.create", "threads.add_user_message"):
        return
    user_input = params.get("input") if isinstance(params, dict) else None
    ids = user_input.get("attachments") if isinstance(user_input, dict) else None
    if not isinstance(ids, list):
        return  # the SDK's validation will name the problem
    for attachment_id in ids:
        if isinstance(attachment_id, str):
            await services.store.load_attachment(attachment_id, context)


async def _early_read(body: bytes, lazy: LazyServices, context: RequestContext) -> bytes | None:
    """A thread list, a thread or a page of items from the store before ChatKit's server is
    loaded (chat/store_reads.py); None: ask the SDK."""
    core = await lazy.core()
    if lazy.chat_ready:
        return None  # ready meanwhile: the SDK answers, as always
    from chatkit_desktop.chat.store_reads import answer_read, parse_read

    parsed = parse_read(body)
    if parsed is None:
        return None  # the SDK's validation names the problem
    try:
        return await answer_read(core.store, parsed, context)
    except Exception as exc:
        mapped = map_exception(exc, parsed.type)
        if mapped is exc:
            raise
        raise mapped from exc


async def chatkit_endpoint(request: web.Request) -> web.StreamResponse:
    config = request.app[CONFIG]
    body = await request.read()
    data = _parse(body)
    kind = data["type"]
    context = RequestContext(user_id=config.user_id)
    lazy = request.app[SERVICES]
    # Attachments leave with freshly signed preview URLs (see http/uploads.py).
    previews = preview_urls(request)
    if kind in EARLY_READS and not lazy.chat_ready:
        # The page's first requests, while the Agents SDK is still loading: from the store.
        early = await _early_read(body, lazy, context)
        if early is not None:
            early = early if previews is None else previews.json(early)
            return web.Response(body=early, content_type="application/json")
    services = await lazy.get()

    from chatkit.server import StreamingResult

    try:
        await _check_references(data, services, context)
        result = await services.chat.process(body, context)
    except Exception as exc:
        mapped = map_exception(exc, kind)
        if mapped is exc:
            raise  # unexpected: the error middleware logs it and answers 500
        raise mapped from exc

    if isinstance(result, StreamingResult):
        return await stream_sse(
            request,
            # The SDK's generator itself (`StreamingResult` only wraps it in one more layer).
            result.json_events,
            registry=request.app[STREAMS],
            early_error=lambda exc: map_exception(exc, kind),
            late_error=_late_error,
            transform=None if previews is None else previews.sse,
        )
    body = result.json if previews is None else previews.json(result.json)
    return web.Response(body=body, content_type="application/json")
