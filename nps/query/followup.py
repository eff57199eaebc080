"""Follow-up reads: the responses a rule opens cases for, the cases a reader may see, a case's detail, the KPI data.

Every read of responses goes through the row source (:func:`nps.query.rows.conditions`), so a
scoped reader sees only the cases of responses in their scope: a case is visible when its response
row is (a semi-join of ``cases`` with the dataset's rows in scope). Comments are masked as on the
Responses page (:func:`nps.text.mask_personal_data`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import duckdb

from nps import text
from nps.query.filters import Filter
from nps.query.rows import conditions, where
from nps.store import Dataset, sql


@dataclass(frozen=True)
class Match:
    """What a rule asks of a response (the store-free part of :class:`nps.followup.rules.Rule`)."""

    categories: tuple[str, ...] = ()
    score_min: int | None = None
    score_max: int | None = None
    conditions: tuple[tuple[str, tuple[str, ...]], ...] = ()
    needs_comment: bool = False
    route_column: str | None = None


@dataclass(frozen=True)
class Candidate:
    """A response that matches a rule and has no case of the kind yet."""

    row: int
    wave: int
    respondent: str | None
    score: int | None
    category: str | None
    date: dt.datetime | None
    route_value: str | None


def latest_date(cur: duckdb.DuckDBPyConnection, ds: Dataset, until: dt.datetime | None = None) -> dt.datetime | None:
    """The newest response date of ``ds`` (in its scope) not after ``until`` (any, when None); None when none is dated."""
    conds, params = conditions(None, ds)
    if until is not None:
        conds.append(f"{sql.DATE} <= ?")
        params.append(until)
    value = sql.fetch_value(cur, f"SELECT max({sql.DATE}) FROM {sql.table(ds.table)} {where(conds)}", params)
    if value is None:
        return None
    return value if isinstance(value, dt.datetime) else dt.datetime.combine(value, dt.time())


def candidates(cur: duckdb.DuckDBPyConnection, ds: Dataset, match: Match, kind: str, *,
               since: dt.datetime | None = None, until: dt.datetime | None = None,
               limit: int = 50_000) -> list[Candidate]:
    """The responses of ``ds`` (in its scope) that ``match`` keeps and that have no case of ``kind``, oldest first.

    ``since`` / ``until``: only responses dated in that span, ends included (undated ones always). A condition on a column the
    dataset lacks matches nothing (the rule is not for this dataset); a missing route column gives
    no route value.
    """
    if any(c not in ds.columns for c, _ in match.conditions):
        return []
    flt = Filter(include=tuple(sorted(match.conditions)), categories=tuple(match.categories))
    conds, params = conditions(flt, ds)
    if match.score_min is not None:
        conds.append(f"{sql.SCORE} >= ?")
        params.append(int(match.score_min))
    if match.score_max is not None:
        conds.append(f"{sql.SCORE} <= ?")
        params.append(int(match.score_max))
    if match.needs_comment:
        conds.append(f"nullif(trim({sql.COMMENT}), '') IS NOT NULL")
    if since is not None:
        conds.append(f"({sql.DATE} IS NULL OR {sql.DATE} >= ?)")
        params.append(since)
    if until is not None:
        conds.append(f"({sql.DATE} IS NULL OR {sql.DATE} <= ?)")
        params.append(until)
    conds.append(f"NOT EXISTS (SELECT 1 FROM cases c WHERE c.dataset_id = ? AND c.kind = ? "
                 f"AND c.response_row = {sql.ROW} AND c.response_wave = {sql.WAVE})")
    params.extend([ds.id, kind])
    route = (f"CAST({sql.column(match.route_column, ds.all_columns)} AS VARCHAR)"
             if match.route_column and match.route_column in ds.columns else "NULL::VARCHAR")
    rows = sql.fetch_all(
        cur,
        f"SELECT {sql.ROW}, {sql.WAVE}, CAST({sql.RESPONDENT} AS VARCHAR), {sql.SCORE}, {sql.CATEGORY}, {sql.DATE}, {route} "
        f"FROM {sql.table(ds.table)} {where(conds)} ORDER BY {sql.WAVE}, {sql.ROW} LIMIT ?",
        [*params, int(limit)],
    )
    return [Candidate(int(r[0]), int(r[1]), r[2], None if r[3] is None else int(r[3]), r[4], r[5], r[6]) for r in rows]


def visible_case_ids(cur: duckdb.DuckDBPyConnection, datasets: Sequence[Dataset], flt: Filter | None = None) -> list[int]:
    """The numbers of the cases whose response the reader may see (each dataset scoped to the reader) and ``flt`` keeps.

    A dataset the reader may not open (not in ``datasets``) shows none of its cases.
    """
    found: list[int] = []
    for ds in datasets:
        conds, params = conditions(flt, ds)
        rows = sql.fetch_all(
            cur,
            f"SELECT c.id FROM cases c SEMI JOIN (SELECT {sql.ROW} AS r_row, {sql.WAVE} AS r_wave "
            f"FROM {sql.table(ds.table)} {where(conds)}) r ON c.response_row = r.r_row AND c.response_wave = r.r_wave "
            "WHERE c.dataset_id = ? ORDER BY c.id",
            [*params, ds.id],
        )
        found.extend(int(r[0]) for r in rows)
    return sorted(found)


@dataclass(frozen=True)
class ResponseView:
    """One response as a case shows it: where it is, when, its score and its (masked) comment."""

    row: int
    wave: int
    date: dt.datetime | None
    score: int | None
    category: str | None
    comment: str | None
    values: dict[str, Any]


def _view(columns: Sequence[str], row: tuple[Any, ...], mask: bool) -> ResponseView:
    data = dict(zip(columns, row))
    comment = data.get(sql.COMMENT)
    if mask and isinstance(comment, str):
        comment = text.mask_personal_data(comment)
    own = {k: v for k, v in data.items() if not k.startswith("_")}
    return ResponseView(int(data[sql.ROW]), int(data[sql.WAVE]), data.get(sql.DATE), data.get(sql.SCORE),
                        data.get(sql.CATEGORY), comment, own)


def response_of(cur: duckdb.DuckDBPyConnection, ds: Dataset, row: int, wave: int, *, mask: bool = True) -> ResponseView | None:
    """The response at (``row``, ``wave``) of ``ds`` if the reader's scope holds it, its comment masked; else None."""
    conds, params = conditions(None, ds)
    conds.extend([f"{sql.ROW} = ?", f"{sql.WAVE} = ?"])
    cols = list(ds.all_columns)
    found = sql.fetch_one(cur, f"SELECT {', '.join(sql.column(c, cols) for c in cols)} FROM {sql.table(ds.table)} "
                               f"{where(conds)}", [*params, int(row), int(wave)])
    return None if found is None else _view(cols, found, mask)


def respondent_responses(cur: duckdb.DuckDBPyConnection, ds: Dataset, respondent: str, *,
                         mask: bool = True) -> list[ResponseView]:
    """Every response of ``respondent`` in ``ds`` within the reader's scope, oldest first (undated last), comments masked."""
    conds, params = conditions(None, ds)
    conds.append(f"CAST({sql.RESPONDENT} AS VARCHAR) = ?")
    cols = list(ds.all_columns)
    rows = sql.fetch_all(cur, f"SELECT {', '.join(sql.column(c, cols) for c in cols)} FROM {sql.table(ds.table)} "
                              f"{where(conds)} ORDER BY {sql.DATE} NULLS LAST, {sql.WAVE}, {sql.ROW}", [*params, respondent])
    return [_view(cols, r, mask) for r in rows]


def detractor_count(cur: duckdb.DuckDBPyConnection, ds: Dataset, since: dt.date | None, until: dt.date | None) -> int:
    """How many detractor responses of ``ds`` (in the reader's scope) are dated in the period."""
    conds, params = conditions(Filter(since=since, until=until, categories=("detractor",)), ds)
    return int(sql.fetch_value(cur, f"SELECT count(*) FROM {sql.table(ds.table)} {where(conds)}", params) or 0)


@dataclass(frozen=True)
class Answer:
    """One response in a respondent's history, for the recovery rate."""

    dataset_id: int
    respondent: str
    row: int
    wave: int
    date: dt.datetime | None
    score: int | None
    category: str | None
    value: str | None = None  # the answer's value of the column asked for (``by``), else None


def detractor_histories(cur: duckdb.DuckDBPyConnection, ds: Dataset, since: dt.date | None,
                        until: dt.date | None, by: str | None = None) -> list[Answer]:
    """The responses (in scope) of the respondents who were detractors in the period, by respondent, date, wave, row.

    ``by``: a column of ``ds`` whose value (as text) each answer carries in :attr:`Answer.value`.
    """
    conds, params = conditions(None, ds)
    inner, p_inner = conditions(Filter(since=since, until=until, categories=("detractor",)), ds)
    conds.append(f"{sql.RESPONDENT} IS NOT NULL")
    conds.append(f"{sql.RESPONDENT} IN (SELECT {sql.RESPONDENT} FROM {sql.table(ds.table)} {where(inner)})")
    value = f"CAST({sql.column(by, ds.all_columns)} AS VARCHAR)" if by else "NULL::VARCHAR"
    rows = sql.fetch_all(
        cur,
        f"SELECT CAST({sql.RESPONDENT} AS VARCHAR), {sql.ROW}, {sql.WAVE}, {sql.DATE}, {sql.SCORE}, {sql.CATEGORY}, "
        f"{value} FROM {sql.table(ds.table)} {where(conds)} ORDER BY 1, {sql.DATE} NULLS LAST, {sql.WAVE}, {sql.ROW}",
        [*params, *p_inner],
    )
    return [Answer(ds.id, r[0], int(r[1]), int(r[2]), r[3], None if r[4] is None else int(r[4]), r[5], r[6])
            for r in rows]


def detractor_counts_by(cur: duckdb.DuckDBPyConnection, ds: Dataset, column: str, since: dt.date | None,
                        until: dt.date | None) -> dict[str, int]:
    """How many detractor responses of ``ds`` (in the reader's scope) are dated in the period, per value of ``column``."""
    conds, params = conditions(Filter(since=since, until=until, categories=("detractor",)), ds)
    rows = sql.fetch_all(cur, f"SELECT CAST({sql.column(column, ds.all_columns)} AS VARCHAR), count(*) "
                              f"FROM {sql.table(ds.table)} {where(conds)} GROUP BY 1", params)
    return {str(r[0]): int(r[1]) for r in rows if r[0] is not None}


def case_values(cur: duckdb.DuckDBPyConnection, ds: Dataset, column: str) -> dict[int, str]:
    """The cases of ``ds`` whose response the reader may see, each with its response's value of ``column`` (as text).

    A case whose response has no value there is left out (it belongs to no value's section).
    """
    conds, params = conditions(None, ds)
    rows = sql.fetch_all(
        cur,
        f"SELECT c.id, r.r_value FROM cases c JOIN (SELECT {sql.ROW} AS r_row, {sql.WAVE} AS r_wave, "
        f"CAST({sql.column(column, ds.all_columns)} AS VARCHAR) AS r_value FROM {sql.table(ds.table)} {where(conds)}) r "
        "ON c.response_row = r.r_row AND c.response_wave = r.r_wave WHERE c.dataset_id = ? ORDER BY c.id",
        [*params, ds.id],
    )
    return {int(r[0]): str(r[1]) for r in rows if r[1] is not None}
