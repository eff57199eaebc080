"""Comment text: masking personal data, language, tokens and lemmas — all offline.

Language comes from py3langid restricted to :data:`LANGUAGES`; tokens and lemmas
from simplemma; stopwords from stopwordsiso. Nothing is downloaded at run time:
the three packages ship their models and lists.

Tokens keep their accents (for display); :func:`fold` gives the form used for
matching (lower case, accents stripped), so "fattura", "Fattura" and "fatturà"
meet.

For many comments at once, :func:`detect_languages` gives :func:`detect_language`'s
answers in batches, and :func:`split_words` and :func:`fold` remember the pieces
real comments repeat, so tagging a million comments takes seconds.
"""

from __future__ import annotations

import io
import lzma
import marshal
import os
import re
import threading
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import simplemma
import stopwordsiso
from stdnum import ean, iban, luhn

from nps.domain import LANGUAGES
from nps.domain import UNKNOWN_LANGUAGE as UNKNOWN
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
# Payment cards' issuer digit (ISO/IEC 7812): 2 Mastercard, 3 Amex/JCB/Diners, 4 Visa, 5 Mastercard/Maestro,
# 6 Discover/UnionPay/Maestro. SIM numbers (89…) and other Luhn-checked ids start otherwise.
_CARD_ISSUERS = frozenset("23456")


def is_card_number(candidate: str) -> bool:
    """True when ``candidate`` (digits, maybe grouped by spaces or dashes) can be a payment card number.

    It must have 13 to 19 digits, start with an issuer digit (2–6) and pass the
    Luhn check; a 13-digit number that is a valid EAN-13 barcode is a product,
    not a card.
    """
    digits = re.sub(r"[ -]", "", candidate)
    if not (digits.isdigit() and 13 <= len(digits) <= 19 and digits[0] in _CARD_ISSUERS):
        return False
    if not luhn.is_valid(digits):
        return False
    return not (len(digits) == 13 and ean.is_valid(digits))


def is_iban(candidate: str) -> bool:
    """True when ``candidate`` (maybe in groups of four) is an IBAN whose country format and checksum hold."""
    return bool(iban.is_valid(candidate))


# Each pattern, the check a match must pass to be masked (None: always), its placeholder, and
# whether a match that fails the check still keeps later patterns off its span. In order: a span
# taken by an earlier pattern is not looked at again.
_DETECTORS: tuple[tuple[re.Pattern[str], Callable[[str], bool] | None, str, bool], ...] = (
    (_EMAIL, None, "[email]", True),
    # An IBAN-shaped code whose checksum fails is a code all the same: no card or phone inside it.
    (_IBAN, is_iban, "[iban]", True),
    # A 13..19-digit run that is not a card may still hold a phone number (0039 333 123 4567).
    (_CARD, is_card_number, "[card]", False),
    *((pattern, None, "[phone]", True) for pattern in _PHONES),
)


def mask_personal_data(text: str) -> str:
    """Return ``text`` with e-mail addresses, IBANs, card and phone numbers replaced.

    Placeholders are ``[email]``, ``[iban]``, ``[card]`` and ``[phone]``. An IBAN
    is masked only when its checksum holds, a card number only when it passes
    :func:`is_card_number` (Luhn, issuer digit, not an EAN-13); other numbers —
    counts, years, prices, order and tracking numbers, barcodes — are left as
    they are. ``None`` or an empty string comes back unchanged.
    """
    if not text:
        return text
    taken: list[tuple[int, int, str]] = []
    for pattern, check, placeholder, blocks in _DETECTORS:
        for match in pattern.finditer(text):
            start, end = match.span()
            if any(start < stop and begin < end for begin, stop, _ in taken):
                continue
            if check is None or check(match.group()):
                taken.append((start, end, placeholder))
            elif blocks:
                taken.append((start, end, match.group()))
    if not taken:
        return text
    out, last = [], 0
    for start, end, replacement in sorted(taken):
        out.append(text[last:start])
        out.append(replacement)
        last = end
    out.append(text[last:])
    return "".join(out)


# --- language ---------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _identifier() -> object:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = _identifier_from_cache() or LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(LANGUAGES))
    return identifier


def _identifier_from_cache() -> Any:
    """py3langid's identifier from its model kept as a zlib npz in :func:`cache_dir`, or None.

    The shipped model is LZMA-compressed: ~0.8 s of CPU to read against ~0.2 s for the same
    arrays compressed with zlib. Written on first use; None (py3langid's own loading) on any trouble.
    """
    try:
        from py3langid import modelio
        from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

        source = Path(MODEL_FILE) if Path(MODEL_FILE).is_absolute() else MODEL_DIR / MODEL_FILE
        stat = source.stat()
        cached = cache_dir() / f"py3langid-{stat.st_size}-{stat.st_mtime_ns}.npz"
        if not cached.exists():
            with np.load(io.BytesIO(lzma.decompress(source.read_bytes())), allow_pickle=False) as shipped:
                arrays = {name: shipped[name] for name in shipped.files}
            cached.parent.mkdir(parents=True, exist_ok=True)
            partial = cached.with_name(f"{cached.stem}.{os.getpid()}.{threading.get_ident()}.part.npz")
            np.savez_compressed(partial, **arrays)
            partial.replace(cached)
        with np.load(cached, allow_pickle=False) as data:  # what py3langid's load_model makes of them
            return LanguageIdentifier(
                np.asarray(data["ptc"]), np.asarray(data["pc"]), data["classes"].tolist(),
                modelio._to_array(data["nextmove"]), data["out_feat"].tolist(),
                norm_probs=True, tk_row=modelio._to_array(data["nextmove_row"]),
            )
    except Exception:  # noqa: BLE001 - only a quicker way to the same model
        return None


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


class _BatchModel:
    """py3langid's model as numpy arrays, to walk many texts' byte automata in lock step."""

    def __init__(self, identifier: Any) -> None:
        self.identifier = identifier
        # int32 throughout: the transition table is ~10M entries, read at random.
        self.next_move = np.asarray(identifier.tk_nextmove, dtype=np.int32)
        self.row_base = (np.asarray(identifier.tk_row, dtype=np.int64) << 8).astype(np.int32)
        output = np.asarray(identifier.tk_output, dtype=np.int64)
        self.features = len(identifier.nb_ptc)
        # "No feature" (-1) becomes an extra feature number, dropped before scoring.
        self.output = np.where(output >= 0, output, self.features).astype(np.int32)
        self.weights_by_feature = np.asarray(identifier.nb_ptc, dtype=np.float64)  # (features, languages)
        self.prior = np.asarray(identifier.nb_pc, dtype=np.float64)
        self.classes = [str(c) for c in identifier.nb_classes]


@lru_cache(maxsize=1)
def _batch_model() -> _BatchModel | None:
    """The model for batches; None when py3langid's internals are not as expected (then one by one)."""
    try:
        model = _BatchModel(_identifier())
        model.identifier._encode, model.identifier._alias_pairs  # noqa: B018 - both are used below
    except AttributeError:
        return None
    # A model with merged labels: only the one-by-one path folds them.
    return None if model.identifier._alias_pairs else model


def prepare_language_detection() -> None:
    """Load the language detector's model now (about half a second) instead of at its first use."""
    _identifier()
    _batch_model()


# Texts are walked in groups of similar length (little padding) of this many.
_GROUP = 4096
# The batch scores in float64 where py3langid sums in float32: a text whose decision is
# this close (in log-probability) to a tie or to MIN_CONFIDENCE is classified again one by
# one, so that both paths always agree. The float32 sum of a text of L bytes (about L
# features of weight ~10) is off by at most ~L·eps·10L, ~6e-7·L^1.5 once scaled by
# 1/sqrt(L): the margin covers that with room to spare.
_MARGIN = 0.01
_MARGIN_PER_LENGTH = 1e-6


def _enough_words(text: str) -> bool:
    """``len(_WORD.findall(text)) >= MIN_WORDS``, usually answered from the plain words."""
    seen = 0
    for chunk in text.split():
        # A chunk of letters only is one whole run of letters.
        if len(chunk) > 1 and chunk.isalpha():
            seen += 1
            if seen >= MIN_WORDS:
                return True
    return len(_WORD.findall(text)) >= MIN_WORDS


def _decide_group(model: _BatchModel, encoded: list[bytes], lengths: np.ndarray, threshold: float) -> np.ndarray:
    """Per text: the index of its language, -1 for unknown, -2 when too close to call in float64."""
    size, width, features = len(encoded), int(lengths.max()), model.features
    # One row of bytes per step, one column per text (padded with zero bytes, never counted).
    letters = np.frombuffer(b"".join([e.ljust(width, b"\0") for e in encoded]), dtype=np.uint8)
    letters = letters.reshape(size, width).T.copy()
    next_move, row_base, output = model.next_move, model.row_base, model.output
    state = np.zeros(size, dtype=np.int32)
    found = np.empty((width, size), dtype=np.int32)
    for t in range(width):
        state = next_move[row_base[state] + letters[t]]
        found[t] = output[state]
    found = found.T.copy()
    found[np.arange(width)[None, :] >= lengths[:, None]] = features
    # Each text's features sorted: a run of one feature is its count, c, which weighs log1p(c).
    found.sort(axis=1)
    fresh = np.ones(found.shape, dtype=bool)
    np.not_equal(found[:, 1:], found[:, :-1], out=fresh[:, 1:])
    starts = np.flatnonzero(fresh)
    counts = np.diff(starts, append=found.size)
    feature = found.ravel()[starts]
    kept = feature != features
    starts, counts, feature = starts[kept], counts[kept], feature[kept]
    text_of = starts // width
    terms = np.take(model.weights_by_feature, feature, axis=0)
    terms *= np.log1p(counts.astype(np.float64))[:, None]
    first = np.searchsorted(text_of, np.arange(size))
    has_features = first < len(text_of)
    has_features[has_features] = text_of[first[has_features]] == np.arange(size)[has_features]
    if len(terms) == 0:
        return np.full(size, -1, dtype=np.int64)
    scores = np.add.reduceat(terms, np.minimum(first, len(terms) - 1), axis=0) + model.prior
    scores *= (1.0 / np.sqrt(lengths))[:, None]
    scores -= scores.max(axis=1, keepdims=True)
    log_probs = scores - np.log(np.exp(scores).sum(axis=1, keepdims=True))
    top = np.sort(log_probs, axis=1)
    margin = _MARGIN + _MARGIN_PER_LENGTH * lengths.astype(np.float64) ** 1.5
    close = (top[:, -1] - top[:, -2] < margin) | (np.abs(top[:, -1] - threshold) < margin)
    verdict = np.where(top[:, -1] >= threshold, log_probs.argmax(axis=1), -1)
    verdict[close] = -2
    verdict[~has_features] = -1  # no feature at all: py3langid abstains (uniform scores)
    return verdict


def detect_languages(texts: Sequence[str | None]) -> list[str]:
    """:func:`detect_language` of every text, in order: the same answers, computed in batches.

    Walks the detector's byte automaton over many texts at once with numpy
    (several times faster than one text at a time on thousands of texts).
    Returns a list as long as ``texts`` of language codes or ``"unknown"``.
    """
    model = _batch_model()
    if model is None:
        return [detect_language(t) for t in texts]
    out = [UNKNOWN] * len(texts)
    todo: list[int] = []
    encoded: list[bytes] = []
    encode = model.identifier._encode
    for i, value in enumerate(texts):
        if value and _enough_words(value):
            todo.append(i)
            encoded.append(encode(value))
    if not todo:
        return out
    lengths = np.fromiter((len(b) for b in encoded), dtype=np.int64, count=len(encoded))
    order = np.argsort(lengths, kind="stable")
    threshold = np.log(MIN_CONFIDENCE)
    # Per text (in ``order``): the language's index, -1 unknown, -2 too close to call here.
    decided = np.empty(len(order), dtype=np.int64)
    for first in range(0, len(order), _GROUP):
        group = order[first:first + _GROUP]
        decided[first:first + len(group)] = _decide_group(model, [encoded[i] for i in group.tolist()],
                                                          lengths[group], threshold)
    classes = model.classes
    for position, verdict in zip(order.tolist(), decided.tolist()):
        if verdict >= 0:
            out[todo[position]] = classes[verdict]
        elif verdict == -2:
            out[todo[position]] = detect_language(texts[todo[position]])
    return out


# --- tokens and lemmas ------------------------------------------------------------------------


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


def mask_frame(frame: Any, columns: Iterable[str] | None = None) -> Any:
    """A copy of a DataFrame with :func:`mask_personal_data` applied to its text cells.

    ``columns`` limits it to those columns (missing ones are ignored); None
    masks every text column. Non-text cells are left as they are.
    """
    import pandas as pd

    out = frame.copy()
    names = list(out.columns) if columns is None else [c for c in columns if c in out.columns]
    for name in names:
        column = out[name]
        if column.dtype == object or pd.api.types.is_string_dtype(column.dtype):
            out[name] = column.map(lambda v: mask_personal_data(v) if isinstance(v, str) else v)
    return out


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
