"""Search terms in comments: words and "quoted phrases", found ignoring case and accents.

:func:`parse_query` reads a search into folded terms; :func:`highlight` splits a
comment into pieces, marking where the terms appear (the comment's own case and
accents kept). :mod:`nps.query.explorer` searches the stored comments with them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from nps.text.words import fold

MAX_TERMS = 10

_TERM = re.compile(r'"([^"]*)"|(\S+)')


def parse_query(query: str | None) -> tuple[str, ...]:
    """The search terms of ``query``: "quoted phrases" and single words, folded, deduplicated, in order.

    Words are folded with :func:`nps.text.fold` (lower case, no accents); a
    phrase keeps its inner spaces (collapsed to one). Punctuation around a word
    is kept, so ``"C++"`` stays searchable. Raises ValueError for more than
    :data:`MAX_TERMS` terms.
    """
    if not query:
        return ()
    terms: list[str] = []
    for phrase, word in _TERM.findall(query):
        term = " ".join((phrase or word).split())
        term = fold(term)
        if term and term not in terms:
            terms.append(term)
    if len(terms) > MAX_TERMS:
        raise ValueError(f"search for at most {MAX_TERMS} words or phrases at a time, not {len(terms)}")
    return tuple(terms)


def _fold_with_positions(value: str) -> tuple[str, list[int]]:
    """``value`` folded character by character, and for each folded character the index it came from."""
    folded: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(value):
        decomposed = unicodedata.normalize("NFKD", ch.casefold())
        for part in decomposed:
            if not unicodedata.combining(part):
                folded.append(part)
                origin.append(i)
    return "".join(folded), origin


def highlight(value: str | None, terms: Sequence[str]) -> list[tuple[str, bool]]:
    """Split ``value`` into (piece, matched) pieces, marking every occurrence of the folded ``terms``.

    Matching is case- and accent-insensitive like the search; the pieces are the
    original text (accents and case kept) and join back to ``value``. Overlapping
    matches merge. An empty value gives ``[]``.
    """
    if not value:
        return []
    folded, origin = _fold_with_positions(value)
    marked = [False] * len(value)
    for term in terms:
        if not term:
            continue
        start = folded.find(term)
        while start >= 0:
            end = start + len(term)
            for k in range(origin[start], origin[end - 1] + 1):
                marked[k] = True
            start = folded.find(term, start + 1)
    pieces: list[tuple[str, bool]] = []
    begin = 0
    for i in range(1, len(value) + 1):
        if i == len(value) or marked[i] != marked[begin]:
            pieces.append((value[begin:i], marked[begin]))
            begin = i
    return pieces
