"""Codebooks kept in the database: numbered versions, their history, and edits that make new ones.

Every saved codebook gets the next ``number`` in the ``codebooks`` catalog
(``number``, ``version`` = :attr:`nps.text.themes.Codebook.version` content hash,
``saved_at``, ``note``, ``content`` = the themes in order as JSON; the table is
a migration of :mod:`nps.store`, made at connect). The newest is
the codebook in use; on a new database the default ``data/codebook.yaml`` is
saved as number 1. Saving a codebook identical to the newest one is a no-op,
and restoring an older one saves it again as the newest.

The edit functions are pure: each takes a :class:`~nps.text.themes.Codebook` and
returns a new one, or raises ValueError saying what is wrong. For a table
editor (``st.data_editor``), :func:`codebook_rows` gives one row per theme and
:func:`codebook_from_rows` reads the edited table back.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

import duckdb
import pandas as pd
import yaml

from nps import text
from nps.store import sql
from nps.text.themes import CODEBOOK_LANGUAGES, DEFAULT_CODEBOOK, Codebook, load_codebook, parse_codebook

HISTORY_COLUMNS: tuple[str, ...] = ("number", "version", "saved_at", "note", "themes", "terms")
DEFAULT_NOTE = "Default codebook"
# Terms in a table cell are separated by commas (a term itself has none).
SEPARATOR = ", "

Words = Mapping[str, Sequence[str]]


# --- storage ----------------------------------------------------------------------------------


def _content(codebook: Codebook) -> str:
    """The themes in order as JSON: ``[{"name": ..., "words": {language: [term, ...]}}, ...]``."""
    entries = [{"name": name, "words": {lang: list(terms) for lang, terms in words.items()}}
               for name, words in codebook.themes.items()]
    return json.dumps(entries, ensure_ascii=False)


def _from_content(content: str) -> Codebook:
    return Codebook.build({entry["name"]: entry["words"] for entry in json.loads(content)})


def _newest(cur: duckdb.DuckDBPyConnection) -> tuple[int, str, str] | None:
    """(number, version, content) of the newest saved codebook, or None when none is saved."""
    return sql.fetch_one(cur, "SELECT number, version, content FROM codebooks ORDER BY number DESC LIMIT 1")


def _save(cur: duckdb.DuckDBPyConnection, codebook: Codebook, note: str) -> int:
    """Save ``codebook`` as the next number unless it is the newest already; the number it has."""
    own = cur.cursor()
    try:
        # Two sessions saving at once both pick the same number; the second one to commit
        # fails and tries again after the first one's save.
        for attempt in range(5):
            newest = _newest(own)
            if newest is not None and newest[1] == codebook.version:
                return int(newest[0])
            number = 1 if newest is None else int(newest[0]) + 1
            try:
                sql.execute(
                    own,
                    "INSERT INTO codebooks VALUES (?, ?, ?, ?, ?)",
                    [number, codebook.version, dt.datetime.now(), note, _content(codebook)],
                )
                return number
            except (duckdb.ConstraintException, duckdb.TransactionException):
                if attempt == 4:
                    raise
        raise AssertionError("unreachable")
    finally:
        own.close()


def current_codebook(cur: duckdb.DuckDBPyConnection) -> Codebook:
    """The codebook in use: the newest saved one.

    On a database without any it is the default ``data/codebook.yaml``, number 1
    (note "Default codebook"), which the first save stores before its own:
    reading writes nothing. Raises ValueError when that file is malformed.
    """
    newest = _newest(cur)
    if newest is not None:
        return _from_content(newest[2])
    return load_codebook(DEFAULT_CODEBOOK)


def current_number(cur: duckdb.DuckDBPyConnection) -> int:
    """The number of the codebook in use (the newest saved), without reading or compiling its content.

    1 on a database without any: the default codebook (see :func:`current_codebook`).
    """
    newest = sql.fetch_value(cur, "SELECT max(number) FROM codebooks")
    return 1 if newest is None else int(newest)


def _rows(cur: duckdb.DuckDBPyConnection, where: str = "", params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    """(number, version, saved_at, note, content) of the saved codebooks, newest first; the default when none is."""
    rows = sql.fetch_all(
        cur, f"SELECT number, version, saved_at, note, content FROM codebooks {where} ORDER BY number DESC",
        params or [],
    )
    if rows or sql.fetch_value(cur, "SELECT count(*) FROM codebooks"):
        return rows
    default = load_codebook(DEFAULT_CODEBOOK)
    row = (1, default.version, None, DEFAULT_NOTE, _content(default))
    # The same filters as the SQL above, on the one unsaved row.
    return [row] if _matches(row, where, params or []) else []


def _matches(row: tuple[Any, ...], where: str, params: list[Any]) -> bool:
    if not where:
        return True
    if where == "WHERE number = ?":
        return bool(row[0] == params[0])
    if where == "WHERE starts_with(version, ?)":
        return str(row[1]).startswith(str(params[0]))
    raise AssertionError(f"unexpected filter {where!r}")


def save_codebook(cur: duckdb.DuckDBPyConnection, codebook: Codebook, note: str) -> int:
    """Save ``codebook`` as the newest version; return its number.

    ``note`` says what changed (shown in the history). A codebook identical to
    the newest one (same content version) is not saved again: the newest
    number is returned.
    """
    if _newest(cur) is None:  # a first save comes after the default, number 1
        _save(cur, load_codebook(DEFAULT_CODEBOOK), DEFAULT_NOTE)
    return _save(cur, codebook, str(note or "").strip())


def codebook_history(cur: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every saved codebook, newest first: DataFrame[number, version, saved_at, note, themes, terms].

    ``version`` is the content hash, ``themes`` the number of themes and
    ``terms`` the number of words and phrases over all languages. On a new
    database the one row is the default codebook, number 1, not saved yet
    (``saved_at`` missing): there is always a row, and reading writes nothing.
    """
    rows = _rows(cur)
    themes, terms = [], []
    for *_, content in rows:
        entries = json.loads(content)
        themes.append(len(entries))
        terms.append(sum(len(t) for entry in entries for t in entry["words"].values()))
    return pd.DataFrame({
        "number": pd.Series([r[0] for r in rows], dtype="int64"),
        "version": pd.Series([r[1] for r in rows], dtype=object),
        "saved_at": pd.to_datetime(pd.Series([r[2] for r in rows], dtype=object)),
        "note": pd.Series([r[3] for r in rows], dtype=object),
        "themes": pd.Series(themes, dtype="int64"),
        "terms": pd.Series(terms, dtype="int64"),
    })


def load_codebook_version(cur: duckdb.DuckDBPyConnection, number_or_version: int | str) -> Codebook:
    """A saved codebook by its number (an int, or digits) or its version (the hash, or its first 6+ characters).

    Raises ValueError when no saved codebook has that number or version, or a
    short version matches several, listing what there is.
    """
    key = number_or_version
    if isinstance(key, bool):
        raise ValueError(f"a codebook is picked by number or version, not {key!r}")
    if isinstance(key, int) or (isinstance(key, str) and key.strip().isdigit() and len(key.strip()) < 10):
        number = int(key)
        found = _rows(cur, "WHERE number = ?", [number])
        if not found:
            raise ValueError(f"no codebook number {number}; saved ones are numbered 1 to {current_number(cur)}")
        return _from_content(found[0][4])
    prefix = str(key).strip().lower()
    if len(prefix) < 6:
        raise ValueError(f"give a codebook's number or at least 6 characters of its version, not {key!r}")
    rows = [(r[0], r[4]) for r in _rows(cur, "WHERE starts_with(version, ?)", [prefix])]
    if not rows:
        raise ValueError(f"no saved codebook has version {key!r}; see the history for the saved ones")
    # The same content saved twice (restored) has one version: any of its rows will do.
    versions = {r[1] for r in rows}
    if len(versions) > 1:
        numbers = ", ".join(str(r[0]) for r in rows)
        raise ValueError(f"version {key!r} matches several codebooks (numbers {numbers}); give more of it")
    return _from_content(rows[0][1])


def restore_codebook(
    cur: duckdb.DuckDBPyConnection, number_or_version: int | str, note: str | None = None
) -> int:
    """Save an older codebook again as the newest; return the number it now has.

    ``note`` defaults to "Restored version N". Restoring the codebook in use
    changes nothing (its number is returned). Raises ValueError like
    :func:`load_codebook_version`.
    """
    codebook = load_codebook_version(cur, number_or_version)
    return save_codebook(cur, codebook, note or f"Restored version {number_or_version}")


# --- edits ------------------------------------------------------------------------------------


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
    if lang not in text.LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; use one of {', '.join(text.LANGUAGES)}")
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


def rename_theme(codebook: Codebook, old: str, new: str) -> Codebook:
    """``codebook`` with theme ``old`` called ``new``, in the same place with the same words.

    Raises ValueError when ``old`` is not a theme, ``new`` is empty or another
    theme has that name (ignoring case; changing only the case is fine).
    """
    _existing(codebook, old)
    new = _name(new, "new name")
    _clash(codebook, new, besides=[old])
    return Codebook.build({(new if name == old else name): words for name, words in _themes_of(codebook).items()})


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


def remove_words(codebook: Codebook, theme: str, lang: str, words: Sequence[str] | str) -> Codebook:
    """``codebook`` with ``words`` taken out of ``theme``'s terms in language ``lang``.

    Raises ValueError for an unknown theme or language, a word the theme does
    not have in that language (naming it), or when no word would be left in
    the theme (remove the theme instead).
    """
    _existing(codebook, theme)
    _language(lang)
    terms = _terms(words, f"theme {theme!r}, {lang}")
    current = _themes_of(codebook)
    have = current[theme].get(lang, [])
    missing = [t for t in terms if t not in have]
    if missing:
        listed = ", ".join(repr(t) for t in missing)
        raise ValueError(f"theme {theme!r} has no {lang} term {listed}; its {lang} terms are: "
                         + (", ".join(have) or "none"))
    left = [t for t in have if t not in terms]
    if left:
        current[theme][lang] = left
    else:
        del current[theme][lang]
    if not current[theme]:
        raise ValueError(f"removing these would leave theme {theme!r} without words; remove the theme instead")
    return Codebook.build(current)


# --- a table for an editor, and YAML --------------------------------------------------------


def _row_languages(codebook: Codebook) -> list[str]:
    """The five codebook languages, then any other language the codebook uses."""
    used = {lang for words in codebook.themes.values() for lang in words}
    others = [lang for lang in text.LANGUAGES if lang in used and lang not in CODEBOOK_LANGUAGES]
    return list(CODEBOOK_LANGUAGES) + others


def codebook_rows(codebook: Codebook) -> pd.DataFrame:
    """One row per theme, in order: DataFrame[theme, it, en, fr, es, de] (plus a column per other language used).

    Each language cell holds the theme's terms joined with ``", "`` ("" for
    none). :func:`codebook_from_rows` reads such a table back.
    """
    langs = _row_languages(codebook)
    return pd.DataFrame(
        {"theme": list(codebook.themes)}
        | {lang: [SEPARATOR.join(words.get(lang, ())) for words in codebook.themes.values()] for lang in langs},
        dtype=object,
    )


def _cell(value: Any) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def codebook_from_rows(frame: pd.DataFrame) -> Codebook:
    """The codebook a table shaped like :func:`codebook_rows` describes (an edited one, say).

    Terms in a cell are separated by commas; spaces around them are dropped.
    Rows whose cells are all blank are skipped. Raises ValueError, naming the
    row (counted from 1) and what to do, for a row with words but no theme
    name, a theme without words, theme names used twice, a column that is
    neither ``theme`` nor a language, or a table without a ``theme`` column or
    without any theme.
    """
    columns = [str(c) for c in frame.columns]
    if "theme" not in columns:
        raise ValueError("the table needs a 'theme' column with the theme names")
    unknown = [c for c in columns if c != "theme" and c not in text.LANGUAGES]
    if unknown:
        raise ValueError(f"unknown column {unknown[0]!r}; the columns are 'theme' and languages "
                         f"({', '.join(text.LANGUAGES)})")
    langs = [c for c in columns if c != "theme"]
    themes: dict[str, dict[str, list[str]]] = {}
    rows_of: dict[str, list[int]] = {}
    for number, record in enumerate(frame.itertuples(index=False, name=None), start=1):
        cells = dict(zip(columns, record))
        name = " ".join(_cell(cells["theme"]).split())
        words = {lang: [t.strip() for t in _cell(cells[lang]).split(",") if t.strip()] for lang in langs}
        words = {lang: terms for lang, terms in words.items() if terms}
        if not name and not words:
            continue
        if not name:
            raise ValueError(f"row {number} has words but no theme name; name the theme or clear the row")
        if not words:
            raise ValueError(f"row {number} (theme {name!r}) has no words; add at least one or delete the row")
        rows_of.setdefault(name.casefold(), []).append(number)
        if len(rows_of[name.casefold()]) == 1:
            themes[name] = words
    twice = {key: numbers for key, numbers in rows_of.items() if len(numbers) > 1}
    if twice:
        described = "; ".join(
            f"{next(n for n in themes if n.casefold() == key)!r} (rows {', '.join(map(str, numbers))})"
            for key, numbers in twice.items()
        )
        raise ValueError(f"theme names appear twice: {described}; rename one or merge them")
    if not themes:
        raise ValueError("the table has no themes; add at least one row with a name and words")
    return Codebook.build(themes)


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

    Reading it back with :func:`nps.text.themes.parse_codebook` gives the same
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
    :func:`nps.text.themes.parse_codebook`).
    """
    if isinstance(content, bytes):
        try:
            content = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValueError(f"{source}: not UTF-8 text; save the codebook as UTF-8 and upload it again") from None
    return parse_codebook(content, source)
