"""NPS per period (day, week, month, quarter, year), with the change from each period to the next."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from nps import domain, stats
from nps.query import anonymity
from nps.query.counting import (
    OUTPUT_NAMES, count_items, count_names, counts_of, key_columns, key_items, rename_keys, score_rows,
)
from nps.query.filters import Filter
from nps.query.options import GRAINS, Options
from nps.query.rows import source
from nps.store import Dataset, sql

_TREND_NAMES = OUTPUT_NAMES | {"period", *stats.CHANGE_COLUMNS}


def trend(
    cur: duckdb.DuckDBPyConnection,
    ds: Dataset,
    grain: str,
    flt: Filter | None = None,
    opts: Options = Options(),
    by: Sequence[str] = (),
    rolling: int | None = None,
) -> pd.DataFrame:
    """NPS per period (and per value of ``by``), sorted by period then values.

    Returns DataFrame[period, *by, n, (effective_n,) promoters, passives,
    detractors, nps, se, ci_low, ci_high, low_n] plus, without ``rolling``, the
    change versus the series' previous period: ``prev_n``, ``prev_nps``,
    ``change``, ``change_se``, ``change_ci_low``, ``change_ci_high`` (points),
    ``change_p`` (one test; NaN when either period is below the minimum n),
    ``change_p_adjusted`` (Benjamini–Hochberg across every change in the frame,
    unless ``opts.multiplicity`` says otherwise) and ``change_significant``
    (after that control; ``frame.attrs["family"]`` says which and how many
    tests). ``period`` is the start of the period
    (a timestamp; weeks start on Monday, ISO). ``grain`` is day, week, month,
    quarter or year.

    Responses without a date are left out. Every period from the first to the
    last one with responses is present for every series, with n 0 and NaN stats
    where nothing was answered, so charts show gaps instead of joining distant
    points; periods before the first or after the last response are not added.
    The first and last periods may be partial when the filter's dates cut them. On an employee
    dataset each period (and series) is a group of the anonymity rule (:mod:`nps.query.anonymity`).
    ``rolling=k`` scores each period on the counts of its last k periods
    (itself included; fewer at the start of a series). With ``dedupe`` a
    respondent counts once per period. Raises ValueError for an unknown grain or
    a rolling window below 1, :class:`nps.errors.UnknownColumnError` for an
    unknown column.
    """
    domain.check_grain(grain)
    if rolling is not None and (isinstance(rolling, bool) or int(rolling) != rolling or rolling < 1):
        raise ValueError(f"a rolling window is a number of periods (1 or more), not {rolling!r}")
    by = [by] if isinstance(by, str) else list(by)
    quoted = key_columns(ds, by, _TREND_NAMES)
    part, step = GRAINS[grain]
    period = f"date_trunc('{part}', {sql.DATE})"
    src, params = source(
        ds, flt, opts, require=[f"{sql.DATE} IS NOT NULL"], extra=f"{period} AS _period", partition=[period]
    )
    keys = [f"k{i}" for i in range(len(by))]
    key_select = (key_items(quoted) + ", ") if by else ""
    names = count_names(opts)
    grid = "SELECT p.period" + "".join(f", s.{k}" for k in keys) + " FROM periods p"
    if keys:
        grid += " CROSS JOIN (SELECT DISTINCT " + ", ".join(keys) + " FROM g) s"
    zero = {"n": "0::BIGINT"} | ({} if opts.weighted else {c: "0::BIGINT" for c in names if c != "n"})
    filled = ", ".join(f"COALESCE(g.{c}, {zero.get(c, '0::DOUBLE')}) AS {c}" for c in names)
    if rolling is None or rolling == 1:
        counts = ", ".join(names)
    else:
        window = (
            f"OVER ({'PARTITION BY ' + ', '.join(keys) if keys else ''} ORDER BY period "
            f"ROWS BETWEEN {int(rolling) - 1} PRECEDING AND CURRENT ROW)"
        )
        counts = ", ".join(f"sum({c}) {window} AS {c}" for c in names)
    text = (
        f"WITH g AS (SELECT _period AS period, {key_select}{count_items(opts)} FROM ({src}) GROUP BY ALL), "
        f"periods AS (SELECT unnest(generate_series(min(period), max(period), {step})) AS period FROM g), "
        f"grid AS ({grid}), "
        f"filled AS (SELECT grid.*, {filled} FROM grid LEFT JOIN g USING (period{''.join(', ' + k for k in keys)})) "
        f"SELECT period{''.join(', ' + k for k in keys)}, {counts} FROM filled "
        f"ORDER BY period{''.join(', ' + k for k in keys)}"
    )
    out = _trend_of(rename_keys(sql.fetch_df(cur, text, params), by), by, opts, rolling is None)
    return protect_trend(cur, ds, flt, opts, out, by)


def protect_trend(cur: duckdb.DuckDBPyConnection, ds: Dataset, flt: Filter | None, opts: Options,
                  frame: pd.DataFrame, by: Sequence[str] = ()) -> pd.DataFrame:
    """A trend frame of ``flt`` under the employee anonymity rule (:func:`nps.query.anonymity.suppress_trend`)."""
    if anonymity.privacy_of(ds) is None:
        return frame
    small = anonymity.complement_too_small(cur, ds, flt, opts)
    return anonymity.suppress_trend(frame, ds, list(by), hide_all=small)


def _trend_of(frame: pd.DataFrame, by: list[str], opts: Options, with_change: bool) -> pd.DataFrame:
    """:func:`trend`'s documented frame from its counts per period, in numpy (a tenth of the frame-by-frame cost)."""
    kind = "float64" if opts.weighted else "int64"
    cols: dict[str, Any] = {"period": pd.to_datetime(frame["period"])}
    for b in by:
        cols[b] = frame[b]
    cols["n"] = frame["n"].to_numpy(dtype="int64")
    d, pa, p = (frame[c].to_numpy(dtype=float) for c in ("detractors", "passives", "promoters"))
    total = d + pa + p
    n_eff = total
    if opts.weighted:
        w2 = frame["sum_w2"].to_numpy(dtype=float)
        with np.errstate(all="ignore"):
            n_eff = np.where(w2 > 0, total**2 / w2, 0.0)
        cols["effective_n"] = n_eff
    for c in ("promoters", "passives", "detractors"):
        cols[c] = frame[c].to_numpy(dtype=kind)
    cols.update(stats.score_arrays(d, pa, p, n_eff, method=opts.method, level=opts.level, min_n=opts.min_n))
    if with_change:
        now = [d, pa, p, n_eff, cols["n"].astype(float)]
        if by:
            # The previous period of the same series: rows are sorted by period, so a shift within each series.
            previous = frame[by].assign(**{f"_{i}": v for i, v in enumerate(now)}).groupby(by, sort=False)
            before = [previous[f"_{i}"].shift(1).to_numpy(dtype=float) for i in range(len(now))]
        else:
            before = [np.concatenate([np.full(min(len(v), 1), np.nan), v[:-1]]) for v in now]
        diff = stats.difference_arrays(tuple(now[:4]), tuple(before[:4]), method=opts.method,  # type: ignore[arg-type]
                                       level=opts.level, min_n=opts.min_n)
        adjusted, significant, family = stats.flag_tests(diff["p_value"], level=opts.level,
                                                         multiplicity=opts.control(stats.SCREENING))
        cols["prev_n"] = np.nan_to_num(before[4], nan=0.0).astype("int64")
        cols["prev_nps"] = stats.score_arrays(*before[:4], method=opts.method, level=opts.level)["nps"]
        cols["change"] = diff["diff"]
        cols["change_se"] = diff["se"]
        cols["change_ci_low"] = diff["ci_low"]
        cols["change_ci_high"] = diff["ci_high"]
        cols["change_p"] = diff["p_value"]
        cols["change_p_adjusted"] = adjusted
        cols["change_significant"] = significant.astype(bool)
        out = pd.DataFrame(cols)
        out.attrs["family"] = family.as_dict()
        return out
    return pd.DataFrame(cols)


def trend_from_scores(by_period: dict[Any, list[tuple[Any, ...]]], grain: str, opts: Options) -> pd.DataFrame:
    """:func:`trend`'s frame (one series) from rows ``(score, n[, w, w2])`` per period start."""
    counted = {period: counts_of(score_rows(rows, opts), opts) for period, rows in by_period.items()}
    grid = _period_grid(min(counted), max(counted), grain) if counted else []
    names = count_names(opts)
    empty = dict.fromkeys(names, 0)
    found = [counted.get(p, empty) for p in grid]
    frame = pd.DataFrame({"period": np.array(grid, dtype="datetime64[us]")} | {
        c: np.array([f[c] for f in found], dtype="int64" if c == "n" or not opts.weighted else "float64")
        for c in names
    })
    return _trend_of(frame, [], opts, True)


# Each grain's pandas frequency: the period starts date_trunc gives (weeks start on Monday, ISO).
_FREQUENCIES = {"day": "D", "week": "7D", "month": "MS", "quarter": "QS", "year": "YS"}


def _period_grid(first: Any, last: Any, grain: str) -> list[Any]:
    """Every period start from ``first`` to ``last`` (both starts of a ``grain`` period), of ``first``'s type."""
    starts = pd.date_range(first, last, freq=_FREQUENCIES[grain])
    if isinstance(first, dt.datetime):
        return list(starts.to_pydatetime())
    return [day.date() for day in starts]
