"""The language of a comment: py3langid restricted to :data:`nps.domain.LANGUAGES`, offline.

:func:`detect_language` answers for one text ("unknown" when it is too short or
the detector unsure); :func:`detect_languages` gives the same answers for many
texts at once, walking the detector's byte automaton over them with numpy. The
shipped model is read once per process (:func:`prepare_language_detection`),
from a quicker copy kept in :func:`nps.text.words.cache_dir`.
"""

from __future__ import annotations

import io
import lzma
import os
import re
import threading
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from nps.domain import LANGUAGES
from nps.domain import UNKNOWN_LANGUAGE as UNKNOWN
from nps.text.words import cache_dir

# Below this many words the detector guesses; below this probability (normalised
# over the six languages) it is unsure. Both give "unknown".
MIN_WORDS = 3
MIN_CONFIDENCE = 0.6


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
