"""Comment text: masking personal data, language, tokens and lemmas — all offline.

Language comes from py3langid restricted to :data:`LANGUAGES`; tokens and lemmas
from simplemma; stopwords from stopwordsiso. Nothing is downloaded at run time:
the three packages ship their models and lists.

Tokens keep their accents (for display); :func:`fold` gives the form used for
matching (lower case, accents stripped), so "fattura", "Fattura" and "fatturà"
meet.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

import simplemma
import stopwordsiso

LANGUAGES: tuple[str, ...] = ("it", "en", "fr", "es", "de", "pt")
UNKNOWN = "unknown"
# Below this many words the detector guesses; below this probability (normalised
# over the six languages) it is unsure. Both give "unknown".
MIN_WORDS = 3
MIN_CONFIDENCE = 0.6

# --- masking ----------------------------------------------------------------------------------

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Country code, check digits, then 11..30 letters/digits, optionally in groups of four.
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b")
# 13..19 digits, optionally grouped by spaces or dashes: the length of payment cards.
_CARD = re.compile(r"(?<![\d,.])\d(?:[ -]?\d){12,18}(?![\d,.]?\d)")
_PHONES = (
    # International: +CC or 00CC, then groups of digits (brackets around an area code allowed).
    re.compile(r"(?<![\w+])(?:\+|00)[1-9]\d{0,2}(?:[ .-]?\(?\d{1,4}\)?){2,6}(?!\d)"),
    # Italian mobile 3xx xxx xxxx (also written as one block of ten digits).
    re.compile(r"(?<![\d,.])3\d{2}([ .-]?)\d{3}\1\d{3,4}(?![\d,.]?\d)"),
    # French 0x xx xx xx xx; the separator must repeat so that dates (01.05.2018) stay.
    re.compile(r"(?<![\d,.])0[1-9]([ .-]?)\d{2}(?:\1\d{2}){3}(?![\d,.]?\d)"),
    # Italian landline: 0 + area code, a separator, then the number.
    re.compile(r"(?<![\d,.])0\d{1,3}[ /-]\d{5,8}(?![\d,.]?\d)"),
)


def mask_personal_data(text: str) -> str:
    """Return ``text`` with e-mail addresses, IBAN-, card- and phone-like numbers replaced.

    Placeholders are ``[email]``, ``[iban]``, ``[card]`` and ``[phone]``. Ordinary
    numbers (counts, years, prices, order numbers under 13 digits) are left as
    they are. ``None`` or an empty string comes back unchanged.
    """
    if not text:
        return text
    out = _EMAIL.sub("[email]", text)
    # IBANs and cards first: their digit runs would otherwise be read as phone numbers.
    out = _IBAN.sub("[iban]", out)
    out = _CARD.sub("[card]", out)
    for pattern in _PHONES:
        out = pattern.sub("[phone]", out)
    return out


# --- language ---------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _identifier() -> object:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(LANGUAGES))
    return identifier


_WORD = re.compile(r"[^\W\d_]{2,}")


def detect_language(text: str | None) -> str:
    """The ISO 639-1 code of ``text``'s language among :data:`LANGUAGES`, or ``"unknown"``.

    ``"unknown"`` when the text has fewer than :data:`MIN_WORDS` words of two
    letters or more, or when the detector's probability is below
    :data:`MIN_CONFIDENCE`.
    """
    if not text or len(_WORD.findall(text)) < MIN_WORDS:
        return UNKNOWN
    lang, prob = _identifier().classify(text)  # type: ignore[attr-defined]
    return str(lang) if prob >= MIN_CONFIDENCE else UNKNOWN


# --- tokens and lemmas ------------------------------------------------------------------------


def fold(word: str) -> str:
    """``word`` for matching: case-folded, accents and other combining marks removed."""
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


# Elided articles and prepositions (l'app, dell'ordine, j'ai, qu'il): the word is after the apostrophe.
_ELISION = re.compile(
    r"^(?:l|d|j|m|n|s|t|c|qu|jusqu|lorsqu|puisqu|un|dell|dall|nell|sull|all|coll|quell|quest|anch|po)['’](?=\w)",
    re.IGNORECASE,
)


@lru_cache(maxsize=None)
def _stopwords(lang: str) -> frozenset[str]:
    if lang not in LANGUAGES:
        return frozenset()
    return frozenset(fold(w) for w in stopwordsiso.stopwords(lang))


def split_words(text: str | None) -> list[str]:
    """The words of ``text`` in lower case, accents kept; punctuation, emoji and numbers dropped.

    Elided articles are cut off (``"l'app"`` gives ``"app"``); hyphenated words
    stay whole. Returns ``[]`` for an empty text.
    """
    if not text:
        return []
    words = []
    for token in simplemma.simple_tokenizer(text):
        token = _ELISION.sub("", token).strip("'’-").lower()
        if any(ch.isalpha() for ch in token):
            words.append(token)
    return words


def tokenize(text: str | None, lang: str) -> list[str]:
    """The content words of ``text``: :func:`split_words` without ``lang``'s stopwords.

    Stopwords are compared folded; an unknown ``lang`` removes none. Words keep
    their accents.
    """
    stop = _stopwords(lang)
    return [w for w in split_words(text) if fold(w) not in stop]


@lru_cache(maxsize=200_000)
def _lemma(word: str, lang: str) -> str:
    # German nouns are listed capitalised; try the word as written first.
    lemma = simplemma.lemmatize(word, lang)
    if lang == "de" and lemma == word:
        lemma = simplemma.lemmatize(word.capitalize(), lang)
    return lemma.lower()


def lemmatize(tokens: Iterable[str], lang: str) -> list[str]:
    """The lower-case lemma of each token in ``lang`` (simplemma); tokens unchanged for an unknown language."""
    if lang not in LANGUAGES:
        return [t.lower() for t in tokens]
    return [_lemma(t, lang) for t in tokens]
