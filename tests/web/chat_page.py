"""The built-in chat client (web/chat/chat.js) as a user meets it, for the browser tests: the
app opened with OpenAI's CDN unreachable (it switches to the built-in client by itself), and the
parts of the chat by their `data-chat` names (the shared DOM contract)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest

from tests.web.helpers import AppPage

expect = pytest.importorskip("playwright.async_api").expect

# Records, from the moment it is installed, what the streamed answer looked like: the length of
# the text being streamed after each change, whether its text element was ever rebuilt, what the
# status said, and every progress line shown. Read back with `window.__chatWatch`.
WATCH_JS = """
() => {
  const watch = { lengths: [], statuses: [], progress: [], rebuilt: 0, boxes: new Set(), stop: [] };
  window.__chatWatch = watch;
  const root = document.querySelector('[data-chat=root]');
  const status = root.querySelector('[data-chat=status]');
  const stop = root.querySelector('[data-chat=stop]');
  // Each record is read for what it added (the text then), so nothing shown only briefly
  // (a progress line, a status) is missed when several changes come in one batch.
  new MutationObserver((records) => {
    for (const r of records) {
      const box = (r.target.nodeType === 3 ? r.target.parentElement : r.target)
        ?.closest?.('.chat-live [data-chat=text]');
      if (box) {
        watch.boxes.add(box);
        if (r.type === 'childList' && r.target === box && watch.lengths.length > 0) watch.rebuilt++;
        watch.lengths.push(box.textContent.length);
        watch.stop.push(!stop.hidden);
      }
      if (r.target === status) {
        for (const node of r.addedNodes) {
          if (watch.statuses[watch.statuses.length - 1] !== node.textContent) {
            watch.statuses.push(node.textContent);
          }
        }
      }
      for (const node of r.addedNodes) {
        const progress = node.nodeType === 1 && node.matches('[data-chat=progress]') ? node
          : r.target.nodeType === 1 && r.target.matches('[data-chat=progress]') ? r.target : null;
        if (progress && progress.textContent) watch.progress.push(progress.textContent);
      }
    }
  }).observe(root, { subtree: true, childList: true, characterData: true });
}
"""


@dataclass
class ChatPage:
    app: AppPage

    @property
    def page(self) -> Any:
        return self.app.page

    def chat(self, name: str) -> Any:
        return self.page.locator(f"[data-chat=root] [data-chat={name}]")

    @property
    def composer(self) -> Any:
        return self.chat("composer")

    @property
    def status(self) -> Any:
        return self.chat("status")

    @property
    def error(self) -> Any:
        return self.chat("error")

    def items(self, item_type: str | None = None) -> Any:
        """The open thread's items (finished or streaming, not the one being sent)."""
        kind = f"[data-item-type={item_type}]" if item_type else "[data-item-type]"
        return self.page.locator(f"[data-chat=messages] > {kind}:not([data-item-id=''])")

    def user_texts(self) -> Any:
        """The words of the user's messages in the open thread."""
        return self.items("user_message").locator(".user-text")

    def answers(self) -> Any:
        return self.items("assistant_message")

    def last_answer(self) -> Any:
        return self.answers().last

    def answer_text(self, answer: Any | None = None) -> Any:
        return (answer or self.last_answer()).locator("[data-chat=text]")

    def thread_rows(self) -> Any:
        return self.page.locator("[data-chat=threads] > li[data-thread-id]")

    def thread_row(self, title: str) -> Any:
        """The row of the thread titled exactly `title`."""
        exact = re.compile(f"^{re.escape(title)}$")
        return self.thread_rows().filter(
            has=self.page.locator(".chat-thread-title", has_text=exact)
        )

    def current_thread(self) -> Any:
        return self.page.locator("[data-chat=threads] > li[aria-current=true]")

    async def current_thread_id(self) -> str:
        await expect(self.current_thread()).to_have_count(1)
        return str(await self.current_thread().get_attribute("data-thread-id"))

    async def send(self, text: str) -> None:
        await self.composer.fill(text)
        await self.composer.press("Enter")

    async def idle(self, timeout: float = 8000) -> None:
        """Waits until no answer is streaming."""
        await expect(self.page.locator("[data-chat=root]")).not_to_have_attribute(
            "data-busy", "true", timeout=timeout
        )
        await expect(self.chat("stop")).to_be_hidden()

    async def ask(self, text: str) -> None:
        """Sends `text` and waits for the whole answer."""
        await self.send(text)
        await expect(self.items("user_message").filter(has_text=text).last).to_be_visible()
        await self.idle()

    async def open_thread(self, title: str) -> None:
        await self.thread_row(title).locator("button").click()
        await expect(self.thread_row(title)).to_have_attribute("aria-current", "true")
        await expect(self.page.locator("[data-chat=messages]")).not_to_have_attribute(
            "aria-busy", "true"
        )

    async def watch(self) -> None:
        await self.page.evaluate(WATCH_JS)

    async def watched(self) -> dict[str, Any]:
        return dict(
            await self.page.evaluate(
                "() => { const w = window.__chatWatch; return {lengths: w.lengths,"
                " statuses: w.statuses, progress: w.progress, rebuilt: w.rebuilt,"
                " boxes: w.boxes.size, stop: w.stop}; }"
            )
        )


async def open_chat(open_app: Any, **kwargs: Any) -> ChatPage:
    """The app with the ChatKit script unreachable: the built-in client, ready to type."""
    app: AppPage = await open_app("abort", **kwargs)
    chat = ChatPage(app)
    await expect(app.page.locator("[data-chat=root]")).to_be_visible(timeout=8000)
    await expect(app.page.locator("body")).to_have_attribute("data-interface", "builtin")
    await expect(chat.composer).to_be_editable()
    return chat


async def reopen(chat: ChatPage) -> None:
    """A reload of the window (the token comes again in the address, as the desktop app does)."""
    await chat.app.open()
    await expect(chat.page.locator("[data-chat=root]")).to_be_visible(timeout=8000)
    await expect(chat.composer).to_be_editable()
