"""A codebook: themes and their terms per language, read from YAML and compiled for matching.

A codebook maps a theme to words and phrases per language (``data/codebook.yaml``,
whose header explains the term syntax that :func:`parse_term` reads). A
:class:`Codebook` is versioned by the sha256 of its canonical JSON; its compiled
form (folded lemmas per term, filed by first word) is made on first use by
:mod:`nps.text.matching`.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from nps.domain import CODEBOOK_LANGUAGES, LANGUAGES
from nps.text import words as text_words

# The project's root (the text layer knows no store): the default codebook ships in its data folder.
PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CODEBOOK = PROJECT_ROOT / "data" / "codebook.yaml"

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
    elif (rest := marked(text_words.NEGATION_MARK)) is not None:
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
        :data:`nps.LANGUAGES`, a theme without any term or a term
        :func:`parse_term` cannot read (naming the theme, language and term).
        """
        clean: dict[str, dict[str, tuple[str, ...]]] = {}
        for name, by_lang in themes.items():
            name = str(name).strip()
            if not name:
                raise ValueError("a theme needs a name")
            words: dict[str, tuple[str, ...]] = {}
            for lang, terms in (by_lang or {}).items():
                if lang not in LANGUAGES:
                    raise ValueError(
                        f"theme {name!r}: unknown language {lang!r}; use one of {', '.join(LANGUAGES)}"
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
    words = text_words.split_words(term.rstrip("*"))
    if not words:
        return None
    # A prefix is matched as written: lemmatising a stem would change it.
    last = [words[-1]] if prefix else text_words.lemmatize(words[-1:], lang)
    lemmas = text_words.lemmatize(words[:-1], lang) + last
    return tuple(text_words.fold(w) for w in lemmas), prefix


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
