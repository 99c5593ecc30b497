"""The history browser draws every ChatKit thread item readably and safely (issue #5).

One thread holding every item type (`seed_items.py`: the real store, a real PNG through the real
upload endpoint) is opened in chromium at the history browser's `#history/t/THREAD_ID`, whose
thread view draws each item with `/static/history/items.js` (where the page has no history
browser, items.js draws what `items.list` returns into the main area instead). The assertions
are about what a person sees: the words, the elements Markdown became, a working Copy button,
inert widget controls, a loaded attachment image, no remote request, no script run, both themes
legible, nothing wider than a 400 px window.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.web.helpers import AppPage, put_settings
from tests.web.seed_items import (
    CODE_TEXT,
    GENERATED_PNG_URL,
    ITEM_TYPES,
    SeededThread,
    seed_every_item_type,
)

pytestmark = pytest.mark.slow
expect = pytest.importorskip("playwright.async_api").expect

# Drawn by the module directly (when the page has no history browser to show the thread in):
# the thread's items, as `items.list` gives them, into the main area.
RENDER_THREAD_JS = """async (threadId) => {
    const api = await import(new URL("/static/api.js", location.href).href);
    const { renderItem } = await import(new URL("/static/history/items.js", location.href).href);
    const page = await api.chatkit("items.list", { thread_id: threadId, order: "asc", limit: 100 });
    const host = document.createElement("section");
    host.id = "items-under-test";
    host.className = "view";
    host.setAttribute("aria-label", "Thread");
    host.append(...page.data.map((item) => renderItem(item, { api, threadId })));
    for (const view of document.querySelectorAll("main > .view")) view.hidden = true;
    document.getElementById("main").append(host);
    return page.data.map((item) => item.type);
}"""
SHELL_ITEMS = "#history-items"


@dataclass
class ShownThread:
    """The page with the seeded thread on it, and where its items are."""

    app: AppPage
    root: str  # CSS selector of the element holding the items
    via: str  # "route" (the history browser's #history/t/ID) or "module" (items.js directly)
    dialogs: list[str] = field(default_factory=list)

    @property
    def page(self) -> Any:
        return self.app.page

    def item(self, item_id: str) -> Any:
        return self.page.locator(f'{self.root} [data-item-id="{item_id}"]')

    def of_type(self, type_: str) -> Any:
        return self.page.locator(f'{self.root} [data-item-type="{type_}"]')


async def show_thread(
    open_app: Any, seeded: SeededThread, via: str = "auto", **kwargs: Any
) -> ShownThread:
    """The app (ChatKit unavailable, so on the built-in client) showing the seeded thread: in the
    history browser's thread view (`#history/t/ID`) when the page has one (`via="auto"` or
    `"route"`), else, or with `via="module"`, drawn by items.js into the main area."""
    app: AppPage = await open_app("abort", **kwargs)
    page = app.page
    dialogs: list[str] = []

    async def on_dialog(dialog: Any) -> None:
        dialogs.append(dialog.message)
        await dialog.dismiss()

    page.on("dialog", on_dialog)
    await expect(page.locator("#interface-notice")).to_be_visible(timeout=8000)
    has_shell = await page.locator(SHELL_ITEMS).count() > 0
    if via == "route" and not has_shell:
        pytest.skip("this page has no history browser thread view (#history/t/ID) yet")
    if has_shell and via != "module":
        await page.evaluate("(id) => { location.hash = `#history/t/${id}`; }", seeded.thread_id)
        shown = ShownThread(app, SHELL_ITEMS, "route", dialogs)
        await expect(page.locator(f"{SHELL_ITEMS} > [data-item-id]")).to_have_count(
            len(seeded.ids), timeout=8000
        )
        types = await page.locator(f"{SHELL_ITEMS} > [data-item-id]").evaluate_all(
            "(nodes) => nodes.map((node) => node.dataset.itemType)"
        )
    else:
        shown = ShownThread(app, "#items-under-test", "module", dialogs)
        types = await page.evaluate(RENDER_THREAD_JS, seeded.thread_id)
    assert types == list(seeded.ids.values())
    return shown


async def assert_nothing_ran(shown: ShownThread) -> None:
    page = shown.page
    assert await page.locator("script:not([src])").count() == 0
    assert await page.locator(f"{shown.root} script").count() == 0
    on_attrs = await page.evaluate(
        """() => [...document.querySelectorAll("*")].flatMap((node) =>
            [...node.attributes].filter((a) => a.name.startsWith("on")).map((a) => a.name))"""
    )
    assert on_attrs == []
    assert shown.dialogs == []
    remote = await page.evaluate(
        """() => [...document.images].map((img) => img.getAttribute("src") ?? "")
            .filter((src) => !src.startsWith("data:") && !src.startsWith(location.origin))"""
    )
    assert remote == []
    assert await page.locator('img[src^="https://"]').count() == 0


async def loaded(shown: ShownThread, image: Any) -> None:
    """Waits until `image` (a locator) has really loaded its picture."""
    await image.scroll_into_view_if_needed()
    await shown.page.wait_for_function(
        "(img) => img.complete && img.naturalWidth > 0", arg=await image.element_handle()
    )


@pytest.mark.parametrize("via", ["route", "module"])
async def test_every_item_type_reads_as_a_person_sees_it(open_app, client, via):
    seeded = await seed_every_item_type(client)
    shown = await show_thread(open_app, seeded, via)
    app, page = shown.app, shown.page

    for type_ in ITEM_TYPES:
        await expect(shown.of_type(type_).first).to_be_attached()
    for item_id, type_ in seeded.ids.items():
        await expect(shown.item(item_id)).to_have_attribute("data-item-type", type_)
        await expect(shown.item(item_id)).to_have_class(re.compile(rf"\bitem item-{type_}\b"))
    assert await page.locator(f"{shown.root} time").count() >= len(seeded.ids)

    # The user's message: quoted text, words and tag, the image (really loaded), the file.
    user = shown.item("msg_user")
    assert (await user.get_attribute("aria-label") or "").startswith("You, ")
    await expect(user.locator("blockquote")).to_contain_text("The old town is called Vieux Lyon.")
    await expect(user.locator(".user-text")).to_have_text(
        "Plan a weekend in Lyon with my notes, please."
    )
    await expect(user.locator(".tag-chip")).to_have_text("Lyon")
    picture = user.get_by_role("img", name="old town.png")
    await loaded(shown, picture)
    src = await picture.get_attribute("src") or ""
    assert src.startswith(f"{app.origin}/attachments/{seeded.image_attachment_id}/preview?"), src
    await expect(user.locator(".file-chip")).to_contain_text("notes.md")
    await expect(user.locator(".file-chip")).to_contain_text("text/markdown")

    # The assistant's Markdown became elements; its raw HTML stayed text.
    answer = shown.item("msg_assistant")
    assert (await answer.get_attribute("aria-label") or "").startswith("Assistant, ")
    await answer.scroll_into_view_if_needed()
    await expect(answer.get_by_role("heading", name="Weekend in Lyon", level=2)).to_be_visible()
    await expect(answer.locator(".md > ul > li")).to_have_count(2)
    await expect(answer.locator(".md > ul > li").first).to_contain_text("Saturday: Vieux Lyon")
    await expect(answer.locator("strong", has_text="Vieux Lyon")).to_be_visible()
    table = answer.get_by_role("table")
    await expect(table.get_by_role("columnheader")).to_have_text(["Day", "Place", "Cost"])
    await expect(table.get_by_role("cell", name="Fourvière")).to_be_visible()
    code = answer.locator(".code-block")
    await expect(code.locator(".code-lang")).to_have_text("python")
    await expect(code.get_by_role("button", name="Copy")).to_be_visible()
    assert (await code.locator("pre").inner_text()).rstrip("\n") == CODE_TEXT
    await expect(answer).to_contain_text("<script>alert(1)</script>")
    await expect(answer).to_contain_text('<img src=x onerror="alert(2)">')
    office = answer.get_by_role("link", name="Tourist office", exact=True)
    await expect(office).to_have_attribute("href", "https://www.lyon-france.com/")
    await expect(office).to_have_attribute("target", "_blank")
    await expect(office).to_have_attribute("rel", "noopener noreferrer")
    await expect(answer).to_contain_text("not a link")
    assert await answer.get_by_role("link", name="not a link").count() == 0
    assert await page.locator('a[href^="javascript:"]').count() == 0
    # The remote image is a link with its alt text, never an <img>.
    remote = answer.get_by_role("link", name="x", exact=True)
    await expect(remote).to_have_attribute("href", "https://example.com/x.png")
    await expect(remote).to_have_attribute("rel", "noopener noreferrer")
    # Annotations: url, file and entity sources.
    sources = answer.get_by_role("region", name="Sources")
    await expect(sources.get_by_role("link", name="Lyon tourist office")).to_have_attribute(
        "href", "https://www.lyon-france.com/"
    )
    await expect(sources).to_contain_text("notes.md")
    await expect(sources).to_contain_text("Fourvière basilica")
    await expect(sources).to_contain_text("Landmark")

    # The widget: readable, every control inert, nothing submits, nothing remote loads.
    card = shown.item("wdg_hotel")
    await card.scroll_into_view_if_needed()
    await expect(card.get_by_role("heading", name="Hotel Le Royal")).to_be_visible()
    for words in (
        "Place Bellecour, three nights",
        "Room 12, view on the square",
        "Room 14, quiet courtyard",
        "4 stars",
        "Free cancellation",
        "An unknown component's words",
    ):
        await expect(card).to_contain_text(words)
    await expect(card.locator("strong", has_text="Breakfast")).to_be_visible()
    await expect(card.locator(".w-list > li")).to_have_count(2)
    await expect(card.get_by_role("link", name="The hotel front")).to_have_attribute(
        "href", "https://example.com/royal.jpg"
    )
    await expect(card.get_by_role("link", name="remote")).to_be_visible()
    await expect(card.get_by_role("table")).to_contain_text("Fri")
    await expect(card.get_by_role("table")).to_contain_text("160")
    for name in ("Book now", "Confirm booking"):
        await expect(card.get_by_role("button", name=name)).to_be_disabled()
    controls = card.locator("button, input, select, textarea")
    assert await controls.count() >= 6
    for index in range(await controls.count()):
        await expect(controls.nth(index)).to_be_disabled()
    await expect(card.get_by_role("checkbox", name="Add breakfast")).to_be_checked()
    assert await card.locator("form").count() == 0

    # Workflows: a summary, the tasks behind a disclosure.
    plan = shown.item("wf_plan")
    summary = plan.locator("summary").first
    await expect(summary).to_have_text("Planned the trip (5 steps)")
    await expect(plan.get_by_text("Checked the calendar")).to_be_hidden()
    await summary.click()
    for words in (
        "Checked the calendar",
        "Searched the web for “Lyon hotels”",
        "Thought",
        "Read your notes",
        "Drew a map",
    ):
        await expect(plan.get_by_text(words, exact=True)).to_be_visible()
    await plan.get_by_text("Searched the web for “Lyon hotels”").click()
    await expect(plan.locator(".query-chip")).to_have_text(
        ["hotels Lyon Bellecour", "Lyon weekend ideas"]
    )
    await expect(plan.get_by_role("link", name="Hotel guide")).to_have_attribute(
        "href", "https://example.org/hotels"
    )
    await plan.get_by_text("Read your notes").click()
    await expect(plan.locator(".task-file")).to_contain_text("notes.md")
    await expect(shown.item("wf_think").locator("summary").first).to_have_text(
        "Worked for 1 min 5 s (1 step)"
    )

    task = shown.item("tsk_saved")
    await expect(task.get_by_text("Saved the plan")).to_be_visible()
    await expect(task.get_by_text("In your notes.")).to_be_visible()

    tool = shown.item("tc_weather")
    assert (await tool.get_attribute("aria-label") or "").startswith("Tool call get_weather, ")
    await expect(tool.locator(".tool-name")).to_have_text("get_weather")
    await expect(tool.locator(".tool-status")).to_have_text("completed")
    await tool.get_by_text("Arguments", exact=True).click()
    await expect(tool.locator(".tool-arguments pre")).to_contain_text('"city": "Lyon"')
    await tool.get_by_text("Output", exact=True).click()
    await expect(tool.locator(".tool-output pre")).to_contain_text('"forecast": "sunny"')

    await loaded(shown, shown.item("img_map").get_by_role("img", name="Generated image"))

    questions = shown.item("si_prefs")
    await expect(questions).to_contain_text("Which day suits you best?")
    await expect(questions.locator(".option.chosen")).to_have_text("✓ Sunday (chosen)")
    await expect(questions).to_contain_text("Any dietary needs?")
    await expect(questions).to_contain_text("For the restaurant booking.")
    await expect(questions).to_contain_text("Answer: Vegetarian")
    await expect(questions).to_contain_text("Answered")

    end = shown.item("eot_1").get_by_role("separator", name="End of turn")
    await expect(end).to_be_attached()

    await assert_nothing_ran(shown)
    assert app.script_errors() == []
    await app.screenshot(f"history-items-{shown.via}.png")


async def test_copy_button_copies_the_code_and_says_so(open_app, client):
    seeded = await seed_every_item_type(client)
    shown = await show_thread(open_app, seeded)
    app, page = shown.app, shown.page
    await app.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=app.origin)
    block = shown.item("msg_assistant").locator(".code-block")
    status = block.get_by_role("status")

    await block.get_by_role("button", name="Copy").click()
    await expect(status).to_have_text("Copied")
    assert await page.evaluate("() => navigator.clipboard.readText()") == CODE_TEXT

    # When the clipboard refuses, the block says so in words.
    await page.evaluate(
        """() => Object.defineProperty(navigator.clipboard, "writeText", {
            configurable: true,
            value: () =>
                Promise.reject(new DOMException("Write permission denied.", "NotAllowedError")),
        })"""
    )
    await block.get_by_role("button", name="Copy").click()
    await expect(status).to_have_text(
        "Could not copy (the clipboard was not allowed). Select the code and copy it by hand."
    )
    assert app.script_errors() == []


CONTRAST_JS = """([root, selectors]) => {
    const rgb = (text) => (text.match(/[\\d.]+/g) ?? []).map(Number);
    const background = (node) => {
        for (let n = node; n; n = n.parentElement) {
            const [r, g, b, a = 1] = rgb(getComputedStyle(n).backgroundColor);
            if (a > 0.5) return [r, g, b];
        }
        return rgb(getComputedStyle(document.body).backgroundColor);
    };
    const lum = ([r, g, b]) => {
        const f = (c) => {
            c /= 255;
            return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
        };
        return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    return Object.fromEntries(selectors.map((selector) => {
        const node = document.querySelector(`${root} ${selector}`);
        if (!node) return [selector, null];
        const fg = rgb(getComputedStyle(node).color).slice(0, 3);
        const bg = background(node);
        const [hi, lo] = [lum(fg), lum(bg)].sort((a, b) => b - a);
        return [selector, { fg: fg.join(","), bg: bg.join(","), ratio: (hi + 0.05) / (lo + 0.05) }];
    }));
}"""

LEGIBLE = [
    '[data-item-id="msg_user"] .user-text',
    '[data-item-id="msg_user"] .tag-chip',
    '[data-item-id="msg_user"] .item-time',
    '[data-item-id="msg_assistant"] .md p',
    '[data-item-id="msg_assistant"] .md td',
    '[data-item-id="msg_assistant"] .code-block pre',
    '[data-item-id="msg_assistant"] .code-lang',
    '[data-item-id="msg_assistant"] .sources a',
    '[data-item-id="wdg_hotel"] .w-title',
    '[data-item-id="wdg_hotel"] .w-caption',
    '[data-item-id="wdg_hotel"] .w-badge',
    '[data-item-id="wf_plan"] summary',
    '[data-item-id="si_prefs"] .question-text',
]


@pytest.mark.parametrize("how", ["system", "setting"])
async def test_dark_theme_is_legible_and_differs_from_light(open_app, client, how):
    seeded = await seed_every_item_type(client)
    light = await show_thread(open_app, seeded, color_scheme="light")
    light_colors = await light.page.evaluate(CONTRAST_JS, [light.root, LEGIBLE])
    if how == "system":
        dark = await show_thread(open_app, seeded, color_scheme="dark")
    else:  # the theme setting forces dark on a light system
        await put_settings(client, {"theme": "dark"})
        dark = await show_thread(open_app, seeded, color_scheme="light")
        await expect(dark.page.locator("html")).to_have_attribute("data-theme", "dark")
    dark_colors = await dark.page.evaluate(CONTRAST_JS, [dark.root, LEGIBLE])

    for selector in LEGIBLE:
        seen_light, seen_dark = light_colors[selector], dark_colors[selector]
        assert seen_light and seen_dark, selector
        assert seen_light["ratio"] >= 4.5, (selector, seen_light)
        assert seen_dark["ratio"] >= 4.5, (selector, seen_dark)
        assert (seen_light["fg"], seen_light["bg"]) != (seen_dark["fg"], seen_dark["bg"]), selector
    await dark.app.screenshot(f"history-items-dark-{how}.png")
    assert light.app.script_errors() == [] and dark.app.script_errors() == []


async def test_a_400px_window_never_scrolls_sideways(open_app, client):
    seeded = await seed_every_item_type(client)
    shown = await show_thread(open_app, seeded, viewport={"width": 400, "height": 800})
    page = shown.page
    await page.locator(f"{shown.root} details").evaluate_all(
        "(nodes) => nodes.forEach((node) => { node.open = true; })"
    )
    sizes = await page.evaluate(
        """(root) => ({
            page: document.documentElement.scrollWidth,
            window: document.documentElement.clientWidth,
            widest: Math.max(...[...document.querySelectorAll(`${root} .item`)]
                .map((node) => node.getBoundingClientRect().right)),
            overflowing: [...document.querySelectorAll(`${root} .item *`)]
                .filter((node) => node.getBoundingClientRect().right
                    > document.documentElement.clientWidth + 1)
                .filter((node) => !node.closest("pre, .md-table, .w-chart-box"))
                .map((node) => node.className || node.tagName),
        })""",
        shown.root,
    )
    assert sizes["page"] <= sizes["window"], sizes
    assert sizes["widest"] <= sizes["window"], sizes
    assert sizes["overflowing"] == [], sizes
    # The long line scrolls inside its own block instead.
    pre = shown.item("msg_assistant").locator(".code-block pre")
    assert await pre.evaluate("(node) => node.scrollWidth > node.clientWidth")
    await shown.app.screenshot(f"history-items-400px-{shown.via}.png")
    assert shown.app.script_errors() == []


ODD_ITEMS_JS = """async () => {
    const { renderItem } = await import(new URL("/static/history/items.js", location.href).href);
    const odd = [
        { type: "mystery_type", id: "odd_1", thread_id: "t", created_at: "2026-11-27T10:00:00" },
        { type: "hidden_context_item", id: "odd_2", created_at: "2026-11-27T10:00:00",
          content: {} },
        null,
        {},
        "text",
        { type: "__proto__", id: "odd_3" },
        { type: "constructor", id: "odd_4" },
        { type: "assistant_message", id: "odd_5", content: "not a list", created_at: 5 },
        { type: "user_message", id: "odd_6", content: [{ type: "input_text", text: 5 }],
          attachments: [null, {}] },
        { type: "widget", id: "odd_7", widget: null, copy_text: "Words to fall back on" },
        { type: "widget", id: "odd_8",
          widget: { type: "Card", children: [{ type: "Image", src: "javascript:alert(5)" }] } },
        { type: "workflow", id: "odd_9",
          workflow: { tasks: [null, { type: "new_kind", title: "A new step" }] } },
        { type: "generated_image", id: "odd_10",
          image: { id: "g", url: "https://example.com/g.png" } },
        { type: "client_tool_call", id: "odd_11", name: "x", arguments: { big: 10n ** 2n } },
        { type: "user_message", id: "odd_12",
          quoted_text: { toString() { throw new Error("boom"); } } },
    ];
    const host = document.createElement("section");
    host.id = "odd-items";
    document.getElementById("main").append(host);
    return odd.map((entry) => {
        try {
            const node = renderItem(entry, {});
            host.append(node);
            return { ok: node instanceof HTMLElement && node.classList.contains("item"),
                     text: node.textContent };
        } catch (err) {
            return { ok: false, text: String(err) };
        }
    });
}"""


async def test_unknown_or_malformed_items_say_so_and_never_throw(open_app, client):
    seeded = await seed_every_item_type(client)
    shown = await show_thread(open_app, seeded)
    results = await shown.page.evaluate(ODD_ITEMS_JS)
    assert all(r["ok"] for r in results), results
    texts = [r["text"] for r in results]
    assert "Unsupported item type mystery_type" in texts[0]
    assert "Unsupported item type hidden_context_item" in texts[1]
    assert "Unsupported item type (none)" in texts[2]
    assert "Unsupported item type __proto__" in texts[5]
    assert "Unsupported item type constructor" in texts[6]
    assert "Words to fall back on" in texts[9]
    assert "Image (not loaded)" in texts[10]
    assert "A new step" in texts[11]
    assert "Open the generated image" in texts[12]
    assert "Arguments" in texts[13]
    assert "This item could not be shown (boom)." in texts[14]
    odd = shown.page.locator("#odd-items")
    assert await odd.locator("img").count() == 0
    assert await odd.locator('a[href^="javascript:"]').count() == 0
    await assert_nothing_ran(shown)
    assert shown.app.script_errors() == []


SPOILT_PREVIEW_JS = """async (threadId) => {
    const api = await import(new URL("/static/api.js", location.href).href);
    const { renderItem } = await import(new URL("/static/history/items.js", location.href).href);
    const page = await api.chatkit("items.list", { thread_id: threadId, order: "asc", limit: 1 });
    const spoil = (item) => {
        const copy = structuredClone(item);
        for (const a of copy.attachments) {
            if (a.preview_url) a.preview_url = a.preview_url.replace(/sig=[^&]+/, "sig=spoilt");
        }
        return copy;
    };
    const host = document.createElement("section");
    host.id = "spoilt";
    const renewed = renderItem(spoil(page.data[0]), { api, threadId });
    renewed.classList.add("renewed");
    const named = renderItem(spoil(page.data[0]), {});
    named.classList.add("named");
    host.append(renewed, named);
    document.getElementById("main").prepend(host);
    return page.data[0].attachments.map((a) => a.type);
}"""


async def test_an_expired_preview_address_is_renewed_or_named(open_app, client):
    seeded = await seed_every_item_type(client)
    shown = await show_thread(open_app, seeded)
    page = shown.page
    # The user message again, with its signed preview address spoilt (as one an hour old is):
    # with the page's API the item asks the server for a fresh address; without, it names the
    # file where the picture would be.
    assert await page.evaluate(SPOILT_PREVIEW_JS, seeded.thread_id) == ["image", "file"]
    renewed = page.locator("#spoilt .renewed").get_by_role("img", name="old town.png")
    await page.wait_for_function(
        "(img) => img.complete && img.naturalWidth > 0 && !img.src.includes('sig=spoilt')",
        arg=await renewed.element_handle(),
    )
    named = page.locator("#spoilt .named")
    placeholder = named.get_by_role("img", name="old town.png: image preview unavailable")
    await expect(placeholder).to_contain_text("Preview unavailable")
    await expect(placeholder).to_contain_text("old town.png")
    assert shown.app.script_errors() == []


LOCAL_IMAGES_JS = """async (pngDataUrl) => {
    const { renderItem } = await import(new URL("/static/history/items.js", location.href).href);
    const port = Number(location.port) + 1;
    const text = [
        "![the app icon](/static/icon.svg)",
        `![a dot](${pngDataUrl})`,
        `![another port](http://127.0.0.1:${port}/x.png)`,
        "![a remote one](https://example.com/y.png)",
    ].join("\\n\\n");
    const node = renderItem({
        type: "assistant_message", id: "msg_images", created_at: "2026-11-27T10:00:00",
        content: [{ type: "output_text", text, annotations: [] }],
    });
    node.id = "local-images";
    document.getElementById("main").prepend(node);
    return port;
}"""


async def test_markdown_keeps_only_this_apps_and_data_images(open_app, client):
    seeded = await seed_every_item_type(client)
    shown = await show_thread(open_app, seeded)
    page = shown.page
    port = await page.evaluate(LOCAL_IMAGES_JS, GENERATED_PNG_URL)
    message = page.locator("#local-images")
    icon = message.get_by_role("img", name="the app icon")
    await expect(icon).to_have_attribute("src", f"{shown.app.origin}/static/icon.svg")
    await loaded(shown, icon)
    await loaded(shown, message.get_by_role("img", name="a dot"))
    # Another port of this machine is another origin: a link, like a remote host.
    await expect(message.get_by_role("link", name="another port")).to_have_attribute(
        "href", f"http://127.0.0.1:{port}/x.png"
    )
    await expect(message.get_by_role("link", name="a remote one")).to_have_attribute(
        "href", "https://example.com/y.png"
    )
    await expect(message.get_by_role("img")).to_have_count(2)
    await assert_nothing_ran(shown)
    assert shown.app.script_errors() == []
