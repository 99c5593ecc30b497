"""A thread as Markdown for people: title, the conversation in order, quotes, attachments,
sources and tool calls readable; hidden context left out."""

from __future__ import annotations

import json
import re

from chatkit.types import (
    GeneratedImage,
    GeneratedImageItem,
    HiddenContextItem,
    Page,
    Thread,
    ThreadItem,
)

from chatkit_desktop.store.sqlite_store import SQLiteStore
from chatkit_desktop.store.thread_markdown import thread_markdown
from tests.store.helpers import (
    ALICE,
    T0,
    assistant_message,
    at,
    cited_answer,
    every_item_kind,
    file_attachment,
    hidden_context,
    image_attachment,
    rich_user_message,
    thread,
    user_message,
    widget_card,
)


def conversation(title: str | None = "Trip to Lyon") -> Thread:
    items: list[ThreadItem] = [
        *every_item_kind("thr_md"),  # its hidden context says "cancelled"
        rich_user_message(
            "thr_md",
            "msg_files",
            "Here are my notes and a photo.",
            quoted_text="Bouchons serve\nquenelles",
            attachments=[file_attachment("atc_1", "thr_md"), image_attachment("atc_2", "thr_md")],
            created_at=at(10),
        ),
        cited_answer(
            "thr_md",
            "msg_cited",
            "Lyon is known for its bouchons.",
            [
                ("Lyon guide", "https://example.org/lyon"),
                ("Food atlas", "https://example.org/food"),
            ],
            at(11),
        ),
        widget_card(
            "thr_md",
            "wdg_1",
            title="Restaurants",
            body="Le Bouchon des Filles",
            rows=("Quenelles",),
            created_at=at(12),
        ),
        GeneratedImageItem(
            id="img_1",
            thread_id="thr_md",
            created_at=at(13),
            image=GeneratedImage(id="gen_1", url="https://example.org/generated.png"),
        ),
        hidden_context("thr_md", "shcx_2", "PRIVATE-SDK-NOTE", at(14)),
        HiddenContextItem(
            id="hc_1", thread_id="thr_md", created_at=at(15), content={"note": "PRIVATE-APP-NOTE"}
        ),
        user_message("thr_md", "msg_last", "Thanks, that is all.", at(16)),
    ]
    return Thread(id="thr_md", created_at=T0, title=title, items=Page(data=items, has_more=False))


def headings(markdown: str) -> list[str]:
    return [line for line in markdown.splitlines() if line.startswith("#")]


def code_blocks(markdown: str) -> list[str]:
    return re.findall(r"^```json\n(.*?)\n```$", markdown, flags=re.DOTALL | re.MULTILINE)


def test_title_is_the_only_top_heading() -> None:
    markdown = thread_markdown(conversation())
    assert markdown.splitlines()[0] == "# Trip to Lyon"
    assert [h for h in headings(markdown) if h.startswith("# ")] == ["# Trip to Lyon"]


def test_untitled_and_multi_line_titles_still_make_one_heading() -> None:
    assert thread_markdown(conversation(None)).splitlines()[0] == "# Untitled"
    assert thread_markdown(conversation("  ")).splitlines()[0] == "# Untitled"
    first, second = thread_markdown(conversation("Trip\nto  Lyon")).splitlines()[:2]
    assert (first, second) == ("# Trip to Lyon", "")


def test_messages_appear_as_sections_in_order() -> None:
    markdown = thread_markdown(conversation())
    sections = [h.split(" · ")[0] for h in headings(markdown) if h.startswith("## ")]
    assert sections == ["## You", "## Assistant", "## You", "## Assistant", "## You"]
    texts = [
        "What is 6 x 7?",
        "42",
        "Here are my notes and a photo.",
        "Lyon is known for its bouchons.",
        "Thanks, that is all.",
    ]
    positions = [markdown.index(text) for text in texts]
    assert positions == sorted(positions)


def test_quoted_text_is_a_blockquote_before_the_message() -> None:
    markdown = thread_markdown(conversation())
    lines = markdown.splitlines()
    start = lines.index("> Bouchons serve")
    assert lines[start + 1] == "> quenelles"
    assert start < lines.index("Here are my notes and a photo.")


def test_attachments_are_named() -> None:
    markdown = thread_markdown(conversation())
    section = markdown[markdown.index("Here are my notes") : markdown.index("Lyon is known")]
    assert "notes.txt" in section
    assert "cat.png" in section


def test_sources_are_listed_as_links() -> None:
    markdown = thread_markdown(conversation())
    assert "- [Lyon guide](https://example.org/lyon)" in markdown.splitlines()
    assert "- [Food atlas](https://example.org/food)" in markdown.splitlines()


def test_tool_calls_are_code_blocks_with_their_arguments_and_output() -> None:
    markdown = thread_markdown(conversation())
    assert any("get_time" in h for h in headings(markdown))
    blocks = [json.loads(block) for block in code_blocks(markdown)]
    assert {"tz": "UTC"} in blocks
    assert {"time": "12:00"} in blocks


def test_widgets_workflows_and_images_are_readable() -> None:
    markdown = thread_markdown(conversation())
    for words in ("Restaurants", "Le Bouchon des Filles", "Quenelles", "Multiplying"):
        assert words in markdown
    # Each line of widget text stays its own paragraph when rendered.
    assert "Restaurants\n\nLe Bouchon des Filles" in markdown
    assert "](https://example.org/generated.png)" in markdown
    assert "onClickAction" not in markdown


def test_hidden_context_is_left_out() -> None:
    markdown = thread_markdown(conversation())
    assert "PRIVATE-SDK-NOTE" not in markdown
    assert "PRIVATE-APP-NOTE" not in markdown
    assert "cancelled" not in markdown


async def test_markdown_of_a_stored_thread(store: SQLiteStore) -> None:
    # From the database through the JSON export, as the CLI and the browser do it.
    await store.save_thread(thread("thr_s", T0, title="Stored"), ALICE)
    await store.add_thread_item("thr_s", user_message("thr_s", "msg_1", "hello", at(1)), ALICE)
    await store.add_thread_item("thr_s", assistant_message("thr_s", "msg_2", "hi", at(2)), ALICE)
    await store.add_thread_item("thr_s", hidden_context("thr_s", "shcx", "SECRET", at(3)), ALICE)

    markdown = thread_markdown(await store.archive.export_thread("thr_s", ALICE))

    assert markdown.startswith("# Stored\n")
    assert markdown.index("hello") < markdown.index("hi\n")
    assert "SECRET" not in markdown
    assert markdown.endswith("\n")
