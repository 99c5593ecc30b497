"""The history browser's API beside the ChatKit protocol: search, thread previews, the trash
and exports (`docs/history.md`).

Everything here reads or writes the same store as `/chatkit/api`, scoped to the app's user.
Exports are built from the store and sent as downloads; a whole-library JSONL export streams
thread by thread, so its size never sits in memory at once.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import TYPE_CHECKING, Any

from aiohttp import web

from chatkit_desktop.context import RequestContext
from chatkit_desktop.http.errors import ApiError
from chatkit_desktop.http.keys import CONFIG, SERVICES
from chatkit_desktop.http.services import Services

if TYPE_CHECKING:
    from chatkit_desktop.store.sqlite_store import SQLiteStore

MAX_PREVIEW_IDS = 100
MAX_QUERY_CHARS = 500


async def _store(request: web.Request) -> tuple[SQLiteStore, RequestContext]:
    """The store only: it opens in the start-up's first stage, so search, previews, the trash
    and exports answer at once, not after the seconds the Agents SDK takes to load."""
    core = await request.app[SERVICES].core()
    return core.store, RequestContext(user_id=request.app[CONFIG].user_id)


async def _services(request: web.Request) -> tuple[Services, RequestContext]:
    """Everything, the ChatKit server included (its attachment files): waits for the SDKs."""
    services = await request.app[SERVICES].get()
    return services, RequestContext(user_id=request.app[CONFIG].user_id)


def _int_param(request: web.Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(400, "invalid_request", f"{name} must be a whole number.") from None
    if not low <= value <= high:
        raise ApiError(400, "invalid_request", f"{name} must be between {low} and {high}.")
    return value


def _iso(moment: datetime) -> str:
    return moment.isoformat()


def _not_found(exc: Exception) -> ApiError:
    return ApiError(404, "not_found", str(exc) or "Not found.")


async def search(request: web.Request) -> web.Response:
    query = request.query.get("q", "")
    if len(query) > MAX_QUERY_CHARS:
        raise ApiError(
            400,
            "invalid_request",
            f"The search is too long (at most {MAX_QUERY_CHARS} characters).",
        )
    limit = _int_param(request, "limit", 20, 1, 100)
    offset = _int_param(request, "offset", 0, 0, 10_000)
    store, context = await _store(request)
    page = await store.search.query(query, context, limit=limit, offset=offset)
    return web.json_response(
        {
            "query": page.query,
            "results": [
                {
                    "thread_id": hit.thread_id,
                    "item_id": hit.item_id,
                    "kind": hit.kind,
                    "thread_title": hit.thread_title,
                    "created_at": _iso(hit.created_at),
                    "snippet": [{"text": s.text, "match": s.match} for s in hit.snippet],
                }
                for hit in page.hits
            ],
            "has_more": page.has_more,
            "next_offset": page.next_offset,
        }
    )


async def previews(request: web.Request) -> web.Response:
    ids = [part for part in request.query.get("ids", "").split(",") if part]
    if len(ids) > MAX_PREVIEW_IDS:
        raise ApiError(400, "invalid_request", f"Ask for at most {MAX_PREVIEW_IDS} threads.")
    store, context = await _store(request)
    return web.json_response({"previews": await store.search.previews(ids, context)})


def _metadata_json(thread: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(thread.model_dump_json())
    return data


async def trash_list(request: web.Request) -> web.Response:
    from chatkit.store import NotFoundError

    limit = _int_param(request, "limit", 50, 1, 200)
    after = request.query.get("after") or None
    store, context = await _store(request)
    try:
        page = await store.trash.page(context, limit=limit, after=after)
    except NotFoundError as exc:
        raise _not_found(exc) from exc
    return web.json_response(
        {
            "data": [
                {
                    "id": entry.thread.id,
                    "title": entry.thread.title,
                    "created_at": _iso(entry.thread.created_at),
                    "deleted_at": _iso(entry.deleted_at),
                    "purge_at": _iso(entry.purge_at),
                }
                for entry in page.data
            ],
            "has_more": page.has_more,
            "after": page.after,
        }
    )


async def trash_restore(request: web.Request) -> web.Response:
    from chatkit.store import NotFoundError

    store, context = await _store(request)
    try:
        thread = await store.trash.restore(request.match_info["thread_id"], context)
    except NotFoundError as exc:
        raise _not_found(exc) from exc
    return web.json_response({"thread": _metadata_json(thread)})


async def trash_purge_one(request: web.Request) -> web.Response:
    thread_id = request.match_info["thread_id"]
    services, context = await _services(request)
    purged = await services.store.trash.purge(context, [thread_id])
    if not purged.thread_ids:
        raise ApiError(404, "not_found", f"Thread {thread_id} is not in the trash.")
    await services.chat.files.remove_bytes(purged.attachment_ids)
    return web.json_response({"deleted": len(purged.thread_ids)})


async def trash_empty(request: web.Request) -> web.Response:
    services, context = await _services(request)
    purged = await services.store.trash.purge(context)
    await services.chat.files.remove_bytes(purged.attachment_ids)
    return web.json_response({"deleted": len(purged.thread_ids)})


_UNSAFE_NAME = re.compile(r"[^\w .,()-]+")


def download_name(title: str | None, fallback: str, extension: str) -> str:
    """A file name from the thread's title: safe on every OS, never empty, never hidden."""
    name = _UNSAFE_NAME.sub("", title or "").strip(" .")[:80] or fallback
    return f"{name}.{extension}"


def _disposition(filename: str) -> str:
    from urllib.parse import quote

    ascii_name = filename.encode("ascii", "replace").decode().replace("?", "_").replace('"', "")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


async def export(request: web.Request) -> web.StreamResponse:
    from chatkit.store import NotFoundError

    from chatkit_desktop.store.thread_markdown import thread_markdown

    fmt = request.query.get("format", "")
    thread_id = request.query.get("thread_id") or None
    if fmt not in ("md", "json", "jsonl"):
        raise ApiError(400, "invalid_request", "format must be one of md, json or jsonl.")
    if fmt == "jsonl" and thread_id is not None:
        raise ApiError(400, "invalid_request", "jsonl exports every thread: leave out thread_id.")
    if fmt != "jsonl" and thread_id is None:
        raise ApiError(400, "invalid_request", f"A {fmt} export needs a thread_id.")
    store, context = await _store(request)
    if thread_id is None:
        return await _export_all(request, store, context)
    try:
        thread = await store.archive.export_thread(thread_id, context)
    except NotFoundError as exc:
        raise _not_found(exc) from exc
    if fmt == "md":
        body = thread_markdown(thread)
        content_type = "text/markdown"
    else:
        body = thread.model_dump_json(indent=2) + "\n"
        content_type = "application/json"
    name = download_name(thread.title, thread.id, fmt)
    return web.Response(
        text=body,
        content_type=content_type,
        charset="utf-8",
        headers={"Content-Disposition": _disposition(name)},
    )


async def _export_all(
    request: web.Request, store: SQLiteStore, context: RequestContext
) -> web.StreamResponse:
    stamp = datetime.now().strftime("%Y-%m-%d")
    response = web.StreamResponse(
        headers={
            "Content-Type": "application/x-ndjson; charset=utf-8",
            "Content-Disposition": _disposition(f"chatkit-desktop-{stamp}.jsonl"),
        }
    )
    await response.prepare(request)
    async for thread in store.archive.export_all(context):
        await response.write(thread.model_dump_json().encode() + b"\n")
    await response.write_eof()
    return response


def add_history_routes(app: web.Application) -> None:
    app.router.add_get("/api/search", search)
    app.router.add_get("/api/threads/previews", previews)
    app.router.add_get("/api/trash", trash_list)
    app.router.add_delete("/api/trash", trash_empty)
    app.router.add_post("/api/trash/{thread_id}/restore", trash_restore)
    app.router.add_delete("/api/trash/{thread_id}", trash_purge_one)
    app.router.add_get("/api/export", export)
