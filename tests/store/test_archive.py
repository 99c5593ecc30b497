"""Export as ChatKit `Thread` JSON / JSONL and import back: an exact round trip into a fresh
database, idempotent, and all-or-nothing for a malformed file."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from chatkit.store import NotFoundError
from chatkit.types import (
    Attachment,
    Page,
    SDKHiddenContextItem,
    Thread,
    ThreadItem,
    ThreadMetadata,
    UserMessageItem,
)

from chatkit_desktop.context import RequestContext
from chatkit_desktop.store.archive import (
    ImportConflictError,
    ImportFormatError,
    ImportReport,
    parse_export,
)
from chatkit_desktop.store.sqlite_store import SQLiteStore
from tests.store.helpers import (
    ALICE,
    BOB,
    T0,
    all_thread_ids,
    assistant_message,
    at,
    cited_answer,
    every_item_kind,
    file_attachment,
    hidden_context,
    image_attachment,
    locked_thread,
    rich_user_message,
    table_snapshot,
    thread,
    user_message,
    widget_card,
)


@pytest.fixture
async def fresh(tmp_path: Path) -> AsyncIterator[SQLiteStore]:
    """A second, empty database to import into."""
    opened = await SQLiteStore.open(tmp_path / "fresh" / "chatkit-desktop.sqlite3")
    try:
        yield opened
    finally:
        await opened.close()


@pytest.fixture
async def history(store: SQLiteStore) -> SQLiteStore:
    """Alice's threads with every item kind, attachments, equal timestamps; plus noise (Bob's
    thread, Alice's trash) that an export of Alice's history leaves out."""
    await store.save_thread(thread("thr_a", at(0), title="Everything"), ALICE)
    for item in every_item_kind("thr_a"):
        await store.add_thread_item("thr_a", item, ALICE)
    files = [file_attachment("atc_note", "thr_a"), image_attachment("atc_cat", "thr_a")]
    for attachment in files:
        await store.save_attachment(attachment, ALICE)
    await store.add_thread_item(
        "thr_a",
        rich_user_message(
            "thr_a",
            "msg_files",
            "a note and a cat",
            quoted_text="42",
            attachments=files,
            created_at=at(10),
        ),
        ALICE,
    )
    # Three items stamped with the same moment: their order rests on insertion alone.
    for item in (
        cited_answer("thr_a", "msg_z", "zulu", [("Example", "https://example.org/")], at(20)),
        widget_card("thr_a", "wdg_y", title="Yankee", body="card", created_at=at(20)),
        assistant_message("thr_a", "msg_x", "xray", at(20)),
    ):
        await store.add_thread_item("thr_a", item, ALICE)
    # Same creation moment as thr_a: thread order rests on insertion alone too.
    await store.save_thread(locked_thread("thr_locked"), ALICE)
    await store.add_thread_item(
        "thr_locked", user_message("thr_locked", "msg_l", "locked words", at(1)), ALICE
    )
    await store.save_thread(thread("thr_empty", at(30)), ALICE)
    await store.save_thread(thread("thr_trashed", at(40), title="Binned"), ALICE)
    await store.delete_thread("thr_trashed", ALICE)
    await store.save_thread(thread("thr_bob", at(50), title="Bob's"), BOB)
    await store.add_thread_item("thr_bob", user_message("thr_bob", "msg_b", "bob", at(51)), BOB)
    return store


async def items_of(store: SQLiteStore, thread_id: str, context: RequestContext) -> list[ThreadItem]:
    items: list[ThreadItem] = []
    after: str | None = None
    while True:
        page = await store.load_thread_items(thread_id, after, 7, "asc", context)
        items.extend(page.data)
        if not page.has_more:
            return items
        after = page.after


async def view(store: SQLiteStore, context: RequestContext = ALICE) -> dict[str, Any]:
    """What the SDK serves of a user's history: thread pages both ways, every item, and the
    attachments their messages name."""
    threads: list[ThreadMetadata] = []
    after: str | None = None
    while True:
        page = await store.load_threads(2, after, "desc", context)
        threads.extend(page.data)
        if not page.has_more:
            break
        after = page.after
    items = {t.id: await items_of(store, t.id, context) for t in threads}
    attachments: dict[str, Attachment] = {}
    for thread_items in items.values():
        for item in thread_items:
            if isinstance(item, UserMessageItem):
                for attachment in item.attachments:
                    attachments[attachment.id] = await store.load_attachment(attachment.id, context)
    return {
        "threads": threads,
        "ascending": await all_thread_ids(store, context, limit=3, order="asc"),
        "items": items,
        "attachments": attachments,
    }


async def import_text(
    store: SQLiteStore, text: str, context: RequestContext = ALICE
) -> ImportReport:
    """What `chatkit-desktop import FILE` does with the file's text."""
    return await store.archive.import_threads(parse_export(text), context)


async def jsonl_of(store: SQLiteStore, context: RequestContext = ALICE) -> str:
    return "".join([t.model_dump_json() + "\n" async for t in store.archive.export_all(context)])


# export -----------------------------------------------------------------------------------


async def test_export_thread_holds_every_item_in_order_hidden_ones_too(
    history: SQLiteStore,
) -> None:
    exported = await history.archive.export_thread("thr_a", ALICE)

    assert exported.id == "thr_a"
    assert exported.title == "Everything"
    assert exported.items.has_more is False
    assert exported.items.data == await items_of(history, "thr_a", ALICE)
    kinds = [item.type for item in exported.items.data]
    assert "sdk_hidden_context" in kinds
    assert "end_of_turn" in kinds
    assert [item.id for item in exported.items.data][-3:] == ["msg_z", "wdg_y", "msg_x"]
    hidden = [item for item in exported.items.data if isinstance(item, SDKHiddenContextItem)]
    assert [item.content for item in hidden] == ["cancelled"]
    # The JSON is ChatKit's own Thread shape.
    assert Thread.model_validate_json(exported.model_dump_json()) == exported


async def test_export_thread_pages_through_long_threads(store: SQLiteStore) -> None:
    await store.save_thread(thread("thr_long"), ALICE)
    ids = [f"msg_{n:04d}" for n in range(1_203)]
    for n, item_id in enumerate(ids):
        created = at(n // 3)  # runs of equal timestamps across page boundaries
        await store.add_thread_item(
            "thr_long", user_message("thr_long", item_id, "w", created), ALICE
        )
    exported = await store.archive.export_thread("thr_long", ALICE)
    assert [item.id for item in exported.items.data] == ids


async def test_export_refuses_trashed_and_other_users_threads(history: SQLiteStore) -> None:
    with pytest.raises(NotFoundError):
        await history.archive.export_thread("thr_trashed", ALICE)
    with pytest.raises(NotFoundError):
        await history.archive.export_thread("thr_bob", ALICE)
    with pytest.raises(NotFoundError):
        await history.archive.export_thread("thr_a", BOB)


async def test_export_all_is_this_users_live_threads_oldest_first(history: SQLiteStore) -> None:
    exported = [t async for t in history.archive.export_all(ALICE)]
    assert [t.id for t in exported] == await all_thread_ids(history, ALICE, limit=10, order="asc")
    assert {t.id for t in exported} == {"thr_a", "thr_locked", "thr_empty"}
    assert [t.id async for t in history.archive.export_all(BOB)] == ["thr_bob"]


async def test_export_all_of_many_threads(store: SQLiteStore) -> None:
    # More threads than one page of the walk (500).
    ids = [f"thr_{n:04d}" for n in range(1_100)]
    await store.archive.import_threads(
        [
            Thread(id=tid, created_at=at(n), title=None, items=Page(data=[], has_more=False))
            for n, tid in enumerate(ids)
        ],
        ALICE,
    )
    assert [t.id async for t in store.archive.export_all(ALICE)] == ids


# round trip -------------------------------------------------------------------------------


async def test_json_round_trip_into_a_fresh_database_is_exact(
    history: SQLiteStore, fresh: SQLiteStore
) -> None:
    for thread_id in ("thr_a", "thr_locked", "thr_empty"):
        exported = await history.archive.export_thread(thread_id, ALICE)
        report = await import_text(fresh, exported.model_dump_json(indent=2) + "\n")
        assert (report.threads_added, report.items_added) == (1, len(exported.items.data))

    original = await view(history)
    assert await view(fresh) == original
    assert set(original["attachments"]) == {"atc_note", "atc_cat"}
    assert [item.id for item in original["items"]["thr_a"]][-3:] == ["msg_z", "wdg_y", "msg_x"]
    assert await fresh.load_thread("thr_locked", ALICE) == locked_thread("thr_locked")
    assert await fresh.integrity_check() == "ok"


async def test_jsonl_round_trip_of_every_thread_is_exact(
    history: SQLiteStore, fresh: SQLiteStore
) -> None:
    text = await jsonl_of(history)
    assert len(text.splitlines()) == 3

    report = await import_text(fresh, text)

    original = await view(history)
    assert await view(fresh) == original
    assert report.threads_added == 3
    assert report.items_added == sum(len(items) for items in original["items"].values())
    assert (report.threads_present, report.items_present) == (0, 0)


async def test_a_json_list_of_threads_imports_too(history: SQLiteStore, fresh: SQLiteStore) -> None:
    threads = [json.loads(t.model_dump_json()) async for t in history.archive.export_all(ALICE)]
    await import_text(fresh, json.dumps(threads, indent=1))
    assert await view(fresh) == await view(history)


async def test_imported_threads_are_searchable_and_trashable(
    history: SQLiteStore, fresh: SQLiteStore
) -> None:
    await import_text(fresh, await jsonl_of(history))

    hits = (await fresh.search.query("cat", ALICE)).hits
    assert [(hit.thread_id, hit.item_id) for hit in hits] == [("thr_a", "msg_files")]
    title_hits = (await fresh.search.query("everything", ALICE)).hits
    assert [(hit.thread_id, hit.item_id) for hit in title_hits] == [("thr_a", None)]
    assert (await fresh.search.query("cancelled", ALICE)).hits == []
    await fresh.delete_thread("thr_a", ALICE)
    purged = await fresh.trash.purge(ALICE, ["thr_a"])
    assert sorted(purged.attachment_ids) == ["atc_cat", "atc_note"]


async def test_importing_the_same_file_twice_adds_nothing(
    history: SQLiteStore, fresh: SQLiteStore
) -> None:
    text = await jsonl_of(history)
    first = await import_text(fresh, text)
    after_first = table_snapshot(fresh.path)

    second = await import_text(fresh, text)

    assert (second.threads_added, second.items_added) == (0, 0)
    assert (second.threads_present, second.items_present) == (
        first.threads_added,
        first.items_added,
    )
    assert table_snapshot(fresh.path) == after_first
    assert await view(fresh) == await view(history)


async def test_importing_into_the_source_database_adds_nothing(
    history: SQLiteStore, db_path: Path
) -> None:
    text = await jsonl_of(history)
    before = table_snapshot(db_path)
    report = await import_text(history, text)
    assert (report.threads_added, report.items_added) == (0, 0)
    assert table_snapshot(db_path) == before


async def test_import_adds_only_what_is_missing(history: SQLiteStore, fresh: SQLiteStore) -> None:
    text = await jsonl_of(history)
    await import_text(fresh, text)
    await fresh.delete_thread_item("thr_a", "msg_answer", ALICE)
    await fresh.save_thread(thread("thr_empty", at(30), title="Renamed here"), ALICE)

    report = await import_text(fresh, text)

    assert (report.threads_added, report.items_added) == (0, 1)
    # Thread metadata already there is left as it is.
    assert (await fresh.load_thread("thr_empty", ALICE)).title == "Renamed here"
    assert await items_of(fresh, "thr_a", ALICE) != []
    assert "msg_answer" in [item.id for item in await items_of(fresh, "thr_a", ALICE)]
    assert (await fresh.search.query("42", ALICE)).hits != []


async def test_an_import_naming_someone_elses_thread_imports_nothing(
    history: SQLiteStore, db_path: Path
) -> None:
    mine = await history.archive.export_thread("thr_a", ALICE)
    theirs = await history.archive.export_thread("thr_bob", BOB)
    new = Thread(**{**mine.model_dump(), "id": "thr_new", "items": Page(data=[], has_more=False)})
    text = new.model_dump_json() + "\n" + theirs.model_dump_json() + "\n"
    before = table_snapshot(db_path)

    with pytest.raises(ImportConflictError, match="thr_bob"):
        await import_text(history, text, ALICE)

    assert table_snapshot(db_path) == before
    with pytest.raises(NotFoundError):
        await history.load_thread("thr_new", ALICE)


# malformed files --------------------------------------------------------------------------


def thread_json(thread_id: str = "thr_f", **changes: Any) -> dict[str, Any]:
    exported = Thread(
        id=thread_id,
        created_at=T0,
        title="From a file",
        items=Page(
            data=[
                user_message(thread_id, "msg_f1", "imported question", at(1)),
                assistant_message(thread_id, "msg_f2", "imported answer", at(2)),
                hidden_context(thread_id, "shcx_f", "ctx", at(3)),
            ],
            has_more=False,
        ),
    )
    return {**json.loads(exported.model_dump_json()), **changes}


def lines(*entries: dict[str, Any] | str) -> str:
    return "".join((e if isinstance(e, str) else json.dumps(e)) + "\n" for e in entries)


def without(data: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k != key}


def with_item(data: dict[str, Any], index: int, **changes: Any) -> dict[str, Any]:
    items = [dict(item) for item in data["items"]["data"]]
    items[index].update(changes)
    return {**data, "items": {**data["items"], "data": items}}


def pretty_with_error_on_line(line: int) -> str:
    text = json.dumps(thread_json(), indent=2).splitlines()
    text[line - 1] += " oops"
    return "\n".join(text) + "\n"


MALFORMED = {
    "not JSON on line 3": (
        lines(thread_json("thr_1"), thread_json("thr_2"), "{not json", thread_json("thr_4")),
        3,
        "not valid JSON",
    ),
    "missing field": (
        lines(thread_json("thr_1"), without(thread_json("thr_2"), "created_at")),
        2,
        "created_at",
    ),
    "missing items": (lines(without(thread_json(), "items")), 1, "items"),
    "item of another thread": (
        lines(
            thread_json("thr_1"),
            thread_json("thr_2"),
            with_item(thread_json("thr_3"), 1, thread_id="thr_x"),
        ),
        3,
        "thr_x",
    ),
    "unknown item type": (lines(with_item(thread_json(), 0, type="hologram")), 1, "items"),
    "bad timestamp": (lines(with_item(thread_json(), 0, created_at="yesterday")), 1, "created_at"),
    "empty file": ("", 1, "empty"),
    "blank file": ("\n  \n\t\n", 1, "empty"),
    "a number": ("42\n", 1, "JSON object"),
    "a string": ('"thr_1"\n', 1, "JSON object"),
    "null": ("null", 1, "JSON object"),
    "a list of numbers": ("[1, 2]", 1, "thread 1"),
    "a list with one bad thread": (
        json.dumps([thread_json("thr_1"), without(thread_json("thr_2"), "id")], indent=2),
        1,
        "thread 2",
    ),
    "broken JSON list": ('[{"id": "thr_1",\n  oops]', 2, "not valid JSON"),
    "indented export broken on line 7": (pretty_with_error_on_line(7), 7, "not valid JSON"),
    "JSONL line that is a list": (lines(thread_json("thr_1"), "[]"), 2, "JSON object"),
}


@pytest.mark.parametrize(("text", "line", "reason"), MALFORMED.values(), ids=MALFORMED.keys())
async def test_a_malformed_file_names_line_and_reason_and_imports_nothing(
    history: SQLiteStore, db_path: Path, text: str, line: int, reason: str
) -> None:
    before = table_snapshot(db_path)

    with pytest.raises(ImportFormatError) as caught:
        await import_text(history, text)

    assert caught.value.line == line
    assert reason in caught.value.reason
    assert str(caught.value).startswith(f"line {line}: ")
    assert table_snapshot(db_path) == before
    for thread_id in ("thr_1", "thr_2", "thr_f"):
        with pytest.raises(NotFoundError):
            await history.load_thread(thread_id, ALICE)


def test_parse_export_accepts_every_export_shape() -> None:
    one = thread_json("thr_1")
    two = thread_json("thr_2")
    shapes = {
        "compact JSON": (json.dumps(one), ["thr_1"]),
        "indented JSON": (json.dumps(one, indent=2), ["thr_1"]),
        "JSONL": (lines(one, two), ["thr_1", "thr_2"]),
        "JSONL, blank lines, CRLF": (
            "\r\n".join(["", json.dumps(one), "", json.dumps(two), ""]),
            ["thr_1", "thr_2"],
        ),
        "JSON list": (json.dumps([one, two], indent=2), ["thr_1", "thr_2"]),
        "byte-order mark": ("\ufeff" + lines(one, two), ["thr_1", "thr_2"]),
        "byte-order mark, indented": ("\ufeff" + json.dumps(one, indent=2), ["thr_1"]),
    }
    for name, (text, ids) in shapes.items():
        parsed = parse_export(text)
        assert [t.id for t in parsed] == ids, name
        assert [item.id for item in parsed[0].items.data] == ["msg_f1", "msg_f2", "shcx_f"], name


async def test_a_thread_twice_in_one_file_is_imported_once(fresh: SQLiteStore) -> None:
    first = thread_json("thr_1")
    again = with_item(thread_json("thr_1"), 1, id="msg_extra")  # one more item the second time
    report = await import_text(fresh, lines(first, again))

    assert (report.threads_added, report.threads_present) == (1, 1)
    assert (report.items_added, report.items_present) == (4, 2)
    ids = [item.id for item in await items_of(fresh, "thr_1", ALICE)]
    # msg_extra carries msg_f2's timestamp (at 2 s), before shcx_f's (at 3 s).
    assert ids == ["msg_f1", "msg_f2", "msg_extra", "shcx_f"]


async def test_an_empty_list_imports_nothing(fresh: SQLiteStore) -> None:
    before = table_snapshot(fresh.path)
    assert await import_text(fresh, "[]") == ImportReport()
    assert table_snapshot(fresh.path) == before
