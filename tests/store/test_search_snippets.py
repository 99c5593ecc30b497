"""Snippets cut in Python: the right words marked, around the densest run of matches."""

from __future__ import annotations

from chatkit_desktop.store.search_query import Segment, parse_query
from chatkit_desktop.store.search_snippets import ELLIPSIS, highlight_for, snippet


def marks(body: str, query: str) -> list[str]:
    parsed = parse_query(query)
    assert parsed is not None
    return [s.text for s in snippet(body, highlight_for(parsed.words, parsed.prefix)) if s.match]


def test_whole_words_are_marked_ignoring_case_and_accents() -> None:
    assert marks("Un Café à Lyon, puis un cafe", "CAFE") == ["Café", "cafe"]
    assert marks("lyonnais and Lyon", '"lyon"') == ["Lyon"]  # a quoted word is not a prefix


def test_the_last_word_is_marked_as_a_prefix_from_two_letters() -> None:
    assert marks("Lyon lyonnais Lille", "ly") == ["Lyon", "lyonnais"]
    assert marks("a l la lyon", "l") == ["l"]  # one letter: whole words only
    assert marks("red wine, reddish", "red wi") == ["red", "wine"]


def test_a_long_text_is_cut_around_the_matches_with_ellipses() -> None:
    words = [f"w{n}" for n in range(100)]
    words[60] = "needle"
    parsed = parse_query("needle")
    assert parsed is not None
    segments = snippet(" ".join(words), highlight_for(parsed.words, parsed.prefix))
    text = "".join(s.text for s in segments)
    assert text.startswith(ELLIPSIS) and text.endswith(ELLIPSIS)
    assert [s.text for s in segments if s.match] == ["needle"]
    assert "w58 w59 needle w61" in text and "w10 " not in text
    assert len(text.split()) <= 16 + 2


def test_a_short_text_is_whole_on_one_line() -> None:
    parsed = parse_query("b")
    assert parsed is not None
    segments = snippet("a\n\nb   c", highlight_for(parsed.words, parsed.prefix))
    assert segments == [Segment("a ", False), Segment("b", True), Segment(" c", False)]
