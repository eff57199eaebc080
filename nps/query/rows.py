"""The one row source: which responses a question counts.

Every reader of responses gets its rows here: :func:`where_for` (and :func:`conditions`)
turn a :class:`~nps.query.filters.Filter` into SQL together with the reader's scope
(``Dataset.scope``, set per user by :mod:`nps.query.access`): whatever the filter asks, a
scoped reader's rows are only those in scope. :func:`source` adds what the queries'
options ask for: the latest response per respondent (``Options.dedupe``) and the
weight of a response (:data:`WEIGHT`, a NULL weight counting as 1.0). No other module
of ``nps.query`` writes a WHERE for a dataset's responses (``tests/test_library_rules.py``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

from nps.domain import Scope
from nps.query.filters import Filter
from nps.query.options import Options
from nps.store import Dataset, sql

# The weight of a response in weighted counts: a NULL weight counts as 1.0.
WEIGHT = f"COALESCE({sql.WEIGHT}, 1.0)"


def where_clause(flt: Filter | None, columns: Iterable[str], scope: Scope = Scope()) -> tuple[str, list[Any]]:
    """Turn a :class:`Filter` and a reader's :class:`~nps.domain.Scope` into ``"WHERE ..."`` (or ``""``) and its
    bound parameters.

    ``columns`` is the dataset's allow-list of column names; a filter or scope on any
    other column raises :class:`nps.errors.UnknownColumnError`. An include/exclude value of
    :data:`nps.store.sql.BLANK` stands for NULL. The scope's rules apply whatever the filter says
    (a row is kept only when its value is one of the rule's values; NULL is never in scope).
    Readers of a dataset call :func:`where_for`, which passes the dataset's own scope.
    """
    allowed = list(columns)
    parts: list[str] = []
    params: list[Any] = []
    for name, values in scope.rules:
        parts.append(f"list_contains(?::VARCHAR[], CAST({sql.column(name, allowed)} AS VARCHAR))")
        params.append(list(values))
    if flt is None:
        return ("WHERE " + " AND ".join(parts), params) if parts else ("", [])
    if flt.since is not None:
        parts.append(f"{sql.DATE} >= ?")
        params.append(dt.datetime.combine(flt.since, dt.time()))
    if flt.until is not None:
        parts.append(f"{sql.DATE} < ?")
        params.append(dt.datetime.combine(flt.until + dt.timedelta(days=1), dt.time()))
    # BLANK is how breakdowns and dimension_values show NULL, so picking it must match NULL.
    for name, values in flt.include:
        col = sql.column(name, allowed)
        keep = f"list_contains(?::VARCHAR[], CAST({col} AS VARCHAR))"
        parts.append(f"({col} IS NULL OR {keep})" if sql.BLANK in values else keep)
        params.append(list(values))
    for name, values in flt.exclude:
        col = sql.column(name, allowed)
        drop = f"NOT list_contains(?::VARCHAR[], CAST({col} AS VARCHAR))"
        parts.append(f"({col} IS NOT NULL AND {drop})" if sql.BLANK in values else f"({col} IS NULL OR {drop})")
        params.append(list(values))
    if flt.categories:
        parts.append(f"{sql.CATEGORY} IN (SELECT unnest(?::VARCHAR[]))")
        params.append(list(flt.categories))
    if flt.text:
        parts.append(f"contains(strip_accents(lower({sql.COMMENT})), strip_accents(lower(?)))")
        params.append(flt.text)
    if not parts:
        return "", []
    return "WHERE " + " AND ".join(parts), params


def where_for(flt: Filter | None, ds: Dataset) -> tuple[str, list[Any]]:
    """``"WHERE ..."`` (or ``""``) and its parameters: the rows of ``ds`` that ``flt`` keeps, within the dataset's scope."""
    return where_clause(flt, ds.all_columns, ds.scope)


def conditions(flt: Filter | None, ds: Dataset, *, scoped: bool = True) -> tuple[list[str], list[Any]]:
    """The SQL conditions of ``flt`` on the dataset (none, or one) and their parameters, to combine with :func:`where`.

    They include the dataset's scope; ``scoped=False`` leaves it out, for the one place that must
    see every row (the choice of each respondent's latest response, whose result the scope then filters).
    """
    clause, params = where_clause(flt, ds.all_columns, ds.scope if scoped else Scope())
    return ([clause.removeprefix("WHERE ")] if clause else []), params


def where(conds: Sequence[str]) -> str:
    """``WHERE`` and the conditions joined by ``AND`` (each in brackets), or ``""`` for none."""
    return ("WHERE " + " AND ".join(f"({c})" for c in conds)) if conds else ""


def source(
    ds: Dataset,
    flt: Filter | None,
    opts: Options,
    *,
    require: Sequence[str] = (),
    extra: str = "",
    partition: Sequence[str] = (),
) -> tuple[str, list[Any]]:
    """A subquery of the responses to count, and its parameters.

    The responses the filter keeps, or with ``opts.dedupe`` each respondent's latest one
    (latest ``_date``, then wave, then row; undated older than dated) within the filter's
    period, the filter's other conditions then applied to those latest responses.
    ``require`` are extra SQL conditions applied before dedupe, ``extra`` extra
    select items (``expr AS name``), ``partition`` extra dedupe partitions (the
    period, for trends, so that a respondent counts once per period).
    """
    table = sql.table(ds.table)
    select = f"SELECT *{', ' + extra if extra else ''} FROM {table}"
    if not opts.dedupe:
        conds, params = conditions(flt, ds)
        return f"{select} {where([*conds, *require])}", params
    period_only = Filter(since=flt.since, until=flt.until) if flt else None
    rest = replace(flt, since=None, until=None) if flt else None
    # The latest response is chosen among all the period's rows; the scope, like the filter's other
    # conditions, then keeps those of the latest responses in scope (scoped = unscoped, filtered).
    inner, p_inner = conditions(period_only, ds, scoped=False)
    outer, p_outer = conditions(rest, ds)
    by = ", ".join([sql.RESPONDENT, *partition])
    text = (
        f"{select} {where([*inner, *require])} "
        f"QUALIFY {sql.RESPONDENT} IS NULL OR row_number() OVER (PARTITION BY {by} "
        f"ORDER BY {sql.DATE} DESC NULLS LAST, {sql.WAVE} DESC, {sql.ROW} DESC) = 1"
    )
    if outer:
        text = f"SELECT * FROM ({text}) {where(outer)}"
    return text, p_inner + p_outer
