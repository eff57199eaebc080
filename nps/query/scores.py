"""The plain questions: a filter's NPS, its 0–10 distribution, its dates, and the values of columns with their n."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from nps import stats
from nps.query import anonymity
from nps.query.counting import BLANK, count_items, counts_row, distribution_of, result_of, score_items, score_rows
from nps.query.filters import Filter
from nps.query.options import Options
from nps.query.rows import conditions, source, where
from nps.store import Dataset, sql


def overall(
    cur: duckdb.DuckDBPyConnection, ds: Dataset, flt: Filter | None = None, opts: Options = Options()
) -> stats.NpsResult:
    """The NPS of every response the filter keeps, as an :class:`nps.stats.NpsResult` (points).

    NaN stats and ``n`` 0 when nothing matches. Raises
    :class:`nps.errors.UnknownColumnError` for a filter on an unknown column.
    """
    src, params = source(ds, flt, opts)
    text = f"SELECT {count_items(opts)} FROM ({src})"
    return anonymity.check_result(cur, ds, flt, opts, result_of(counts_row(cur, text, params, opts), opts))


def distribution(
    cur: duckdb.DuckDBPyConnection, ds: Dataset, flt: Filter | None = None, opts: Options = Options()
) -> pd.DataFrame:
    """Responses per score: DataFrame[score, category, n, share], always the 11 rows 0..10.

    ``n`` is the number of responses with that score (0 where none); ``share`` is
    the fraction 0..1 of all counted responses (of the weights, when weighted; 0.0
    everywhere when nothing matches). Weighted mode adds ``weighted_n`` (Σw). On an employee dataset
    whose selection the anonymity rule hides (:mod:`nps.query.anonymity`), every row is ``suppressed``.
    Raises :class:`nps.errors.UnknownColumnError` for a filter on an unknown column.
    """
    src, params = source(ds, flt, opts)
    text = f"SELECT {score_items(opts)} FROM ({src}) WHERE {sql.SCORE} IS NOT NULL GROUP BY ALL"
    frame = distribution_of(score_rows(sql.fetch_all(cur, text, params), opts), opts)
    return hide_distribution(cur, ds, flt, opts, frame)


def hide_distribution(cur: duckdb.DuckDBPyConnection, ds: Dataset, flt: Filter | None, opts: Options,
                      frame: pd.DataFrame) -> pd.DataFrame:
    """A distribution of ``flt`` with every row ``suppressed`` when the anonymity rule hides the selection."""
    if anonymity.privacy_of(ds) is None:
        return frame
    n = int(frame["n"].sum())
    result = stats.NpsResult(n, 0, 0, 0, 0.0, 0.0, 0.0, 0.0, False)
    hidden = anonymity.check_result(cur, ds, flt, opts, result).suppressed
    return anonymity.hide_rows(frame, np.full(len(frame), hidden))


def data_range(
    cur: duckdb.DuckDBPyConnection, ds: Dataset, flt: Filter | None = None
) -> tuple[dt.date, dt.date] | None:
    """The first and last response dates (inclusive, as dates) the filter keeps; None when none is dated."""
    conds, params = conditions(flt, ds)
    rows = sql.fetch_all(cur, f"SELECT min({sql.DATE}), max({sql.DATE}) FROM {sql.table(ds.table)} {where(conds)}",
                         params)
    row = rows[0] if rows else None
    if row is None or row[0] is None:
        return None
    return _as_date(row[0]), _as_date(row[1])


def _as_date(value: Any) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def dimension_values(
    cur: duckdb.DuckDBPyConnection, ds: Dataset, column: str, flt: Filter | None = None, limit: int = 500
) -> pd.DataFrame:
    """The values of ``column`` with their number of responses: DataFrame[value, n], n desc then value.

    NULL is ``"(blank)"``. At most ``limit`` rows. No dedupe or weights: ``n`` is
    responses. Pass a filter without this column's own choice to list every
    option. Raises :class:`nps.errors.UnknownColumnError` for an unknown column,
    ValueError for a limit below 1.
    """
    if isinstance(limit, bool) or int(limit) != limit or limit < 1:
        raise ValueError(f"limit must be 1 or more, not {limit!r}")
    col = sql.column(column, ds.all_columns)
    conds, params = conditions(flt, ds)
    text = (
        f"SELECT COALESCE(CAST({col} AS VARCHAR), '{BLANK}') AS value, count(*) AS n "
        f"FROM {sql.table(ds.table)} {where(conds)} GROUP BY 1 ORDER BY n DESC, value LIMIT ?"
    )
    return sql.fetch_df(cur, text, [*params, int(limit)])


def _per_column_sets(quoted: Sequence[str], also: str | None = None) -> tuple[str, str, str, str]:
    """SQL pieces to count each column's values in one scan: GROUPING SETS of one column (plus ``also``) each.

    Returns the select items (``k0``, ``k1``, … as text), the grouping sets,
    the ``CASE`` body naming which column a row counts (its index) and the
    expression of its value.
    """
    items = ", ".join(f"CAST({q} AS VARCHAR) AS k{i}" for i, q in enumerate(quoted))
    sets = ", ".join(f"({also + ', ' if also else ''}k{i})" for i in range(len(quoted)))
    which = " ".join(f"WHEN grouping(k{i}) = 0 THEN {i}" for i in range(len(quoted)))
    value = "COALESCE(" + ", ".join(f"k{i}" for i in range(len(quoted))) + ")"
    return items, sets, which, value


def dimension_counts(
    cur: duckdb.DuckDBPyConnection, ds: Dataset, columns: Sequence[str], flt: Filter | None = None
) -> dict[str, pd.DataFrame]:
    """The values of several columns with their n, in one pass: {column: DataFrame[value, n]} (n desc, value).

    Equivalent to :func:`dimension_values` per column (NULL is ``"(blank)"``, no
    limit) but one scan with GROUPING SETS, for the sidebar. Raises
    :class:`nps.errors.UnknownColumnError` for an unknown column.
    """
    columns = list(dict.fromkeys(columns))
    if not columns:
        return {}
    quoted = [sql.column(c, ds.all_columns) for c in columns]
    conds, params = conditions(flt, ds)
    keys, sets, which, value = _per_column_sets(quoted)
    text = (
        f"SELECT CASE {which} END AS col, COALESCE({value}, '{BLANK}') AS value, count(*) AS n "
        f"FROM (SELECT {keys} FROM {sql.table(ds.table)} {where(conds)}) "
        f"GROUP BY GROUPING SETS ({sets}) ORDER BY col, n DESC, value"
    )
    frame = sql.fetch_df(cur, text, params)
    out: dict[str, pd.DataFrame] = {}
    for i, column in enumerate(columns):
        part = frame[frame["col"] == i]
        out[column] = pd.DataFrame({"value": part["value"].astype(str).to_numpy(),
                                    "n": part["n"].astype("int64").to_numpy()})
    return out


@dataclass(frozen=True)
class DailyCounts:
    """Responses per day of every value of some columns, summed over any period in microseconds.

    Made by :func:`dimension_counts_by_day`; read with :meth:`within`. ``days`` are
    the sorted distinct response dates; ``keys`` the (column, value) pairs, column
    by column; ``cumulative[i, j]`` the responses of key j dated before ``days[i]``
    (one row more than ``days``); ``undated[j]`` those of key j without a date.
    """

    columns: tuple[str, ...]
    days: np.ndarray
    keys: tuple[tuple[str, str], ...]
    cumulative: np.ndarray
    undated: np.ndarray
    # An employee dataset's smallest group shown (nps.query.anonymity): smaller values are left out by within().
    min_group: int | None = None

    def within(self, since: dt.date | None = None, until: dt.date | None = None) -> dict[str, pd.DataFrame]:
        """The values of each column with their n in the inclusive period, as :func:`dimension_counts` returns them.

        {column: DataFrame[value, n]}, n desc then value, values without a response
        in the period left out; no period (both None) counts undated responses too. With
        ``min_group`` (an employee dataset), the values the anonymity rule would hide in a
        breakdown of the column (fewer respondents, or hidden with one that has) are left out too.
        """
        lo = 0 if since is None else int(np.searchsorted(self.days, np.datetime64(since, "D"), side="left"))
        hi = len(self.days) if until is None else int(np.searchsorted(self.days, np.datetime64(until, "D"),
                                                                      side="right"))
        n = self.cumulative[max(hi, lo)] - self.cumulative[lo]
        if since is None and until is None:
            n = n + self.undated
        out: dict[str, pd.DataFrame] = {}
        hidden = np.zeros(len(self.keys), dtype=bool)
        if self.min_group is not None:
            for column in self.columns:
                member = np.array([c == column for c, _ in self.keys], dtype=bool)
                counts = np.where(member, n, 0)
                hidden |= member & anonymity.suppression_mask(counts, self.min_group, [member.astype("int64")])
        for column in self.columns:
            picked = sorted(((-int(n[j]), value) for j, (c, value) in enumerate(self.keys)
                             if c == column and n[j] > 0 and not hidden[j]))
            values = np.empty(len(picked), dtype=object)
            values[:] = [v for _, v in picked]
            out[column] = pd.DataFrame({"value": values, "n": np.array([-m for m, _ in picked], dtype="int64")})
        return out


def dimension_counts_by_day(
    cur: duckdb.DuckDBPyConnection, ds: Dataset, columns: Sequence[str], flt: Filter | None = None
) -> DailyCounts:
    """The per-day counts behind :func:`dimension_counts`, for any period later without a query.

    ``flt`` is applied as in :func:`dimension_counts`; give it no period (its
    ``since``/``until`` would cut the days counted). ``result.within(since, until)``
    equals ``dimension_counts(cur, ds, columns, flt.with_period(since, until))``.
    Raises :class:`nps.errors.UnknownColumnError` for an unknown column.
    """
    columns = list(dict.fromkeys(columns))
    quoted = [sql.column(c, ds.all_columns) for c in columns]
    conds, params = conditions(flt, ds)
    keys: list[tuple[str, str]] = []
    rows: list[tuple[Any, ...]] = []
    if quoted:
        items, sets, which, value = _per_column_sets(quoted, also="day")
        text = (
            f"SELECT CASE {which} END AS col, COALESCE({value}, '{BLANK}') AS value, day, count(*) AS n "
            f"FROM (SELECT CAST({sql.DATE} AS DATE) AS day, {items} FROM {sql.table(ds.table)} {where(conds)}) "
            f"GROUP BY GROUPING SETS ({sets}) ORDER BY col, value"
        )
        rows = sql.fetch_all(cur, text, params)
        keys = list(dict.fromkeys((columns[r[0]], str(r[1])) for r in rows))
    index = {key: j for j, key in enumerate(keys)}
    days = np.array(sorted({r[2] for r in rows if r[2] is not None}), dtype="datetime64[D]")
    daily = np.zeros((len(days) + 1, len(keys)), dtype="int64")
    undated = np.zeros(len(keys), dtype="int64")
    day_index = {d: i for i, d in enumerate(days.tolist())}
    for col, value, day, n in rows:
        j = index[(columns[col], str(value))]
        if day is None:
            undated[j] += int(n)
        else:
            daily[day_index[day] + 1, j] += int(n)
    privacy = anonymity.privacy_of(ds)
    return DailyCounts(tuple(columns), days, tuple(keys), np.cumsum(daily, axis=0), undated,
                       None if privacy is None else privacy.min_group)
