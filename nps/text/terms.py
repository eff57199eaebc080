"""Counting and scoring terms: what sets one group's comments apart from another's (Fightin' Words).

:func:`count_terms` counts content words and their n-grams (negated words as
``not_word``); :func:`nps.stats.score_log_odds` scores each term's lean between two
groups with an informative Dirichlet prior. :func:`nps.query.themes.distinctive_terms`
applies both to detractors' and promoters' comments.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from nps.text.language import detect_languages
from nps.text.words import negated_tokens


def count_terms(
    comments: Sequence[str | None],
    ngrams: tuple[int, int] = (1, 2),
    languages: Sequence[str] | None = None,
) -> dict[str, int]:
    """Occurrences of each term (lower-case words without stopwords, and their n-grams) in ``comments``.

    Each comment's language (``languages``, or detected when None) picks its
    stopwords and negators; a word a negator reaches is counted as
    ``not_word`` (:func:`nps.text.negated_tokens`: "not happy" is
    ``not_happy``, never ``happy``), and the negators themselves are not
    terms. n-grams join adjacent content words with a space. ``ngrams`` is
    the (min, max) length. Raises ValueError for bad n-gram lengths.
    """
    low, high = ngrams
    if not 1 <= low <= high:
        raise ValueError(f"n-gram lengths must satisfy 1 <= min <= max, not {ngrams!r}")
    if languages is None:
        languages = detect_languages(comments)
    counts: dict[str, int] = {}
    for comment, lang in zip(comments, languages):
        words = negated_tokens(comment, lang)
        for size in range(low, high + 1):
            for i in range(len(words) - size + 1):
                term = " ".join(words[i:i + size])
                counts[term] = counts.get(term, 0) + 1
    return counts
