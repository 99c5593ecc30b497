"""Snippets for search results, cut and marked in Python from the indexed text.

FTS5's own `snippet()` needs the match context of each row, which for a prefix query means
re-scanning every term with that prefix once per result: hundreds of milliseconds on a large
history. The words to mark are known from the query, so the snippet is cut here instead, with
the tokenizer's rules mirrored (letters and digits form words; case and accents are ignored).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from chatkit_desktop.store.search_query import Segment

WINDOW_TOKENS = 16
_LEAD_TOKENS = 3
_WORD = re.compile(r"[^\W_]+")
_SPACES = re.compile(r"\s+")
ELLIPSIS = "…"


def fold(word: str) -> str:
    """What FTS5's `unicode61 remove_diacritics 2` compares: lower case, accents removed."""
    decomposed = unicodedata.normalize("NFD", word)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


@dataclass(frozen=True, slots=True)
class Highlight:
    """The folded words of a query; `prefix` also marks words that start with it."""

    words: frozenset[str]
    prefix: str | None

    def matches(self, token: str) -> bool:
        folded = fold(token)
        return folded in self.words or (self.prefix is not None and folded.startswith(self.prefix))


def highlight_for(words: list[str], prefix: str | None) -> Highlight:
    tokens = {fold(token) for word in words for token in _WORD.findall(word)}
    return Highlight(frozenset(tokens), fold(prefix) if prefix else None)


def snippet(body: str, highlight: Highlight, window: int = WINDOW_TOKENS) -> list[Segment]:
    """At most `window` words of `body` around the densest run of matches, matches marked."""
    tokens = list(_WORD.finditer(body))
    if not tokens:
        return [Segment(body.strip(), False)] if body.strip() else []
    hits = [index for index, token in enumerate(tokens) if highlight.matches(token.group())]
    start = 0
    if hits:
        # The window holding the most matches, starting a little before its first one.
        best, best_count = hits[0], 0
        for first in hits:
            count = sum(1 for index in hits if first <= index < first + window - _LEAD_TOKENS)
            if count > best_count:
                best, best_count = first, count
        start = max(0, min(best - _LEAD_TOKENS, len(tokens) - window))
    end = min(len(tokens), start + window)
    marked = set(hits)
    segments: list[Segment] = []
    text_from = 0 if start == 0 else tokens[start].start()
    cursor = text_from
    for index in range(start, end):
        token = tokens[index]
        if index in marked:
            if token.start() > cursor:
                segments.append(Segment(body[cursor : token.start()], False))
            segments.append(Segment(token.group(), True))
            cursor = token.end()
    text_to = len(body) if end == len(tokens) else tokens[end - 1].end()
    if text_to > cursor:
        segments.append(Segment(body[cursor:text_to], False))
    segments = [_flat(s) for s in segments if s.text]
    if start > 0:
        segments.insert(0, Segment(ELLIPSIS, False))
    if end < len(tokens):
        segments.append(Segment(ELLIPSIS, False))
    return _merge(segments)


def _flat(segment: Segment) -> Segment:
    """One line: a snippet is shown in a list, where line breaks would only get in the way."""
    return Segment(_SPACES.sub(" ", segment.text), segment.match)


def _merge(segments: list[Segment]) -> list[Segment]:
    merged: list[Segment] = []
    for segment in segments:
        if merged and not segment.match and not merged[-1].match:
            merged[-1] = Segment(merged[-1].text + segment.text, False)
        else:
            merged.append(segment)
    return merged
