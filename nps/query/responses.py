"""Individual responses for drill-down: a page at a time from the database, or all for export."""

from __future__ import annotations

import duckdb
import pandas as pd

from nps import text
from nps.store import sql
from nps.query import anonymity
from nps.query.filters import Filter
from nps.query.rows import where_for
from nps.store import Dataset

ORDERS: dict[str, str] = {
    "newest": f"{sql.DATE} DESC NULLS LAST, {sql.ROW} DESC",
    "oldest": f"{sql.DATE} ASC NULLS LAST, {sql.ROW}",
    "lowest": f"{sql.SCORE}, {sql.DATE} DESC NULLS LAST",
    "highest": f"{sql.SCORE} DESC, {sql.DATE} DESC NULLS LAST",
    "file order": f"{sql.WAVE}, {sql.ROW}",
}


def _select_list(ds: Dataset) -> str:
    fixed = [
        f"{sql.ROW} AS \"row\"", f"{sql.WAVE} AS wave", f"{sql.DATE} AS \"date\"", f"{sql.SCORE} AS score",
        f"{sql.CATEGORY} AS category", f"{sql.COMMENT} AS \"comment\"",
    ]
    skip = {ds.mapping.score, ds.mapping.comment, ds.mapping.date}
    own = [sql.column(c, ds.columns) for c in ds.columns if c not in skip]
    return ", ".join(fixed + own)


def count_responses(cur: duckdb.DuckDBPyConnection, ds: Dataset, flt: Filter | None = None) -> int:
    """How many accepted responses match ``flt``."""
    where, params = where_for(flt, ds)
    return int(sql.fetch_value(cur, f"SELECT count(*) FROM {sql.table(ds.table)} {where}", params))


def load_responses_page(
    cur: duckdb.DuckDBPyConnection,
    ds: Dataset,
    flt: Filter | None = None,
    *,
    page: int = 1,
    page_size: int = 50,
    order: str = "newest",
    mask: bool = True,
) -> pd.DataFrame:
    """One page (1-based) of responses matching ``flt``: row, wave, date, score, category, comment, then the file's other columns.

    Personal data in the comment (e-mails, phone, IBAN- and card-like numbers) is
    masked unless ``mask`` is False (:func:`nps.text.mask_personal_data`).

    Raises ValueError for an unknown ``order`` (see :data:`ORDERS`) or a page size outside 1..5000,
    and :class:`nps.query.anonymity.CommentsHidden` for an employee selection too small to show.
    """
    anonymity.require_comments(cur, ds, flt)
    return unchecked_page(cur, ds, flt, page=page, page_size=page_size, order=order, mask=mask)


def unchecked_page(
    cur: duckdb.DuckDBPyConnection,
    ds: Dataset,
    flt: Filter | None = None,
    *,
    page: int = 1,
    page_size: int = 50,
    order: str = "newest",
    mask: bool = True,
) -> pd.DataFrame:
    """:func:`load_responses_page` without the anonymity check: for a caller that checked a wider selection itself."""
    if order not in ORDERS:
        raise ValueError(f"unknown order {order!r}; use one of {', '.join(ORDERS)}")
    if not 1 <= page_size <= 5000:
        raise ValueError("a page holds 1 to 5,000 responses")
    where, params = where_for(flt, ds)
    frame = sql.fetch_df(
        cur,
        f"SELECT {_select_list(ds)} FROM {sql.table(ds.table)} {where} ORDER BY {ORDERS[order]} LIMIT ? OFFSET ?",
        [*params, page_size, (max(page, 1) - 1) * page_size],
    )
    return text.mask_frame(frame, ["comment"]) if mask else frame


def load_responses_for_export(
    cur: duckdb.DuckDBPyConnection,
    ds: Dataset,
    flt: Filter | None = None,
    *,
    max_rows: int = 1_048_575,
    mask: bool = True,
) -> pd.DataFrame:
    """Every response matching ``flt`` (file order), up to ``max_rows``, for a CSV or XLSX download.

    Comments are masked as in :func:`load_responses_page` unless ``mask`` is False. Raises
    :class:`nps.query.anonymity.CommentsHidden` for an employee selection too small to show.
    """
    anonymity.require_comments(cur, ds, flt)
    where, params = where_for(flt, ds)
    frame = sql.fetch_df(
        cur,
        f"SELECT {_select_list(ds)} FROM {sql.table(ds.table)} {where} ORDER BY {ORDERS['file order']} LIMIT ?",
        [*params, max_rows],
    )
    return text.mask_frame(frame, ["comment"]) if mask else frame

