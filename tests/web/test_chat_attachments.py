"""Attachments in the built-in client (issue #7): `AttachmentTray` (web/chat/attachments.js) uploads
through the same endpoint as the ChatKit widget (a signed address from GET /api/uploads/url, one
multipart POST per file, no token), shows chips with thumbnails, progress and refusals in words,
checks the limits before sending anything, deletes a removed upload on the server, and takes
files dropped or pasted; through the real chat, a file sent with a message reaches the model and
is still there after a reload. Real bytes on disk, the real store, the scripted model server on
127.0.0.1; nothing else is reachable (open_app checks)."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from chatkit.store import NotFoundError

from chatkit_desktop.context import RequestContext
from chatkit_desktop.http.keys import SERVICES
from chatkit_desktop.testing.openai_server import Reply
from tests.support.assertions import eventually, items_of
from tests.web.chat_page import ChatPage, expect, open_chat, reopen
from tests.web.helpers import AppPage, authorization_of
from tests.web.seed_items import png_bytes

pytestmark = pytest.mark.slow

UPLOAD_PATH = "/chatkit/api/upload"
PNG = png_bytes(24, 16, (40, 120, 200))
NOTES = "# Packing list\n\n- passport\n- charger\n"

# A tray of its own in a test container (independent of the chat's), with a button that opens the
# file picker (a real click: browsers open it only on a user's gesture) and a text box it watches
# for dropped and pasted files. `window.__tray`, `window.__trayChanges`.
MOUNT_JS = """
async () => {
  const api = await import('/static/api.js');
  const { AttachmentTray } = await import('/static/chat/attachments.js');
  const box = document.createElement('section');
  box.id = 'tray-test';
  const button = document.createElement('button');
  button.type = 'button';
  button.textContent = 'Pick files';
  const text = document.createElement('textarea');
  text.id = 'tray-target';
  text.setAttribute('aria-label', 'Drop here');
  window.__trayChanges = 0;
  const tray = new AttachmentTray({ api, onChange: () => { window.__trayChanges += 1; } });
  button.addEventListener('click', () => tray.pick());
  tray.watch(text);
  box.append(button, tray.element, text);
  document.body.prepend(box);
  window.__tray = tray;
  await tray.grant.get();
}
"""

# Files made in the page (no bytes cross from the test): [name, type, size, fill] each.
MAKE_FILES_JS = """
(specs) => specs.map(([name, type, size, fill]) =>
  new File([new Uint8Array(size).fill(fill ?? 120)], name, { type }))
"""

ADD_JS = f"""
async (specs) => {{
  const files = ({MAKE_FILES_JS})(specs);
  await window.__tray.addFiles(files);
}}
"""


# Whether an image address still loads (the page's CSP lets images, not fetch, read blob: URLs).
LOADS_JS = """
(src) => new Promise((resolve) => {
  const img = new Image();
  img.onload = () => resolve(true);
  img.onerror = () => resolve(false);
  img.src = src;
})
"""


def stored_files(data_dir: Path) -> list[str]:
    folder = data_dir / "attachments"
    return sorted(os.listdir(folder)) if folder.exists() else []


async def load_attachment(client: Any, attachment_id: str) -> Any:
    services = await client.app[SERVICES].get()
    return await services.store.load_attachment(attachment_id, RequestContext())


async def gone_from_store(client: Any, attachment_id: str) -> bool:
    try:
        await load_attachment(client, attachment_id)
    except NotFoundError:
        return True
    return False


async def mount_tray(app: AppPage) -> Any:
    page = app.page
    await page.wait_for_function("() => document.body.dataset.interface === 'builtin'")
    await page.evaluate(MOUNT_JS)
    return page.locator("#tray-test")


def uploads(app: AppPage) -> list[Any]:
    return [r for r in app.requests_to(UPLOAD_PATH) if r.method == "POST"]


async def tray_attachments(app: AppPage) -> list[dict[str, Any]]:
    return list(await app.page.evaluate("() => window.__tray.attachments()"))


async def test_picked_files_upload_to_the_signed_address_and_can_be_removed_by_keyboard(
    open_app, client, data_dir, tmp_path
):
    app = await open_app("abort")
    page = app.page
    tray = await mount_tray(app)
    photo = tmp_path / "holiday photo.png"
    photo.write_bytes(PNG)
    notes = tmp_path / "notes.md"
    notes.write_text(NOTES, encoding="utf-8")

    async with page.expect_file_chooser() as chooser:
        await tray.get_by_role("button", name="Pick files").click()
    await (await chooser.value).set_files([str(photo), str(notes)])

    chips = tray.locator(".attachment-chip")
    await expect(chips).to_have_count(2)
    await expect(chips.nth(0)).to_have_attribute("data-attachment-state", "done")
    await expect(chips.nth(1)).to_have_attribute("data-attachment-state", "done")
    await expect(chips.nth(0)).to_contain_text("holiday photo.png")
    await expect(chips.nth(0)).to_contain_text("PNG image")
    await expect(chips.nth(1)).to_contain_text("notes.md")
    await expect(chips.nth(1)).to_contain_text("Markdown file")
    await expect(chips.nth(1).locator(".attachment-badge")).to_have_text("MD")
    # The thumbnail is the local file (an object URL), drawn without asking the server.
    thumb = chips.nth(0).locator(".attachment-thumb img")
    src = await thumb.get_attribute("src")
    assert src and src.startswith("blob:"), src
    await page.wait_for_function(
        "(img) => img.complete && img.naturalWidth === 24", arg=await thumb.element_handle()
    )
    assert await page.evaluate("() => window.__tray.busy()") is False
    assert await page.evaluate(LOADS_JS, src) is True

    # What the message will carry: the server's Attachment JSON, in the order picked.
    attachments = await tray_attachments(app)
    assert [(a["name"], a["type"], a["mime_type"]) for a in attachments] == [
        ("holiday photo.png", "image", "image/png"),
        ("notes.md", "file", "text/markdown"),
    ]
    image_id, notes_id = attachments[0]["id"], attachments[1]["id"]
    # Real bytes on disk under the data directory, and the store has both (no thread yet).
    assert stored_files(data_dir) == sorted([image_id, notes_id])
    assert (data_dir / "attachments" / image_id).read_bytes() == PNG
    assert (data_dir / "attachments" / notes_id).read_text(encoding="utf-8") == NOTES
    stored = await load_attachment(client, image_id)
    assert stored.name == "holiday photo.png" and stored.thread_id is None

    # The widget's flow: a signed address, one POST per file, and no token on it.
    posts = uploads(app)
    assert len(posts) == 2
    for post in posts:
        query = parse_qs(urlsplit(post.url).query)
        assert set(query) == {"exp", "sig"}, post.url
        assert await authorization_of(post) is None
        assert "multipart/form-data" in (await post.all_headers())["content-type"]
    assert len(app.requests_to("/api/uploads/url")) >= 1

    # Keyboard: remove the notes, focus moves to the photo's remove button; the server deletes it.
    remove_notes = tray.get_by_role("button", name="Remove notes.md")
    await remove_notes.focus()
    await page.keyboard.press("Enter")
    await expect(chips).to_have_count(1)
    await expect(tray.get_by_role("button", name="Remove holiday photo.png")).to_be_focused()
    await eventually(lambda: gone_from_store(client, notes_id))
    await eventually(lambda: asyncio.sleep(0, stored_files(data_dir) == [image_id]))
    deletes = [
        json.loads(r.post_data or "{}")
        for r in app.requests_to("/chatkit/api")
        if "attachments.delete" in (r.post_data or "")
    ]
    assert deletes == [{"type": "attachments.delete", "params": {"attachment_id": notes_id}}]
    assert [a["id"] for a in await tray_attachments(app)] == [image_id]

    # Removing the photo lets go of its object URL too.
    await page.keyboard.press("Space")
    await expect(chips).to_have_count(0)
    assert await page.evaluate(LOADS_JS, src) is False, "the object URL should be revoked"
    await eventually(lambda: gone_from_store(client, image_id))
    await eventually(lambda: asyncio.sleep(0, stored_files(data_dir) == []))
    assert await page.evaluate("() => window.__trayChanges") >= 4
    assert app.script_errors() == []


async def test_limits_are_checked_before_anything_is_sent_and_refusals_are_in_words(
    open_app, client, data_dir
):
    app = await open_app("abort")
    tray = await mount_tray(app)
    chips = tray.locator(".attachment-chip")

    # Too large, a type the server never takes, an empty file: refused here, nothing sent.
    await app.page.evaluate(
        ADD_JS,
        [
            ["huge.txt", "text/plain", 25 * 1024 * 1024, 120],
            ["setup.exe", "application/x-msdownload", 100, 77],
            ["empty.txt", "text/plain", 0, 0],
        ],
    )
    await expect(chips).to_have_count(3)
    for n in range(3):
        await expect(chips.nth(n)).to_have_attribute("data-attachment-state", "error")
    await expect(chips.nth(0)).to_contain_text("Too large: 25 MB; the limit is 20 MB per file.")
    await expect(chips.nth(1)).to_contain_text(
        "This type of file cannot be attached (application/x-msdownload)."
    )
    await expect(chips.nth(1)).to_contain_text("PNG, JPEG, GIF or WebP images, PDF documents")
    await expect(chips.nth(2)).to_contain_text("The file is empty.")
    assert uploads(app) == []
    assert stored_files(data_dir) == []
    assert await tray_attachments(app) == []

    # Refused files come off with their remove button, without asking the server.
    for name in ("huge.txt", "setup.exe", "empty.txt"):
        await tray.get_by_role("button", name=f"Remove {name}").click()
    await expect(chips).to_have_count(0)

    # A file that claims to be a PNG but is not: the server refuses it, in its own words.
    svg = '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    await app.page.evaluate(
        "async (svg) => { await window.__tray.addFiles("
        "[new File([svg], 'fake.png', { type: 'image/png' })]); }",
        svg,
    )
    await expect(chips).to_have_count(1)
    await expect(chips.first).to_have_attribute("data-attachment-state", "error")
    await expect(chips.first).to_contain_text("The server does not take this file:")
    await expect(chips.first).to_contain_text("'fake.png' was sent as image/png")
    assert len(uploads(app)) == 1
    assert stored_files(data_dir) == []
    await tray.get_by_role("button", name="Remove fake.png").click()

    # At most five per message: the sixth is not added, and the message says which.
    await app.page.evaluate(ADD_JS, [[f"f{n}.txt", "text/plain", 10, 97 + n] for n in range(6)])
    await expect(chips).to_have_count(5)
    await expect(tray.locator("[data-chat=attachment-message]")).to_have_text(
        "At most 5 files can go with one message: \u201cf5.txt\u201d was not added."
    )
    await expect(tray.locator(".attachment-chip[data-attachment-state=done]")).to_have_count(5)
    assert len(uploads(app)) == 6
    assert len(stored_files(data_dir)) == 5

    # clear() (the message went out with them) empties the tray and deletes nothing.
    await app.page.evaluate("() => window.__tray.clear()")
    await expect(chips).to_have_count(0)
    await expect(tray.locator("[data-chat=attachment-message]")).to_be_hidden()
    assert len(stored_files(data_dir)) == 5
    assert not [r for r in app.requests_to("/chatkit/api") if "attachments" in (r.post_data or "")]
    assert app.script_errors() == []


async def test_busy_while_uploading_and_files_dropped_or_pasted_are_taken(
    open_app, client, data_dir
):
    app = await open_app("abort")
    page = app.page
    tray = await mount_tray(app)
    chips = tray.locator(".attachment-chip")
    # Uploads wait here until the test lets them through.
    gate = {"held": asyncio.Event(), "release": asyncio.Event()}

    async def hold(route: Any) -> None:
        held, release = gate["held"], gate["release"]
        held.set()
        await release.wait()
        with contextlib.suppress(Exception):  # the page may have cancelled it meanwhile
            await route.continue_()

    await page.route("**/chatkit/api/upload?*", hold)

    # Removing a file while it uploads cancels the upload.
    await page.evaluate(
        f"(specs) => {{ window.__tray.addFiles(({MAKE_FILES_JS})(specs)); }}",
        [["cancelled.txt", "text/plain", 9, 70]],
    )
    await asyncio.wait_for(gate["held"].wait(), 5)
    await expect(chips.first).to_have_attribute("data-attachment-state", "uploading")
    await tray.get_by_role("button", name="Cancel cancelled.txt").click()
    await expect(chips).to_have_count(0)
    assert await page.evaluate("() => window.__tray.busy()") is False
    gate["release"].set()
    gate = {"held": asyncio.Event(), "release": asyncio.Event()}
    held, release = gate["held"], gate["release"]

    # A file dragged over the watched box marks it; dropped, it uploads.
    await page.evaluate(
        f"""() => {{
          const [file] = ({MAKE_FILES_JS})([['dropped.csv', '', 12, 65]]);
          const target = document.getElementById('tray-target');
          const dt = new DataTransfer();
          dt.items.add(file);
          const drag = (type) => target.dispatchEvent(
            new DragEvent(type, {{ dataTransfer: dt, bubbles: true, cancelable: true }}));
          drag('dragenter');
          window.__dropMarked = target.dataset.attachDrop === 'active';
          drag('drop');
          window.__dropMarkAfter = target.dataset.attachDrop ?? null;
        }}"""
    )
    assert await page.evaluate("() => [window.__dropMarked, window.__dropMarkAfter]") == [
        True,
        None,
    ]
    await asyncio.wait_for(held.wait(), 5)
    # Uploading: the chip says so with a progress bar, and the tray is busy.
    await expect(chips).to_have_count(1)
    await expect(chips.first).to_have_attribute("data-attachment-state", "uploading")
    await expect(chips.first).to_contain_text("Uploading…")
    await expect(
        chips.first.get_by_role("progressbar", name="Uploading dropped.csv")
    ).to_be_visible()
    assert await page.evaluate("() => window.__tray.busy()") is True
    assert await tray_attachments(app) == []

    release.set()
    await expect(chips.first).to_have_attribute("data-attachment-state", "done")
    await expect(chips.first).to_contain_text("CSV file")
    assert await page.evaluate("() => window.__tray.busy()") is False
    [dropped] = await tray_attachments(app)
    # No type from the browser: the name's ending decided it, and the server agreed.
    assert dropped["mime_type"] == "text/csv"
    assert (data_dir / "attachments" / dropped["id"]).read_bytes() == b"A" * 12
    assert stored_files(data_dir) == [dropped["id"]]  # nothing of the cancelled one

    # A pasted image (a screenshot from the clipboard) is taken too.
    png_b64 = base64.b64encode(PNG).decode("ascii")
    await page.evaluate(
        """(b64) => {
          const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
          const dt = new DataTransfer();
          dt.items.add(new File([bytes], 'image.png', { type: 'image/png' }));
          document.getElementById('tray-target').dispatchEvent(
            new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
        }""",
        png_b64,
    )
    await expect(chips).to_have_count(2)
    await expect(chips.nth(1)).to_have_attribute("data-attachment-state", "done")
    await expect(chips.nth(1).locator(".attachment-thumb img")).to_have_attribute(
        "src", _starts_with("blob:")
    )

    # While a message is being sent (disabled), nothing can be added or removed.
    await page.evaluate("() => window.__tray.setEnabled(false)")
    await expect(tray.get_by_role("button", name="Remove image.png")).to_be_disabled()
    await page.evaluate(ADD_JS, [["late.txt", "text/plain", 5, 66]])
    await expect(chips).to_have_count(2)
    await expect(tray.locator("[data-chat=attachment-message]")).to_have_text(
        "Files can be added once the answer is finished."
    )
    await page.evaluate("() => window.__tray.setEnabled(true)")
    await expect(tray.get_by_role("button", name="Remove image.png")).to_be_enabled()
    assert len(uploads(app)) == 3  # the cancelled one, the dropped one, the pasted one

    # An upload address the server no longer honours (expired while the computer slept): the
    # tray asks for a new one and sends the file again, once.
    await page.evaluate(
        "() => { const g = window.__tray.grant.value;"
        " g.url = g.url.replace(/sig=[^&]+/, 'sig=stale'); }"
    )
    await page.evaluate(ADD_JS, [["later.txt", "text/plain", 5, 67]])
    await expect(chips.nth(2)).to_have_attribute("data-attachment-state", "done")
    assert len(uploads(app)) == 5
    assert len(stored_files(data_dir)) == 3
    assert app.script_errors() == []


def _starts_with(prefix: str) -> Any:
    import re

    return re.compile("^" + re.escape(prefix))


# ----- through the real chat (web/chat/chat.js) ------------------------------------------------


def _user_input_parts(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The content parts of the user messages the model was sent (Responses API)."""
    parts: list[dict[str, Any]] = []
    for item in body.get("input") or []:
        if isinstance(item, dict) and item.get("role") == "user":
            content = item.get("content")
            if isinstance(content, list):
                parts.extend(p for p in content if isinstance(p, dict))
    return parts


async def attach_files(chat: ChatPage, *paths: Path) -> Any:
    """Picks `paths` with the chat's Attach button; waits until every chip is uploaded."""
    async with chat.page.expect_file_chooser() as chooser:
        await chat.chat("attach").click()
    await (await chooser.value).set_files([str(p) for p in paths])
    chips = chat.page.locator("[data-chat=root] [data-chat=attachments] .attachment-chip")
    await expect(chips).to_have_count(len(paths))
    for n in range(len(paths)):
        await expect(chips.nth(n)).to_have_attribute("data-attachment-state", "done")
    return chips


async def test_an_attachment_sent_with_a_message_reaches_the_model_and_stays_after_a_reload(
    open_app, openai_server, client, data_dir, tmp_path
):
    scripted, _ = openai_server
    scripted.queue(Reply(text="A blue picture and a packing list."))
    photo = tmp_path / "blue.png"
    photo.write_bytes(PNG)
    notes = tmp_path / "packing.txt"
    notes.write_text(NOTES, encoding="utf-8")
    chat = await open_chat(open_app, color_scheme="dark")

    chips = await attach_files(chat, photo, notes)
    await expect(chips.nth(0).locator(".attachment-thumb img")).to_be_visible()
    await chat.app.screenshot("chat-attachments-dark.png", full_page=False)
    await chat.ask("What is in these?")

    # The model got the image's bytes and the text file's content with the question.
    request = scripted.requests[-1]
    parts = _user_input_parts(request.body)
    images = [p for p in parts if p.get("type") == "input_image"]
    assert [p["image_url"] for p in images] == [
        "data:image/png;base64," + base64.b64encode(PNG).decode("ascii")
    ]
    texts = " ".join(str(p.get("text", "")) for p in parts if p.get("type") == "input_text")
    assert "What is in these?" in texts
    assert "'packing.txt'" in texts and "- passport" in texts
    await expect(chat.answer_text()).to_contain_text("A blue picture and a packing list.")

    # The tray is empty again (the files went with the message), and nothing was deleted.
    await expect(chips).to_have_count(0)
    thread_id = await chat.current_thread_id()
    [user, _answer] = await items_of(client, thread_id)
    ids = [a["id"] for a in user["attachments"]]
    assert [a["name"] for a in user["attachments"]] == ["blue.png", "packing.txt"]
    assert stored_files(data_dir) == sorted(ids)
    assert (await load_attachment(client, ids[0])).thread_id == thread_id

    # After a reload the message still shows the picture (served by the app) and the file.
    await reopen(chat)
    await chat.open_thread("What is in these?")
    question = chat.items("user_message").filter(has_text="What is in these?")
    image = question.get_by_role("img", name="blue.png")
    await expect(image).to_be_visible()
    await chat.page.wait_for_function(
        "(img) => img.complete && img.naturalWidth === 24", arg=await image.element_handle()
    )
    await expect(question).to_contain_text("packing.txt")
    assert chat.app.script_errors() == []


async def test_a_disallowed_or_too_large_file_in_the_chat_is_refused_in_words(
    open_app, client, data_dir, tmp_path
):
    chat = await open_chat(open_app, viewport={"width": 380, "height": 700})
    program = tmp_path / "setup.exe"
    program.write_bytes(b"MZ\x90\x00" + b"\x00" * 60)
    huge = tmp_path / "huge.txt"
    with huge.open("wb") as f:  # sparse: 21 MiB without writing them
        f.truncate(21 * 1024 * 1024)

    async with chat.page.expect_file_chooser() as chooser:
        await chat.chat("attach").click()
    await (await chooser.value).set_files([str(program), str(huge)])
    chips = chat.page.locator("[data-chat=root] [data-chat=attachments] .attachment-chip")
    await expect(chips).to_have_count(2)
    await expect(chips.nth(0)).to_contain_text("This type of file cannot be attached")
    await expect(chips.nth(1)).to_contain_text("Too large: 21 MB; the limit is 20 MB per file.")
    await chat.app.screenshot("chat-attachments-refused-narrow.png", full_page=False)
    assert uploads(chat.app) == []
    assert stored_files(data_dir) == []

    # By keyboard they come off one after the other, then the message box has the focus.
    await chat.page.get_by_role("button", name="Remove setup.exe").focus()
    await chat.page.keyboard.press("Enter")
    await expect(chat.page.get_by_role("button", name="Remove huge.txt")).to_be_focused()
    await chat.page.keyboard.press("Enter")
    await expect(chips).to_have_count(0)
    await expect(chat.composer).to_be_focused()
    assert chat.app.script_errors() == []
