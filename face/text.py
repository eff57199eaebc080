"""The comment pages' table and HTML helpers: a codebook as rows for ``st.data_editor``, highlighted comments.

:func:`codebook_rows` gives one row per theme (a column per language, terms
joined with ``", "``) and :func:`codebook_from_rows` reads the edited table
back into a :class:`nps.text.Codebook`. :func:`highlight_html` shows a comment
as inert HTML with the search terms marked.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from typing import Any

import pandas as pd

from nps.domain import CODEBOOK_LANGUAGES, LANGUAGES
from nps.text import Codebook, highlight

# Terms in a table cell are separated by commas (a term itself has none).
SEPARATOR = ", "


def _row_languages(codebook: Codebook) -> list[str]:
    """The five codebook languages, then any other language the codebook uses."""
    used = {lang for words in codebook.themes.values() for lang in words}
    others = [lang for lang in LANGUAGES if lang in used and lang not in CODEBOOK_LANGUAGES]
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
    unknown = [c for c in columns if c != "theme" and c not in LANGUAGES]
    if unknown:
        raise ValueError(f"unknown column {unknown[0]!r}; the columns are 'theme' and languages "
                         f"({', '.join(LANGUAGES)})")
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


def highlight_html(value: str | None, terms: Sequence[str], *, mark: str = "mark") -> str:
    """``value`` as inert HTML: every character escaped, matched pieces wrapped in ``<mark>``.

    The only markup in the result is the ``<mark>`` tags this function adds, so
    a comment holding HTML, a ``<script>`` or markdown shows as the text it is.
    """
    if mark not in {"mark", "strong", "em"}:
        raise ValueError("mark must be 'mark', 'strong' or 'em'")
    out = []
    for piece, matched in highlight(value, terms):
        escaped = html.escape(piece, quote=True)
        out.append(f"<{mark}>{escaped}</{mark}>" if matched else escaped)
    return "".join(out)
