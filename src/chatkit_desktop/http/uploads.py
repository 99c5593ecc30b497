"""Attachments over HTTP: ChatKit's direct upload, and image previews for its frame.

Endpoints (all answer errors as `{"error": {"code", "message"}}`):

- `GET /api/uploads/url` (bearer token): a short-lived upload URL that authorises itself,
  `{"url": "/chatkit/api/upload?exp=<unix s>&sig=<b64url>", "absolute_url": "http://127.0.0.1:PORT/…",
  "expires_at": <unix s>, "max_bytes": <int>, "allowed_types": [<mime>…]}`. ChatKit may post the
  file from its own frame, without the page's fetch and so without the token: the page hands it
  this URL (`uploadStrategy: {type: "direct", uploadUrl}`) and asks for a new one before
  `expires_at`.
- `POST /chatkit/api/upload[?exp&sig]` (bearer token OR a valid, unexpired signature):
  multipart/form-data with exactly one field `file`. Streams it to disk under the attachment id
  (`store/attachment_files.py`); the limit is `max_bytes` (413), the type is checked by content
  (415 with `allowed`), and the answer is the SDK's Attachment JSON: `ImageAttachment` with a
  signed `preview_url` for PNG/JPEG/GIF/WebP, `FileAttachment` for PDF and text. `name` is the
  client's file name cleaned for display (never used as a path). The metadata is saved in the
  store with `thread_id` null; the SDK sets it when a message uses the attachment.
- `GET /attachments/{id}/preview?exp&sig` (signature only, no token): the image bytes with their
  sniffed Content-Type, `X-Content-Type-Options: nosniff`, `Content-Disposition: inline`; only
  for image attachments of this app's user (never SVG or HTML: those are never accepted).

Signatures are HMAC-SHA256 over (purpose, subject, expiry) with a secret drawn at random when the
app is created: not the session token, never logged, and every URL dies with the process.

How previews stay valid: the store keeps a stable, unsigned placeholder
(`chatkit-desktop://attachments/<id>/preview`: a valid URL for the SDK's `AnyUrl` that names no
host or port, since both change between launches). Every answer that carries attachments to
the page passes through `PreviewUrls` on the way out: the upload answer, and in
`http/chatkit_api.py` every JSON answer and every SSE event (`threads.get_by_id`, `items.list`,
the user message's `thread.item.done`…). It swaps each `preview_url` placeholder for a freshly
signed absolute URL on the host the page used. A reloaded thread therefore always gets working
URLs, stored data never holds a signature or a port, and a URL that leaks stops working after
`preview_url_ttl_s` (or when the app quits). Only JSON values under a `preview_url` key are
rewritten, so text that merely contains the placeholder is left as it is.
"""

from __future__ import annotations

import base64
import codecs
import hashlib
import hmac
import json
import logging
import re
import secrets
import time
import unicodedata
from collections.abc import AsyncIterable, AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import PurePosixPath, PureWindowsPath
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from aiohttp import BodyPartReader, web

from chatkit_desktop.context import RequestContext
from chatkit_desktop.http.errors import ApiError, json_error
from chatkit_desktop.http.keys import CONFIG, SERVICES
from chatkit_desktop.http.middlewares import bearer_ok
from chatkit_desktop.http.origins import UPLOAD_PATH, is_chatkit_frame_upload

if TYPE_CHECKING:
    from chatkit.types import FileAttachment, ImageAttachment

    from chatkit_desktop.store.attachment_files import AttachmentFiles, PendingUpload

log = logging.getLogger(__name__)


UPLOAD_URL_PATH = "/api/uploads/url"
PREVIEW_PREFIX = "/attachments/"

DEFAULT_MAX_UPLOAD_BYTES = 20 * 1024 * 1024
UPLOAD_URL_TTL_S = 15 * 60
PREVIEW_URL_TTL_S = 60 * 60
# Room for the multipart boundaries and part headers around the file itself.
FORM_OVERHEAD_BYTES = 64 * 1024
# Form fields other than `file` are read and ignored, up to this size each.
MAX_OTHER_FIELD_BYTES = 8 * 1024
CHUNK_BYTES = 256 * 1024
HEAD_BYTES = 64
MAX_NAME_CHARS = 200

STORED_PREVIEW_SCHEME = "chatkit-desktop://attachments/"
_STORED_PREVIEW = re.compile(r"chatkit-desktop://attachments/([A-Za-z0-9_-]{1,128})/preview")
_EXP = re.compile(r"[0-9]{1,12}")

# Client type names we take as their canonical one.
_TYPE_ALIASES = {
    "image/jpg": "image/jpeg",
    "image/pjpeg": "image/jpeg",
    "text/x-markdown": "text/markdown",
    "text/md": "text/markdown",
    "text/x-csv": "text/csv",
    "application/csv": "text/csv",
    "text/json": "application/json",
}
# When the browser sends no useful type (often so for .md and .csv), the extension decides
# among the text types (and the content must still be UTF-8 text).
_TEXT_EXTENSIONS = {
    ".txt": "text/plain",
    ".text": "text/plain",
    ".log": "text/plain",
    ".md": "text/markdown",
    ".markdown": "text/markdown",
    ".csv": "text/csv",
    ".json": "application/json",
}
_UNTYPED = ("", "application/octet-stream", "binary/octet-stream")
# Types browsers give text files for reasons of their own, where the extension decides as for an
# untyped file: Windows reports a .csv file as Excel's when Excel is installed (its registry entry),
# and browsers there pass that on. A real .xls file (binary) is still refused.
_EXTENSION_DECIDES = ("application/vnd.ms-excel",)
ALLOWED_IN_WORDS = (
    "PNG, JPEG, GIF or WebP images, PDF documents, and plain text, Markdown, CSV or JSON files"
)


def stored_preview_url(attachment_id: str) -> str:
    """What the store keeps as an image's `preview_url`: stable, unsigned, never fetchable."""
    return f"{STORED_PREVIEW_SCHEME}{attachment_id}/preview"


# signatures -----------------------------------------------------------------------------------


class UrlSigner:
    """HMAC-signed, expiring URL parameters. The secret is random per instance (per launch)."""

    def __init__(self, secret: bytes | None = None, clock: Callable[[], float] = time.time) -> None:
        self._secret = secret or secrets.token_bytes(32)
        self._clock = clock

    def __repr__(self) -> str:
        return "UrlSigner(secret=<hidden>)"

    def now(self) -> int:
        return int(self._clock())

    def signature(self, purpose: str, subject: str, exp: int) -> str:
        message = f"{purpose}\n{subject}\n{exp}".encode()
        digest = hmac.new(self._secret, message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")

    def query(self, purpose: str, subject: str, ttl_s: int) -> tuple[str, int]:
        """`exp=…&sig=…` valid for `ttl_s` seconds, and the expiry (unix seconds)."""
        exp = self.now() + ttl_s
        return f"exp={exp}&sig={self.signature(purpose, subject, exp)}", exp

    def check(self, purpose: str, subject: str, exp: str | None, sig: str | None) -> int:
        """The expiry of a valid signature; ApiError 401 (none given) or 403 (bad, expired)."""
        if not exp and not sig:
            raise ApiError(
                401,
                "unauthorized",
                "This address needs a signature (exp and sig); ask the app for a fresh one.",
            )
        if exp is None or sig is None or _EXP.fullmatch(exp) is None:
            raise ApiError(403, "invalid_signature", "The signature on this address is not valid.")
        expected = self.signature(purpose, subject, int(exp))
        if not hmac.compare_digest(expected.encode(), sig.encode("utf-8", "surrogateescape")):
            raise ApiError(403, "invalid_signature", "The signature on this address is not valid.")
        if int(exp) <= self.now():
            raise ApiError(
                403,
                "signature_expired",
                "This address has expired; reload the thread (or ask for a new upload address).",
            )
        return int(exp)


@dataclass
class Uploads:
    """The app's upload settings and its signer (one per app, so one secret per launch)."""

    signer: UrlSigner = field(default_factory=UrlSigner)
    max_bytes: int = DEFAULT_MAX_UPLOAD_BYTES
    upload_url_ttl_s: int = UPLOAD_URL_TTL_S
    preview_url_ttl_s: int = PREVIEW_URL_TTL_S


UPLOADS = web.AppKey("uploads", Uploads)


# fresh preview URLs on the way out ------------------------------------------------------------


class PreviewUrls:
    """Swaps stored `preview_url` placeholders for signed URLs on the host the page used."""

    def __init__(self, uploads: Uploads, origin: str) -> None:
        self._uploads = uploads
        self._origin = origin

    def url(self, attachment_id: str) -> str:
        query, _ = self._uploads.signer.query(
            "preview", attachment_id, self._uploads.preview_url_ttl_s
        )
        return f"{self._origin}{PREVIEW_PREFIX}{attachment_id}/preview?{query}"

    def json(self, body: bytes) -> bytes:
        if STORED_PREVIEW_SCHEME.encode() not in body:
            return body
        try:
            data = json.loads(body)
        except ValueError:
            return body
        self._walk(data)
        return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()

    def sse(self, chunk: bytes) -> bytes:
        """One `data: <json>\\n\\n` event of the SDK's stream."""
        prefix, suffix = b"data: ", b"\n\n"
        if STORED_PREVIEW_SCHEME.encode() not in chunk:
            return chunk
        if not (chunk.startswith(prefix) and chunk.endswith(suffix)):
            return chunk
        return prefix + self.json(chunk[len(prefix) : -len(suffix)]) + suffix

    async def stream(self, chunks: AsyncIterable[bytes]) -> AsyncIterator[bytes]:
        async for chunk in chunks:
            yield self.sse(chunk)

    def _walk(self, node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "preview_url" and isinstance(value, str):
                    match = _STORED_PREVIEW.fullmatch(value)
                    if match:
                        node[key] = self.url(match.group(1))
                else:
                    self._walk(value)
        elif isinstance(node, list):
            for value in node:
                self._walk(value)


def preview_urls(request: web.Request) -> PreviewUrls | None:
    """The rewriter for this request (None in an app without the upload routes)."""
    uploads = request.app.get(UPLOADS)
    if uploads is None:
        return None
    return PreviewUrls(uploads, f"{request.scheme}://{request.host}")


# names and types ------------------------------------------------------------------------------


def display_name(filename: str | None) -> str:
    """The client's file name, for display only: last path component, no control, format or
    separator characters, bounded length. Never used to build a path."""
    # Browsers send the name as typed, with only `"`, CR and LF percent-escaped (WHATWG).
    raw = (filename or "").replace("%22", '"')
    base = PureWindowsPath(PurePosixPath(raw).name).name
    cleaned = "".join(
        " " if unicodedata.category(ch) in ("Zs", "Zl", "Zp") else ch
        for ch in base
        if not unicodedata.category(ch).startswith("C")
    )
    cleaned = " ".join(cleaned.split()).strip(" .")
    if len(cleaned) > MAX_NAME_CHARS:
        stem, dot, ext = cleaned.rpartition(".")
        if dot and 0 < len(ext) <= 10:
            cleaned = stem[: MAX_NAME_CHARS - len(ext) - 1] + "." + ext
        else:
            cleaned = cleaned[:MAX_NAME_CHARS]
    return cleaned or "attachment"


def _media_type(header: str | None) -> str:
    value = (header or "").split(";", 1)[0].strip().lower()
    return _TYPE_ALIASES.get(value, value)


class _TextCheck:
    """Whether a stream of bytes is UTF-8 text without NUL bytes, fed chunk by chunk."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")()
        self.ok = True

    def feed(self, data: bytes, *, final: bool = False) -> None:
        if not self.ok:
            return
        if b"\x00" in data:
            self.ok = False
            return
        try:
            self._decoder.decode(data, final)
        except UnicodeDecodeError:
            self.ok = False


class _Refused(Exception):
    def __init__(self, status: int, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.extra = status, code, message, extra


def _unsupported(message: str) -> _Refused:
    from chatkit_desktop.store.attachment_files import ALLOWED_TYPES

    return _Refused(
        415,
        "unsupported_media_type",
        f"{message} chatkit-desktop accepts {ALLOWED_IN_WORDS}.",
        allowed=list(ALLOWED_TYPES),
    )


def decide_type(head: bytes, declared: str, name: str, is_text: bool) -> str:
    """The stored type: what the bytes are for images and PDF, else a text type the client
    declared (or its extension implies) whose content is really text. `_Refused` (415) else."""
    from chatkit_desktop.store.attachment_files import (
        IMAGE_TYPES,
        PDF_TYPE,
        TEXT_TYPES,
        sniff_binary_type,
    )

    sniffed = sniff_binary_type(head)
    if sniffed is not None:
        return sniffed
    if declared in (*IMAGE_TYPES, PDF_TYPE):
        raise _unsupported(f"{name!r} was sent as {declared}, but its content is not one.")
    text_type: str | None = None
    if declared in TEXT_TYPES:
        text_type = declared
    elif declared in _UNTYPED or declared in _EXTENSION_DECIDES:
        text_type = _TEXT_EXTENSIONS.get(PurePosixPath(name.lower()).suffix)
    if text_type is None:
        shown = declared or "a file of unknown type"
        raise _unsupported(f"{name!r} ({shown}) is not a type chatkit-desktop accepts.")
    if not is_text:
        raise _unsupported(f"{name!r} was sent as {text_type}, but it is not UTF-8 text.")
    return text_type


# handlers -------------------------------------------------------------------------------------


def _authorise_upload(request: web.Request, uploads: Uploads) -> None:
    # From ChatKit's frame only a signed URL counts: that page can never hold the token.
    from_frame = is_chatkit_frame_upload(request.path, request.headers.get("Origin"))
    if not from_frame and bearer_ok(request):
        return
    exp, sig = request.query.get("exp"), request.query.get("sig")
    if exp is None and sig is None:
        raise ApiError(
            401,
            "unauthorized",
            "Uploading needs the access token ('Authorization: Bearer <token>') or a signed "
            f"upload address from GET {UPLOAD_URL_PATH}.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    uploads.signer.check("upload", "", exp, sig)


async def upload_url(request: web.Request) -> web.Response:
    """`GET /api/uploads/url` (the token is checked by the guard middleware)."""
    from chatkit_desktop.store.attachment_files import ALLOWED_TYPES

    uploads = request.app[UPLOADS]
    query, exp = uploads.signer.query("upload", "", uploads.upload_url_ttl_s)
    url = f"{UPLOAD_PATH}?{query}"
    return web.json_response(
        {
            "url": url,
            "absolute_url": f"{request.scheme}://{request.host}{url}",
            "expires_at": exp,
            "max_bytes": uploads.max_bytes,
            "allowed_types": list(ALLOWED_TYPES),
        }
    )


@dataclass
class _Received:
    pending: PendingUpload
    name: str
    mime_type: str
    size: int


def _too_large(uploads: Uploads, name: str | None) -> _Refused:
    limit = uploads.max_bytes
    shown = f"{limit // (1024 * 1024)} MiB" if limit >= 1024 * 1024 else f"{limit} bytes"
    what = repr(name) if name else "The file"
    return _Refused(
        413,
        "payload_too_large",
        f"{what} is larger than the upload limit of {shown}.",
        max_bytes=limit,
    )


async def _skip(part: BodyPartReader) -> None:
    read = 0
    while chunk := await part.read_chunk(MAX_OTHER_FIELD_BYTES):
        read += len(chunk)
        if read > MAX_OTHER_FIELD_BYTES:
            raise _Refused(
                413,
                "payload_too_large",
                f"The form field {part.name!r} is too large; send only the field 'file'.",
            )


async def _receive(part: BodyPartReader, files: AttachmentFiles, uploads: Uploads) -> _Received:
    encoding = part.headers.get("Content-Transfer-Encoding", "").strip().lower()
    if encoding not in ("", "binary", "7bit", "8bit"):
        raise _Refused(400, "invalid_upload", "Send the file as it is (no transfer encoding).")
    name = display_name(part.filename)
    declared = _media_type(part.headers.get("Content-Type"))
    pending = await files.begin_upload()
    try:
        head = b""
        text = _TextCheck()
        size = 0
        while chunk := await part.read_chunk(CHUNK_BYTES):
            size += len(chunk)
            if size > uploads.max_bytes:
                raise _too_large(uploads, name)
            if len(head) < HEAD_BYTES:
                head += chunk[: HEAD_BYTES - len(head)]
            text.feed(chunk)
            await pending.write(chunk)
        text.feed(b"", final=True)
        if size == 0:
            raise _Refused(400, "empty_file", f"{name!r} is empty.")
        mime_type = decide_type(head, declared, name, text.ok)
        await pending.close()
    except BaseException:
        await pending.discard()
        raise
    return _Received(pending, name, mime_type, size)


async def _read_form(request: web.Request, files: AttachmentFiles, uploads: Uploads) -> _Received:
    try:
        reader = await request.multipart()
    except (ValueError, KeyError, AssertionError) as exc:
        raise _Refused(400, "invalid_upload", f"The multipart body is malformed: {exc}") from None
    received: _Received | None = None
    try:
        while True:
            part = await reader.next()
            if part is None:
                break
            if not isinstance(part, BodyPartReader):
                raise _Refused(400, "invalid_upload", "Nested multipart bodies are not accepted.")
            if part.name != "file":
                await _skip(part)
                continue
            if received is not None:
                raise _Refused(
                    400, "too_many_files", "Send one file per upload (one field named 'file')."
                )
            received = await _receive(part, files, uploads)
    except ValueError as exc:  # aiohttp's words for a malformed body
        if received is not None:
            await received.pending.discard()
        raise _Refused(400, "invalid_upload", f"The multipart body is malformed: {exc}") from None
    except BaseException:
        if received is not None:
            await received.pending.discard()
        raise
    if received is None:
        raise _Refused(400, "missing_file", "The upload has no field named 'file'.")
    return received


async def upload(request: web.Request) -> web.StreamResponse:
    """`POST /chatkit/api/upload`: one file in, the Attachment JSON out."""
    uploads = request.app[UPLOADS]
    _authorise_upload(request, uploads)
    try:
        if request.content_type != "multipart/form-data":
            raise _Refused(
                400,
                "invalid_upload",
                "Send the file as multipart/form-data with one field named 'file'.",
            )
        length = request.content_length
        if length is not None and length > uploads.max_bytes + FORM_OVERHEAD_BYTES:
            raise _too_large(uploads, None)
        services = await request.app[SERVICES].get()
        files = services.chat.files
        received = await _read_form(request, files, uploads)
    except _Refused as refused:
        return json_error(refused.status, refused.code, refused.message, **refused.extra)

    context = RequestContext(user_id=request.app[CONFIG].user_id)
    attachment_id = files.generate_attachment_id(received.mime_type, context)
    try:
        await files.commit(received.pending, attachment_id)
        attachment = _attachment(attachment_id, received)
        await services.store.save_attachment(attachment, context)
    except BaseException:
        await received.pending.discard()
        await files.remove_bytes([attachment_id])
        raise
    log.info(
        "Stored attachment %s (%s, %d bytes)", attachment_id, received.mime_type, received.size
    )
    body = attachment.model_dump_json(
        by_alias=True, exclude_none=True, context={"exclude_metadata": True}
    ).encode()
    previews = PreviewUrls(uploads, f"{request.scheme}://{request.host}")
    return web.Response(body=previews.json(body), content_type="application/json")


async def upload_preflight(request: web.Request) -> web.Response:
    """CORS preflight for an upload from ChatKit's frame (other origins were refused already)."""
    if not is_chatkit_frame_upload(request.path, request.headers.get("Origin")):
        raise ApiError(403, "forbidden_origin", "Requests from other web pages are not accepted.")
    return web.Response(
        status=204,
        headers={
            "Access-Control-Allow-Methods": "POST",
            "Access-Control-Allow-Headers": "Content-Type",
            "Access-Control-Max-Age": "600",
        },
    )


def _attachment(attachment_id: str, received: _Received) -> FileAttachment | ImageAttachment:
    from chatkit.types import FileAttachment, ImageAttachment

    from chatkit_desktop.store.attachment_files import IMAGE_TYPES

    metadata = {
        "size": received.size,
        "uploaded_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    if received.mime_type in IMAGE_TYPES:
        return ImageAttachment(
            id=attachment_id,
            name=received.name,
            mime_type=received.mime_type,
            preview_url=stored_preview_url(attachment_id),  # type: ignore[arg-type]
            metadata=metadata,
        )
    return FileAttachment(
        id=attachment_id, name=received.name, mime_type=received.mime_type, metadata=metadata
    )


async def preview(request: web.Request) -> web.StreamResponse:
    """`GET /attachments/{attachment_id}/preview?exp&sig`: an image, for ChatKit's frame."""
    from chatkit.store import NotFoundError

    from chatkit_desktop.store.attachment_files import IMAGE_TYPES, safe_attachment_id

    uploads = request.app[UPLOADS]
    attachment_id = request.match_info["attachment_id"]
    exp = uploads.signer.check(
        "preview", attachment_id, request.query.get("exp"), request.query.get("sig")
    )
    missing = ApiError(404, "not_found", f"Attachment {attachment_id} has no image to show.")
    if not safe_attachment_id(attachment_id):
        raise missing
    services = await request.app[SERVICES].get()
    context = RequestContext(user_id=request.app[CONFIG].user_id)
    try:
        attachment = await services.store.load_attachment(attachment_id, context)
    except NotFoundError:
        raise missing from None
    if attachment.type != "image" or attachment.mime_type not in IMAGE_TYPES:
        raise missing
    files = services.chat.files
    if await files.size_of(attachment_id) is None:
        raise missing
    max_age = max(0, min(exp - uploads.signer.now(), uploads.preview_url_ttl_s))
    headers = {
        "Content-Type": attachment.mime_type,
        "X-Content-Type-Options": "nosniff",
        "Content-Disposition": f"inline; filename*=UTF-8''{quote(attachment.name, safe='')}",
        "Cache-Control": f"private, max-age={max_age}",
        # ChatKit's frame is on another origin; the image is all this answer may ever be.
        "Cross-Origin-Resource-Policy": "cross-origin",
        "Content-Security-Policy": "default-src 'none'; sandbox",
    }
    return web.FileResponse(files.path_for(attachment_id), headers=headers)


def add_upload_routes(app: web.Application, uploads: Uploads | None = None) -> None:
    """Register the upload and preview routes (and a new signing secret) on `app`."""
    app[UPLOADS] = uploads or Uploads()
    app.router.add_get(UPLOAD_URL_PATH, upload_url)
    app.router.add_post(UPLOAD_PATH, upload)
    app.router.add_route("OPTIONS", UPLOAD_PATH, upload_preflight)
    app.router.add_get(PREVIEW_PREFIX + "{attachment_id}/preview", preview)
