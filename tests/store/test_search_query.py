"""What a person types becomes an FTS5 query that means their words, never FTS5's syntax; and
snippets come back as plain segments.

`match_expression` is checked by what its output matches in a real FTS5 table built with the
index's own tokenizer (migration m003), not by the text of the expression.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator

import pytest

from chatkit_desktop.store.search_query import (
    MAX_QUERY_CHARS,
    match_expression,
)

DOCS = {
    "apple": "an apple a day",
    "banana": "a banana split",
    "apple or banana": "apple or banana, you choose",
    "kiwi": "kiwi",
    "ripe kiwi": "a ripe kiwi",
    "kiwi is ripe": "this kiwi is ripe",
    "not a kiwi": "that is not a kiwi",
    "body kiwi": "body kiwi lotion",
    "near": "near apple banana stand",
    "cafe": "un café crème",
    "Cafe": "Cafe Society",
    "lyon": "Lyon by night",
    "salt and pepper": "salt and pepper",
    "salt, pepper": "salt, then pepper",
}

Matcher = Callable[[str], set[str]]


@pytest.fixture
def matching() -> Iterator[Matcher]:
    """The names of DOCS that the user's query finds, through a real FTS5 MATCH."""
    db = sqlite3.connect(":memory:")
    db.execute(
        "CREATE VIRTUAL TABLE docs USING fts5(name UNINDEXED, body, "
        "tokenize = 'unicode61 remove_diacritics 2')"
    )
    db.executemany("INSERT INTO docs (name, body) VALUES (?, ?)", DOCS.items())

    def run(query: str) -> set[str]:
        expression = match_expression(query)
        if expression is None:
            return set()
        return {
            row[0] for row in db.execute("SELECT name FROM docs WHERE docs MATCH ?", (expression,))
        }

    yield run
    db.close()


HOSTILE = [
    '"',
    '""',
    '"unbalanced',
    "unbalanced'",
    "(",
    ")",
    "((a",
    "a))",
    "*",
    "a*",
    "*a",
    "-x",
    "x -",
    "NEAR(a b)",
    "NEAR(a b, 2)",
    "NEAR",
    "a OR b",
    "OR",
    "AND",
    "NOT x",
    "NOT",
    "col:x",
    "body:x",
    "{body name}: x",
    "^x",
    "a + b",
    "+",
    ":",
    "a:",
    "\\",
    "%_",
    "😀",
    "😀 kiwi",
    "x" * 10_000,
    "kiwi " * 2_000,
    '"a b" "c d" "e',
    "ki\x00wi",
    "\x00",
    "kiwi\x00",
    "\udcff",
    "a\udcffb",
    "!!!",
    "?.,;:-_'",
    "   ",
    "",
    "\n\t",
    "\x02kiwi\x03",
]


@pytest.mark.parametrize("query", HOSTILE, ids=repr)
def test_hostile_query_is_valid_fts5_and_never_an_error(matching: Matcher, query: str) -> None:
    assert isinstance(matching(query), set)


@pytest.mark.parametrize("query", ['"', '""', "(", ")", "*", "+", "!!!", "?.,;:-_'", "😀", ""])
def test_a_query_without_any_word_matches_nothing(matching: Matcher, query: str) -> None:
    assert match_expression(query) is None
    assert matching(query) == set()


def test_or_is_a_word_not_an_operator(matching: Matcher) -> None:
    assert matching("apple OR banana") == {"apple or banana"}
    assert matching("apple or banana") == {"apple or banana"}


def test_and_is_a_word_not_an_operator(matching: Matcher) -> None:
    # As the operator it would also find "salt, then pepper".
    assert matching("salt AND pepper") == {"salt and pepper"}
    assert "salt and pepper" in matching("AND")


def test_not_is_a_word_not_an_exclusion(matching: Matcher) -> None:
    assert matching("NOT kiwi") == {"not a kiwi"}


def test_minus_does_not_exclude(matching: Matcher) -> None:
    found = matching("-kiwi")
    assert {"kiwi", "ripe kiwi", "kiwi is ripe"} <= found


def test_a_column_filter_is_just_words(matching: Matcher) -> None:
    # As FTS5 syntax `body:kiwi` would find every kiwi; as words it needs "body" then "kiwi".
    assert matching("body:kiwi") == {"body kiwi"}


def test_caret_does_not_anchor_to_the_start(matching: Matcher) -> None:
    assert {"ripe kiwi", "kiwi is ripe"} <= matching("^kiwi")


def test_near_is_a_word_not_a_proximity_group(matching: Matcher) -> None:
    # NEAR(apple banana) would also find "apple or banana, you choose".
    assert matching("NEAR(apple banana)") == {"near"}


def test_plus_does_not_glue_a_phrase(matching: Matcher) -> None:
    # FTS5's `+` would require "ripe" right before "kiwi"; words may be in any order.
    assert matching("kiwi + ripe") == {"ripe kiwi", "kiwi is ripe"}


def test_unbalanced_quote_and_parenthesis_keep_the_word(matching: Matcher) -> None:
    assert "kiwi" in matching('"kiwi')
    assert "kiwi" in matching("((kiwi")
    assert "kiwi" in matching("kiwi)")


def test_words_must_all_occur(matching: Matcher) -> None:
    assert matching("ripe kiwi") == {"ripe kiwi", "kiwi is ripe"}


def test_quoted_phrase_keeps_its_words_together_and_in_order(matching: Matcher) -> None:
    assert matching('"ripe kiwi"') == {"ripe kiwi"}
    assert matching('"kiwi ripe"') == set()
    # A phrase and a word together.
    assert matching('"kiwi is" ripe') == {"kiwi is ripe"}


def test_only_the_last_word_is_a_prefix(matching: Matcher) -> None:
    assert "lyon" in matching("ly")
    assert "lyon" in matching("by nig")
    assert matching("ly night") == set()


def test_a_closed_phrase_is_not_a_prefix(matching: Matcher) -> None:
    assert matching('"ly"') == set()


def test_case_insensitive(matching: Matcher) -> None:
    assert matching("LYON") == matching("lyon") == {"lyon"}


def test_accent_insensitive_both_ways(matching: Matcher) -> None:
    assert matching("cafe") == {"cafe", "Cafe"}
    assert matching("Café") == {"cafe", "Cafe"}
    assert matching("CAFÉ") == {"cafe", "Cafe"}
    # A decomposed é (as some keyboards send it) is the same letter.
    assert matching("cafe\u0301") == {"cafe", "Cafe"}


def test_nul_and_lone_surrogates_separate_words(matching: Matcher) -> None:
    assert matching("kiwi\x00") == matching("kiwi")
    assert matching("ripe\x00kiwi") == matching("ripe kiwi")
    assert matching("\udcffkiwi") == matching("kiwi")


def test_emoji_beside_a_word_does_not_hide_it(matching: Matcher) -> None:
    assert matching("😀 kiwi") == matching("kiwi")


def test_a_very_long_query_is_cut_not_refused(matching: Matcher) -> None:
    expression = match_expression("kiwi " + "x" * 10_000)
    assert expression is not None
    assert len(expression) < 2 * MAX_QUERY_CHARS
    assert matching("kiwi " * 2_000) == matching("kiwi")
