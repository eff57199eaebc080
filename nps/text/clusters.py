"""Discovery: groups of similar comments that no codebook theme covers, and turning one into a theme.

Each comment becomes its content words' lemmas (stopwords of its language
removed, see :mod:`nps.text.words`) and the pairs of adjacent ones; TF-IDF over those
terms, then non-negative matrix factorisation (NMF, scikit-learn) into ``k``
components. A comment joins the component it loads on most, if that loading is
at least ``min_weight`` (on components scaled to unit length); otherwise it stays
unclustered. The factorisation is seeded (``init="nndsvda"``, fixed
``random_state``), so the same comments give the same clusters.

At most :data:`MAX_COMMENTS` comments are clustered: above that, a seeded
sample of them (each :class:`Cluster` says how many were clustered out of how
many).
"""

from __future__ import annotations

import math
import random
import warnings
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from nps.domain import LANGUAGES
from nps.domain import UNKNOWN_LANGUAGE as UNKNOWN
from nps.text import words as text_words
from nps.text.codebook import Codebook
from nps.text.language import detect_languages
from nps.text.masking import mask_personal_data

MAX_COMMENTS = 20_000
# Below this many comments (or two shared terms) there is nothing to discover.
MIN_COMMENTS = 20
MAX_K = 8
MIN_WEIGHT = 0.1
MIN_SIZE = 2
# A term must appear in this many comments to count (typos and one-offs are noise).
MIN_DF = 2
# The language a theme's word goes under when none of its comments had a known language.
FALLBACK_LANGUAGE = "en"


@dataclass(frozen=True)
class Cluster:
    """A group of similar comments.

    ``id`` numbers clusters from 1, largest first. ``terms`` are the most
    characteristic terms (lemmas, or two adjacent lemmas joined by a space),
    strongest first; ``languages`` gives, for each term, the languages of the
    cluster's comments it appeared in. ``size`` is the number of comments in the
    cluster and ``share`` that over ``clustered`` (0..1). ``examples`` are the
    comments most typical of the cluster, with personal data masked.
    ``language`` is the most common known language of its comments (``"unknown"``
    when none is known). ``members`` are the positions of its comments in the
    sequence that was clustered. ``clustered`` comments were clustered out of
    ``total`` given: fewer when a sample was taken.
    """

    id: int
    terms: tuple[str, ...]
    size: int
    share: float
    examples: tuple[str, ...]
    languages: tuple[tuple[str, ...], ...]
    language: str
    members: tuple[int, ...]
    clustered: int
    total: int

    @property
    def sampled(self) -> bool:
        """True when the cluster comes from a sample of the comments."""
        return self.clustered < self.total


def default_k(n: int) -> int:
    """The number of components for ``n`` comments: √(n/5) rounded, between 2 and :data:`MAX_K`."""
    return max(2, min(MAX_K, round(math.sqrt(n / 5))))


def _content_words(comment: str, lang: str) -> list[str]:
    """Content lemmas of a comment; for an unknown language, without any language's stopwords."""
    if lang in LANGUAGES:
        return text_words.lemmatize(text_words.tokenize(comment, lang), lang)
    words = text_words.split_words(comment)
    # Short comments are "unknown": drop a word if it is a stopword anywhere.
    for other in LANGUAGES:
        words = [w for w in words if text_words.tokenize(w, other)]
    return [w.lower() for w in words]


def comment_terms(comment: str | None, lang: str) -> list[str]:
    """The terms of one comment: its content lemmas (two letters or more) and adjacent pairs of them."""
    lemmas = [w for w in _content_words(comment or "", lang) if len(w) >= 2]
    return lemmas + [f"{a} {b}" for a, b in zip(lemmas, lemmas[1:])]


def cluster_comments(
    comments: Sequence[str | None],
    *,
    languages: Sequence[str] | None = None,
    k: int | None = None,
    seed: int = 0,
    top_terms: int = 8,
    examples: int = 3,
    min_weight: float = MIN_WEIGHT,
    min_size: int = MIN_SIZE,
    max_comments: int = MAX_COMMENTS,
) -> list[Cluster]:
    """Cluster ``comments`` by their words; returns clusters largest first ([] when there is too little).

    ``languages`` gives each comment's language (detected when None). ``k`` is
    the number of components (default :func:`default_k` of the number of
    comments clustered, at most the number of terms). Clusters with fewer than
    ``min_size`` comments are left out. With more than ``max_comments`` comments,
    a sample of that many drawn with ``seed`` is clustered. Returns [] for
    fewer than :data:`MIN_COMMENTS` non-empty comments or when fewer than two
    terms are shared by :data:`MIN_DF` comments. Raises ValueError for a ``k``
    below 1.
    """
    if k is not None and k < 1:
        raise ValueError(f"k is the number of clusters: give 1 or more, not {k}")
    if languages is not None and len(languages) != len(comments):
        raise ValueError(f"{len(languages)} languages for {len(comments)} comments: give one per comment")
    kept = [i for i, c in enumerate(comments) if isinstance(c, str) and c.strip()]
    total = len(kept)
    if total < MIN_COMMENTS:
        return []
    if total > max_comments:
        kept = sorted(random.Random(seed).sample(kept, max_comments))
    docs = [str(comments[i]) for i in kept]
    langs = [languages[i] for i in kept] if languages is not None else detect_languages(docs)
    terms = [comment_terms(doc, lang) for doc, lang in zip(docs, langs)]
    df = Counter(t for doc_terms in terms for t in set(doc_terms))
    vocabulary = sorted(t for t, n in df.items() if n >= MIN_DF)
    if len(vocabulary) < 2:
        return []
    weights, components = _factorise(terms, vocabulary, k or default_k(len(docs)), seed)
    best = weights.argmax(axis=1)
    strength = weights.max(axis=1)
    member = strength >= min_weight
    found: list[tuple[int, int]] = []  # (size, component)
    for c in range(components.shape[0]):
        size = int(((best == c) & member).sum())
        if size >= min_size:
            found.append((size, c))
    found.sort(key=lambda sc: (-sc[0], sc[1]))
    out = []
    for rank, (_, c) in enumerate(found, start=1):
        rows = np.flatnonzero((best == c) & member)
        out.append(_describe(rank, c, rows, docs, langs, terms, weights, components, vocabulary,
                             members=tuple(kept[i] for i in rows), top_terms=top_terms, examples=examples,
                             total=total))
    return out


def _factorise(terms: list[list[str]], vocabulary: list[str], k: int, seed: int) -> tuple[Any, Any]:
    """NMF of the TF-IDF matrix: (comment weights, components scaled to unit length)."""
    from sklearn.decomposition import NMF
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.feature_extraction.text import TfidfVectorizer

    # Terms are computed already: the "analyzer" hands each comment's list through.
    vectorizer = TfidfVectorizer(analyzer=_as_is, vocabulary=vocabulary, sublinear_tf=True)
    matrix = vectorizer.fit_transform(terms)
    k = min(k, len(vocabulary), matrix.shape[0])
    model = NMF(n_components=k, init="nndsvda", random_state=seed, max_iter=500)
    with warnings.catch_warnings():
        # A loose fit still ranks terms and comments well, and a perfect one (a handful of
        # identical comments) makes its error a square root of -0.0: neither should alarm a user.
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        weights = model.fit_transform(matrix)
    components = model.components_
    norms = np.linalg.norm(components, axis=1)
    norms[norms == 0] = 1.0
    return weights * norms, components / norms[:, None]


def _as_is(doc: list[str]) -> list[str]:
    return doc


def _describe(
    rank: int, c: int, rows: Any, docs: list[str], langs: list[str], terms: list[list[str]],
    weights: Any, components: Any, vocabulary: list[str], *, members: tuple[int, ...], top_terms: int,
    examples: int, total: int,
) -> Cluster:
    """A :class:`Cluster` for component ``c`` whose members are ``rows``."""
    order = np.argsort(-components[c], kind="stable")
    top = [vocabulary[j] for j in order[:top_terms] if components[c, j] > 0]
    known = Counter(langs[i] for i in rows if langs[i] in LANGUAGES)
    language = min(known, key=lambda lang: (-known[lang], lang)) if known else UNKNOWN
    term_langs = []
    for term in top:
        seen = Counter(langs[i] for i in rows if langs[i] in LANGUAGES and term in terms[i])
        term_langs.append(tuple(sorted(seen, key=lambda lang: (-seen[lang], lang))))
    picked: dict[tuple[str, ...], str] = {}
    for i in sorted(rows, key=lambda i: (-weights[i, c], i)):
        if len(picked) >= examples:
            break
        masked = mask_personal_data(docs[i].strip())
        # "Service correct." and "SERVICE CORRECT" are one example.
        picked.setdefault(tuple(text_words.fold(w) for w in text_words.split_words(masked)), masked)
    return Cluster(
        id=rank, terms=tuple(top), size=len(rows), share=len(rows) / len(docs), examples=tuple(picked.values()),
        languages=tuple(term_langs), language=language, members=members, clustered=len(docs), total=total,
    )


def cluster_to_theme(
    codebook: Codebook, cluster: Cluster, name: str, *, terms: Sequence[str] | None = None
) -> Codebook:
    """A new codebook: ``codebook``'s themes plus one named ``name`` whose words are the cluster's terms.

    ``terms`` (default all of ``cluster.terms``) picks the words. Each goes under
    the languages of the cluster's comments it appeared in; a term without one
    (given by hand, or only seen in comments of unknown language) goes under the
    cluster's language, or English when that is unknown too. Raises ValueError
    when ``name`` is empty or a theme of that name exists already, or no term
    is left.
    """
    name = name.strip()
    if not name:
        raise ValueError("the new theme needs a name")
    if name in codebook.themes:
        raise ValueError(f"a theme named {name!r} exists already; pick another name or add the words to it")
    chosen = [t.strip() for t in (cluster.terms if terms is None else terms) if t and t.strip()]
    if not chosen:
        raise ValueError(f"no words for theme {name!r}: pick at least one of the cluster's terms")
    own = dict(zip(cluster.terms, cluster.languages))
    fallback = cluster.language if cluster.language in LANGUAGES else FALLBACK_LANGUAGE
    words: dict[str, list[str]] = {}
    for term in chosen:
        for lang in own.get(term) or (fallback,):
            words.setdefault(lang, []).append(term)
    return Codebook.build({**codebook.themes, name: words})
