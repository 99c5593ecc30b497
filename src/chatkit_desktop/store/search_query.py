"""Turning what a person typed into an FTS5 query (and into the words its snippets mark).

FTS5 has a query language (quotes, `*`, `-`, `^`, `:`, `NEAR`, `AND`/`OR`/`NOT`, parentheses);
people do not mean it when they type into a search box, and a stray `"` or `(` would be a syntax
error. So every word becomes a quoted FTS5 string (its inner quotes doubled), and the words are
ANDed: each must occur somewhere in the same message. A balanced pair of double quotes keeps a
phrase together; the last word also matches as a prefix (from two letters on: shorter
prefixes match too many words to be useful, and cost most), so results follow the typing.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

MAX_QUERY_CHARS = 500
_MAX_TERMS = 32
# A word holds something FTS5's unicode61 tokenizer keeps (a letter or a digit), or it would
# make an empty phrase, which matches nothing and would empty the whole AND.
_HAS_TOKEN = re.compile(r"[^\W_]")
# Characters no word holds that would break the query itself: FTS5 reads its query text as a
# C string, so a NUL ends it inside a quoted word ("unterminated string"), and a lone surrogate
# (a command-line argument that was not UTF-8) cannot even be encoded for SQLite. Both become
# spaces, like any other separator.
_UNUSABLE = re.compile("[\x00\ud800-\udfff]")


@dataclass(frozen=True, slots=True)
class Segment:
    """A piece of a snippet; `match` marks the words that matched the query."""

    text: str
    match: bool


def _quote(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def _terms(query: str) -> list[tuple[str, bool]]:
    """(text, is_phrase) in the order typed; quotes pair up left to right, an odd one out is
    just a character."""
    query = unicodedata.normalize("NFC", _UNUSABLE.sub(" ", query))
    terms: list[tuple[str, bool]] = []
    if query.count('"') >= 2:
        pieces = query.split('"')
        if len(pieces) % 2 == 0:  # an unpaired last quote: its text is ordinary words
            pieces[-2] = pieces[-2] + '"' + pieces.pop()
        for index, piece in enumerate(pieces):
            if index % 2 == 1:
                terms.append((piece.strip(), True))
            else:
                terms.extend((word, False) for word in piece.split())
    else:
        terms = [(word, False) for word in query.split()]
    return [(text, phrase) for text, phrase in terms if _HAS_TOKEN.search(text)][:_MAX_TERMS]


@dataclass(frozen=True, slots=True)
class ParsedQuery:
    """The FTS5 MATCH text, the words as typed, and the last word when it is a prefix."""

    expression: str
    words: list[str]
    prefix: str | None


_MIN_PREFIX = 2
_WORD = re.compile(r"[^\W_]+")


def parse_query(query: str) -> ParsedQuery | None:
    """What the user typed, for FTS5; None when nothing in it can match."""
    terms = _terms(query[:MAX_QUERY_CHARS])
    if not terms:
        return None
    parts = [_quote(text) for text, _ in terms]
    words = [text for text, _ in terms]
    prefix = None
    last_text, last_is_phrase = terms[-1]
    last_tokens = _WORD.findall(last_text)
    if (
        not last_is_phrase
        and not query.rstrip().endswith('"')
        and len(last_tokens[-1]) >= _MIN_PREFIX
    ):
        parts[-1] += "*"
        prefix = last_tokens[-1]
    return ParsedQuery(" AND ".join(parts), words, prefix)


def match_expression(query: str) -> str | None:
    """The FTS5 MATCH text for what the user typed, or None when nothing in it can match."""
    parsed = parse_query(query)
    return parsed.expression if parsed else None
