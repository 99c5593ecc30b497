"""`store.search`: ranked full-text search over titles, user and assistant text and widgets, with
snippets; one user at a time, never the trash; and one-line previews for the thread list."""

from __future__ import annotations

from pathlib import Path

import pytest
from chatkit.types import Page, Thread

from chatkit_desktop.context import RequestContext
from chatkit_desktop.store.search import MAX_LIMIT, PREVIEW_CHARS, SearchHit, SearchPage
from chatkit_desktop.store.search_text import MATCH_END, MATCH_START
from chatkit_desktop.store.sqlite_store import SQLiteStore
from tests.store.helpers import (
    ALICE,
    BOB,
    assistant_message,
    at,
    hidden_context,
    text_of,
    thread,
    user_message,
    widget_card,
    widget_list,
)

LYON_QUESTION = "Where should we eat in lyon tonight?"
LYON_ANSWER = "Try a bouchon by the Saône; the café on Rue Mercière is lovely at dusk."


async def search(
    store: SQLiteStore, text: str, context: RequestContext = ALICE, **kwargs: int
) -> list[SearchHit]:
    return (await store.search.query(text, context, **kwargs)).hits


def where(hits: list[SearchHit]) -> list[tuple[str, str | None]]:
    return [(hit.thread_id, hit.item_id) for hit in hits]


def snippet_text(hit: SearchHit) -> str:
    return "".join(segment.text for segment in hit.snippet)


def matched(hit: SearchHit) -> list[str]:
    return [segment.text for segment in hit.snippet if segment.match]


@pytest.fixture
async def trip(store: SQLiteStore) -> SQLiteStore:
    """Alice's trip to Lyon (title, question, answer, a widget) and a museum thread; Bob's
    own thread about Lyon."""
    await store.save_thread(thread("thr_lyon", at(0), title="Weekend away"), ALICE)
    await store.add_thread_item(
        "thr_lyon", user_message("thr_lyon", "msg_q", LYON_QUESTION, at(1)), ALICE
    )
    await store.add_thread_item(
        "thr_lyon", assistant_message("thr_lyon", "msg_a", LYON_ANSWER, at(2)), ALICE
    )
    await store.add_thread_item(
        "thr_lyon",
        widget_card(
            "thr_lyon",
            "wdg_1",
            title="Restaurants",
            body="Le Bouchon des Filles",
            rows=("Quenelles de brochet", "Tarte aux pralines"),
            created_at=at(3),
        ),
        ALICE,
    )
    await store.add_thread_item(
        "thr_lyon", hidden_context("thr_lyon", "shcx_1", "secretword"), ALICE
    )
    await store.save_thread(thread("thr_museum", at(10), title="Museums"), ALICE)
    await store.add_thread_item(
        "thr_museum",
        user_message("thr_museum", "msg_m", "Which museum in Lyon opens late?", at(11)),
        ALICE,
    )
    await store.save_thread(thread("thr_bob", at(20), title="Bob in Lyon"), BOB)
    await store.add_thread_item(
        "thr_bob", user_message("thr_bob", "msg_b", "lyon quenelles tonight", at(21)), BOB
    )
    return store


# what is found, and where -------------------------------------------------------------------


async def test_finds_user_text(trip: SQLiteStore) -> None:
    (hit,) = await search(trip, "tonight")
    assert (hit.thread_id, hit.item_id, hit.kind) == ("thr_lyon", "msg_q", "user")
    assert hit.thread_title == "Weekend away"
    assert hit.created_at == at(1).astimezone()
    # The hit opens its item.
    assert (await trip.load_item(hit.thread_id, "msg_q", ALICE)).id == "msg_q"


async def test_finds_assistant_text(trip: SQLiteStore) -> None:
    (hit,) = await search(trip, "Saône")
    assert (hit.thread_id, hit.item_id, hit.kind) == ("thr_lyon", "msg_a", "assistant")
    assert hit.thread_title == "Weekend away"


async def test_finds_thread_titles(trip: SQLiteStore) -> None:
    (hit,) = await search(trip, "weekend")
    assert (hit.thread_id, hit.item_id, hit.kind) == ("thr_lyon", None, "title")
    assert hit.thread_title == "Weekend away"
    assert matched(hit) == ["Weekend"]


async def test_finds_widget_text_anywhere_in_the_tree(trip: SQLiteStore) -> None:
    for word in ("restaurants", "filles", "quenelles", "pralines"):
        (hit,) = await search(trip, word)
        assert (hit.thread_id, hit.item_id, hit.kind) == ("thr_lyon", "wdg_1", "widget"), word


async def test_finds_list_view_widgets(store: SQLiteStore) -> None:
    await store.save_thread(thread("thr_w"), ALICE)
    await store.add_thread_item(
        "thr_w", widget_list("thr_w", "wdg_list", ["Croissant", "Brioche"]), ALICE
    )
    (hit,) = await search(store, "brioche")
    assert (hit.item_id, hit.kind) == ("wdg_list", "widget")


async def test_widget_ids_and_actions_are_not_text(trip: SQLiteStore) -> None:
    # The card's button action carries {"type": "open", "payload": {"id": 7}}.
    assert await search(trip, "payload") == []
    assert await search(trip, "server") == []


async def test_hidden_context_is_not_searchable(trip: SQLiteStore) -> None:
    assert await search(trip, "secretword") == []


async def test_a_word_in_several_places_finds_each(trip: SQLiteStore) -> None:
    hits = await search(trip, "lyon")
    assert set(where(hits)) == {("thr_lyon", "msg_q"), ("thr_museum", "msg_m")}


# how it matches ---------------------------------------------------------------------------


async def test_case_insensitive(trip: SQLiteStore) -> None:
    hits = await search(trip, "LYON")
    assert ("thr_lyon", "msg_q") in where(hits)
    # The snippet shows the text as written.
    (lyon,) = [hit for hit in hits if hit.item_id == "msg_q"]
    assert matched(lyon) == ["lyon"]


async def test_accent_insensitive_both_ways(store: SQLiteStore) -> None:
    await store.save_thread(thread("thr_c"), ALICE)
    await store.add_thread_item(
        "thr_c", user_message("thr_c", "msg_acc", "un café crème", at(1)), ALICE
    )
    await store.add_thread_item(
        "thr_c", user_message("thr_c", "msg_flat", "Cafe Society", at(2)), ALICE
    )
    both = {("thr_c", "msg_acc"), ("thr_c", "msg_flat")}
    for query in ("cafe", "café", "Café", "CAFE", "cafe\u0301"):
        assert set(where(await search(store, query))) == both, query
    assert set(where(await search(store, "creme"))) == {("thr_c", "msg_acc")}


async def test_the_last_word_matches_as_a_prefix(trip: SQLiteStore) -> None:
    hits = await search(trip, "lyo")
    assert ("thr_lyon", "msg_q") in where(hits)
    (lyon,) = [hit for hit in hits if hit.item_id == "msg_q"]
    assert matched(lyon) == ["lyon"]
    assert where(await search(trip, "eat tonig")) == [("thr_lyon", "msg_q")]
    assert await search(trip, "tonig eat") == []


async def test_a_quoted_phrase_keeps_its_words_together(store: SQLiteStore) -> None:
    await store.save_thread(thread("thr_p"), ALICE)
    await store.add_thread_item(
        "thr_p", user_message("thr_p", "msg_red", "red wine and white cheese", at(1)), ALICE
    )
    await store.add_thread_item(
        "thr_p", user_message("thr_p", "msg_white", "white wine and red cheese", at(2)), ALICE
    )
    assert where(await search(store, '"red wine"')) == [("thr_p", "msg_red")]
    assert where(await search(store, '"white wine"')) == [("thr_p", "msg_white")]
    assert set(where(await search(store, "red wine"))) == {
        ("thr_p", "msg_red"),
        ("thr_p", "msg_white"),
    }


async def test_every_word_must_occur(trip: SQLiteStore) -> None:
    assert where(await search(trip, "lyon museum")) == [("thr_museum", "msg_m")]
    assert await search(trip, "lyon giraffe") == []


@pytest.mark.parametrize(
    "query",
    [
        '"',
        '""',
        '"unbalanced',
        "(",
        ")",
        "((a",
        "*",
        "a*",
        "-x",
        "NEAR(a b)",
        "a OR b",
        "AND",
        "NOT x",
        "col:x",
        "^x",
        "a + b",
        "😀",
        "🇫🇷 🍷",
        "x" * 10_000,
        "lyon " * 3_000,
        "ly\x00on",
        "\x00",
        "\udcff",
        "!?.,;:()[]{}<>",
        "",
    ],
    ids=lambda q: repr(q[:20]),
)
async def test_hostile_queries_never_raise(trip: SQLiteStore, query: str) -> None:
    page = await trip.search.query(query, ALICE)
    assert isinstance(page, SearchPage)
    assert all(hit.thread_id in {"thr_lyon", "thr_museum"} for hit in page.hits)


@pytest.mark.parametrize("query", ['"', '""', "(", "*", "😀", "!?.,;:()[]{}<>", "", "   "])
async def test_a_query_without_words_is_an_empty_page(trip: SQLiteStore, query: str) -> None:
    page = await trip.search.query(query, ALICE)
    assert (page.hits, page.has_more, page.next_offset) == ([], False, None)


async def test_fts_operators_are_the_users_words(store: SQLiteStore) -> None:
    await store.save_thread(thread("thr_ops"), ALICE)
    await store.add_thread_item(
        "thr_ops", user_message("thr_ops", "msg_apple", "an apple a day", at(1)), ALICE
    )
    await store.add_thread_item(
        "thr_ops", user_message("thr_ops", "msg_banana", "a banana split", at(2)), ALICE
    )
    await store.add_thread_item(
        "thr_ops", user_message("thr_ops", "msg_both", "apple or banana? not sure", at(3)), ALICE
    )
    # As FTS5 syntax these would find the apple, the banana, or exclude things.
    assert where(await search(store, "apple OR banana")) == [("thr_ops", "msg_both")]
    assert where(await search(store, "NOT sure")) == [("thr_ops", "msg_both")]
    assert ("thr_ops", "msg_apple") in where(await search(store, "-apple"))
    assert where(await search(store, "apple + banana")) == [("thr_ops", "msg_both")]
    assert where(await search(store, "NEAR(apple banana)")) == []


# ranking and snippets ---------------------------------------------------------------------


async def test_more_occurrences_in_an_equally_long_message_rank_higher(store: SQLiteStore) -> None:
    # BM25 grows with the term's frequency when the lengths are equal. The stronger message is
    # the older one and is written first, so neither recency nor insertion order explains it.
    await store.save_thread(thread("thr_r"), ALICE)
    strong = "lyon lyon lyon museum"
    weak = "lyon paris rome museum"
    await store.add_thread_item("thr_r", user_message("thr_r", "msg_strong", strong, at(1)), ALICE)
    await store.add_thread_item("thr_r", user_message("thr_r", "msg_weak", weak, at(2)), ALICE)

    assert [hit.item_id for hit in await search(store, "lyon")] == ["msg_strong", "msg_weak"]
    # A word the weak one lacks changes which is found, not the order of the rest.
    assert [hit.item_id for hit in await search(store, "lyon rome")] == ["msg_weak"]


async def test_a_shorter_message_with_the_word_as_often_ranks_higher(
    store: SQLiteStore,
) -> None:
    # BM25 normalises by length: the same single mention weighs more in a short message.
    await store.save_thread(thread("thr_len"), ALICE)
    long_text = "we talked about lyon and then about many other things for a long while"
    await store.add_thread_item(
        "thr_len", user_message("thr_len", "msg_long", long_text, at(1)), ALICE
    )
    await store.add_thread_item(
        "thr_len", user_message("thr_len", "msg_short", "lyon again", at(0)), ALICE
    )
    assert [hit.item_id for hit in await search(store, "lyon")] == ["msg_short", "msg_long"]


async def test_snippet_marks_the_match_and_keeps_readable_context(store: SQLiteStore) -> None:
    words = (
        "We spent the first morning walking slowly along the quiet river in Lyon "
        "before lunch, then climbed the hill to the old basilica and watched the "
        "sun set over the red roofs of the city below"
    )
    await store.save_thread(thread("thr_s"), ALICE)
    await store.add_thread_item("thr_s", assistant_message("thr_s", "msg_s", words, at(1)), ALICE)

    (hit,) = await search(store, "lyon")

    assert matched(hit) == ["Lyon"]
    text = snippet_text(hit)
    assert "river in Lyon" in text
    assert "…" in text  # the message is longer than the snippet
    assert text.strip("…").strip() in words
    assert all(segment.text for segment in hit.snippet)
    assert not any(MATCH_START in s.text or MATCH_END in s.text for s in hit.snippet)


async def test_snippet_marks_every_matched_word(trip: SQLiteStore) -> None:
    (hit,) = await search(trip, "bouchon mercière")
    assert [word.casefold() for word in matched(hit)] == ["bouchon", "mercière"]


async def test_marker_characters_in_a_message_cannot_fake_a_match(store: SQLiteStore) -> None:
    text = f"plain {MATCH_START}fake{MATCH_END} words and a real target"
    await store.save_thread(thread("thr_m"), ALICE)
    await store.add_thread_item("thr_m", user_message("thr_m", "msg_m", text, at(1)), ALICE)
    (hit,) = await search(store, "target")
    assert matched(hit) == ["target"]


# paging and limits ------------------------------------------------------------------------


async def walk(store: SQLiteStore, text: str, limit: int) -> list[SearchPage]:
    pages: list[SearchPage] = []
    offset: int | None = 0
    while offset is not None:
        page = await store.search.query(text, ALICE, limit=limit, offset=offset)
        assert page.has_more == (page.next_offset is not None)
        if page.has_more:
            assert len(page.hits) == limit
            assert page.next_offset == offset + limit
        pages.append(page)
        offset = page.next_offset
    return pages


@pytest.mark.parametrize("same_time", [False, True], ids=["distinct times", "one timestamp"])
async def test_paging_with_limit_and_offset(store: SQLiteStore, same_time: bool) -> None:
    await store.save_thread(thread("thr_pg"), ALICE)
    for n in range(25):
        created = at(0) if same_time else at(n)
        text = "paging test" if same_time else f"paging test number {n}"
        await store.add_thread_item(
            "thr_pg", user_message("thr_pg", f"msg_{n:02d}", text, created), ALICE
        )

    pages = await walk(store, "paging", 10)

    assert [len(page.hits) for page in pages] == [10, 10, 5]
    walked = [hit.item_id for page in pages for hit in page.hits]
    assert sorted(walked) == [f"msg_{n:02d}" for n in range(25)]  # each once
    whole = await search(store, "paging", limit=MAX_LIMIT)
    assert walked == [hit.item_id for hit in whole]
    beyond = await store.search.query("paging", ALICE, limit=10, offset=30)
    assert (beyond.hits, beyond.has_more, beyond.next_offset) == ([], False, None)


async def test_exactly_a_page_of_hits_has_no_more(trip: SQLiteStore) -> None:
    page = await trip.search.query("lyon", ALICE, limit=2)
    assert len(page.hits) == 2
    assert (page.has_more, page.next_offset) == (False, None)


@pytest.mark.parametrize("limit", [0, -1, MAX_LIMIT + 1, 10_000])
async def test_limit_out_of_range_is_refused(trip: SQLiteStore, limit: int) -> None:
    with pytest.raises(ValueError, match="limit"):
        await trip.search.query("lyon", ALICE, limit=limit)


async def test_negative_offset_is_refused(trip: SQLiteStore) -> None:
    with pytest.raises(ValueError, match="offset"):
        await trip.search.query("lyon", ALICE, offset=-1)


async def test_limits_at_the_edges_are_accepted(trip: SQLiteStore) -> None:
    assert len((await trip.search.query("lyon", ALICE, limit=1)).hits) == 1
    assert len((await trip.search.query("lyon", ALICE, limit=MAX_LIMIT)).hits) == 2


# whose, and the trash ---------------------------------------------------------------------


async def test_another_users_threads_never_appear(trip: SQLiteStore) -> None:
    for word in ("lyon", "quenelles", "tonight", "bob"):
        assert all(hit.thread_id != "thr_bob" for hit in await search(trip, word)), word
    bobs = await search(trip, "lyon", BOB)
    assert {hit.thread_id for hit in bobs} == {"thr_bob"}
    assert await search(trip, "weekend", BOB) == []
    assert await search(trip, "lyon", RequestContext(user_id="carol")) == []


async def test_trashed_threads_never_appear_and_return_after_restore(trip: SQLiteStore) -> None:
    before = where(await search(trip, "lyon"))
    assert ("thr_lyon", "msg_q") in before

    await trip.delete_thread("thr_lyon", ALICE)
    for word in ("lyon", "weekend", "quenelles", "tonight", "saône"):
        assert all(hit.thread_id != "thr_lyon" for hit in await search(trip, word)), word
    assert where(await search(trip, "lyon")) == [("thr_museum", "msg_m")]

    await trip.trash.restore("thr_lyon", ALICE)
    assert where(await search(trip, "lyon")) == before
    assert where(await search(trip, "weekend")) == [("thr_lyon", None)]


async def test_bob_deleting_does_not_hide_alices_thread(trip: SQLiteStore) -> None:
    await trip.delete_thread("thr_lyon", BOB)
    assert ("thr_lyon", "msg_q") in where(await search(trip, "lyon"))


# previews ---------------------------------------------------------------------------------


async def test_preview_is_the_latest_message_on_one_line(store: SQLiteStore) -> None:
    await store.save_thread(thread("thr_v", title="Title is not a preview"), ALICE)
    await store.add_thread_item(
        "thr_v", user_message("thr_v", "msg_1", "first question", at(1)), ALICE
    )
    await store.add_thread_item(
        "thr_v",
        assistant_message("thr_v", "msg_2", "An answer\n\nover   several\tlines", at(2)),
        ALICE,
    )
    # Later non-message items do not replace the preview.
    await store.add_thread_item(
        "thr_v", widget_card("thr_v", "wdg", title="Card", body="widget", created_at=at(3)), ALICE
    )
    await store.add_thread_item("thr_v", hidden_context("thr_v", "shcx", "hidden", at(4)), ALICE)

    previews = await store.search.previews(["thr_v"], ALICE)

    assert previews == {"thr_v": "An answer over several lines"}


async def test_preview_follows_the_newest_message(store: SQLiteStore) -> None:
    await store.save_thread(thread("thr_v"), ALICE)
    await store.add_thread_item("thr_v", user_message("thr_v", "msg_1", "first", at(1)), ALICE)
    assert await store.search.previews(["thr_v"], ALICE) == {"thr_v": "first"}
    await store.add_thread_item("thr_v", user_message("thr_v", "msg_2", "second", at(2)), ALICE)
    assert await store.search.previews(["thr_v"], ALICE) == {"thr_v": "second"}
    await store.delete_thread_item("thr_v", "msg_2", ALICE)
    assert await store.search.previews(["thr_v"], ALICE) == {"thr_v": "first"}


async def test_long_preview_is_cut_with_an_ellipsis(store: SQLiteStore) -> None:
    long_text = " ".join(f"word{n}" for n in range(200))
    await store.save_thread(thread("thr_long"), ALICE)
    await store.add_thread_item(
        "thr_long", assistant_message("thr_long", "msg_l", long_text, at(1)), ALICE
    )

    preview = (await store.search.previews(["thr_long"], ALICE))["thr_long"]

    assert len(preview) <= PREVIEW_CHARS
    assert preview.endswith("…")
    assert long_text.startswith(preview[:-1].rstrip())
    assert "\n" not in preview


async def test_previews_leave_out_threads_without_text_and_other_users(
    trip: SQLiteStore,
) -> None:
    await trip.save_thread(thread("thr_empty", title="Only a title"), ALICE)
    await trip.save_thread(thread("thr_widget"), ALICE)
    await trip.add_thread_item(
        "thr_widget", widget_card("thr_widget", "wdg", title="Card", body="words"), ALICE
    )

    ids = ["thr_lyon", "thr_museum", "thr_empty", "thr_widget", "thr_bob", "thr_unknown"]
    previews = await trip.search.previews(ids, ALICE)

    assert set(previews) == {"thr_lyon", "thr_museum"}
    assert previews["thr_museum"] == "Which museum in Lyon opens late?"
    assert previews["thr_lyon"] == LYON_ANSWER
    assert await trip.search.previews([], ALICE) == {}
    assert set(await trip.search.previews(ids, BOB)) == {"thr_bob"}


async def test_search_reads_through_a_second_store_on_the_same_file(
    trip: SQLiteStore, db_path: Path
) -> None:
    # The CLI's store beside the app's: what one committed, the other finds.
    other = await SQLiteStore.open(db_path)
    try:
        assert ("thr_lyon", "msg_q") in where(await search(other, "tonight"))
        await other.add_thread_item(
            "thr_museum", assistant_message("thr_museum", "msg_new", "Thursdays", at(12)), ALICE
        )
    finally:
        await other.close()
    assert where(await search(trip, "thursdays")) == [("thr_museum", "msg_new")]


# scale ------------------------------------------------------------------------------------

FILLER = [
    "weather",
    "train",
    "museum",
    "river",
    "dinner",
    "budget",
    "garden",
    "recipe",
    "meeting",
    "holiday",
    "invoice",
    "python",
    "guitar",
    "bicycle",
    "coffee",
    "mountain",
    "library",
    "concert",
    "printer",
    "window",
]


def filler_text(n: int, words: int) -> str:
    return " ".join(FILLER[(n * 7 + k * 3) % len(FILLER)] for k in range(words))


@pytest.mark.slow
async def test_a_word_in_one_answer_among_10000_threads_is_found_first(store: SQLiteStore) -> None:
    needle_thread, needle_item = "thr_06271", "msg_06271_a"
    threads = []
    for n in range(10_000):
        tid = f"thr_{n:05d}"
        answer = filler_text(n, 24)
        if tid == needle_thread:
            answer = f"{filler_text(n, 12)} the quokka {filler_text(n + 1, 11)}"
        threads.append(
            Thread(
                id=tid,
                created_at=at(n),
                title=f"Chat {n} about {FILLER[n % len(FILLER)]}",
                items=Page(
                    data=[
                        user_message(tid, f"msg_{n:05d}_q", filler_text(n + 3, 8), at(n)),
                        assistant_message(tid, f"msg_{n:05d}_a", answer, at(n + 0.5)),
                    ],
                    has_more=False,
                ),
            )
        )
    report = await store.archive.import_threads(threads, ALICE)
    assert (report.threads_added, report.items_added) == (10_000, 20_000)

    for query in ("quokka", "Quokka", "quok"):
        page = await store.search.query(query, ALICE)
        first = page.hits[0]
        assert (first.thread_id, first.item_id, first.kind) == (
            needle_thread,
            needle_item,
            "assistant",
        ), query
        assert first.thread_title == "Chat 6271 about " + FILLER[6271 % len(FILLER)]
        assert [s.text for s in first.snippet if s.match] == ["quokka"]
    # It opens that thread at that message.
    item = await store.load_item(first.thread_id, first.item_id or "", ALICE)
    assert "quokka" in text_of(item)
    # A common word pages through thousands of hits without trouble.
    common = await store.search.query("coffee", ALICE, limit=MAX_LIMIT, offset=5_000)
    assert len(common.hits) == MAX_LIMIT


# beyond the ranking window ---------------------------------------------------------------


async def test_past_the_ranked_window_paging_goes_on_through_older_matches(
    store: SQLiteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    import chatkit_desktop.store.search as search_module

    monkeypatch.setattr(search_module, "CANDIDATES", 4)
    await store.save_thread(thread("thr_w"), ALICE)
    await store.save_thread(thread("thr_gone"), ALICE)
    for n in range(10):
        # Oldest first; the oldest two say "owl" three times and would rank best overall.
        text = "owl owl owl" if n < 2 else f"owl number {n} with more words around it"
        await store.add_thread_item("thr_w", user_message("thr_w", f"msg_{n}", text, at(n)), ALICE)
    await store.add_thread_item("thr_gone", user_message("thr_gone", "msg_x", "owl", at(20)), ALICE)
    await store.delete_thread("thr_gone", ALICE)

    seen: list[str | None] = []
    offset: int | None = 0
    while offset is not None:
        page = await store.search.query("owl", ALICE, limit=3, offset=offset)
        seen += [hit.item_id for hit in page.hits]
        offset = page.next_offset
    # Every live match exactly once; the trashed one never.
    assert sorted(seen, key=str) == sorted(f"msg_{n}" for n in range(10))
    # The newest window comes first (ranked), then the older matches newest first.
    assert seen[-2:] == ["msg_1", "msg_0"]
