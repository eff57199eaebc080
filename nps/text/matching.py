"""Matching comments to a codebook's themes, one comment at a time.

A comment mentions a theme when one of its terms appears in it, compared as
folded lemmas (case and accents ignored) in the comment's language; comments in
another or an unknown language, or where nothing matched, are tried against
every language's terms. Terms with conditions (polarity, context words,
exclusions: see :func:`nps.text.codebook.parse_term`) are checked where their
words appear. What a word brings to the match (its folded form, its lemma, the
terms it starts) is worked out once per word and language and remembered, so
:mod:`nps.text.tagging` tags many comments quickly with the same answers as
:func:`tag_comment`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from nps.text import words as text_words
from nps.text.codebook import CONTEXT_WINDOW, Codebook, _Context, _key, _Rule, _Term
from nps.text.language import detect_language

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
            folded = cache[word] = text_words.fold(text_words.lemmatize((word,), lang)[0])
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
            flags = text_words.negation_flags(self._source(), self.lang)
            # Words given without their text may split otherwise: then nothing counts as negated.
            self._negated = flags if len(flags) == len(self.words) else [False] * len(self.words)
        return bool(self._negated[i])

    def sentence(self, i: int) -> int:
        """The number of the sentence word ``i`` is in (see :func:`nps.text_words.sentence_numbers`)."""
        if self._sentences is None:
            numbers = text_words.sentence_numbers(self._source(), self.lang)
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
            forms = (text_words.fold(word), _folded_lemmas((word,), lang)[0])
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
        """The themes in ``words`` (:func:`nps.text_words.split_words` of ``comment``) of a comment in ``lang``.

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
    words = text_words.split_words(comment)
    if not words:
        return set()
    return _matcher(codebook).themes(words, lang or detect_language(comment), comment)
