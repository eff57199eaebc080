"""How each indicator to monitor moves: its series per period, its last change with a test, and its alarms.

For every indicator (:mod:`nps.store.indicators`) under a filter: the value per period — the NPS of its
responses (points), its theme's share of their detractors' comments (percent) or the mean of its item rating
(on the item's scale) — with n and the interval at ``opts.level``, for the last ``periods`` periods that have
responses; the change from the previous period to the last one with its test; **deteriorated** when that
change is a worsening (NPS or item mean down, theme share up) and significant after Benjamini–Hochberg
control across every indicator shown together (a screening display: the multiplicity rule of the whole app);
**alarm** when the last value is past the threshold (an NPS or item mean below it, a theme share above it);
and the gap to target. Every read goes through the row source (scopes, the anonymity rule); an indicator
whose responses or comments the anonymity rule hides says so and has no numbers.

An item's mean (:func:`_item_series`): the ratings read as the drivers read them
(:func:`nps.query.drivers.item_value`: a number, or a word of a 5-point scale), unweighted, a response without
a rating left out; the t interval of the mean (n − 1 degrees of freedom, no interval below 2 ratings); the
change between the last two periods with ratings by Welch's test (:mod:`nps.stats.welch`; not tested below
``opts.min_n`` ratings a side). On an employee dataset a period the NPS trend hides, or rated by 1 to
``min_group`` − 1 respondents, is hidden.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from nps import domain, stats
from nps import format as fmt
from nps.query import anonymity, themes, trends
from nps.query.drivers import item_value
from nps.query.filters import Filter
from nps.query.options import GRAINS, Options
from nps.query.rows import source
from nps.stats.welch import mean_interval_arrays, welch_arrays
from nps.store import Dataset, sql
from nps.store.catalog import get_dataset
from nps.store.indicators import ITEM, NPS, THEME, Indicator, add_indicator
from nps.text.codebook import Codebook


@dataclass(frozen=True)
class Point:
    """One period of an indicator: its label, n (responses, or detractors' comments), value and interval."""

    period: str
    n: int
    value: float | None
    low: float | None
    high: float | None


@dataclass(frozen=True)
class Status:
    """An indicator's state under the filter (see the module's text); ``unit`` is ``points``, ``%`` or, for an
    item, its scale (``1–5``), also as ``scale`` (lowest, highest)."""

    indicator: Indicator
    unit: str
    series: tuple[Point, ...]
    change: float | None
    change_low: float | None
    change_high: float | None
    p: float | None
    p_adjusted: float | None
    deteriorated: bool
    alarm: bool
    gap: float | None
    sentence: str
    scale: tuple[int, int] | None = None


def _num(value: float | None) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


def _scope(indicator: Indicator, flt: Filter) -> Filter:
    out = flt
    for column, values in indicator.conditions:
        out = out.with_values(column, list(values))
    return out


def _nps_series(cur: duckdb.DuckDBPyConnection, ds: Dataset, flt: Filter, grain: str, opts: Options,
                periods: int) -> tuple[list[Point], stats.Difference | None]:
    frame = trends.trend(cur, ds, grain, flt, opts)
    if anonymity.SUPPRESSED in frame.columns:
        frame = frame[~frame[anonymity.SUPPRESSED].fillna(False).astype(bool)]
    frame = frame[frame["n"] > 0].tail(periods)
    points = [Point(fmt.period_code(pd.Timestamp(r["period"]), grain), int(r["n"]), _num(r["nps"]), _num(r["ci_low"]),
                    _num(r["ci_high"])) for r in frame.to_dict("records")]
    if len(frame) < 2:
        return points, None
    last = frame.iloc[-1]
    diff = stats.Difference(float(last["change"]), float(last.get("change_se", math.nan)), float(last["change_ci_low"]),
                            float(last["change_ci_high"]), float(last["change_p"]), False, opts.method,
                            float(opts.level))
    return points, diff


def _theme_series(cur: duckdb.DuckDBPyConnection, ds: Dataset, codebook: Codebook, flt: Filter, theme: str,
                  grain: str, opts: Options, periods: int) -> tuple[list[Point], stats.Difference | None]:
    frame = trends.trend(cur, ds, grain, flt, opts)
    starts = [pd.Timestamp(p) for p, n in zip(frame["period"], frame["n"]) if n > 0][-periods:]
    everything = [pd.Timestamp(p) for p in frame["period"]]
    points: list[Point] = []
    counts: list[tuple[int, int]] = []
    for start in starts:
        later = [p for p in everything if p > start]
        until = (later[0] - pd.Timedelta(days=1)).date() if later else flt.until
        window = flt.with_period(max(start.date(), flt.since) if flt.since else start.date(), until)
        row = themes.theme_shares(cur, ds, codebook, window, [theme], category=domain.DETRACTOR).iloc[0]
        hits, n = int(row["mentions"]), int(row["comments"])
        low, high = stats.share_interval(hits, n, method=opts.method, level=opts.level) if n else (math.nan, math.nan)
        points.append(Point(fmt.period_code(start, grain), n, 100 * hits / n if n else None, _num(100 * low) if n else None,
                            _num(100 * high) if n else None))
        counts.append((hits, n))
    if len(counts) < 2:
        return points, None
    (h1, n1), (h0, n0) = counts[-1], counts[-2]
    return points, stats.compare_shares(h1, n1, h0, n0, method=opts.method, level=opts.level, min_n=opts.min_n)


def item_scale(cur: duckdb.DuckDBPyConnection, ds: Dataset, item: str) -> tuple[int, int]:
    """The scale of the item column ``item``: the smallest of 1–5, 1–7, 1–10, 0–10 holding every rating of the
    dataset (read through the row source as the drivers read them), else its lowest to highest rating; 0–10 when
    it has none."""
    expression, bound = item_value(item, ds.columns)
    src, params = source(ds, None, Options())
    row = sql.fetch_one(cur, f"SELECT min(v), max(v) FROM (SELECT {expression} AS v FROM ({src}))", [*bound, *params])
    low, high = (None, None) if row is None else row
    if low is None or high is None:
        return (0, 10)
    return domain.item_scale(float(low), float(high)) or (math.floor(float(low)), math.ceil(float(high)))


def define(cur: duckdb.DuckDBPyConnection, *, dataset_id: int, kind: str, item: str | None = None,
           **fields: Any) -> Indicator:
    """Store an indicator (:func:`nps.store.indicators.add_indicator`, same fields), an item indicator with its item's
    scale (:func:`item_scale`) so that its threshold and target are checked against it."""
    scale = None
    if kind == ITEM:
        ds = get_dataset(cur, dataset_id)
        clean = (item or "").strip()
        scale = item_scale(cur, ds, clean) if clean in ds.mapping.items else None
    return add_indicator(cur, dataset_id=dataset_id, kind=kind, item=item, scale=scale, **fields)


def scale_text(scale: tuple[int, int]) -> str:
    """An item's scale in words: ``1–5``."""
    return f"{scale[0]}–{scale[1]}"


def _item_series(cur: duckdb.DuckDBPyConnection, ds: Dataset, flt: Filter, item: str, grain: str, opts: Options,
                 periods: int) -> tuple[list[Point], stats.Difference | None]:
    """The item's mean per period with n and its t interval, and Welch's test of the last two (see the module)."""
    part, _ = GRAINS[grain]
    period = f"date_trunc('{part}', {sql.DATE})"
    src, params = source(ds, flt, opts, require=[f"{sql.DATE} IS NOT NULL"], extra=f"{period} AS _period",
                         partition=[period])
    expression, bound = item_value(item, ds.columns)
    rows = sql.fetch_all(cur, f"SELECT _period, count(v), avg(v), var_samp(v) FROM (SELECT _period, {expression} AS v "
                              f"FROM ({src})) GROUP BY _period HAVING count(v) > 0 ORDER BY _period", [*bound, *params])
    privacy = anonymity.privacy_of(ds)
    if privacy is not None:
        frame = trends.trend(cur, ds, grain, flt, opts)
        hidden = {pd.Timestamp(p) for p, h in zip(frame["period"], frame[anonymity.SUPPRESSED]) if bool(h)} \
            if anonymity.SUPPRESSED in frame.columns else set()
        rows = [r for r in rows if pd.Timestamp(r[0]) not in hidden and int(r[1]) >= privacy.min_group]
    rows = rows[-periods:] if periods > 0 else []
    n = np.array([int(r[1]) for r in rows], dtype=float)
    mean = np.array([float(r[2]) for r in rows], dtype=float)
    var = np.array([math.nan if r[3] is None else float(r[3]) for r in rows], dtype=float)
    low, high = mean_interval_arrays(mean, np.nan_to_num(var), n, level=opts.level) if rows else ([], [])
    points = [Point(fmt.period_code(pd.Timestamp(r[0]), grain), int(k), float(m), _num(float(lo)), _num(float(hi)))
              for r, k, m, lo, hi in zip(rows, n, mean, low, high)]
    if len(rows) < 2:
        return points, None
    test = welch_arrays(mean[-1], np.nan_to_num(var[-1]), n[-1], mean[-2], np.nan_to_num(var[-2]), n[-2],
                        level=opts.level, min_n=opts.min_n)
    return points, stats.Difference(float(test["diff"][0]), float(test["se"][0]), float(test["low"][0]),
                                    float(test["high"][0]), float(test["p_value"][0]), False, "welch",
                                    float(opts.level))


def evaluate(cur: duckdb.DuckDBPyConnection, ds: Dataset, found: Sequence[Indicator], flt: Filter | None = None,
             grain: str = "month", opts: Options = Options(), *, codebook: Codebook | None = None,
             periods: int = 6) -> list[Status]:
    """Each indicator's :class:`Status` under ``flt`` (its own conditions added), tested together (see the module).

    ``codebook``: the one ``ds`` is tagged with, needed for theme indicators (without it they say so).
    """
    base = flt or Filter()
    raw: list[tuple[Indicator, str, list[Point], stats.Difference | None, str]] = []
    for indicator in found:
        scope = _scope(indicator, base)
        unit = "points" if indicator.kind == NPS else "%"
        try:
            if indicator.kind == NPS:
                points, diff = _nps_series(cur, ds, scope, grain, opts, periods)
            elif indicator.kind == ITEM:
                if indicator.item not in ds.mapping.items:
                    raw.append((indicator, "", [], None, "Its item is no longer one of the dataset's item ratings."))
                    continue
                unit = scale_text(item_scale(cur, ds, str(indicator.item)))
                points, diff = _item_series(cur, ds, scope, str(indicator.item), grain, opts, periods)
            elif codebook is None or ds.mapping.comment is None:
                raw.append((indicator, unit, [], None, "No comments or no codebook: a theme cannot be followed."))
                continue
            else:
                points, diff = _theme_series(cur, ds, codebook, scope, str(indicator.theme), grain, opts, periods)
        except anonymity.CommentsHidden:
            raw.append((indicator, unit, [], None, "Hidden: the anonymity rule hides these comments."))
            continue
        raw.append((indicator, unit, points, diff, ""))
    p_values = np.array([d.p_value if d is not None else math.nan for _, _, _, d, _ in raw], dtype=float)
    adjusted, significant, _ = stats.flag_tests(p_values, level=opts.level, multiplicity=opts.control(stats.SCREENING))
    out = []
    for (indicator, unit, points, diff, note), q, flag in zip(raw, adjusted, significant):
        last = points[-1] if points else None
        value = last.value if last else None
        higher_is_better = indicator.kind != THEME
        worse = diff is not None and not math.isnan(diff.diff) and (diff.diff < 0 if higher_is_better
                                                                     else diff.diff > 0)
        deteriorated = bool(flag) and worse
        alarm = bool(value is not None and indicator.threshold is not None
                     and (value < indicator.threshold if higher_is_better else value > indicator.threshold))
        gap = None if value is None or indicator.target is None else value - indicator.target
        sentence = note or _sentence(indicator, unit, last, diff, deteriorated, alarm, opts.level)
        out.append(Status(indicator, unit, tuple(points), _num(diff.diff) if diff else None,
                          _num(diff.ci_low) if diff else None, _num(diff.ci_high) if diff else None,
                          _num(diff.p_value) if diff else None, _num(float(q)) if diff else None, deteriorated,
                          alarm, gap, sentence, _scale_of(unit) if indicator.kind == ITEM else None))
    return out


def _scale_of(unit: str) -> tuple[int, int] | None:
    low, _, high = unit.partition("–")
    try:
        return int(low), int(high)
    except ValueError:
        return None


def _sentence(indicator: Indicator, unit: str, last: Point | None, diff: stats.Difference | None, deteriorated: bool,
              alarm: bool, level: float) -> str:
    if last is None or last.value is None:
        return "No responses in these periods."
    if indicator.kind == ITEM:
        value = f"{fmt.points(last.value, signed=False, digits=2)} on {unit}"
        interval = (f"{fmt.points(last.low, signed=False, digits=2)} to {fmt.points(last.high, signed=False, digits=2)}"
                    if last.low is not None and last.high is not None else fmt.MISSING)
        n_text = f"n {last.n:,} ratings"
    else:
        value = fmt.points(last.value) if unit == "points" else f"{last.value:.1f}%"
        interval = fmt.points_range(last.low, last.high)
        n_text = f"n {last.n:,}"
    text = f"{last.period}: {value} ({n_text}, {fmt.level(level)} CI {interval})"
    if diff is None or math.isnan(diff.diff):
        text += "; no previous period to compare with."
    else:
        change = (f"{fmt.points(diff.diff, digits=2)} on its scale" if indicator.kind == ITEM
                  else f"{fmt.points(diff.diff)} {'points' if unit == 'points' else 'pts'}")
        text += (f"; {change} vs the period before"
                 + (" — a significant deterioration." if deteriorated else " (within the noise or not worse)."))
    if alarm:
        side = "above" if indicator.kind == THEME else "below"
        text += f" Past its threshold ({side} {indicator.threshold:g})."
    return text


def with_owner_flags(statuses: Sequence[Status]) -> list[tuple[str, Status]]:
    """The flagged indicators (deteriorated or past threshold) whose owner should hear of it, as (owner, status)."""
    return [(s.indicator.owner, s) for s in statuses if s.indicator.owner and (s.deteriorated or s.alarm)]

