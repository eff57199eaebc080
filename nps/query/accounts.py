"""The reads of the B2B accounts analysis: each account's contacts, their scores per quarter and open cases.

Every read goes through the row source (:func:`nps.query.rows.source`: the filter, the reader's
scope, dedupe). Responses count unweighted here: an account's contacts are people, each counted once
per response (with ``Options.dedupe``, each respondent's latest response). Responses whose account
is blank belong to no account and are left out. The arithmetic is :mod:`nps.accounts`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import duckdb
import pandas as pd

from nps.query.counting import count_items, key_columns
from nps.query.filters import Filter
from nps.query.followup import case_values
from nps.query.options import Options
from nps.query.rows import source
from nps.store import Dataset, sql
from nps.store.cases import all_cases

CONTACT_COLUMNS = ("account", "role", "revenue", "score", "n", "first_row")
PERIOD_COLUMNS = ("account", "period", "n", "promoters", "passives", "detractors")


def contacts(cur: duckdb.DuckDBPyConnection, ds: Dataset, account: str, role: str | None = None,
             revenue: str | None = None, flt: Filter | None = None, opts: Options = Options()) -> pd.DataFrame:
    """The scored responses per account, role, revenue text and score.

    Returns DataFrame[account, role, revenue, score, n, first_row]: ``role`` and ``revenue`` as text
    (None without the column or when blank), ``n`` the responses, ``first_row`` the smallest file row
    (``_row``) among them (where an unreadable revenue is). Raises
    :class:`nps.errors.UnknownColumnError` for an unknown column.
    """
    names = [c for c in (account, role, revenue) if c]
    key_columns(ds, names, set())  # known columns, none twice
    col = {c: sql.column(c, ds.all_columns) for c in names}
    role_item = f"CAST({col[role]} AS VARCHAR)" if role else "NULL::VARCHAR"
    revenue_item = f"CAST({col[revenue]} AS VARCHAR)" if revenue else "NULL::VARCHAR"
    src, params = source(ds, flt, replace(opts, weighted=False))
    text = (f"SELECT CAST({col[account]} AS VARCHAR) AS account, {role_item} AS role, {revenue_item} AS revenue, "
            f"{sql.SCORE} AS score, count(*) AS n, min({sql.ROW}) AS first_row FROM ({src}) "
            f"GROUP BY ALL ORDER BY account, first_row")
    frame = sql.fetch_df(cur, text, params)
    frame = frame[frame["account"].notna() & frame["score"].notna()].reset_index(drop=True)
    frame["score"] = frame["score"].astype("int64")
    frame["n"] = frame["n"].astype("int64")
    frame["first_row"] = frame["first_row"].astype("int64")
    return frame[list(CONTACT_COLUMNS)]


def quarters(cur: duckdb.DuckDBPyConnection, ds: Dataset, account: str, flt: Filter | None = None,
             opts: Options = Options()) -> pd.DataFrame:
    """Each account's counts per calendar quarter (undated responses left out), oldest quarter first.

    Returns DataFrame[account, period, n, promoters, passives, detractors]; ``period`` is the
    quarter's first day.
    """
    quoted = key_columns(ds, [account], set())[0]
    plain = replace(opts, weighted=False)
    src, params = source(ds, flt, plain, partition=[f"date_trunc('quarter', {sql.DATE})"] if opts.dedupe else ())
    text = (f"SELECT CAST({quoted} AS VARCHAR) AS account, CAST(date_trunc('quarter', {sql.DATE}) AS DATE) AS period, "
            f"{count_items(plain)} FROM ({src}) GROUP BY ALL ORDER BY account, period")
    frame = sql.fetch_df(cur, text, params)
    frame = frame[frame["account"].notna() & frame["period"].notna() & (frame["n"] > 0)].reset_index(drop=True)
    return frame[list(PERIOD_COLUMNS)]


def open_cases(cur: duckdb.DuckDBPyConnection, ds: Dataset, account: str) -> dict[str, int]:
    """The open (not closed) follow-up cases per account: cases of responses the reader may see, by their account."""
    values = case_values(cur, ds, account)
    if not values:
        return {}
    active = {case.id for case in all_cases(cur, active_only=True, ids=list(values))}
    return dict(Counter(value for case_id, value in values.items() if case_id in active))
