"""Words of a comment: tokens, stopwords, lemmas and negation, all offline.

Tokens and lemmas come from simplemma, stopwords from stopwordsiso; nothing is
downloaded at run time. Tokens keep their accents (for display); :func:`fold`
gives the form used for matching (lower case, accents stripped), so "fattura",
"Fattura" and "fatturà" meet. :func:`split_words` and :func:`fold` remember the
pieces real comments repeat, and decoded lemma dictionaries are kept on disk
(:func:`cache_dir`), so tagging a million comments takes seconds.

Negation: :func:`negation_flags` marks the words a negator reaches,
:func:`sentence_numbers` numbers sentences, :func:`negated_tokens` writes
negated words as ``not_word`` (what distinctive terms count).
"""

from __future__ import annotations

import marshal
import os
import re
import threading
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from pathlib import Path

import simplemma
import stopwordsiso

from nps.domain import LANGUAGES

@lru_cache(maxsize=1 << 18)
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
    words: list[str] = []
    known = _CHUNKS.get
    for chunk in text.split():
        if chunk.isalpha():  # the tokenizer's own shortcut: a plain word is one token
            words.append(chunk.lower())
        else:
            found = known(chunk)
            if found is None:
                found = _chunk_words(chunk)
            if found:
                words.extend(found)
    return words


# The words of chunks with letters in them, as real comments repeat them ("ritardo!", "l'app").
_CHUNKS: dict[str, tuple[str, ...]] = {}
_CHUNKS_MAX = 1 << 18
_LETTER = re.compile(r"[^\W\d_]")


def _chunk_words(chunk: str) -> tuple[str, ...]:
    # simplemma's tokenizer works on whitespace-separated chunks one at a time, so a
    # text's words are its chunks' words.
    if not _LETTER.search(chunk):  # numbers and punctuation ("#12345)") hold no word: not kept
        return ()
    words = []
    for token in simplemma.simple_tokenizer(chunk):
        token = _ELISION.sub("", token).strip("'’-").lower()
        if any(ch.isalpha() for ch in token):
            words.append(token)
    if len(_CHUNKS) >= _CHUNKS_MAX:
        _CHUNKS.clear()
    found = _CHUNKS[chunk] = tuple(words)
    return found


def tokenize(text: str | None, lang: str) -> list[str]:
    """The content words of ``text``: :func:`split_words` without ``lang``'s stopwords.

    Stopwords are compared folded; an unknown ``lang`` removes none. Words keep
    their accents.
    """
    stop = _stopwords(lang)
    return [w for w in split_words(text) if fold(w) not in stop]


# simplemma decodes a language's dictionary (front-coded, in Python) on its first use: 1–2.5 s of CPU
# per language, 5–6 s for a codebook's languages, most of a first Comments visit. The decoded
# dictionary is kept on disk with marshal, which reads it back about three times faster.
CACHE_ENV = "PASSAPAROLA_CACHE"


def cache_dir() -> Path:
    """Where decoded lemma dictionaries are kept: ``$PASSAPAROLA_CACHE``, else ``~/.cache/passaparola``."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "passaparola"


def _decoded_dictionary(lang: str) -> dict[bytes, bytes]:
    """simplemma's dictionary for ``lang`` as it decodes it, read from the marshal cache when there."""
    from simplemma.strategies.dictionaries import dictionary_factory as shipped

    source = shipped.DATA_FOLDER / f"{lang}.plzma"
    stat = source.stat()
    cached = cache_dir() / f"simplemma-{simplemma.__version__}-{lang}-{stat.st_size}-{stat.st_mtime_ns}.marshal"
    try:
        loaded = marshal.loads(cached.read_bytes())
        if isinstance(loaded, dict):
            return loaded
    except (OSError, EOFError, ValueError, TypeError):
        pass
    decoded = shipped._load_dictionary_from_disk(lang)
    try:  # written whole then renamed, so a concurrent reader never sees half a file
        cached.parent.mkdir(parents=True, exist_ok=True)
        partial = cached.with_suffix(f".{os.getpid()}.{threading.get_ident()}.part")
        partial.write_bytes(marshal.dumps(decoded))
        partial.replace(cached)
    except OSError:
        pass  # a read-only home: decode again next time
    return decoded


def _make_lemmatizer() -> Callable[[str, str], str]:
    """simplemma's default lemmatizer, its dictionaries loaded through :func:`_decoded_dictionary`."""
    try:
        from simplemma.strategies import DefaultStrategy
        from simplemma.strategies.dictionaries import dictionary_factory
        from simplemma.strategies.dictionaries.dictionary_factory import (
            CachingDictionaryFactory,
            MappingStrToByteString,
        )
    except ImportError:  # another simplemma layout: its own loading, slower but the same lemmas
        return simplemma.lemmatize
    if not (hasattr(dictionary_factory, "_load_dictionary_from_disk") and hasattr(dictionary_factory, "DATA_FOLDER")):
        return simplemma.lemmatize  # the private loader this cache wraps has moved: use simplemma's own

    class _Dictionaries(CachingDictionaryFactory):
        def _get_dictionary_uncached(self, lang: str) -> Mapping[str, str]:
            return MappingStrToByteString(_decoded_dictionary(lang))

    return simplemma.Lemmatizer(lemmatization_strategy=DefaultStrategy(dictionary_factory=_Dictionaries())).lemmatize


_LEMMATIZE = _make_lemmatizer()


@lru_cache(maxsize=200_000)
def _lemma(word: str, lang: str) -> str:
    # German nouns are listed capitalised; try the word as written first.
    lemma = _LEMMATIZE(word, lang)
    if lang == "de" and lemma == word:
        lemma = _LEMMATIZE(word.capitalize(), lang)
    return lemma.lower()


def lemmatize(tokens: Iterable[str], lang: str) -> list[str]:
    """The lower-case lemma of each token in ``lang`` (simplemma); tokens unchanged for an unknown language."""
    if lang not in LANGUAGES:
        return [t.lower() for t in tokens]
    return [_lemma(t, lang) for t in tokens]


# --- negation ---------------------------------------------------------------------------------

# Words that negate what follows, per language, lower case as written (accents kept: Italian
# "né" is "nor" but "ne" is a pronoun). Unaccented spellings people type are listed too.
NEGATORS: dict[str, frozenset[str]] = {
    "en": frozenset({"not", "no", "never", "nobody", "nothing", "none", "neither", "nor", "without", "hardly",
                     "cannot", "nowhere", "dont", "didnt", "doesnt", "isnt", "wasnt", "cant", "wont", "couldnt",
                     "wouldnt", "shouldnt", "arent", "werent", "havent", "hasnt", "hadnt", "aint"}),
    "it": frozenset({"non", "mai", "niente", "nulla", "nessuno", "nessuna", "nessun", "senza", "né", "neanche",
                     "nemmeno", "neppure", "mica"}),
    "fr": frozenset({"ne", "pas", "jamais", "rien", "aucun", "aucune", "sans", "ni", "guère", "nullement"}),
    "es": frozenset({"no", "nunca", "jamás", "jamas", "nada", "nadie", "ningún", "ningun", "ninguna", "ninguno",
                     "sin", "ni", "tampoco"}),
    "de": frozenset({"nicht", "kein", "keine", "keinen", "keinem", "keiner", "keines", "nie", "niemals", "nichts",
                     "niemand", "ohne", "weder", "nirgends"}),
    "pt": frozenset({"não", "nao", "nunca", "jamais", "nada", "ninguém", "ninguem", "nenhum", "nenhuma", "sem",
                     "nem"}),
}
# Words that end a negation's scope as punctuation does: "not fast but cheap".
CONTRASTS: dict[str, frozenset[str]] = {
    "en": frozenset({"but", "however", "although", "though", "whereas"}),
    "it": frozenset({"ma", "però", "pero", "tuttavia", "invece", "anche se"}),
    "fr": frozenset({"mais", "cependant", "pourtant", "toutefois", "sinon"}),
    "es": frozenset({"pero", "sino", "aunque", "sin embargo"}),
    "de": frozenset({"aber", "sondern", "jedoch", "doch", "trotzdem"}),
    "pt": frozenset({"mas", "porém", "porem", "contudo", "todavia"}),
}
# A negator reaches this many words after it ("pas du tout satisfait", "not at all happy").
NEGATION_SCOPE = 3
# Negated terms are written with this mark: "not happy" counts as "not_happy", not "happy".
NEGATION_MARK = "not_"
# Punctuation that ends a clause, and with it a negation's scope.
_BREAKS = frozenset(".,;:!?…()[]{}\"«»“”„¡¿/|–—-")
_SENTENCE_BREAKS = frozenset(".;!?…")
_IN_NUMBER = re.compile(r"(?<=\d)[.,:/-](?=\d)")
# An elided French "n'" (n'est, n'ai): a negator glued to the next word.
_ELIDED_NE = re.compile(r"^n['’](?=\w)", re.IGNORECASE)
_ALL_NEGATORS = frozenset().union(*NEGATORS.values())
_ALL_CONTRASTS = frozenset().union(*CONTRASTS.values())


def _break(chars: str) -> int:
    """How strongly punctuation ``chars`` separate the words around them: 0 not, 1 a clause, 2 a sentence."""
    chars = _IN_NUMBER.sub("", chars)  # 49.90, 01/05, 3-4: not punctuation
    if any(ch in _SENTENCE_BREAKS for ch in chars):
        return 2
    return 1 if any(ch in _BREAKS for ch in chars) else 0


def _clause_words(text: str) -> tuple[list[str], list[int], list[bool]]:
    """:func:`split_words` of ``text``, and per word: the :func:`_break` before it, an elided "n'" before it."""
    words: list[str] = []
    breaks: list[int] = []
    elided: list[bool] = []
    pending = 0
    for chunk in text.split():
        if chunk.isalpha():
            words.append(chunk.lower())
            breaks.append(pending)
            elided.append(False)
            pending = 0
            continue
        if not _LETTER.search(chunk):  # a number or punctuation alone
            pending = max(pending, _break(chunk))
            continue
        for token in simplemma.simple_tokenizer(chunk):
            glued_ne = bool(_ELIDED_NE.match(token))
            word = _ELISION.sub("", token).strip("'’-").lower()
            if any(ch.isalpha() for ch in word):
                words.append(word)
                breaks.append(max(pending, _break(token[:len(token) - len(token.lstrip("'’-"))])))
                elided.append(glued_ne)
                pending = _break(token[len(token.rstrip("'’-")):])
            else:
                pending = max(pending, _break(token))
    return words, breaks, elided


def sentence_numbers(text: str | None, lang: str) -> list[int]:
    """For each word of :func:`split_words` of ``text``, the number (from 0) of the sentence it is in.

    A sentence ends at ``. ! ? ; …`` and at a contrast word of ``lang``
    (:data:`CONTRASTS`: "but", "ma", "mais", …; every language's for an
    unknown one): "disponibile e chiaro, ma consegna in ritardo" is two.
    """
    if not text:
        return []
    words, breaks, _ = _clause_words(text)
    contrasts = CONTRASTS.get(lang, _ALL_CONTRASTS)
    numbers: list[int] = []
    current = 0
    for i, word in enumerate(words):
        if i and (breaks[i] == 2 or word in contrasts):
            current += 1
        numbers.append(current)
    return numbers


def _is_negator(word: str, negators: frozenset[str]) -> bool:
    return word in negators or word.endswith(("n't", "n’t"))


def negation_flags(text: str | None, lang: str) -> list[bool]:
    """For each word of :func:`split_words` of ``text``: True when a negator of ``lang`` reaches it.

    A negator (:data:`NEGATORS`, English "…n't", French elided "n'") reaches
    the next :data:`NEGATION_SCOPE` words up to the first content word (not a
    stopword of ``lang``: "not at all happy with it" negates "at", "all",
    "happy"), and stops early at punctuation
    (``, . ; : ! ? ( ) …`` and dashes) or a contrast word (:data:`CONTRASTS`:
    "but", "ma", "mais", …). A negator is not itself negated; one inside a
    scope starts a scope of its own. For an unknown language every
    language's negators count.
    """
    if not text:
        return []
    words, breaks, elided = _clause_words(text)
    negators = NEGATORS.get(lang, _ALL_NEGATORS)
    contrasts = CONTRASTS.get(lang, _ALL_CONTRASTS)
    stop = _stopwords(lang) if lang in LANGUAGES else _all_stopwords()
    flags = [False] * len(words)
    left = 0  # words the current scope still reaches
    for i, word in enumerate(words):
        if breaks[i] or word in contrasts:
            left = 0
        if elided[i]:
            left = NEGATION_SCOPE
        if _is_negator(word, negators):
            left = NEGATION_SCOPE
            continue
        if left > 0:
            flags[i] = True
            # The first content word is what is negated: "not happy with the delivery".
            left = left - 1 if fold(word) in stop else 0
    return flags


@lru_cache(maxsize=1)
def _all_stopwords() -> frozenset[str]:
    return frozenset().union(*(_stopwords(lang) for lang in LANGUAGES))


def negated_tokens(text: str | None, lang: str) -> list[str]:
    """The content words of ``text`` with negation marked: what distinctive terms count.

    Like :func:`tokenize` (``lang``'s stopwords removed, accents kept), with
    the negators themselves dropped and every word a negator reaches (see
    :func:`negation_flags`) written with :data:`NEGATION_MARK`: "not happy"
    gives ``["not_happy"]``, "pas du tout satisfait" ``["not_satisfait"]``.
    """
    if not text:
        return []
    words = split_words(text)
    flags = negation_flags(text, lang)
    stop = _stopwords(lang)
    negators = NEGATORS.get(lang, _ALL_NEGATORS)
    out = []
    for word, negated in zip(words, flags):
        if fold(word) in stop or _is_negator(word, negators):
            continue
        out.append(NEGATION_MARK + word if negated else word)
    return out
