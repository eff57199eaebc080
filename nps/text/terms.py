"""Counting and scoring terms: what sets one group's comments apart from another's (Fightin' Words).

:func:`count_terms` counts content words and their n-grams (negated words as
``not_word``); :func:`score_log_odds` scores each term's lean between two
groups with an informative Dirichlet prior. :func:`nps.query.themes.distinctive_terms`
applies both to detractors' and promoters' comments.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import pandas as pd

from nps.text.language import detect_languages
from nps.text.words import negated_tokens


def score_log_odds(
    counts_a: Mapping[str, float], counts_b: Mapping[str, float], prior: Mapping[str, float]
) -> pd.DataFrame:
    """Log-odds ratio of each term between groups a and b, with an informative Dirichlet prior.

    Monroe, Colaresi & Quinn (2008), "Fightin' Words", eq. 16 and 20: with y the
    term counts, n the group totals and α the prior counts (α0 their sum),
    δ = log((y_a+α)/(n_a+α0−y_a−α)) − log((y_b+α)/(n_b+α0−y_b−α)),
    var(δ) ≈ 1/(y_a+α) + 1/(y_b+α), z = δ/√var. Positive z leans to group a.
    Returns DataFrame[term, a, b, delta, z] over the prior's terms with α > 0,
    sorted by z (descending), then term.
    """
    terms = sorted(t for t, a in prior.items() if a > 0)
    alpha = pd.Series([float(prior[t]) for t in terms], index=terms, dtype=float)
    ya = pd.Series([float(counts_a.get(t, 0.0)) for t in terms], index=terms, dtype=float)
    yb = pd.Series([float(counts_b.get(t, 0.0)) for t in terms], index=terms, dtype=float)
    a0, na, nb = alpha.sum(), float(sum(counts_a.values())), float(sum(counts_b.values()))
    delta = (ya + alpha).div(na + a0 - ya - alpha).map(math.log) - (yb + alpha).div(nb + a0 - yb - alpha).map(math.log)
    z = delta / (1.0 / (ya + alpha) + 1.0 / (yb + alpha)) ** 0.5
    out = pd.DataFrame(
        {"term": terms, "a": ya.to_numpy(), "b": yb.to_numpy(), "delta": delta.to_numpy(), "z": z.to_numpy()}
    )
    return out.sort_values(["z", "term"], ascending=[False, True], kind="stable").reset_index(drop=True)


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
