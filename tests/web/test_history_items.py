"""The history browser draws every ChatKit thread item readably and safely (issue #5).

One thread holding every item type (`seed_items.py`: the real store, a real PNG through the real
upload endpoint) is read back through `items.list` in chromium and drawn by
`/static/history/items.js`, into the page's main area. The assertions are about what a person
sees: the words, the elements Markdown became, a working Copy button, inert widget controls, a
loaded attachment image, no remote request, no script run, both themes legible, nothing wider
than a 400 px window.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.helpers import AppPage, put_settings
from tests.web.seed_items import CODE_TEXT, ITEM_TYPES, SeededThread, seed_every_item_type

pytestmark = pytest.mark.slow
expect = pytest.importorskip("playwright.async_api").expect

ITEMS = "#items-under-test"

# Draws the thread's items (as `items.list` gives them) into the main area, as the history
# browser's thread view does; returns their types in order.
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


async def open_thread(open_app: Any, seeded: SeededThread, **kwargs: Any) -> AppPage:
    """The app (ChatKit unavailable, so on its offline screen) with the thread drawn."""
    app: AppPage = await open_app("abort", **kwargs)
    dialogs: list[str] = []
    app.dialogs = dialogs  # type: ignore[attr-defined]

    async def on_dialog(dialog: Any) -> None:
        dialogs.append(dialog.message)
        await dialog.dismiss()

    app.page.on("dialog", on_dialog)
    await expect(app.page.locator("#offline-reason")).to_be_visible(timeout=8000)
    types = await app.page.evaluate(RENDER_THREAD_JS, seeded.thread_id)
    assert types == list(seeded.ids.values())
    return app


def item(app: AppPage, type_: str) -> Any:
    return app.page.locator(f'{ITEMS} [data-item-type="{type_}"]')


def by_id(app: AppPage, item_id: str) -> Any:
    return app.page.locator(f'{ITEMS} [data-item-id="{item_id}"]')


async def assert_nothing_ran(app: AppPage) -> None:
    page = app.page
    assert await page.locator("script:not([src])").count() == 0
    assert await page.locator(f"{ITEMS} script").count() == 0
    on_attrs = await page.evaluate(
        """() => [...document.querySelectorAll("*")].flatMap((node) =>
            [...node.attributes].filter((a) => a.name.startsWith("on")).map((a) => a.name))"""
    )
    assert on_attrs == []
    assert app.dialogs == []  # type: ignore[attr-defined]
    remote = await page.evaluate(
        """() => [...document.images].map((img) => img.getAttribute("src") ?? "")
            .filter((src) => !src.startsWith("data:") && !src.startsWith(location.origin))"""
    )
    assert remote == []
    assert await page.locator('img[src^="https://"]').count() == 0


async def test_every_item_type_reads_as_a_person_sees_it(open_app, client):
    seeded = await seed_every_item_type(client)
    app = await open_thread(open_app, seeded)
    page = app.page
    thread = page.locator(ITEMS)

    for type_ in ITEM_TYPES:
        await expect(item(app, type_).first).to_be_visible()
    for item_id, type_ in seeded.ids.items():
        await expect(by_id(app, item_id)).to_have_attribute("data-item-type", type_)
        await expect(by_id(app, item_id)).to_have_class(f"item item-{type_}")
    assert await thread.locator("time").count() >= len(seeded.ids)

    # The user's message: quoted text, words and tag, the image (really loaded), the file.
    user = by_id(app, "msg_user")
    assert (await user.get_attribute("aria-label") or "").startswith("You, ")
    await expect(user.locator("blockquote")).to_contain_text("The old town is called Vieux Lyon.")
    await expect(user.locator(".user-text")).to_have_text(
        "Plan a weekend in Lyon with my notes, please."
    )
    await expect(user.locator(".tag-chip")).to_have_text("Lyon")
    picture = user.get_by_role("img", name="old town.png")
    await picture.scroll_into_view_if_needed()
    await page.wait_for_function(
        "(img) => img.complete && img.naturalWidth > 0", arg=await picture.element_handle()
    )
    src = await picture.get_attribute("src") or ""
    assert src.startswith(f"{app.origin}/attachments/{seeded.image_attachment_id}/preview?"), src
    await expect(user.locator(".file-chip")).to_contain_text("notes.md")
    await expect(user.locator(".file-chip")).to_contain_text("text/markdown")

    # The assistant's Markdown became elements; its raw HTML stayed text.
    answer = by_id(app, "msg_assistant")
    assert (await answer.get_attribute("aria-label") or "").startswith("Assistant, ")
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
    card = by_id(app, "wdg_hotel")
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
    plan = by_id(app, "wf_plan")
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
    await expect(by_id(app, "wf_think").locator("summary").first).to_have_text(
        "Worked for 1 min 5 s (1 step)"
    )

    task = by_id(app, "tsk_saved")
    await expect(task.get_by_text("Saved the plan")).to_be_visible()
    await expect(task.get_by_text("In your notes.")).to_be_visible()

    tool = by_id(app, "tc_weather")
    await expect(tool.locator(".tool-name")).to_have_text("get_weather")
    await expect(tool.locator(".tool-status")).to_have_text("completed")
    await tool.get_by_text("Arguments", exact=True).click()
    await expect(tool.locator(".tool-arguments pre")).to_contain_text('"city": "Lyon"')
    await tool.get_by_text("Output", exact=True).click()
    await expect(tool.locator(".tool-output pre")).to_contain_text('"forecast": "sunny"')

    generated = by_id(app, "img_map").get_by_role("img", name="Generated image")
    await generated.scroll_into_view_if_needed()
    await page.wait_for_function(
        "(img) => img.complete && img.naturalWidth > 0", arg=await generated.element_handle()
    )

    questions = by_id(app, "si_prefs")
    await expect(questions).to_contain_text("Which day suits you best?")
    await expect(questions.locator(".option.chosen")).to_have_text("✓ Sunday (chosen)")
    await expect(questions).to_contain_text("Any dietary needs?")
    await expect(questions).to_contain_text("For the restaurant booking.")
    await expect(questions).to_contain_text("Answer: Vegetarian")
    await expect(questions).to_contain_text("Answered")

    await expect(by_id(app, "eot_1").get_by_role("separator", name="End of turn")).to_be_attached()

    await assert_nothing_ran(app)
    assert app.script_errors() == []
    await app.screenshot("history-items.png")


async def test_copy_button_copies_the_code_and_says_so(open_app, client):
    seeded = await seed_every_item_type(client)
    app = await open_thread(open_app, seeded)
    page = app.page
    await app.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=app.origin)
    block = by_id(app, "msg_assistant").locator(".code-block")
    status = block.get_by_role("status")

    await block.get_by_role("button", name="Copy").click()
    await expect(status).to_have_text("Copied")
    assert await page.evaluate("() => navigator.clipboard.readText()") == CODE_TEXT

    # When the clipboard refuses, the block says so in words.
    await page.evaluate(
        """() => Object.defineProperty(navigator.clipboard, "writeText", {
            configurable: true,
            value: () => Promise.reject(new DOMException("Write permission denied.", "NotAllowedError")),
        })"""
    )
    await block.get_by_role("button", name="Copy").click()
    await expect(status).to_have_text(
        "Could not copy (the clipboard was not allowed). Select the code and copy it by hand."
    )
    assert app.script_errors() == []


CONTRAST_JS = """(selectors) => {
    const rgb = (text) => (text.match(/[\\d.]+/g) ?? []).map(Number);
    const background = (node) => {
        for (let n = node; n; n = n.parentElement) {
            const [r, g, b, a = 1] = rgb(getComputedStyle(n).backgroundColor);
            if (a > 0.5) return [r, g, b];
        }
        return rgb(getComputedStyle(document.body).backgroundColor);
    };
    const lum = ([r, g, b]) => {
        const f = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
        return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    return Object.fromEntries(selectors.map((selector) => {
        const node = document.querySelector(selector);
        if (!node) return [selector, null];
        const fg = rgb(getComputedStyle(node).color).slice(0, 3);
        const bg = background(node);
        const [hi, lo] = [lum(fg), lum(bg)].sort((a, b) => b - a);
        return [selector, { fg: fg.join(","), bg: bg.join(","), ratio: (hi + 0.05) / (lo + 0.05) }];
    }));
}"""

LEGIBLE = [
    f'{ITEMS} [data-item-id="msg_user"] .user-text',
    f'{ITEMS} [data-item-id="msg_user"] .tag-chip',
    f'{ITEMS} [data-item-id="msg_user"] .item-time',
    f'{ITEMS} [data-item-id="msg_assistant"] .md p',
    f'{ITEMS} [data-item-id="msg_assistant"] .md td',
    f'{ITEMS} [data-item-id="msg_assistant"] .code-block pre',
    f'{ITEMS} [data-item-id="msg_assistant"] .code-lang',
    f'{ITEMS} [data-item-id="msg_assistant"] .sources a',
    f'{ITEMS} [data-item-id="wdg_hotel"] .w-title',
    f'{ITEMS} [data-item-id="wdg_hotel"] .w-caption',
    f'{ITEMS} [data-item-id="wdg_hotel"] .w-badge',
    f'{ITEMS} [data-item-id="wf_plan"] summary',
    f'{ITEMS} [data-item-id="si_prefs"] .question-text',
]


@pytest.mark.parametrize("how", ["system", "setting"])
async def test_dark_theme_is_legible_and_differs_from_light(open_app, client, how):
    seeded = await seed_every_item_type(client)
    light = await open_thread(open_app, seeded, color_scheme="light")
    light_colors = await light.page.evaluate(CONTRAST_JS, LEGIBLE)
    if how == "system":
        dark = await open_thread(open_app, seeded, color_scheme="dark")
    else:  # the theme setting forces dark on a light system
        await put_settings(client, {"theme": "dark"})
        dark = await open_thread(open_app, seeded, color_scheme="light")
        await expect(dark.page.locator("html")).to_have_attribute("data-theme", "dark")
    dark_colors = await dark.page.evaluate(CONTRAST_JS, LEGIBLE)

    for selector in LEGIBLE:
        seen_light, seen_dark = light_colors[selector], dark_colors[selector]
        assert seen_light and seen_dark, selector
        assert seen_light["ratio"] >= 4.5, (selector, seen_light)
        assert seen_dark["ratio"] >= 4.5, (selector, seen_dark)
        assert (seen_light["fg"], seen_light["bg"]) != (seen_dark["fg"], seen_dark["bg"]), selector
    await dark.screenshot(f"history-items-dark-{how}.png")
    assert light.script_errors() == [] and dark.script_errors() == []


async def test_a_400px_window_never_scrolls_sideways(open_app, client):
    seeded = await seed_every_item_type(client)
    app = await open_thread(open_app, seeded, viewport={"width": 400, "height": 800})
    page = app.page
    for details in await page.locator(f"{ITEMS} details").all():
        await details.evaluate("(node) => { node.open = true; }")
    sizes = await page.evaluate(
        """() => ({
            page: document.documentElement.scrollWidth,
            window: document.documentElement.clientWidth,
            widest: Math.max(...[...document.querySelectorAll("#items-under-test .item")]
                .map((node) => node.getBoundingClientRect().right)),
        })"""
    )
    assert sizes["page"] <= sizes["window"], sizes
    assert sizes["widest"] <= sizes["window"], sizes
    # The long line scrolls inside its own block instead.
    pre = by_id(app, "msg_assistant").locator(".code-block pre")
    assert await pre.evaluate("(node) => node.scrollWidth > node.clientWidth")
    await app.screenshot("history-items-400px.png")
    assert app.script_errors() == []


async def test_unknown_or_malformed_items_say_so_and_never_throw(open_app, client):
    seeded = await seed_every_item_type(client)
    app = await open_thread(open_app, seeded)
    results = await app.page.evaluate(
        """async () => {
            const { renderItem } = await import(new URL("/static/history/items.js", location.href).href);
            const odd = [
                { type: "mystery_type", id: "odd_1", thread_id: "t", created_at: "2026-11-27T10:00:00" },
                { type: "hidden_context_item", id: "odd_2", created_at: "2026-11-27T10:00:00", content: {} },
                null,
                {},
                "text",
                { type: "__proto__", id: "odd_3" },
                { type: "constructor", id: "odd_4" },
                { type: "assistant_message", id: "odd_5", content: "not a list", created_at: 5 },
                { type: "user_message", id: "odd_6", content: [{ type: "input_text", text: 5 }], attachments: [null, {}] },
                { type: "widget", id: "odd_7", widget: null, copy_text: "Words to fall back on" },
                { type: "widget", id: "odd_8", widget: { type: "Card", children: [{ type: "Image", src: "javascript:alert(5)" }] } },
                { type: "workflow", id: "odd_9", workflow: { tasks: [null, { type: "new_kind", title: "A new step" }] } },
                { type: "generated_image", id: "odd_10", image: { id: "g", url: "https://example.com/g.png" } },
                { type: "client_tool_call", id: "odd_11", name: "x", arguments: { big: 10n ** 2n } },
                { type: "user_message", id: "odd_12", quoted_text: { toString() { throw new Error("boom"); } } },
            ];
            const host = document.createElement("section");
            host.id = "odd-items";
            document.getElementById("main").append(host);
            return odd.map((entry) => {
                try {
                    const node = renderItem(entry, {});
                    host.append(node);
                    return { ok: node instanceof HTMLElement && node.classList.contains("item"), text: node.textContent };
                } catch (err) {
                    return { ok: false, text: String(err) };
                }
            });
        }"""
    )
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
    odd = app.page.locator("#odd-items")
    assert await odd.locator("img").count() == 0
    assert await odd.locator('a[href^="javascript:"]').count() == 0
    await assert_nothing_ran(app)
    assert app.script_errors() == []


async def test_an_expired_preview_address_is_renewed_or_named(open_app, client):
    seeded = await seed_every_item_type(client)
    app = await open_thread(open_app, seeded)
    # The user message again, with its signed preview address spoilt (as one an hour old is):
    # with the page's API the item asks the server for a fresh address; without, it names the
    # file where the picture would be.
    state = await app.page.evaluate(
        """async (threadId) => {
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
        }""",
        seeded.thread_id,
    )
    assert state == ["image", "file"]
    renewed = app.page.locator("#spoilt .renewed").get_by_role("img", name="old town.png")
    await app.page.wait_for_function(
        "(img) => img.complete && img.naturalWidth > 0 && !img.src.includes('sig=spoilt')",
        arg=await renewed.element_handle(),
    )
    named = app.page.locator("#spoilt .named")
    await expect(
        named.get_by_role("img", name="old town.png: image preview unavailable")
    ).to_contain_text("Preview unavailable")
    await expect(named.locator(".attachment-missing")).to_contain_text("old town.png")
    assert app.script_errors() == []
