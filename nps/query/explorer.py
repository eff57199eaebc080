"""The comment explorer: search the verbatims, filter by category, theme and language, page, export.

A search is words and "quoted phrases" (read by :func:`nps.text.search.parse_query`,
which also marks them in a comment: :func:`nps.text.search.highlight`); a comment matches when it contains every
one of them, ignoring case and accents (``"citta"`` finds "Città", ``"reçu"``
finds "recu"). A word matches inside longer words too (``deliver`` finds
"delivery", "delivered"), so one stem covers a word's forms in any language.

Themes and languages come from the stored comment tags (:mod:`nps.store.tagging`), so a
search never re-tags. Comments leave this module with personal data masked
unless the caller asks otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import duckdb
import pandas as pd

from nps import text
from nps.query import anonymity
from nps.query import themes
from nps.query.filters import Filter
from nps.query.rows import where_for
from nps.store import Dataset, sql
from nps.store.tagging import has_comment_sql, tags_table
from nps.text import Codebook
from nps.text.search import parse_query

ORDERS: dict[str, str] = {
    "newest": f"s.{sql.DATE} DESC NULLS LAST, s.{sql.ROW} DESC",
    "oldest": f"s.{sql.DATE} ASC NULLS LAST, s.{sql.ROW}",
    "lowest score": f"s.{sql.SCORE}, s.{sql.DATE} DESC NULLS LAST, s.{sql.ROW}",
    "highest score": f"s.{sql.SCORE} DESC, s.{sql.DATE} DESC NULLS LAST, s.{sql.ROW}",
}
MAX_PAGE_SIZE = 5000
EXPORT_MAX_ROWS = 1_048_575


@dataclass(frozen=True)
class Search:
    """What to look for: search terms (all must appear), and the themes, languages and categories to keep.

    ``themes`` keeps comments that mention at least one of them (the special
    name :data:`NO_THEME` keeps comments no theme covers); ``languages`` and
    ``categories`` likewise keep any of theirs. Empty tuples keep everything.
    """

    query: str = ""
    themes: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()


NO_THEME = "(no theme)"


@dataclass(frozen=True)
class SearchPage:
    """One page of search results and how many comments match in all."""

    total: int
    page: int
    page_size: int
    rows: pd.DataFrame
    terms: tuple[str, ...]

    @property
    def pages(self) -> int:
        """How many pages the matches fill (at least 1)."""
        return max(1, -(-self.total // self.page_size))


def _query(ds: Dataset, codebook: Codebook, flt: Filter | None, search: Search) -> tuple[str, list[object]]:
    """FROM … WHERE … of a search, and its parameters (the tags aggregated per comment)."""
    where, params = where_for(flt, ds)
    # Unqualified filter columns belong to the responses table: the aggregated tags only add __-names.
    parts = [where[len("WHERE "):]] if where else []
    parts.append(has_comment_sql())
    terms = parse_query(search.query)
    for term in terms:
        parts.append(f"contains(strip_accents(lower({sql.COMMENT})), ?)")
        params.append(term)
    if search.categories:
        parts.append(f"{sql.CATEGORY} IN (SELECT unnest(?::VARCHAR[]))")
        params.append(list(search.categories))
    if search.languages:
        parts.append("__language IN (SELECT unnest(?::VARCHAR[]))")
        params.append(list(search.languages))
    if search.themes:
        named = [t for t in search.themes if t != NO_THEME]
        either = []
        if named:
            either.append("list_has_any(__themes, ?::VARCHAR[])")
            params.append(named)
        if NO_THEME in search.themes:
            either.append("len(__themes) = 0")
        parts.append("(" + " OR ".join(either) + ")")
    tags = (
        f"SELECT _row, _wave, any_value(language) AS __language, "
        f"coalesce(list(theme ORDER BY theme) FILTER (WHERE theme IS NOT NULL), []) AS __themes "
        f"FROM {sql.table(tags_table(ds))} WHERE version = ? GROUP BY _row, _wave"
    )
    source = (
        f"FROM {sql.table(ds.table)} s JOIN ({tags}) t ON t._row = s.{sql.ROW} AND t._wave = s.{sql.WAVE} "
        "WHERE " + " AND ".join(parts)
    )
    return source, [codebook.version, *params]


def _select_list(ds: Dataset) -> str:
    fixed = [
        f"s.{sql.ROW} AS \"row\"", f"s.{sql.DATE} AS \"date\"", f"s.{sql.SCORE} AS score",
        f"s.{sql.CATEGORY} AS category", f"s.{sql.COMMENT} AS \"comment\"",
        "__language AS \"language\"", "array_to_string(__themes, ', ') AS themes",
    ]
    own = [f"s.{sql.column(c, ds.columns)}" for c in ds.mapping.dimensions if c in ds.columns]
    return ", ".join(fixed + own)


def _finish(frame: pd.DataFrame, mask: bool) -> pd.DataFrame:
    return text.mask_frame(frame, ["comment"]) if mask else frame


def search_comments(
    cur: duckdb.DuckDBPyConnection,
    ds: Dataset,
    codebook: Codebook,
    flt: Filter | None = None,
    search: Search = Search(),
    *,
    page: int = 1,
    page_size: int = 25,
    order: str = "newest",
    mask: bool = True,
) -> SearchPage:
    """One page (1-based) of the comments that match ``search`` under ``flt``, and the total.

    Rows: row, date, score, category, comment (personal data masked unless
    ``mask`` is False), language, themes (comma-separated, alphabetical), then
    the dataset's dimension columns. Needs the dataset tagged with ``codebook``
    (:func:`nps.query.themes.require_tagged`). Raises ValueError for an unknown ``order`` (see :data:`ORDERS`), a
    page size outside 1..5000 or too many search terms, and
    :class:`nps.query.anonymity.CommentsHidden` when the employee anonymity rule hides the comments of ``flt``
    (the sidebar's selection; the search then narrows what is shown of it).
    """
    if order not in ORDERS:
        raise ValueError(f"unknown order {order!r}; use one of {', '.join(ORDERS)}")
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ValueError(f"a page holds 1 to {MAX_PAGE_SIZE:,} comments")
    anonymity.require_comments(cur, ds, flt)
    themes.require_tagged(cur, ds, codebook)
    source, params = _query(ds, codebook, flt, search)
    total = int(sql.fetch_value(cur, f"SELECT count(*) {source}", params))
    pages = max(1, -(-total // page_size))
    page = min(max(page, 1), pages)
    rows = sql.fetch_df(
        cur,
        f"SELECT {_select_list(ds)} {source} ORDER BY {ORDERS[order]} LIMIT ? OFFSET ?",
        [*params, page_size, (page - 1) * page_size],
    )
    return SearchPage(total=total, page=page, page_size=page_size, rows=_finish(rows, mask),
                      terms=parse_query(search.query))


def export_comments(
    cur: duckdb.DuckDBPyConnection,
    ds: Dataset,
    codebook: Codebook,
    flt: Filter | None = None,
    search: Search = Search(),
    *,
    order: str = "newest",
    mask: bool = True,
    max_rows: int = EXPORT_MAX_ROWS,
) -> pd.DataFrame:
    """Every comment matching ``search`` under ``flt`` (up to ``max_rows``), columns as :func:`search_comments`.

    For a CSV / XLSX download: pass the frame to :mod:`nps.export`, which
    neutralises formula prefixes.
    """
    if order not in ORDERS:
        raise ValueError(f"unknown order {order!r}; use one of {', '.join(ORDERS)}")
    anonymity.require_comments(cur, ds, flt)
    themes.require_tagged(cur, ds, codebook)
    source, params = _query(ds, codebook, flt, search)
    rows = sql.fetch_df(cur, f"SELECT {_select_list(ds)} {source} ORDER BY {ORDERS[order]} LIMIT ?",
                        [*params, max_rows])
    return _finish(rows, mask)


_SHOWN_FIRST = ("segment", "function", "funzione", "fonction", "department", "reparto", "touchpoint", "team")


def display_dimensions(dimensions: Sequence[str], limit: int = 3) -> list[str]:
    """Up to ``limit`` dimensions to show beside each comment: segment and business function first, then file order."""
    def rank(name: str) -> int:
        low = name.lower()
        return next((i for i, word in enumerate(_SHOWN_FIRST) if word in low), len(_SHOWN_FIRST))

    return sorted(dimensions, key=rank)[:limit]
