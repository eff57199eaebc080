"""Comment text, offline and without a database: language, words, masking, codebooks, themes, clusters.

Pure text processing: nothing here reads or writes the store (the tags of a
dataset are written by :mod:`nps.store.tagging` and read by :mod:`nps.query.themes`).

- :mod:`~nps.text.language`: a comment's language (py3langid), one or many at a time;
- :mod:`~nps.text.words`: tokens, stopwords, lemmas (simplemma), folding, negation;
- :mod:`~nps.text.masking`: personal data (e-mail, IBAN, card, phone) masked;
- :mod:`~nps.text.codebook`: the codebook model, its term syntax, reading YAML;
- :mod:`~nps.text.codebooks`: editing a codebook (pure), and writing it as YAML;
- :mod:`~nps.text.matching`: which themes one comment mentions;
- :mod:`~nps.text.tagging`: tagging many comments, shared among worker processes;
- :mod:`~nps.text.prewarm`: what the tagging pool's forkserver loads once (imported only by it);
- :mod:`~nps.text.terms`: counting terms and scoring them between two groups (Fightin' Words);
- :mod:`~nps.text.search`: search terms in comments, and highlighting them;
- :mod:`~nps.text.clusters`: groups of similar comments (TF-IDF, NMF) and turning one into a theme.
"""

from __future__ import annotations

from nps.domain import CODEBOOK_LANGUAGES, LANGUAGES
from nps.domain import UNKNOWN_LANGUAGE as UNKNOWN
from nps.text.clusters import Cluster, cluster_comments, cluster_to_theme, comment_terms, default_k
from nps.text.codebook import (
    AFFIRMED_MARK,
    CONTEXT_WINDOW,
    DEFAULT_CODEBOOK,
    EXCLUSION_MARK,
    Codebook,
    TermSpec,
    load_codebook,
    parse_codebook,
    parse_term,
)
from nps.text.codebooks import add_theme, add_words, codebook_from_yaml, codebook_to_yaml, merge_themes, remove_theme
from nps.text.language import (
    MIN_CONFIDENCE,
    MIN_WORDS,
    detect_language,
    detect_languages,
    prepare_language_detection,
)
from nps.text.masking import is_card_number, is_iban, mask_frame, mask_personal_data
from nps.text.matching import tag_comment
from nps.text.search import MAX_TERMS, highlight, parse_query
from nps.text.tagging import (
    LANGUAGE_CODES,
    POOL_MIN_COMMENTS,
    TaggingCancelled,
    pool_size,
    tag_arrays,
    tag_comments,
)
from nps.text.terms import count_terms
from nps.text.words import (
    CACHE_ENV,
    CONTRASTS,
    NEGATION_MARK,
    NEGATION_SCOPE,
    NEGATORS,
    cache_dir,
    fold,
    lemmatize,
    negated_tokens,
    negation_flags,
    sentence_numbers,
    split_words,
    tokenize,
)

__all__ = [
    "AFFIRMED_MARK", "CACHE_ENV", "CODEBOOK_LANGUAGES", "CONTEXT_WINDOW", "CONTRASTS", "DEFAULT_CODEBOOK",
    "EXCLUSION_MARK", "LANGUAGES", "LANGUAGE_CODES", "MAX_TERMS", "MIN_CONFIDENCE", "MIN_WORDS", "NEGATION_MARK",
    "NEGATION_SCOPE", "NEGATORS", "POOL_MIN_COMMENTS", "UNKNOWN",
    "Cluster", "Codebook", "TaggingCancelled", "TermSpec",
    "add_theme", "add_words", "cache_dir", "cluster_comments", "cluster_to_theme", "codebook_from_yaml",
    "codebook_to_yaml",
    "comment_terms", "count_terms", "default_k", "detect_language", "detect_languages", "fold", "highlight",
    "is_card_number", "is_iban", "lemmatize", "load_codebook", "mask_frame", "mask_personal_data", "merge_themes",
    "negated_tokens", "negation_flags", "parse_codebook", "parse_query", "parse_term", "pool_size",
    "prepare_language_detection", "remove_theme", "sentence_numbers", "split_words",
    "tag_arrays", "tag_comment", "tag_comments", "tokenize",
]
