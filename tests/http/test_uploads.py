"""Uploads, signed URLs and previews over real HTTP, with real files on disk."""

from __future__ import annotations

import io
import json
import os
import struct
import time
import zlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientResponse, FormData
from aiohttp.test_utils import TestClient
from yarl import URL

from chatkit_desktop.context import RequestContext
from chatkit_desktop.http.app import create_app
from chatkit_desktop.http.keys import SERVICES
from chatkit_desktop.http.uploads import UPLOADS, Uploads, stored_preview_url
from tests.support.assertions import assert_json_error, items_of
from tests.support.chatkit_client import AUTH, call, stream, thread_id_of, user_input

UPLOAD = "/chatkit/api/upload"
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def png_bytes(width: int = 1, height: int = 1) -> bytes:
    """A real (tiny, grey) PNG image."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    pixels = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(pixels))
        + chunk(b"IEND", b"")
    )


def form(data: bytes, filename: str, content_type: str | None, field: str = "file") -> FormData:
    # Unquoted file names, as browsers send them (aiohttp's client would percent-encode them).
    body = FormData(quote_fields=False)
    body.add_field(field, data, filename=filename, content_type=content_type)
    return body


async def send(
    client: TestClient,
    data: bytes,
    filename: str,
    content_type: str | None = "application/octet-stream",
    *,
    url: str = UPLOAD,
    headers: dict[str, str] | None = None,
) -> ClientResponse:
    return await client.post(
        url, data=form(data, filename, content_type), headers=AUTH if headers is None else headers
    )


async def upload_ok(
    client: TestClient, data: bytes, filename: str, content_type: str | None = None
) -> dict[str, Any]:
    resp = await send(client, data, filename, content_type)
    assert resp.status == 200, await resp.text()
    assert resp.content_type == "application/json"
    return dict(await resp.json())


def local(url: str) -> str:
    """An absolute URL the app gave out, as a path for the test client (same host)."""
    return URL(url).path_qs


def attachments_dir(data_dir: Path) -> Path:
    return data_dir / "attachments"


def stored_files(data_dir: Path) -> list[str]:
    folder = attachments_dir(data_dir)
    return sorted(os.listdir(folder)) if folder.exists() else []


def all_files(root: Path) -> set[Path]:
    """Every file under `root` but the database's own (its WAL grows with any write)."""
    return {
        p
        for p in root.rglob("*")
        if p.is_file() and not p.name.startswith("chatkit-desktop.sqlite3")
    }


@pytest.fixture
def small_limit_client(
    aiohttp_client: Callable[..., Any], make_config: Callable[..., Any]
) -> Callable[[int], Any]:
    async def make(max_bytes: int) -> TestClient:
        app = create_app(make_config())
        app[UPLOADS] = Uploads(max_bytes=max_bytes)
        client: TestClient = await aiohttp_client(app, server_kwargs={"host": "127.0.0.1"})
        return client

    return make


# happy paths -------------------------------------------------------------------------------


async def test_image_upload_is_stored_under_its_id_and_previews_without_the_token(client, data_dir):
    image = png_bytes(3, 2)
    attachment = await upload_ok(client, image, "holiday photo.png", "image/png")

    assert attachment["type"] == "image"
    assert attachment["name"] == "holiday photo.png"
    assert attachment["mime_type"] == "image/png"
    assert attachment["id"].startswith("atc_")
    assert "metadata" not in attachment and attachment.get("thread_id") is None
    url = URL(attachment["preview_url"])
    assert (url.scheme, url.host, url.port) == ("http", "127.0.0.1", client.port)
    assert url.path == f"/attachments/{attachment['id']}/preview"
    assert set(url.query) == {"exp", "sig"}

    assert stored_files(data_dir) == [attachment["id"]]
    assert (attachments_dir(data_dir) / attachment["id"]).read_bytes() == image

    resp = await client.get(local(attachment["preview_url"]))  # no Authorization header
    assert resp.status == 200
    assert resp.headers["Content-Type"] == "image/png"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Content-Disposition"].startswith("inline")
    assert resp.headers["Cache-Control"].startswith("private, max-age=")
    assert await resp.read() == image

    # The store has the metadata, not yet in a thread, with the stable placeholder.
    services = await client.app[SERVICES].get()
    stored = await services.store.load_attachment(attachment["id"], RequestContext())
    assert stored.thread_id is None
    assert str(stored.preview_url) == stored_preview_url(attachment["id"])  # type: ignore[union-attr]


async def test_pdf_and_text_uploads_are_file_attachments_typed_by_content(client, data_dir):
    pdf = await upload_ok(client, PDF, "report.pdf", "application/octet-stream")
    notes = await upload_ok(client, b"# Notes\n\n- one\n", "notes.md", None)
    table = await upload_ok(client, b"a,b\n1,2\n", "t.csv", "text/csv")
    data = await upload_ok(client, b'{"k": [1, 2]}', "d.json", "application/json")
    plain = await upload_ok(client, "héllo\n".encode(), "hi.txt", "text/plain; charset=utf-8")

    assert (pdf["type"], pdf["mime_type"]) == ("file", "application/pdf")
    assert notes["mime_type"] == "text/markdown"
    assert table["mime_type"] == "text/csv"
    assert data["mime_type"] == "application/json"
    assert plain["mime_type"] == "text/plain"
    for attachment in (pdf, notes, table, data, plain):
        assert attachment["type"] == "file"
        assert "preview_url" not in attachment
    assert len(stored_files(data_dir)) == 5

    # A file attachment has no preview, even with a valid signature.
    signer = client.app[UPLOADS].signer
    query, _ = signer.query("preview", pdf["id"], 60)
    await assert_json_error(await client.get(f"/attachments/{pdf['id']}/preview?{query}"), 404)


async def test_a_csv_file_typed_as_excel_by_windows_is_a_csv_attachment(client, data_dir):
    """Windows browsers send .csv files as application/vnd.ms-excel when Excel is installed."""
    table = await upload_ok(client, b"a,b\n1,2\n", "t.csv", "application/vnd.ms-excel")
    assert (table["type"], table["mime_type"]) == ("file", "text/csv")
    # A real Excel file (binary) stays refused, in words that name it.
    xls = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64
    error = await assert_json_error(
        await send(client, xls, "book.xls", "application/vnd.ms-excel"), 415, "book.xls"
    )
    assert error["code"] == "unsupported_media_type"
    disguised = await send(client, xls, "book.csv", "application/vnd.ms-excel")
    await assert_json_error(disguised, 415, "not UTF-8 text")
    assert stored_files(data_dir) == [table["id"]]


async def test_image_content_wins_over_the_declared_type(client):
    attachment = await upload_ok(client, png_bytes(), "pic.txt", "text/plain")
    assert (attachment["type"], attachment["mime_type"]) == ("image", "image/png")


# previews ---------------------------------------------------------------------------------


async def test_preview_refuses_a_tampered_expired_or_missing_signature(client):
    image = await upload_ok(client, png_bytes(), "a.png", "image/png")
    other = await upload_ok(client, png_bytes(2, 2), "b.png", "image/png")
    url = URL(image["preview_url"])
    exp, sig = url.query["exp"], url.query["sig"]
    path = url.path

    flipped = ("A" if sig[0] != "A" else "B") + sig[1:]
    error = await assert_json_error(await client.get(f"{path}?exp={exp}&sig={flipped}"), 403)
    assert error["code"] == "invalid_signature"
    # A longer expiry with the old signature.
    await assert_json_error(await client.get(f"{path}?exp={int(exp) + 3600}&sig={sig}"), 403)
    # One image's signature does not open another.
    other_path = URL(other["preview_url"]).path
    await assert_json_error(await client.get(f"{other_path}?exp={exp}&sig={sig}"), 403)
    # Expired (signed by the app's own secret, in the past).
    signer = client.app[UPLOADS].signer
    past = int(time.time()) - 1
    expired = f"{path}?exp={past}&sig={signer.signature('preview', image['id'], past)}"
    error = await assert_json_error(await client.get(expired), 403, "expired")
    assert error["code"] == "signature_expired"
    # No signature at all; the bearer token is not what previews take.
    await assert_json_error(await client.get(path), 401)
    await assert_json_error(await client.get(path, headers=AUTH), 401)
    await assert_json_error(await client.get(f"{path}?exp={exp}"), 403)
    # An upload signature is not a preview signature.
    upload_query, _ = signer.query("upload", "", 60)
    await assert_json_error(await client.get(f"{path}?{upload_query}"), 403)

    assert (await client.get(local(image["preview_url"]))).status == 200


async def test_preview_of_an_unknown_id_is_a_404_even_when_signed(client):
    signer = client.app[UPLOADS].signer
    for attachment_id in ("atc_0000000000000000", "a.b", ".upload-0.part"):
        query, _ = signer.query("preview", attachment_id, 60)
        resp = await client.get(f"/attachments/{attachment_id}/preview?{query}")
        assert resp.status == 404, await resp.text()


async def test_a_reloaded_thread_gives_working_preview_urls(
    client, make_client, data_dir, openai_server
):
    image = await upload_ok(client, png_bytes(), "cat.png", "image/png")
    events = await stream(
        client, "threads.create", {"input": user_input("look", attachments=[image["id"]])}
    )
    thread_id = thread_id_of(events)
    user_done = [
        e["item"]
        for e in events
        if e["type"] == "thread.item.done" and e["item"]["type"] == "user_message"
    ]
    streamed = user_done[0]["attachments"][0]
    assert streamed["preview_url"].startswith(f"http://127.0.0.1:{client.port}/attachments/")
    assert (await client.get(local(streamed["preview_url"]))).status == 200

    # What is stored never carries a signature or a port.
    services = await client.app[SERVICES].get()
    stored = await services.store.load_attachment(image["id"], RequestContext())
    assert stored.thread_id == thread_id
    item = (
        await services.store.load_thread_items(thread_id, None, 10, "asc", RequestContext())
    ).data[0]
    assert "sig=" not in item.model_dump_json()

    got = await call(client, "threads.get_by_id", {"thread_id": thread_id})
    reloaded = got["items"]["data"][0]["attachments"][0]
    assert (await client.get(local(reloaded["preview_url"]))).status == 200
    listed = (await items_of(client, thread_id))[0]["attachments"][0]
    assert (await client.get(local(listed["preview_url"]))).status == 200

    # After a restart (a new app on the same data, a new secret) old URLs die, new ones work.
    await client.close()
    again = await make_client()
    assert (await again.get(local(reloaded["preview_url"]))).status == 403
    got = await call(again, "threads.get_by_id", {"thread_id": thread_id})
    fresh = got["items"]["data"][0]["attachments"][0]["preview_url"]
    assert URL(fresh).port == again.port
    resp = await again.get(local(fresh))
    assert resp.status == 200
    assert await resp.read() == png_bytes()


# limits and types -------------------------------------------------------------------------


async def test_oversize_upload_is_a_413_and_leaves_nothing(small_limit_client, data_dir):
    client = await small_limit_client(1000)
    resp = await send(client, b"x" * 1000, "fits.txt", "text/plain")
    assert resp.status == 200, await resp.text()

    # Streamed past the limit (the Content-Length alone does not give it away).
    error = await assert_json_error(
        await send(client, b"x" * 1001, "big.txt", "text/plain"), 413, "big.txt", "limit"
    )
    assert error["code"] == "payload_too_large"
    assert error["max_bytes"] == 1000
    # Refused from the Content-Length, before the body is read.
    await assert_json_error(
        await send(client, b"x" * (200 * 1024), "huge.txt", "text/plain"), 413, "limit"
    )

    # Without a Content-Length (chunked), the limit still holds while streaming.
    boundary = "XyZ0boundary"

    async def chunked() -> AsyncIterator[bytes]:
        yield (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="c.txt"\r\nContent-Type: text/plain\r\n\r\n'
        ).encode()
        for _ in range(10):
            yield b"y" * 500
        yield f"\r\n--{boundary}--\r\n".encode()

    resp = await client.post(
        UPLOAD,
        data=chunked(),
        headers={**AUTH, "Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    await assert_json_error(resp, 413)
    assert len(stored_files(data_dir)) == 1  # only the one that fitted, no partial files


async def test_default_limit_is_twenty_mebibytes(client):
    resp = await client.get("/api/uploads/url", headers=AUTH)
    assert (await resp.json())["max_bytes"] == 20 * 1024 * 1024
    big = b"x" * (20 * 1024 * 1024 + 1)
    await assert_json_error(await send(client, big, "big.txt", "text/plain"), 413, "20 MiB")


EXE = b"MZ\x90\x00\x03" + b"\x00" * 60
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
HTML = b"<html><script>alert(1)</script></html>"


@pytest.mark.parametrize(
    ("data", "filename", "content_type"),
    [
        pytest.param(EXE, "setup.exe", "application/x-msdownload", id="exe"),
        pytest.param(EXE, "setup.exe", "application/octet-stream", id="exe-untyped"),
        pytest.param(SVG, "x.png", "image/png", id="svg-as-png"),
        pytest.param(HTML, "x.png", "image/png", id="html-as-png"),
        pytest.param(SVG, "x.svg", "image/svg+xml", id="svg"),
        pytest.param(HTML, "x.html", "text/html", id="html"),
        pytest.param(b"not a pdf", "x.pdf", "application/pdf", id="fake-pdf"),
        pytest.param(b"\x00\x01\x02binary", "x.txt", "text/plain", id="binary-as-text"),
        pytest.param(b"\xff\xfe\xfa", "x.csv", "text/csv", id="not-utf8"),
    ],
)
async def test_types_outside_the_allow_list_are_a_415(
    client, data_dir, data, filename, content_type
):
    resp = await send(client, data, filename, content_type)
    error = await assert_json_error(resp, 415, "PNG", "PDF")
    assert error["code"] == "unsupported_media_type"
    assert "image/png" in error["allowed"] and "application/pdf" in error["allowed"]
    assert "image/svg+xml" not in error["allowed"] and "text/html" not in error["allowed"]
    assert stored_files(data_dir) == []


async def test_a_path_in_the_file_name_is_only_a_display_name(client, data_dir, tmp_path):
    before = all_files(tmp_path)
    attachment = await upload_ok(client, b"root:x:0:0\n", "../../etc/passwd", "text/plain")
    assert attachment["name"] == "passwd"
    assert stored_files(data_dir) == [attachment["id"]]
    written = all_files(tmp_path) - before
    assert {p.parent for p in written} <= {attachments_dir(data_dir)}, written
    assert not (data_dir.parent / "etc").exists()

    windows = await upload_ok(client, b"x", "..\\..\\Windows\\evil.txt", "text/plain")
    assert windows["name"] == "evil.txt"
    sneaky = await upload_ok(client, b"x", "in\u202evoice\u200b\t.txt", "text/plain")
    assert sneaky["name"] == "invoice.txt"
    dots = await upload_ok(client, b"x", "..", "text/plain")
    assert dots["name"] == "attachment"
    assert len(stored_files(data_dir)) == 4


async def test_exactly_one_file_field_is_required(client, data_dir):
    only_other = FormData()
    only_other.add_field("note", io.BytesIO(b"hello"), content_type="text/plain")
    error = await assert_json_error(
        await client.post(UPLOAD, data=only_other, headers=AUTH), 400, "file"
    )
    assert error["code"] == "missing_file"

    two = FormData(quote_fields=False)
    two.add_field("file", b"one", filename="1.txt", content_type="text/plain")
    two.add_field("file", b"two", filename="2.txt", content_type="text/plain")
    error = await assert_json_error(await client.post(UPLOAD, data=two, headers=AUTH), 400)
    assert error["code"] == "too_many_files"

    not_multipart = await client.post(
        UPLOAD, data=json.dumps({"file": "x"}), headers={**AUTH, "Content-Type": "application/json"}
    )
    await assert_json_error(not_multipart, 400, "multipart")
    error = await assert_json_error(await send(client, b"", "empty.txt", "text/plain"), 400)
    assert error["code"] == "empty_file"
    assert stored_files(data_dir) == []


_PART = b'Content-Disposition: form-data; name="file"; filename="a.txt"\r\n'


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        pytest.param("multipart/form-data", b"--x\r\n", id="no-boundary"),
        pytest.param(
            "multipart/form-data; boundary=x",
            b"--x\r\n" + _PART + b"Content-Type: text/plain\r\n\r\nhello",
            id="truncated",
        ),
        pytest.param("multipart/form-data; boundary=x", b"garbage", id="garbage"),
        pytest.param(
            "multipart/form-data; boundary=x",
            b'--x\r\nContent-Disposition: form-data; name="file"\r\n'
            b"Content-Type: multipart/mixed; boundary=y\r\n\r\n"
            b"--y\r\nContent-Type: text/plain\r\n\r\nhi\r\n--y--\r\n\r\n--x--\r\n",
            id="nested",
        ),
        pytest.param(
            "multipart/form-data; boundary=x",
            b"--x\r\n" + _PART + b"Content-Type: text/plain\r\n"
            b"Content-Transfer-Encoding: base64\r\n\r\naGVsbG8=\r\n--x--\r\n",
            id="base64",
        ),
    ],
)
async def test_malformed_bodies_are_a_400_and_leave_nothing(client, data_dir, content_type, body):
    resp = await client.post(UPLOAD, data=body, headers={**AUTH, "Content-Type": content_type})
    error = await assert_json_error(resp, 400)
    assert error["code"] == "invalid_upload"
    assert stored_files(data_dir) == []


# authorisation ----------------------------------------------------------------------------


async def test_upload_needs_the_token_or_a_valid_signature(client, data_dir):
    none = await send(client, b"x", "a.txt", "text/plain", headers={})
    await assert_json_error(none, 401, "token")
    wrong = await send(client, b"x", "a.txt", "text/plain", headers={"Authorization": "Bearer no"})
    await assert_json_error(wrong, 401)

    resp = await client.get("/api/uploads/url", headers=AUTH)
    assert resp.status == 200
    grant = await resp.json()
    assert grant["url"].startswith("/chatkit/api/upload?exp=")
    assert grant["absolute_url"] == f"http://127.0.0.1:{client.port}{grant['url']}"
    assert 14 * 60 <= grant["expires_at"] - time.time() <= 15 * 60 + 1
    assert "text/markdown" in grant["allowed_types"]

    signed = await send(client, b"signed", "s.txt", "text/plain", url=grant["url"], headers={})
    assert signed.status == 200, await signed.text()
    assert (await signed.json())["name"] == "s.txt"

    url = URL(grant["url"])
    exp, sig = url.query["exp"], url.query["sig"]
    tampered = f"{UPLOAD}?exp={exp}&sig={sig[:-2]}xx"
    await assert_json_error(await send(client, b"x", "a.txt", url=tampered, headers={}), 403)
    await assert_json_error(
        await send(
            client, b"x", "a.txt", url=f"{UPLOAD}?exp={int(exp) + 60}&sig={sig}", headers={}
        ),
        403,
    )
    signer = client.app[UPLOADS].signer
    past = int(time.time()) - 1
    expired = f"{UPLOAD}?exp={past}&sig={signer.signature('upload', '', past)}"
    error = await assert_json_error(await send(client, b"x", "a.txt", url=expired, headers={}), 403)
    assert error["code"] == "signature_expired"
    # A preview signature does not authorise uploads.
    preview_query, _ = signer.query("preview", "", 60)
    await assert_json_error(
        await send(client, b"x", "a.txt", url=f"{UPLOAD}?{preview_query}", headers={}), 403
    )
    # The Origin and Host checks still apply to a signed upload.
    foreign = await send(
        client, b"x", "a.txt", url=grant["url"], headers={"Origin": "https://evil.example"}
    )
    await assert_json_error(foreign, 403)
    # The signed URL is handed out only with the token.
    await assert_json_error(await client.get("/api/uploads/url"), 401)
    assert len(stored_files(data_dir)) == 1


async def test_chatkit_frame_may_upload_with_a_signed_url_and_read_the_answer(client, data_dir):
    """ChatKit's direct upload can come from its own frame (origin: the CDN), without our fetch."""
    frame = {"Origin": "https://cdn.platform.openai.com"}
    grant = await (await client.get("/api/uploads/url", headers=AUTH)).json()
    ok = await send(
        client, b"from the frame", "f.txt", "text/plain", url=grant["url"], headers=frame
    )
    assert ok.status == 200, await ok.text()
    assert ok.headers["Access-Control-Allow-Origin"] == "https://cdn.platform.openai.com"
    # The frame can never hold the token: from there only the signature counts.
    bearer_only = await send(client, b"x", "a.txt", "text/plain", headers={**AUTH, **frame})
    denied = await assert_json_error(bearer_only, 401)
    assert bearer_only.headers["Access-Control-Allow-Origin"] == frame["Origin"], denied
    preflight = await client.options(
        UPLOAD, headers={**frame, "Access-Control-Request-Method": "POST"}
    )
    assert preflight.status == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == frame["Origin"]
    evil = await client.options(UPLOAD, headers={"Origin": "https://evil.example"})
    await assert_json_error(evil, 403)
    # Nowhere else does the CDN's origin count, and no other answer is shared with it.
    other = await client.get("/api/settings", headers={**AUTH, **frame})
    await assert_json_error(other, 403)
    assert "Access-Control-Allow-Origin" not in other.headers
    assert len(stored_files(data_dir)) == 1


async def test_signing_secret_is_per_app_and_not_the_token(client, make_client):
    other = await make_client()
    grant = await (await client.get("/api/uploads/url", headers=AUTH)).json()
    resp = await send(other, b"x", "a.txt", "text/plain", url=grant["url"], headers={})
    await assert_json_error(resp, 403)
    assert AUTH["Authorization"].split()[1] not in repr(client.app[UPLOADS])


# deleting and scoping ----------------------------------------------------------------------


async def test_attachments_delete_removes_bytes_and_metadata(client, data_dir):
    image = await upload_ok(client, png_bytes(), "gone.png", "image/png")
    kept = await upload_ok(client, b"keep", "keep.txt", "text/plain")
    assert await call(client, "attachments.delete", {"attachment_id": image["id"]}) == {}

    assert stored_files(data_dir) == [kept["id"]]
    services = await client.app[SERVICES].get()
    from chatkit.store import NotFoundError

    with pytest.raises(NotFoundError):
        await services.store.load_attachment(image["id"], RequestContext())
    assert (await client.get(local(image["preview_url"]))).status == 404


async def test_attachment_files_stay_in_the_trash_and_go_when_it_is_emptied(client, data_dir):
    image = await upload_ok(client, png_bytes(), "in-thread.png", "image/png")
    text = await upload_ok(client, b"in thread", "t.txt", "text/plain")
    other = await upload_ok(client, b"elsewhere", "o.txt", "text/plain")
    events = await stream(
        client,
        "threads.create",
        {"input": user_input("see", attachments=[image["id"], text["id"]])},
    )
    thread_id = thread_id_of(events)
    second = await stream(client, "threads.create", {"input": user_input("another")})
    everything = sorted([image["id"], text["id"], other["id"]])
    assert stored_files(data_dir) == everything

    # Deleting moves the thread to the trash: a restore must find its files again.
    assert await call(client, "threads.delete", {"thread_id": thread_id}) == {}
    assert stored_files(data_dir) == everything
    restored = await client.post(f"/api/trash/{thread_id}/restore", headers=AUTH)
    assert restored.status == 200, await restored.text()
    items = await items_of(client, thread_id)
    preview_url = items[0]["attachments"][0]["preview_url"]
    assert (await client.get(local(preview_url))).status == 200

    # Deleting it for good removes its files, and only those.
    await call(client, "threads.delete", {"thread_id": thread_id})
    gone = await client.delete(f"/api/trash/{thread_id}", headers=AUTH)
    assert gone.status == 200, await gone.text()
    assert stored_files(data_dir) == [other["id"]]
    assert (await client.get(local(preview_url))).status == 404
    # Emptying a trash holding an attachment-free thread (or deleting a missing one) touches
    # no file.
    await call(client, "threads.delete", {"thread_id": thread_id_of(second)})
    await call(client, "threads.delete", {"thread_id": "thr_missing"})
    emptied = await client.delete("/api/trash", headers=AUTH)
    assert (await emptied.json()) == {"deleted": 1}
    assert stored_files(data_dir) == [other["id"]]


async def test_another_users_attachment_cannot_be_read_or_deleted(client, data_dir):
    from chatkit.types import ImageAttachment

    services = await client.app[SERVICES].get()
    bob = RequestContext(user_id="bob")
    files = services.chat.files
    pending = await files.begin_upload()
    await pending.write(png_bytes())
    await files.commit(pending, "atc_b0b0b0b0b0b0b0b0")
    await services.store.save_attachment(
        ImageAttachment(
            id="atc_b0b0b0b0b0b0b0b0",
            name="bob.png",
            mime_type="image/png",
            preview_url=stored_preview_url("atc_b0b0b0b0b0b0b0b0"),  # type: ignore[arg-type]
        ),
        bob,
    )
    signer = client.app[UPLOADS].signer
    query, _ = signer.query("preview", "atc_b0b0b0b0b0b0b0b0", 60)
    await assert_json_error(
        await client.get(f"/attachments/atc_b0b0b0b0b0b0b0b0/preview?{query}"), 404
    )

    await call(client, "attachments.delete", {"attachment_id": "atc_b0b0b0b0b0b0b0b0"})
    assert stored_files(data_dir) == ["atc_b0b0b0b0b0b0b0b0"]
    assert (await services.store.load_attachment("atc_b0b0b0b0b0b0b0b0", bob)).name == "bob.png"

    resp = await client.post(
        "/chatkit/api",
        data=json.dumps(
            {
                "type": "threads.create",
                "params": {"input": user_input("steal", attachments=["atc_b0b0b0b0b0b0b0b0"])},
            }
        ),
        headers={**AUTH, "Content-Type": "application/json"},
    )
    await assert_json_error(resp, 404)


async def test_two_phase_create_is_refused_in_words(client):
    resp = await client.post(
        "/chatkit/api",
        data=json.dumps(
            {
                "type": "attachments.create",
                "params": {"name": "a.txt", "size": 3, "mime_type": "text/plain"},
            }
        ),
        headers={**AUTH, "Content-Type": "application/json"},
    )
    error = await assert_json_error(resp, 501, "upload", "/api/uploads/url")
    assert error["code"] == "not_implemented"
