"""Editing a codebook: pure functions from one :class:`~nps.text.codebook.Codebook` to a new one, and YAML.

Each edit takes a codebook and returns a new one, or raises ValueError saying
what is wrong; saving it is :func:`nps.store.codebooks.save_codebook`'s job.
:func:`codebook_to_yaml` and :func:`codebook_from_yaml` write and read the
format of ``data/codebook.yaml`` (a download, an upload).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import yaml

from nps.domain import LANGUAGES
from nps.text.codebook import Codebook, parse_codebook

Words = Mapping[str, Sequence[str]]


def _themes_of(codebook: Codebook) -> dict[str, dict[str, list[str]]]:
    return {name: {lang: list(terms) for lang, terms in words.items()} for name, words in codebook.themes.items()}


def _name(name: str, what: str = "theme name") -> str:
    clean = " ".join(str(name or "").split())
    if not clean:
        raise ValueError(f"the {what} is empty; give the theme a name")
    return clean


def _existing(codebook: Codebook, name: str) -> str:
    if name not in codebook.themes:
        known = ", ".join(repr(t) for t in codebook.themes) or "none"
        raise ValueError(f"no theme {name!r} in this codebook; its themes are: {known}")
    return name


def _clash(codebook: Codebook, name: str, besides: Sequence[str] = ()) -> None:
    """Raise when another theme (not one of ``besides``) has ``name``, ignoring case."""
    for other in codebook.themes:
        if other not in besides and other.casefold() == name.casefold():
            raise ValueError(f"there is a theme {other!r} already; pick another name or merge the two")


def _terms(words: Sequence[str] | str, where: str) -> list[str]:
    if isinstance(words, str):
        words = [words]
    clean = [" ".join(str(w).split()) for w in words if str(w).strip()]
    if not clean:
        raise ValueError(f"{where}: no words given")
    bad = [w for w in clean if "," in w]
    if bad:
        raise ValueError(f"{where}: a term cannot hold a comma ({bad[0]!r}); give the terms one by one")
    return clean


def _language(lang: str) -> str:
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; use one of {', '.join(LANGUAGES)}")
    return lang


def add_theme(codebook: Codebook, name: str, words: Words) -> Codebook:
    """``codebook`` with a new theme ``name`` (last) whose terms are ``words`` ({language: [term, ...]}).

    Raises ValueError for an empty name, a name already used (ignoring case),
    an unknown language, a term with a comma, or no words at all.
    """
    name = _name(name)
    _clash(codebook, name)
    terms: dict[str, list[str]] = {}
    for lang, given in (words or {}).items():
        items = [given] if isinstance(given, str) else list(given or ())
        if any(str(w).strip() for w in items):
            terms[_language(lang)] = _terms(items, f"theme {name!r}, {lang}")
        else:
            _language(lang)
    if not terms:
        raise ValueError(f"theme {name!r} has no words; give it at least one")
    return Codebook.build(_themes_of(codebook) | {name: terms})


def merge_themes(codebook: Codebook, sources: Sequence[str], into: str) -> Codebook:
    """``codebook`` with the ``sources`` themes merged into one named ``into``.

    The merged theme has every word of every source (per language, in order,
    without repeats) and takes the place of the first source. ``into`` may be
    one of the sources' names or a new one. Raises ValueError for fewer than
    two distinct sources, a source that is not a theme, an empty ``into`` or
    an ``into`` naming another theme.
    """
    sources = list(dict.fromkeys(sources))
    if len(sources) < 2:
        raise ValueError("pick at least two themes to merge")
    for source in sources:
        _existing(codebook, source)
    into = _name(into, "merged theme's name")
    _clash(codebook, into, besides=sources)
    current = _themes_of(codebook)
    merged: dict[str, list[str]] = {}
    for source in sources:
        for lang, terms in current[source].items():
            merged.setdefault(lang, [])
            merged[lang].extend(t for t in terms if t not in merged[lang])
    out: dict[str, dict[str, list[str]]] = {}
    for name, words in current.items():
        if name == sources[0]:
            out[into] = merged
        elif name not in sources:
            out[name] = words
    return Codebook.build(out)


def remove_theme(codebook: Codebook, name: str) -> Codebook:
    """``codebook`` without theme ``name``.

    Raises ValueError when there is no such theme or it is the only one (a
    codebook needs at least one theme).
    """
    _existing(codebook, name)
    if len(codebook.themes) == 1:
        raise ValueError(f"{name!r} is the codebook's only theme; add another before removing it")
    return Codebook.build({n: w for n, w in _themes_of(codebook).items() if n != name})


def add_words(codebook: Codebook, theme: str, lang: str, words: Sequence[str] | str) -> Codebook:
    """``codebook`` with ``words`` added to ``theme``'s terms in language ``lang`` (after the ones it has).

    Words it has already are not repeated. Raises ValueError for an unknown
    theme or language, a term with a comma, or no words.
    """
    _existing(codebook, theme)
    _language(lang)
    terms = _terms(words, f"theme {theme!r}, {lang}")
    current = _themes_of(codebook)
    have = current[theme].setdefault(lang, [])
    have.extend(t for t in terms if t not in have)
    return Codebook.build(current)


# --- YAML ------------------------------------------------------------------------------------------


_YAML_HEADER = """\
# A Passaparola codebook (the format of data/codebook.yaml).
#
# Each theme has words per language. A comment mentions a theme when one of its
# words or phrases appears in it, ignoring case and accents and comparing lemmas
# (write the plain form). A phrase matches its words side by side; a word ending
# in * matches any word that starts with it.
#
# Conditions: "plante ~ app|site" counts only with app or site within 6 words in
# the same sentence, "en ligne !~ rester|attente" only without them; "-page
# d'accueil" keeps the theme's terms from counting inside that phrase; "+happy"
# counts only where not negated, "not_happy" only where negated ("not happy",
# "pas content", "non soddisfatto").
#
# Version {version}
"""


def codebook_to_yaml(codebook: Codebook) -> str:
    """``codebook`` as YAML shaped like ``data/codebook.yaml`` (``themes:`` list of ``{name, words}``).

    Reading it back with :func:`nps.text.codebook.parse_codebook` gives the same
    codebook (same version).
    """
    entries = [{"name": name, "words": {lang: list(terms) for lang, terms in words.items()}}
               for name, words in codebook.themes.items()]
    body = yaml.safe_dump({"themes": entries}, allow_unicode=True, sort_keys=False, default_flow_style=None,
                          width=1 << 16)
    return _YAML_HEADER.format(version=codebook.version) + "\n" + body


def codebook_from_yaml(content: bytes | str, source: str = "codebook.yaml") -> Codebook:
    """A codebook from YAML text or bytes (UTF-8) shaped like ``data/codebook.yaml`` (an uploaded file).

    ``source`` names it in error messages. Raises ValueError when the bytes
    are not UTF-8 text or the text is not a codebook (see
    :func:`nps.text.codebook.parse_codebook`).
    """
    if isinstance(content, bytes):
        try:
            content = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValueError(f"{source}: not UTF-8 text; save the codebook as UTF-8 and upload it again") from None
    return parse_codebook(content, source)
