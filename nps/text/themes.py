"""Themes from a codebook: which comments mention what, and what each theme costs in NPS.

A codebook maps a theme to words and phrases per language (``data/codebook.yaml``).
A comment mentions a theme when one of its terms appears in it, compared as
folded lemmas (case and accents ignored) in the comment's language; comments in
another or an unknown language, or where nothing matched, are tried against
every language's terms.

Tags are computed once per dataset and codebook version into
``comment_tags_<dataset id>`` (``version``, ``_row``, ``_wave``, ``language``,
``theme``; one row with a NULL theme for a comment that mentions none) and
recorded in the ``comment_tagging`` catalog (its schema is a migration of
:mod:`nps.store`), so a filter change never re-tags.
Every analysis here (summary, trend, co-occurrence, top themes per value,
languages, uncovered comments, the preview of an edited codebook) joins the
stored tags to the filtered responses in SQL, and records the codebook version
it used in ``frame.attrs["codebook_version"]``.

Tagging a dataset is built for a million comments in seconds, with the same
answers as :func:`tag_comment` one at a time: each distinct text is tagged
once; languages are detected in batches (:func:`nps.text.detect_languages`);
what a word brings to the match (its folded form, its lemma, the terms it
starts) is worked out once per word and language; large datasets are shared
among forked worker processes; the tags go to DuckDB as one Arrow table.

The worker processes live only as long as their job: tagging can be cancelled
(``cancel``, polled while waiting), the pool is terminated in ``finally`` however
the job ends (cancelled, an exception from a progress callback, done), workers
take the default SIGTERM action (not the server's inherited handler, which made
them ignore ``Pool.terminate()``), and on Linux the kernel sends them SIGTERM
when the process that started them dies (``prctl(PR_SET_PDEATHSIG)``).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import ctypes
import multiprocessing as mp
import os
import re
import signal
import threading
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import yaml

from nps import domain, stats, text
from nps.store import sql
from nps.errors import NotTaggedError, NpsError
from nps.domain import CATEGORIES, CODEBOOK_LANGUAGES
from nps.query.filters import Filter
from nps.query.rows import where_clause
from nps.stats.log_odds import score_log_odds
from nps.query.options import GRAINS, Options
from nps.store import PROJECT_ROOT, Dataset, transaction

DEFAULT_CODEBOOK = PROJECT_ROOT / "data" / "codebook.yaml"
SUMMARY_COLUMNS: tuple[str, ...] = (
    "theme", "mentions", "share", "detractors", "passives", "promoters",
    "nps_with", "nps_without", "impact", "impact_ci_low", "impact_ci_high", "impact_p", "impact_p_adjusted",
    "impact_significant",
)

# A compiled term: its folded lemmas in order, and whether the last one is a prefix (``word*``).
_Term = tuple[tuple[str, ...], bool]

# Context words (``term ~ a|b``) count within this many words before or after the term, in its sentence.
CONTEXT_WINDOW = 6
# How a term's polarity is written: "+happy" only where not negated, "not_happy" only where negated.
AFFIRMED_MARK = "+"
EXCLUSION_MARK = "-"
_CONTEXT = re.compile(r"\s*(!~|~)\s*")
_WORDLIKE = re.compile(r"\w")


@dataclass(frozen=True)
class TermSpec:
    """A codebook term as written, read into its parts (see ``data/codebook.yaml``'s header).

    ``pattern`` is the word, phrase or ``prefix*`` to find. ``exclusion`` is
    True for ``-pattern``: where it appears, its words count for none of the
    theme's terms in that language. ``polarity`` is 0 (negated or not), 1
    (``+pattern``: only where no negator reaches it) or -1 (``not_pattern``:
    only where one does). ``near`` (``pattern ~ a|b``) are words or phrases of
    which one must appear within :data:`CONTEXT_WINDOW` words of it;
    ``not_near`` (``pattern !~ a|b``) those of which none may.
    """

    pattern: str
    exclusion: bool = False
    polarity: int = 0
    near: tuple[str, ...] = ()
    not_near: tuple[str, ...] = ()

    @property
    def plain(self) -> bool:
        """True for a term with no condition: found wherever its words appear."""
        return not (self.exclusion or self.polarity or self.near or self.not_near)


def parse_term(term: str) -> TermSpec:
    """Read one codebook term: ``[-|+|not_]pattern [~ a|b|…] [!~ c|d|…]`` into a :class:`TermSpec`.

    Raises ValueError, saying what is wrong, for an empty pattern or context
    list, a ``~`` without words after it, or an exclusion (``-``) with a
    polarity or context.
    """
    raw = str(term).strip()
    parts = _CONTEXT.split(raw)
    head = parts[0].strip()
    if not head:
        raise ValueError(f"term {raw!r} has no word before its '~'; write e.g. 'plante ~ app|site'")

    def marked(mark: str) -> str | None:
        """What follows ``mark`` at the start of ``head``, if it is there and a word follows it."""
        rest = head[len(mark):].strip()
        return rest if head.casefold().startswith(mark) and _WORDLIKE.search(rest) else None

    exclusion = (rest := marked(EXCLUSION_MARK)) is not None
    if rest is not None:
        head = rest
    polarity = 0
    if (rest := marked(AFFIRMED_MARK)) is not None:
        polarity, head = 1, rest
    elif (rest := marked(text.NEGATION_MARK)) is not None:
        polarity, head = -1, rest
    near: list[str] = []
    not_near: list[str] = []
    for op, listed in zip(parts[1::2], parts[2::2]):
        words = [w.strip() for w in listed.split("|")]
        if not all(words):
            raise ValueError(f"term {raw!r}: give the words after {op!r} separated by '|', e.g. 'plante ~ app|site'")
        (near if op == "~" else not_near).extend(words)
    if exclusion and (polarity or near or not_near):
        raise ValueError(f"term {raw!r}: an exclusion ('-phrase') takes no '+', 'not_' or '~'")
    return TermSpec(head, exclusion, polarity, tuple(near), tuple(not_near))


@dataclass(frozen=True)
class _Context:
    """Context patterns, with the first words (or stems) a comment's word must have to start one of them."""

    terms: tuple[_Term, ...]
    firsts: frozenset[str]
    stems: tuple[str, ...]

    @classmethod
    def of(cls, terms: Sequence[_Term]) -> _Context:
        """The context of these compiled patterns."""
        stems = tuple(t[0][0] for t in terms if t[1] and len(t[0]) == 1)
        return cls(tuple(terms), frozenset(t[0][0] for t in terms if not (t[1] and len(t[0]) == 1)), stems)


@dataclass(frozen=True)
class _Rule:
    """A term with conditions, compiled: its pattern, polarity and context patterns."""

    term: _Term
    polarity: int
    near: _Context | None
    not_near: _Context | None

    @property
    def guarded_only(self) -> bool:
        """True for a plain term filed here only because its theme has exclusions."""
        return not self.polarity and self.near is None and self.not_near is None


@dataclass(frozen=True)
class _Compiled:
    """A codebook ready for matching, per language.

    ``plain``: per first word (``*`` for one-word prefixes) the (theme, term)
    pairs found wherever they appear; ``rules``: the same for terms with
    conditions (every term of a theme that has exclusions in that language);
    ``exclusions``: per theme, its exclusion patterns.
    """

    plain: Mapping[str, Mapping[str, tuple[tuple[str, _Term], ...]]] = field(default_factory=dict)
    rules: Mapping[str, Mapping[str, tuple[tuple[str, _Rule], ...]]] = field(default_factory=dict)
    exclusions: Mapping[str, Mapping[str, tuple[_Term, ...]]] = field(default_factory=dict)


@dataclass(frozen=True)
class Codebook:
    """Themes and their terms per language, with a content version.

    ``themes`` maps a theme name to ``{language: (term, ...)}`` in file order;
    a term is written as :func:`parse_term` reads it. ``version`` is the
    sha256 (hex) of the codebook's canonical JSON: two codebooks with the same
    themes and words have the same version.
    """

    themes: Mapping[str, Mapping[str, tuple[str, ...]]]
    version: str

    @functools.cached_property
    def _compiled(self) -> _Compiled:
        # Compiled on first use, for tagging: compiling lemmatises every term, which loads a
        # dictionary per language (seconds each), and reading stored tags needs only the version.
        return _compile(self.themes)

    @classmethod
    def build(cls, themes: Mapping[str, Mapping[str, Sequence[str]]]) -> Codebook:
        """A codebook from ``{theme: {language: [term, ...]}}``, versioned and compiled for matching.

        Raises ValueError on an empty theme name, a language outside
        :data:`nps.text.LANGUAGES`, a theme without any term or a term
        :func:`parse_term` cannot read (naming the theme, language and term).
        """
        clean: dict[str, dict[str, tuple[str, ...]]] = {}
        for name, by_lang in themes.items():
            name = str(name).strip()
            if not name:
                raise ValueError("a theme needs a name")
            words: dict[str, tuple[str, ...]] = {}
            for lang, terms in (by_lang or {}).items():
                if lang not in text.LANGUAGES:
                    raise ValueError(
                        f"theme {name!r}: unknown language {lang!r}; use one of {', '.join(text.LANGUAGES)}"
                    )
                kept = tuple(dict.fromkeys(str(t).strip() for t in terms or () if str(t).strip()))
                for term in kept:
                    # The syntax is checked now (cheap); lemmatising waits for the first tagging.
                    try:
                        parse_term(term)
                    except ValueError as exc:
                        raise ValueError(f"theme {name!r}, {lang}: {exc}") from None
                if kept:
                    words[str(lang)] = kept
            if not words:
                raise ValueError(f"theme {name!r} has no words; give it at least one")
            clean[name] = words
        canonical = json.dumps(clean, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        version = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
        return cls(themes=clean, version=version)


def _compile_term(term: str, lang: str) -> _Term | None:
    prefix = term.endswith("*")
    words = text.split_words(term.rstrip("*"))
    if not words:
        return None
    # A prefix is matched as written: lemmatising a stem would change it.
    lemmas = text.lemmatize(words[:-1], lang) + ([words[-1]] if prefix else text.lemmatize(words[-1:], lang))
    return tuple(text.fold(w) for w in lemmas), prefix


def _key(term: _Term) -> str:
    """Where a term is filed: its first word, or ``*`` for a one-word prefix."""
    return "*" if term[1] and len(term[0]) == 1 else term[0][0]


def _compile(themes: Mapping[str, Mapping[str, tuple[str, ...]]]) -> _Compiled:
    plain: dict[str, dict[str, list[tuple[str, _Term]]]] = {}
    rules: dict[str, dict[str, list[tuple[str, _Rule]]]] = {}
    exclusions: dict[str, dict[str, tuple[_Term, ...]]] = {}
    for theme, by_lang in themes.items():
        for lang, terms in by_lang.items():
            specs: list[tuple[str, TermSpec]] = []
            for term in terms:
                try:
                    specs.append((term, parse_term(term)))
                except ValueError as exc:
                    raise ValueError(f"theme {theme!r}, {lang}: {exc}") from None

            def pattern(written: str, term: str) -> _Term:
                compiled = _compile_term(written, lang)
                if compiled is None:
                    raise ValueError(f"theme {theme!r}, {lang}: {written!r} in term {term!r} has no word to find")
                return compiled

            # An exclusion without a word (a number, say) excludes nothing, as such a term finds nothing.
            excluded = tuple(p for _, spec in specs if spec.exclusion
                             for p in [_compile_term(spec.pattern, lang)] if p is not None)
            if excluded:
                exclusions.setdefault(lang, {})[theme] = excluded
            for term, spec in specs:
                if spec.exclusion:
                    continue
                compiled = _compile_term(spec.pattern, lang)
                if compiled is None:  # a number or punctuation: nothing a comment's words can match
                    continue
                if spec.plain and not excluded:
                    plain.setdefault(lang, {}).setdefault(_key(compiled), []).append((theme, compiled))
                else:
                    near = [pattern(w, term) for w in spec.near]
                    not_near = [pattern(w, term) for w in spec.not_near]
                    rule = _Rule(compiled, spec.polarity, _Context.of(near) if near else None,
                                 _Context.of(not_near) if not_near else None)
                    rules.setdefault(lang, {}).setdefault(_key(compiled), []).append((theme, rule))
    return _Compiled(
        plain={lang: {k: tuple(v) for k, v in by_key.items()} for lang, by_key in plain.items()},
        rules={lang: {k: tuple(v) for k, v in by_key.items()} for lang, by_key in rules.items()},
        exclusions=exclusions,
    )


def load_codebook(path: str | Path | None = None) -> Codebook:
    """Read a codebook YAML (default ``data/codebook.yaml``) into a :class:`Codebook`.

    The file has ``themes:``, a list of ``{name, words: {language: [term, ...]}}``.
    Raises ValueError, naming the file, when it is not shaped like that.
    """
    source = Path(path) if path is not None else DEFAULT_CODEBOOK
    return parse_codebook(source.read_text(encoding="utf-8"), str(source))


def parse_codebook(content: str, source: str = "codebook") -> Codebook:
    """A :class:`Codebook` from YAML text shaped like ``data/codebook.yaml``.

    ``source`` names the text in error messages (a file name). Raises
    ValueError, naming ``source``, for text that is not YAML or not a
    ``themes:`` list of ``{name, words: {language: [term, ...]}}``.
    """
    try:
        data = yaml.safe_load(content)
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" (line {where.line + 1})" if where is not None else ""
        raise ValueError(f"{source}: not readable as YAML{line}; compare it with data/codebook.yaml") from None
    entries = data.get("themes") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise ValueError(f"{source}: expected a 'themes:' list of {{name, words}} entries")
    themes: dict[str, dict[str, list[str]]] = {}
    for i, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict) or "name" not in entry or not isinstance(entry.get("words"), dict):
            raise ValueError(f"{source}: theme {i} needs a 'name' and a 'words' mapping of language to terms")
        if entry["name"] in themes:
            raise ValueError(f"{source}: theme {entry['name']!r} appears twice; merge its words into one entry")
        themes[entry["name"]] = entry["words"]
    try:
        return Codebook.build(themes)
    except ValueError as exc:
        raise ValueError(f"{source}: {exc}") from None


# --- matching ---------------------------------------------------------------------------------

# Folded lemmas per language and word; bounded by starting afresh when one grows past this.
_LEMMA_CACHE_MAX = 500_000
_FOLDED_LEMMAS: dict[str, dict[str, str]] = {}


def _folded_lemmas(words: Sequence[str], lang: str) -> list[str]:
    """``[fold(lemma) for each word]`` in ``lang``, cached per word (lemmas do not depend on the codebook)."""
    cache = _FOLDED_LEMMAS.get(lang)
    if cache is None or len(cache) > _LEMMA_CACHE_MAX:
        cache = _FOLDED_LEMMAS[lang] = {}
    out = []
    for word in words:
        folded = cache.get(word)
        if folded is None:
            folded = cache[word] = text.fold(text.lemmatize((word,), lang)[0])
        out.append(folded)
    return out


# What a word brings in one language: the themes of the single-word terms it matches (as
# written or as its lemma, folded), the longer terms that start with it as written and as its
# lemma, to be checked against the words that follow, and the terms with conditions that start
# with it (with the form, 0 as written or 1 as lemma, they start in).
_Entry = tuple[str, tuple[str, ...]]
_Candidate = tuple[str, _Rule, int]
_Exclusion = tuple[str, _Term, int]
_Hits = tuple[tuple[str, ...], tuple[_Entry, ...], tuple[_Entry, ...], tuple[_Candidate, ...], tuple[_Exclusion, ...]]
_NO_HITS: _Hits = ((), (), (), (), ())
# Words remembered per language and codebook; a cache starts afresh past this size.
_WORD_CACHE_MAX = 500_000


class _Comment:
    """One comment being matched: its words, and what conditions need, worked out when first needed."""

    def __init__(self, words: Sequence[str], comment: str | None, lang: str) -> None:
        self.words = words
        self.comment = comment
        self.lang = lang
        self._negated: Sequence[bool] | None = None
        self._sentences: Sequence[int] | None = None

    def _source(self) -> str:
        return self.comment if self.comment is not None else " ".join(self.words)

    def negated(self, i: int) -> bool:
        """True when a negator reaches word ``i`` (in the comment's own language)."""
        if self._negated is None:
            flags = text.negation_flags(self._source(), self.lang)
            # Words given without their text may split otherwise: then nothing counts as negated.
            self._negated = flags if len(flags) == len(self.words) else [False] * len(self.words)
        return bool(self._negated[i])

    def sentence(self, i: int) -> int:
        """The number of the sentence word ``i`` is in (see :func:`nps.text.sentence_numbers`)."""
        if self._sentences is None:
            numbers = text.sentence_numbers(self._source(), self.lang)
            self._sentences = numbers if len(numbers) == len(self.words) else [0] * len(self.words)
        return self._sentences[i]


class _Matcher:
    """One codebook's index ready for matching, with what each word seen so far brings per language."""

    def __init__(self, codebook: Codebook) -> None:
        compiled = codebook._compiled
        self.index = compiled.plain
        self.rules = compiled.rules
        # Per language, per first word (``*`` for one-word prefixes): the exclusions that start with it.
        self.exclusions: dict[str, dict[str, list[tuple[str, _Term]]]] = {}
        for lang, by_theme in compiled.exclusions.items():
            for theme, patterns in by_theme.items():
                for pattern in patterns:
                    self.exclusions.setdefault(lang, {}).setdefault(_key(pattern), []).append((theme, pattern))
        self.languages = list(dict.fromkeys([*self.index, *self.rules]))
        self.stems = {
            lang: tuple(term[0] for _, (term, _) in self.index.get(lang, {}).get("*", ()))
            for lang in self.languages
        }
        self.names = list(codebook.themes)
        self.position = {name: i for i, name in enumerate(self.names)}
        self.words: dict[str, dict[str, _Hits]] = {lang: {} for lang in self.languages}
        self.forms: dict[str, dict[str, tuple[str, str]]] = {lang: {} for lang in self.languages}

    def _forms(self, word: str, lang: str) -> tuple[str, str]:
        """``word`` folded as written and as its ``lang`` lemma."""
        forms = self.forms[lang].get(word)
        if forms is None:
            forms = (text.fold(word), _folded_lemmas((word,), lang)[0])
            cache = self.forms[lang]
            if len(cache) > _WORD_CACHE_MAX:
                cache.clear()
            cache[word] = forms
        return forms

    def _hits(self, word: str, lang: str) -> _Hits:
        by_key, stems = self.index.get(lang, {}), self.stems[lang]
        rules = self.rules.get(lang, {})
        exclusions = self.exclusions.get(lang, {})
        single: list[str] = []
        longer: tuple[list[_Entry], list[_Entry]] = ([], [])
        conditional: list[_Candidate] = []
        excluding: list[_Exclusion] = []
        for number, (form, starts) in enumerate(zip(self._forms(word, lang), longer)):
            for theme, (term, _) in by_key.get(form, ()):
                if len(term) == 1:
                    single.append(theme)
                else:
                    starts.append((theme, term))
            if stems and form.startswith(stems):
                single.extend(theme for theme, (term, _) in by_key["*"] if form.startswith(term[0]))
            conditional.extend((theme, rule, number) for theme, rule in rules.get(form, ()))
            conditional.extend((theme, rule, number) for theme, rule in rules.get("*", ())
                               if form.startswith(rule.term[0][0]))
            excluding.extend((theme, term, number) for theme, term in exclusions.get(form, ()))
            excluding.extend((theme, term, number) for theme, term in exclusions.get("*", ())
                             if form.startswith(term[0][0]))
        hits = (tuple(dict.fromkeys(single)), tuple(longer[0]), tuple(longer[1]), tuple(conditional),
                tuple(excluding))
        if hits == _NO_HITS:
            hits = _NO_HITS
        cache = self.words[lang]
        if len(cache) > _WORD_CACHE_MAX:
            cache.clear()
        cache[word] = hits
        return hits

    def _ends_at(self, words: Sequence[str], i: int, term: _Term, lang: str, forms: Sequence[int] = (0, 1)) -> int:
        """Where ``term`` ends when it starts at word ``i`` (all its words as written or all as lemmas), else -1."""
        parts, prefix = term
        end = i + len(parts)
        if end > len(words):
            return -1
        last = len(parts) - 1
        for form in forms:
            for j, part in enumerate(parts):
                seen = self._forms(words[i + j], lang)[form]
                if not (seen.startswith(part) if prefix and j == last else seen == part):
                    break
            else:
                return end
        return -1

    def _near(self, state: _Comment, context: _Context, lang: str, start: int, end: int) -> bool:
        """True when a ``context`` pattern starts within :data:`CONTEXT_WINDOW` words of ``words[start:end]``, in its sentence."""
        words = state.words
        firsts, stems = context.firsts, context.stems
        for k in range(max(0, start - CONTEXT_WINDOW), min(len(words), end + CONTEXT_WINDOW)):
            if start <= k < end:
                continue
            written, lemma = self._forms(words[k], lang)
            if not (written in firsts or lemma in firsts
                    or (stems and (written.startswith(stems) or lemma.startswith(stems)))):
                continue
            if any(self._ends_at(words, k, term, lang) >= 0 for term in context.terms) \
                    and state.sentence(k) == state.sentence(start):
                return True
        return False

    def _allowed(self, state: _Comment, rule: _Rule, lang: str, start: int, end: int,
                 spans: Sequence[tuple[int, int]]) -> bool:
        """True when a term found at ``words[start:end]`` meets its conditions and no exclusion ``spans`` covers it."""
        if rule.polarity and state.negated(start) != (rule.polarity < 0):
            return False
        if rule.near is not None and not self._near(state, rule.near, lang, start, end):
            return False
        if rule.not_near is not None and self._near(state, rule.not_near, lang, start, end):
            return False
        return not any(begin < end and start < stop for begin, stop in spans)

    def _find(self, words: Sequence[str], lang: str, found: set[str], comment: list[Any]) -> bool:
        """Add to ``found`` the themes whose ``lang`` terms appear in ``words``.

        ``comment`` is ``[text, its language, _Comment or None]``: what conditions
        need is worked out on the first term with conditions. Returns True when
        a term's words appeared but its conditions kept it out (the comment is
        then not tried in other languages).
        """
        cache = self.words[lang]
        pending: list[tuple[int, tuple[_Entry, ...], tuple[_Entry, ...]]] = []
        candidates: list[tuple[int, tuple[_Candidate, ...]]] = []
        excluding: list[tuple[int, tuple[_Exclusion, ...]]] = []
        for i, word in enumerate(words):
            hits = cache.get(word)
            if hits is None:
                hits = self._hits(word, lang)
            if hits is _NO_HITS:
                continue
            single, as_written, as_lemma, conditional, exclusions = hits
            if single:
                found.update(single)
            if as_written or as_lemma:
                pending.append((i, as_written, as_lemma))
            if conditional:
                candidates.append((i, conditional))
            if exclusions:
                excluding.append((i, exclusions))
        # A phrase matches its words side by side, all as written or all as lemmas.
        n = len(words)
        for i, as_written, as_lemma in pending:
            for form, entries in ((0, as_written), (1, as_lemma)):
                for theme, term in entries:
                    if theme in found or i + len(term) > n:
                        continue
                    for j in range(1, len(term)):
                        if self._forms(words[i + j], lang)[form] != term[j]:
                            break
                    else:
                        found.add(theme)
        if not candidates:
            return False
        # The words each theme's exclusions cover in this comment, found when a candidate of the theme needs them.
        spans: dict[str, list[tuple[int, int]]] = {}

        def covered(theme: str) -> list[tuple[int, int]]:
            found_spans = spans.get(theme)
            if found_spans is None:
                found_spans = spans[theme] = [
                    (i, stop) for i, exclusions in excluding for other, term, form in exclusions
                    if other == theme and (stop := self._ends_at(words, i, term, lang, (form,))) >= 0
                ]
            return found_spans
        kept_out = False
        for i, conditional in candidates:
            for theme, rule, form in conditional:
                if theme in found:
                    continue
                # A one-word term matched already (that is why it is a candidate).
                end = i + 1 if len(rule.term[0]) == 1 else self._ends_at(words, i, rule.term, lang, (form,))
                if end < 0:
                    continue
                cover = covered(theme) if excluding else ()
                if rule.guarded_only:  # the common case: no negation or sentence needed
                    allowed = not any(begin < end and i < stop for begin, stop in cover)
                else:
                    state = comment[2]
                    if state is None:
                        state = comment[2] = _Comment(words, comment[0], comment[1])
                    allowed = self._allowed(state, rule, lang, i, end, cover)
                if allowed:
                    found.add(theme)
                else:
                    kept_out = True
        return kept_out

    def themes(self, words: Sequence[str], lang: str, comment: str | None = None) -> set[str]:
        """The themes in ``words`` (:func:`nps.text.split_words` of ``comment``) of a comment in ``lang``.

        ``comment`` (the text the words come from) places punctuation for
        negation scopes; without it the words are read as one clause.
        """
        about: list[Any] = [comment, lang, None]
        found: set[str] = set()
        tried = None
        if lang in self.words:
            kept_out = self._find(words, lang, found, about)
            if found or kept_out:
                return found
            tried = lang
        for other in self.languages:
            if other != tried:  # nothing matched there already
                self._find(words, other, found, about)
        return found


_MATCHERS: dict[str, _Matcher] = {}


def _matcher(codebook: Codebook) -> _Matcher:
    matcher = _MATCHERS.get(codebook.version)
    if matcher is None:
        if len(_MATCHERS) >= 16:
            _MATCHERS.clear()
        matcher = _MATCHERS[codebook.version] = _Matcher(codebook)
    return matcher


def tag_comment(comment: str | None, codebook: Codebook, lang: str | None = None) -> set[str]:
    """The names of the codebook's themes that ``comment`` mentions (empty set for none).

    ``lang`` is the comment's language (detected when None). Terms of that
    language are tried first; when the language has no terms or nothing
    matched, every language's terms are tried with lemmas of that language.
    """
    words = text.split_words(comment)
    if not words:
        return set()
    return _matcher(codebook).themes(words, lang or text.detect_language(comment), comment)


# --- tagging many comments --------------------------------------------------------------------

# Codes of the stored languages: an int8 per comment while tagging.
_LANGUAGE_CODES: tuple[str, ...] = (*text.LANGUAGES, text.UNKNOWN)
_LANGUAGE_INDEX = {code: i for i, code in enumerate(_LANGUAGE_CODES)}
# Below this many distinct comments one process is quicker than starting a pool.
POOL_MIN_COMMENTS = 20_000
# Comments per piece of work: large enough for the batched language detector, small
# enough for a steady progress bar.
_CHUNK = 10_000

_Tagged = tuple[int, np.ndarray, np.ndarray, np.ndarray]


def _tag_chunk(comments: Sequence[str], matcher: _Matcher, start: int, stop: int,
               languages: Sequence[str] | None = None) -> _Tagged:
    """Tag ``comments[start:stop]``: (start, language code per comment, comment number and theme number per mention)."""
    part = comments[start:stop]
    langs = list(languages[start:stop]) if languages is not None else text.detect_languages(part)
    codes = np.fromiter((_LANGUAGE_INDEX.get(lang, _LANGUAGE_INDEX[text.UNKNOWN]) for lang in langs),
                        dtype=np.int8, count=len(part))
    which: list[int] = []
    theme_numbers: list[int] = []
    position = matcher.position
    for k, (comment, lang) in enumerate(zip(part, langs)):
        words = text.split_words(comment)
        if words:
            for theme in matcher.themes(words, lang, comment):
                which.append(start + k)
                theme_numbers.append(position[theme])
    return start, codes, np.asarray(which, dtype=np.int64), np.asarray(theme_numbers, dtype=np.int32)


# What a pool worker tags: set once per worker (inherited when forked), then used by every chunk.
_WORKER: tuple[Sequence[str], _Matcher, Sequence[str] | None] | None = None
# How often a wait for the workers looks at ``cancel`` (seconds).
_POLL = 0.1
_PR_SET_PDEATHSIG = 1


class TaggingCancelled(NpsError):
    """Tagging was stopped (the page was left, the session ended, the server is stopping); nothing was stored."""


def _die_with_parent(parent: int | None) -> None:
    """Linux: have the kernel send this process SIGTERM when ``parent`` (the one that forked it) dies.

    Strictly, when the forking *thread* ends: the pool lives within one call on that thread.
    """
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
        except (OSError, AttributeError):  # no prctl: the pool's own teardown still ends the workers
            pass
    if parent is not None and os.getppid() != parent:  # the parent died before the request was made
        os._exit(1)


def _start_worker(comments: Sequence[str], matcher: _Matcher, languages: Sequence[str] | None,
                  parent: int | None = None) -> None:
    global _WORKER
    # A forked worker inherits the parent's Python signal handlers. Streamlit's SIGTERM handler asks
    # a server that does not run in this process to stop and returns, so the worker ignored
    # Pool.terminate(), and the pool's teardown (and the server's exit) waited for it forever.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the parent, which ends the pool
    if hasattr(signal, "SIGQUIT"):
        signal.signal(signal.SIGQUIT, signal.SIG_DFL)
    _die_with_parent(parent)
    _WORKER = (comments, matcher, languages)


def _worker_chunk(bounds: tuple[int, int]) -> _Tagged:
    assert _WORKER is not None, "the pool worker was not started with its comments"
    comments, matcher, languages = _WORKER
    return _tag_chunk(comments, matcher, *bounds, languages)


def pool_size(comments: int, workers: int | None) -> int:
    """How many processes tag ``comments`` distinct comments: ``workers`` if given, else one per core (up to 4).

    One process below :data:`POOL_MIN_COMMENTS` comments or where processes
    cannot be forked. Raises ValueError for a ``workers`` below 1.
    """
    if workers is not None:
        if isinstance(workers, bool) or int(workers) != workers or workers < 1:
            raise ValueError(f"workers is a number of processes (1 or more), not {workers!r}")
        return int(workers)
    if comments < POOL_MIN_COMMENTS or "fork" not in mp.get_all_start_methods():
        return 1
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, 4))


def _end_pool(pool: Any, grace: float = 5.0) -> None:
    """Terminate ``pool`` and wait for its workers; SIGKILL those still there after ``grace`` seconds.

    A worker forked a moment before the end may not have run :func:`_start_worker` yet, so it
    still answers SIGTERM with the handler it inherited from the server and would keep
    ``Pool.terminate`` waiting forever. Once ``terminate`` has begun the pool forks no new
    workers, so killing the ones left lets it finish.
    """
    ender = threading.Thread(target=pool.terminate, name="passaparola-pool-end", daemon=True)
    ender.start()
    ender.join(grace)
    if ender.is_alive():
        for worker in list(getattr(pool, "_pool", ())):
            try:
                if worker.is_alive():
                    worker.kill()
            except (OSError, ValueError):  # ended meanwhile
                pass
        ender.join()
    pool.join()


def tag_comments(
    comments: Sequence[str],
    codebook: Codebook,
    *,
    languages: Sequence[str] | None = None,
    workers: int | None = None,
    on_chunk: Callable[[int, int], None] | None = None,
    cancel: Callable[[], bool] | None = None,
) -> tuple[list[str], list[tuple[str, ...]]]:
    """The language and the themes of each comment, in order, as :func:`tag_comment` finds them.

    Returns (languages, themes): a language code or ``"unknown"`` per comment
    and a tuple of theme names (codebook order) per comment. ``languages``
    gives them when known (they are then not detected again). ``workers``
    processes share the work (default: one per core, up to 4, from
    :data:`POOL_MIN_COMMENTS` comments on; forked, so Linux only, else one).
    ``on_chunk(start, stop)`` is called as each slice of comments is done.
    ``cancel()`` is asked between slices and every 0.1 s while waiting for the
    workers; when it returns True, raises :class:`TaggingCancelled`. However
    tagging ends (done, cancelled, an exception from ``on_chunk``), its worker
    processes have ended when this returns or raises.
    Raises ValueError for a ``workers`` below 1.
    """
    comments = list(comments)
    size = pool_size(len(comments), workers)
    codes, which, numbers = _tag_all(comments, codebook, languages, size, on_chunk, cancel)
    names = list(codebook.themes)
    found: list[list[str]] = [[] for _ in comments]
    for k, t in sorted(zip(which.tolist(), numbers.tolist())):
        found[k].append(names[t])
    return [_LANGUAGE_CODES[c] for c in codes.tolist()], [tuple(f) for f in found]


def _tag_all(
    comments: list[str],
    codebook: Codebook,
    languages: Sequence[str] | None,
    workers: int,
    on_chunk: Callable[[int, int], None] | None,
    cancel: Callable[[], bool] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Language codes of every comment, and the (comment number, theme number) of every mention."""
    matcher = _matcher(codebook)
    bounds = [(i, min(i + _CHUNK, len(comments))) for i in range(0, len(comments), _CHUNK)]
    codes = np.zeros(len(comments), dtype=np.int8)
    which: list[np.ndarray] = []
    numbers: list[np.ndarray] = []

    def check() -> None:
        if cancel is not None and cancel():
            raise TaggingCancelled("tagging the comments was stopped before it finished; nothing was stored")

    def take(result: _Tagged) -> None:
        start, chunk_codes, chunk_which, chunk_numbers = result
        codes[start:start + len(chunk_codes)] = chunk_codes
        which.append(chunk_which)
        numbers.append(chunk_numbers)
        if on_chunk is not None:
            on_chunk(start, start + len(chunk_codes))

    if workers <= 1 or len(bounds) <= 1:
        for start, stop in bounds:
            check()
            take(_tag_chunk(comments, matcher, start, stop, languages))
    else:
        text.prepare_language_detection()  # loaded once here, shared by the forked workers
        check()
        pool = mp.get_context("fork").Pool(min(workers, len(bounds)), initializer=_start_worker,
                                           initargs=(comments, matcher, languages, os.getpid()))
        try:
            results = pool.imap_unordered(_worker_chunk, bounds)
            for _ in bounds:
                while True:
                    check()
                    try:
                        result = results.next(timeout=_POLL)
                    except mp.TimeoutError:
                        continue
                    break
                take(result)
        finally:
            # Done, cancelled or failed: the workers end with the job (SIGTERM, which they do not
            # ignore), and are waited for, so none outlives this call.
            _end_pool(pool)
    empty = np.zeros(0, dtype=np.int64)
    return (codes, np.concatenate(which) if which else empty,
            np.concatenate(numbers) if numbers else empty.astype(np.int32))


# --- storing tags -----------------------------------------------------------------------------

# What a blank comment may hold: spaces, tabs, line breaks, no-break and zero-width spaces, BOMs.
_BLANKS = " \t\n\r\f\v\u00a0\u2007\u202f\u200b\ufeff"


def has_comment_sql(column: str = sql.COMMENT) -> str:
    """A SQL condition true where ``column`` holds a real comment: not NULL and not blank.

    Blank means only spaces, tabs, line breaks, no-break or zero-width spaces.
    Every comment analysis (tags, languages, distinctive words, the explorer)
    counts the responses where this holds as "commented".
    """
    return f"({column} IS NOT NULL AND trim({column}, '{_BLANKS}') <> '')"


_HAS_COMMENT = has_comment_sql()


def tags_table(ds: Dataset) -> str:
    """Name of the table holding a dataset's comment tags."""
    return f"comment_tags_{ds.id}"


def is_tagged(cur: duckdb.DuckDBPyConnection, ds: Dataset, codebook: Codebook) -> bool:
    """True when ``ds``'s comments (every wave of it) are already tagged with this codebook version."""
    return bool(
        sql.fetch_value(
            cur,
            "SELECT count(*) FROM comment_tagging WHERE dataset_id = ? AND codebook_version = ? AND waves = ?",
            [ds.id, codebook.version, ds.waves],
        )
    )


def require_tagged(cur: duckdb.DuckDBPyConnection, ds: Dataset, codebook: Codebook) -> str:
    """The codebook version a read of themes uses; raises :class:`NotTaggedError` when ``ds`` is not tagged with it.

    Reads never write: tagging is its own step (:func:`tag_dataset`, which the
    Comments pages run with a progress bar and ``python -m nps comments`` runs
    before its report).
    """
    if not is_tagged(cur, ds, codebook):
        raise NotTaggedError(
            f"the comments of {ds.name!r} are not tagged with codebook version {codebook.version} yet: "
            "tag them first (the Comments page does, and so does python -m nps comments)"
        )
    return codebook.version


def tag_dataset(
    cur: duckdb.DuckDBPyConnection,
    ds: Dataset,
    codebook: Codebook,
    *,
    on_progress: Callable[[int, int], None] | None = None,
    workers: int | None = None,
    cancel: Callable[[], bool] | None = None,
) -> str:
    """Tag every comment of ``ds`` with ``codebook`` once, store the tags, return the codebook version.

    Does nothing when this dataset and codebook version were tagged before
    (with all its waves: after a wave is appended, it is tagged again). Tags
    of other codebook versions are kept (switching back costs nothing).
    Each distinct comment text is tagged once (repeated comments share the
    work), by ``workers`` processes (see :func:`tag_comments`; default one per
    core for large datasets). ``on_progress(done, total)`` is called with the
    number of comments (commented responses) tagged so far and their total,
    first with ``done`` 0 and last with ``done == total``. All or nothing: a
    failure leaves no partial tags. ``cancel()`` is asked while tagging (see
    :func:`tag_comments`): True stops it, raising :class:`TaggingCancelled`, with
    nothing stored and no worker process left. Raises ValueError for a
    ``workers`` below 1.
    """
    if is_tagged(cur, ds, codebook):
        return codebook.version
    table = sql.table(tags_table(ds))
    source = sql.table(ds.table)
    rows = sql.fetch_all(
        cur, f"SELECT {sql.COMMENT}, count(*) FROM {source} WHERE {_HAS_COMMENT} GROUP BY {sql.COMMENT}"
    )
    comments = [r[0] for r in rows]
    counts = np.fromiter((r[1] for r in rows), dtype=np.int64, count=len(rows))
    del rows
    done_before = np.concatenate([[0], np.cumsum(counts)])
    total = int(done_before[-1])
    done = 0
    if on_progress is not None:
        on_progress(0, total)

    def progress(start: int, stop: int) -> None:
        nonlocal done
        done += int(done_before[stop] - done_before[start])
        if on_progress is not None:
            on_progress(done, total)

    codes, which, numbers = _tag_all(comments, codebook, None, pool_size(len(comments), workers), progress, cancel)
    # One row per (comment, theme), and one with a NULL theme per comment that mentions none.
    bare = np.ones(len(comments), dtype=bool)
    bare[which] = False
    lone = np.flatnonzero(bare)
    picks = np.concatenate([which, lone])
    theme_numbers = np.concatenate([numbers, np.full(len(lone), -1, dtype=np.int32)])
    frame = pa.table({
        "comment": pa.array(comments, type=pa.string()).take(pa.array(picks)),
        "language": pa.DictionaryArray.from_arrays(pa.array(codes[picks]), pa.array(_LANGUAGE_CODES)),
        "theme": pa.DictionaryArray.from_arrays(
            pa.array(theme_numbers, mask=theme_numbers < 0), pa.array(list(codebook.themes), type=pa.string())
        ),
    })
    del comments
    own = cur.cursor()
    try:
        own.register("comment_tags_frame", frame)
        try:
            with transaction(own):
                sql.execute(
                    own,
                    f"CREATE TABLE IF NOT EXISTS {table} (version VARCHAR, _row BIGINT, _wave INTEGER, "
                    "language VARCHAR, theme VARCHAR)",
                )
                sql.execute(own, f"DELETE FROM {table} WHERE version = ?", [codebook.version])
                sql.execute(
                    own,
                    f"INSERT INTO {table} SELECT ?, s.{sql.ROW}, s.{sql.WAVE}, CAST(f.language AS VARCHAR), "
                    f"CAST(f.theme AS VARCHAR) FROM {source} s JOIN comment_tags_frame f "
                    f"ON s.{sql.COMMENT} = f.comment WHERE {has_comment_sql('s.' + sql.COMMENT)}",
                    [codebook.version],
                )
                sql.execute(
                    own, "DELETE FROM comment_tagging WHERE dataset_id = ? AND codebook_version = ?",
                    [ds.id, codebook.version],
                )
                sql.execute(
                    own,
                    "INSERT INTO comment_tagging (dataset_id, codebook_version, tagged_at, comments, waves) "
                    "VALUES (?, ?, ?, ?, ?)",
                    [ds.id, codebook.version, dt.datetime.now(), total, ds.waves],
                )
        except Exception:
            # Another session may have tagged the same dataset and version meanwhile.
            if is_tagged(own, ds, codebook):
                return codebook.version
            raise
        finally:
            own.unregister("comment_tags_frame")
    finally:
        own.close()
    return codebook.version


# --- the theme table --------------------------------------------------------------------------


def theme_summary(
    cur: duckdb.DuckDBPyConnection,
    ds: Dataset,
    codebook: Codebook,
    flt: Filter | None = None,
    opts: Options = Options(),
) -> pd.DataFrame:
    """One row per codebook theme: how often it is mentioned and what it does to NPS.

    Among the responses the filter keeps that have a comment: ``mentions`` (count)
    and ``share`` (fraction 0..1) of comments mentioning the theme;
    ``detractors``/``passives``/``promoters`` the fraction of each category's
    comments that mention it; ``nps_with`` / ``nps_without`` the NPS (points) of
    commenters who do / do not mention it; ``impact`` = ``nps_with − nps_without``
    (points) with ``impact_ci_low``/``impact_ci_high`` its interval from
    :func:`nps.stats.differences` (``opts.method``, ``opts.level``), ``impact_p``
    its p-value (NaN, not tested, when either side is below ``opts.min_n``),
    ``impact_p_adjusted`` after Benjamini–Hochberg control across the themes
    (unless ``opts.multiplicity`` says otherwise) and ``impact_significant``
    after it. NaN where a side is empty. Sorted by mentions (desc), then codebook order. Needs the
    dataset tagged (:func:`require_tagged`); ``frame.attrs["codebook_version"]`` is the version
    used. Raises ValueError for weighted or deduplicated options (not supported
    for themes yet).
    """
    _check_options(opts)
    version = require_tagged(cur, ds, codebook)
    tagged, params = _tagged(ds, flt, version)
    cats = ", ".join(f"count(*) FILTER (WHERE {sql.CATEGORY} = '{c}') AS {c}s" for c in CATEGORIES)
    query = (
        f"{tagged}, totals AS (SELECT NULL::VARCHAR AS theme, {cats} FROM commented), "
        f"hits AS (SELECT theme, {cats} FROM mentions GROUP BY theme) "
        "SELECT * FROM totals UNION ALL SELECT * FROM hits"
    )
    counts = sql.fetch_df(cur, query, params)
    names = list(codebook.themes)
    total = counts[counts["theme"].isna()]
    hits = counts[counts["theme"].notna()].set_index("theme").reindex(names).fillna(0)
    frame = pd.DataFrame({"theme": names})
    for c in CATEGORIES:
        all_of_c = float(total[f"{c}s"].iloc[0]) if len(total) else 0.0
        frame[f"{c}s_with"] = hits[f"{c}s"].to_numpy(dtype=float)
        frame[f"{c}s_without"] = all_of_c - frame[f"{c}s_with"]
    return _versioned(_finish_summary(frame, opts), version)


def _finish_summary(frame: pd.DataFrame, opts: Options) -> pd.DataFrame:
    def side(name: str) -> pd.DataFrame:
        return pd.DataFrame(
            {c: frame[f"{c[:-1]}s_{name}"].astype(float) for c in ("detractors", "passives", "promoters")}
        )

    with_, without = side("with"), side("without")
    kw: dict[str, Any] = {"method": opts.method, "level": opts.level, "min_n": opts.min_n}
    scored_with = stats.add_stats(with_, **kw)
    scored_without = stats.add_stats(without, **kw)
    diff = stats.differences(with_, without, method=opts.method, level=opts.level, min_n=opts.min_n)
    adjusted, significant, family = stats.flag_tests(diff["p_value"].to_numpy(), level=opts.level,
                                                     multiplicity=opts.control(stats.SCREENING))
    by_cat = with_ + without
    mentions = with_.sum(axis=1)
    comments = by_cat.sum(axis=1)
    out = pd.DataFrame({"theme": frame["theme"], "mentions": mentions.astype("int64")})
    out["share"] = (mentions / comments).where(comments > 0)
    for c in ("detractors", "passives", "promoters"):
        out[c] = (with_[c] / by_cat[c]).where(by_cat[c] > 0)
    out["nps_with"] = scored_with["nps"]
    out["nps_without"] = scored_without["nps"]
    out["impact"] = out["nps_with"] - out["nps_without"]
    out["impact_ci_low"] = diff["ci_low"]
    out["impact_ci_high"] = diff["ci_high"]
    out["impact_p"] = diff["p_value"]
    out["impact_p_adjusted"] = adjusted
    out["impact_significant"] = significant.astype(bool)
    out["_order"] = range(len(out))
    out = out.sort_values(["mentions", "_order"], ascending=[False, True], kind="stable")
    out = out[list(SUMMARY_COLUMNS)].reset_index(drop=True)
    out.attrs["family"] = family.as_dict()
    return out


# --- more theme analytics: all from the stored tags, joined to the filtered responses ---------

PREVIEW_MAX_COMMENTS = 200_000
TREND_COLUMNS: tuple[str, ...] = ("period", "theme", "comments", "mentions", "share", "nps_with", "n_with", "low_n")
COOCCURRENCE_COLUMNS: tuple[str, ...] = ("theme_a", "theme_b", "both", "a_mentions", "b_mentions", "lift")


def _check_options(opts: Options) -> None:
    if opts.weighted or opts.dedupe:
        raise ValueError("theme figures count each comment once: turn off weighting and deduplication")


def _versioned(frame: pd.DataFrame, version: str) -> pd.DataFrame:
    """``frame`` with the codebook version it was computed with in ``attrs["codebook_version"]``."""
    frame.attrs["codebook_version"] = version
    return frame


def _tagged(ds: Dataset, flt: Filter | None, version: str, extra: str = "") -> tuple[str, list[Any]]:
    """``WITH`` clauses over the filtered responses and their tags, and the parameters.

    ``src``: the kept responses (``_row``, ``_wave``, ``_category`` and ``extra``
    select items); ``tags``: this version's tags; ``commented``: the kept responses
    with a comment (they have tags); ``mentions``: one row per commented response
    and theme it mentions (``src``'s columns and ``theme``).
    """
    where, params = where_clause(flt, ds.all_columns)
    text_ = (
        f"WITH src AS (SELECT {sql.ROW}, {sql.WAVE}, {sql.CATEGORY}{', ' + extra if extra else ''} "
        f"FROM {sql.table(ds.table)} {where}), "
        f"tags AS (SELECT _row, _wave, language, theme FROM {sql.table(tags_table(ds))} WHERE version = ?), "
        "commented AS (SELECT s.* FROM src s SEMI JOIN tags t ON t._row = s._row AND t._wave = s._wave), "
        "mentions AS (SELECT c.*, t.theme FROM commented c JOIN tags t ON t._row = c._row AND t._wave = c._wave "
        "WHERE t.theme IS NOT NULL)"
    )
    return text_, [*params, version]


def theme_trend(
    cur: duckdb.DuckDBPyConnection,
    ds: Dataset,
    codebook: Codebook,
    flt: Filter | None = None,
    grain: str = "month",
    opts: Options = Options(),
) -> pd.DataFrame:
    """Each theme's share of the comments per period, and the NPS of those who mention it.

    Returns DataFrame[period, theme, comments, mentions, share, nps_with,
    n_with, low_n], sorted by period then codebook order: ``period`` the start
    of the period (a timestamp; weeks start on Monday), ``comments`` the
    commented responses of the period, ``mentions`` (= ``n_with``) those that
    mention the theme, ``share`` = mentions / comments (fraction, NaN without
    comments), ``nps_with`` the NPS (points) of the responses that mention it
    (NaN without any), ``low_n`` True when the period has fewer comments than
    ``opts.min_n``. Every period from the first to the last one with comments
    is there for every theme (zeros where nothing was said). Responses without
    a date are left out. ``grain`` is day, week, month, quarter or year (as
    :func:`nps.query.queries.trend`). Needs the dataset tagged (:func:`require_tagged`). Raises
    ValueError for an unknown grain or weighted/deduplicated options.
    """
    domain.check_grain(grain)
    _check_options(opts)
    version = require_tagged(cur, ds, codebook)
    part, step = GRAINS[grain]
    tagged, params = _tagged(ds, flt, version, f"date_trunc('{part}', {sql.DATE}) AS period")
    cats = ", ".join(f"count(*) FILTER (WHERE {sql.CATEGORY} = '{c}') AS {c}s" for c in CATEGORIES)
    names = list(codebook.themes)
    query = (
        f"{tagged}, "
        "per AS (SELECT period, count(*) AS comments FROM commented WHERE period IS NOT NULL GROUP BY period), "
        f"hits AS (SELECT period, theme, count(*) AS mentions, {cats} FROM mentions "
        "WHERE period IS NOT NULL GROUP BY period, theme), "
        f"periods AS (SELECT unnest(generate_series(min(period), max(period), {step})) AS period FROM per), "
        "names AS (SELECT unnest(l) AS theme, generate_subscripts(l, 1) AS ord FROM (SELECT ?::VARCHAR[] AS l)) "
        "SELECT p.period, n.theme, COALESCE(per.comments, 0) AS comments, COALESCE(h.mentions, 0) AS mentions, "
        + ", ".join(f"COALESCE(h.{c}s, 0) AS {c}s" for c in CATEGORIES)
        + " FROM periods p CROSS JOIN names n LEFT JOIN per ON per.period = p.period "
        "LEFT JOIN hits h ON h.period = p.period AND h.theme = n.theme ORDER BY p.period, n.ord"
    )
    frame = sql.fetch_df(cur, query, [*params, names])
    scored = stats.add_stats(
        frame[["detractors", "passives", "promoters"]].astype(float),
        method=opts.method, level=opts.level, min_n=opts.min_n,
    )
    comments = frame["comments"].astype("int64")
    mentions = frame["mentions"].astype("int64")
    out = pd.DataFrame({
        "period": pd.to_datetime(frame["period"]),
        "theme": frame["theme"].astype(str),
        "comments": comments,
        "mentions": mentions,
        "share": (mentions / comments.where(comments > 0)).astype(float),
        "nps_with": scored["nps"].where(mentions > 0).astype(float),
        "n_with": mentions,
        "low_n": (comments < opts.min_n).astype(bool),
    })
    return _versioned(out[list(TREND_COLUMNS)].reset_index(drop=True), version)


def theme_cooccurrence(
    cur: duckdb.DuckDBPyConnection, ds: Dataset, codebook: Codebook, flt: Filter | None = None
) -> pd.DataFrame:
    """Pairs of themes mentioned in the same comment, and how much more often than by chance.

    Among the commented responses the filter keeps (N of them): ``both`` the
    comments mentioning both themes, ``a_mentions``/``b_mentions`` those
    mentioning each, ``lift`` = P(a and b) / (P(a)·P(b)) = both·N /
    (a_mentions·b_mentions) (1 = independent). Returns DataFrame[theme_a,
    theme_b, both, a_mentions, b_mentions, lift], one row per pair with
    ``both`` > 0 and ``theme_a`` before ``theme_b`` in codebook order, sorted
    by ``both`` (desc), then codebook order. Needs the dataset tagged (:func:`require_tagged`).
    """
    version = require_tagged(cur, ds, codebook)
    tagged, params = _tagged(ds, flt, version)
    query = (
        f"{tagged}, "
        "names AS (SELECT unnest(l) AS theme, generate_subscripts(l, 1) AS ord FROM (SELECT ?::VARCHAR[] AS l)), "
        "m AS (SELECT x._row, x._wave, x.theme, n.ord FROM mentions x JOIN names n ON n.theme = x.theme), "
        "counts AS (SELECT theme, count(*) AS mentions FROM m GROUP BY theme), "
        "pairs AS (SELECT a.theme AS theme_a, b.theme AS theme_b, a.ord AS ord_a, b.ord AS ord_b, count(*) AS both "
        "FROM m a JOIN m b ON a._row = b._row AND a._wave = b._wave AND a.ord < b.ord GROUP BY ALL) "
        "SELECT p.theme_a, p.theme_b, p.both, ca.mentions AS a_mentions, cb.mentions AS b_mentions, "
        "(SELECT count(*) FROM commented) AS commented FROM pairs p "
        "JOIN counts ca ON ca.theme = p.theme_a JOIN counts cb ON cb.theme = p.theme_b "
        "ORDER BY p.both DESC, p.ord_a, p.ord_b"
    )
    frame = sql.fetch_df(cur, query, [*params, list(codebook.themes)])
    out = pd.DataFrame({
        "theme_a": frame["theme_a"].astype(str),
        "theme_b": frame["theme_b"].astype(str),
        "both": frame["both"].astype("int64"),
        "a_mentions": frame["a_mentions"].astype("int64"),
        "b_mentions": frame["b_mentions"].astype("int64"),
    })
    out["lift"] = (out["both"] * frame["commented"].astype(float)
                   / (out["a_mentions"] * out["b_mentions"])).astype(float)
    return _versioned(out[list(COOCCURRENCE_COLUMNS)].reset_index(drop=True), version)


def top_themes_by(
    cur: duckdb.DuckDBPyConnection,
    ds: Dataset,
    codebook: Codebook,
    flt: Filter | None,
    column: str,
    *,
    category: str | None = domain.DETRACTOR,
    top: int = 3,
) -> pd.DataFrame:
    """Per value of ``column``, the themes most mentioned in that value's comments of one category.

    Returns DataFrame[value, theme, mentions, share]: for each value (NULL is
    ``"(blank)"``) up to ``top`` themes with mentions > 0, by mentions (desc)
    then codebook order; ``share`` = mentions / that value's commented
    responses of ``category`` (fraction 0..1). ``category`` is detractor,
    passive or promoter, or None for all. Values come by their number of such
    comments (desc), then value. Needs the dataset tagged (:func:`require_tagged`). Raises
    :class:`nps.errors.UnknownColumnError` for a column not in the dataset and
    ValueError for an unknown category or a ``top`` below 1.
    """
    if category is not None and category not in CATEGORIES:
        raise ValueError(f"unknown category {category!r}; use one of {', '.join(CATEGORIES)} or None for all")
    if isinstance(top, bool) or int(top) != top or top < 1:
        raise ValueError(f"top is a number of themes (1 or more), not {top!r}")
    col = sql.column(column, ds.all_columns)
    version = require_tagged(cur, ds, codebook)
    tagged, params = _tagged(ds, flt, version, f"COALESCE(CAST({col} AS VARCHAR), '{sql.BLANK}') AS value")
    pick = f"WHERE {sql.CATEGORY} = ?" if category is not None else ""
    query = (
        f"{tagged}, "
        "names AS (SELECT unnest(l) AS theme, generate_subscripts(l, 1) AS ord FROM (SELECT ?::VARCHAR[] AS l)), "
        f"base AS (SELECT value, count(*) AS comments FROM commented {pick} GROUP BY value), "
        f"hits AS (SELECT value, theme, count(*) AS mentions FROM mentions {pick} GROUP BY value, theme), "
        "ranked AS (SELECT h.value, h.theme, h.mentions, h.mentions / b.comments AS share, b.comments, "
        "row_number() OVER (PARTITION BY h.value ORDER BY h.mentions DESC, n.ord) AS rank "
        "FROM hits h JOIN base b ON b.value = h.value JOIN names n ON n.theme = h.theme) "
        "SELECT value, theme, mentions, share FROM ranked WHERE rank <= ? ORDER BY comments DESC, value, rank"
    )
    chosen = [category] * 2 if category is not None else []
    frame = sql.fetch_df(cur, query, [*params, list(codebook.themes), *chosen, int(top)])
    out = pd.DataFrame({
        "value": frame["value"].astype(str),
        "theme": frame["theme"].astype(str),
        "mentions": frame["mentions"].astype("int64"),
        "share": frame["share"].astype(float),
    })
    return _versioned(out, version)


def language_counts(
    cur: duckdb.DuckDBPyConnection, ds: Dataset, codebook: Codebook, flt: Filter | None = None
) -> pd.DataFrame:
    """The detected languages of the comments the filter keeps: DataFrame[language, n], n desc then language.

    ``language`` is an ISO 639-1 code or ``"unknown"`` (too short or unsure);
    ``n`` counts commented responses. Read from the stored tags (the dataset
    must be tagged: :func:`require_tagged`).
    """
    version = require_tagged(cur, ds, codebook)
    where, params = where_clause(flt, ds.all_columns)
    query = (
        f"WITH src AS (SELECT {sql.ROW}, {sql.WAVE} FROM {sql.table(ds.table)} {where}), "
        f"tags AS (SELECT DISTINCT _row, _wave, language FROM {sql.table(tags_table(ds))} WHERE version = ?) "
        "SELECT t.language, count(*) AS n FROM tags t SEMI JOIN src s ON s._row = t._row AND s._wave = t._wave "
        "GROUP BY t.language ORDER BY n DESC, t.language"
    )
    frame = sql.fetch_df(cur, query, [*params, version])
    out = pd.DataFrame({"language": frame["language"].astype(str), "n": frame["n"].astype("int64")})
    return _versioned(out, version)


def uncovered_comments(
    cur: duckdb.DuckDBPyConnection,
    ds: Dataset,
    codebook: Codebook,
    flt: Filter | None = None,
    limit: int | None = None,
) -> pd.DataFrame:
    """The comments the filter keeps that mention no theme of ``codebook``.

    Returns DataFrame[_row, _wave, comment, category, language] in file order
    (wave, then row), at most ``limit`` rows (all when None). Comments are as
    stored (not masked). Needs the dataset tagged (:func:`require_tagged`). Raises ValueError
    for a ``limit`` below 1.
    """
    if limit is not None and (isinstance(limit, bool) or int(limit) != limit or limit < 1):
        raise ValueError(f"limit is a number of comments (1 or more) or None for all, not {limit!r}")
    version = require_tagged(cur, ds, codebook)
    where, params = where_clause(flt, ds.all_columns)
    query = (
        f"WITH src AS (SELECT {sql.ROW}, {sql.WAVE}, {sql.COMMENT}, {sql.CATEGORY} FROM {sql.table(ds.table)} "
        f"{where}) SELECT s._row, s._wave, s._comment AS comment, s._category AS category, t.language "
        f"FROM src s JOIN {sql.table(tags_table(ds))} t ON t._row = s._row AND t._wave = s._wave "
        "WHERE t.version = ? AND t.theme IS NULL ORDER BY s._wave, s._row"
        + (" LIMIT ?" if limit is not None else "")
    )
    frame = sql.fetch_df(cur, query, [*params, version, *([int(limit)] if limit is not None else [])])
    out = pd.DataFrame({
        "_row": frame["_row"].astype("int64"),
        "_wave": frame["_wave"].astype("int64"),
        "comment": frame["comment"].astype(str),
        "category": frame["category"].astype(object),
        "language": frame["language"].astype(str),
    })
    return _versioned(out, version)


# Responses are sampled for a preview in the order of this seeded hash (same sample every time).
_PREVIEW_SEED = 20_240_601


def preview_codebook(
    cur: duckdb.DuckDBPyConnection,
    ds: Dataset,
    old: Codebook,
    new: Codebook,
    flt: Filter | None = None,
    *,
    max_comments: int = PREVIEW_MAX_COMMENTS,
) -> pd.DataFrame:
    """Mentions per theme under the saved codebook ``old`` and under an edited ``new`` one, before saving it.

    ``old``'s figures come from the stored tags (the dataset must be tagged
    with it: :func:`require_tagged`); ``new`` tags the kept comments in memory only (nothing is
    stored) with the languages already detected. When the filter keeps more
    than ``max_comments`` commented responses, both sides count the same seeded
    sample of ``max_comments`` of them. Returns DataFrame[theme, before, after,
    change] (counts of commented responses; change = after − before): ``new``'s
    themes in its order, then themes only ``old`` has (0 after); a theme only
    ``new`` has is 0 before. ``frame.attrs``: ``sampled`` (bool), ``comments``
    (responses counted), ``total`` (commented responses the filter keeps),
    ``codebook_version`` (old) and ``new_version``. Raises ValueError for
    ``max_comments`` below 1.
    """
    if isinstance(max_comments, bool) or int(max_comments) != max_comments or max_comments < 1:
        raise ValueError(f"max_comments is a number of comments (1 or more), not {max_comments!r}")
    version = require_tagged(cur, ds, old)
    where, params = where_clause(flt, ds.all_columns)
    base = (
        f"WITH src AS (SELECT {sql.ROW}, {sql.WAVE}, {sql.COMMENT} FROM {sql.table(ds.table)} {where}), "
        "kept AS (SELECT s._row, s._wave, s._comment, any_value(t.language) AS language, "
        "list(t.theme ORDER BY t.theme) FILTER (WHERE t.theme IS NOT NULL) AS themes "
        f"FROM src s JOIN {sql.table(tags_table(ds))} t ON t._row = s._row AND t._wave = s._wave "
        "WHERE t.version = ? GROUP BY s._row, s._wave, s._comment)"
    )
    total = int(sql.fetch_value(cur, f"{base} SELECT count(*) FROM kept", [*params, version]) or 0)
    sampled = total > max_comments
    sample = " ORDER BY hash(_row, _wave, ?::BIGINT), _row, _wave LIMIT ?" if sampled else ""
    rows = sql.fetch_all(
        cur,
        f"{base}, picked AS (SELECT * FROM kept{sample}) "
        "SELECT _comment, any_value(language), any_value(themes), count(*) FROM picked GROUP BY _comment",
        [*params, version, *([_PREVIEW_SEED, int(max_comments)] if sampled else [])],
    )
    before: dict[str, int] = {}
    for _, _, found, n in rows:
        for theme in found or ():
            before[theme] = before.get(theme, 0) + int(n)
    _, found_new = tag_comments([r[0] for r in rows], new, languages=[r[1] for r in rows])
    after: dict[str, int] = {}
    for found, (_, _, _, n) in zip(found_new, rows):
        for theme in found:
            after[theme] = after.get(theme, 0) + int(n)
    names = list(new.themes) + [t for t in old.themes if t not in new.themes]
    out = pd.DataFrame({
        "theme": names,
        "before": [before.get(t, 0) for t in names],
        "after": [after.get(t, 0) for t in names],
    }).astype({"before": "int64", "after": "int64"})
    out["change"] = out["after"] - out["before"]
    out.attrs.update(sampled=sampled, comments=sum(int(r[3]) for r in rows), total=total, new_version=new.version)
    return _versioned(out, version)


# --- distinctive terms ------------------------------------------------------------------------


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
        languages = text.detect_languages(comments)
    counts: dict[str, int] = {}
    for comment, lang in zip(comments, languages):
        words = text.negated_tokens(comment, lang)
        for size in range(low, high + 1):
            for i in range(len(words) - size + 1):
                term = " ".join(words[i:i + size])
                counts[term] = counts.get(term, 0) + 1
    return counts


# The informative prior's weight relative to the data (see distinctive_terms).
PRIOR_WEIGHT = 0.1


def distinctive_terms(
    cur: duckdb.DuckDBPyConnection,
    ds: Dataset,
    flt: Filter | None = None,
    *,
    top: int = 20,
    ngrams: tuple[int, int] = (1, 2),
    min_count: int = 3,
    language: str | None = None,
    prior_weight: float = PRIOR_WEIGHT,
) -> pd.DataFrame:
    """The terms most typical of detractors' and of promoters' comments (Fightin' Words).

    Among the comments the filter keeps (only those detected in ``language``
    when given, an ISO 639-1 code), :func:`score_log_odds` of detractors
    (a) vs promoters (b), with an informative prior: each term's count in every
    kept comment (passives included) times ``prior_weight``, so the prior
    weighs that fraction of the data (at 1 a prior drawn mostly from the larger
    group swamps its differences: detractors' "months", 120 uses against 1,
    would score z ≈ 1). Terms seen fewer than ``min_count`` times overall are
    left out. Returns DataFrame[side, term, score, detractors, promoters]: up
    to ``top`` rows with side ``"detractors"`` (score = z > 0) then up to ``top``
    with side ``"promoters"`` (score = −z > 0), each sorted by score
    (descending); ``detractors``/``promoters`` are the term's occurrences.
    """
    where, params = where_clause(flt, ds.all_columns)
    cond = _HAS_COMMENT
    where = f"{where} AND {cond}" if where else f"WHERE {cond}"
    rows = sql.fetch_all(cur, f"SELECT {sql.CATEGORY}, {sql.COMMENT} FROM {sql.table(ds.table)} {where}", params)
    langs = text.detect_languages([comment for _, comment in rows])
    by_cat: dict[str, tuple[list[str], list[str]]] = {c: ([], []) for c in CATEGORIES}
    for (category, comment), lang in zip(rows, langs):
        if category in by_cat and (language is None or lang == language):
            by_cat[category][0].append(comment)
            by_cat[category][1].append(lang)
    det = count_terms(by_cat[domain.DETRACTOR][0], ngrams, by_cat[domain.DETRACTOR][1])
    pro = count_terms(by_cat[domain.PROMOTER][0], ngrams, by_cat[domain.PROMOTER][1])
    prior = count_terms(by_cat[domain.PASSIVE][0], ngrams, by_cat[domain.PASSIVE][1])
    for counts in (det, pro):
        for term, n in counts.items():
            prior[term] = prior.get(term, 0) + n
    if not 0 < prior_weight <= 1:
        raise ValueError(f"prior_weight must be in (0, 1], not {prior_weight}")
    prior = {t: n * prior_weight for t, n in prior.items() if n >= min_count}
    columns = ["side", "term", "score", "detractors", "promoters"]
    if not prior:
        return pd.DataFrame(columns=columns)
    scored = score_log_odds(det, pro, prior).rename(columns={"a": "detractors", "b": "promoters"})
    lean_d = scored[scored["z"] > 0].head(top).assign(side="detractors", score=lambda f: f["z"])
    lean_p = scored[scored["z"] < 0].assign(score=lambda f: -f["z"]).sort_values(
        ["score", "term"], ascending=[False, True], kind="stable"
    ).head(top).assign(side="promoters")
    out = pd.concat([lean_d, lean_p], ignore_index=True)
    out[["detractors", "promoters"]] = out[["detractors", "promoters"]].astype("int64")
    return out[columns]
