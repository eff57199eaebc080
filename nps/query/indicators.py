"""How each indicator to monitor moves: its series per period, its last change with a test, and its alarms.

For every indicator (:mod:`nps.store.indicators`) under a filter: the value per period — the NPS of its
responses (points) or its theme's share of their detractors' comments (percent) — with n and the interval
at ``opts.level``, for the last ``periods`` periods that have responses; the change from the previous
period to the last one with its test; **deteriorated** when that change is a worsening (NPS down, theme
share up) and significant after Benjamini–Hochberg control across every indicator shown together (a
screening display: the multiplicity rule of the whole app); **alarm** when the last value is past the
threshold (an NPS below it, a theme share above it); and the gap to target. Every read goes through the
row source (scopes, the anonymity rule); an indicator whose responses or comments the anonymity rule hides
says so and has no numbers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from nps import domain, stats
from nps import format as fmt
from nps.query import anonymity, themes, trends
from nps.query.filters import Filter
from nps.query.options import Options
from nps.store import Dataset
from nps.store.indicators import NPS, Indicator
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
    """An indicator's state under the filter (see the module's text); ``unit`` is ``points`` or ``%``."""

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
        worse = diff is not None and not math.isnan(diff.diff) and (diff.diff < 0 if indicator.kind == NPS
                                                                     else diff.diff > 0)
        deteriorated = bool(flag) and worse
        alarm = bool(value is not None and indicator.threshold is not None
                     and (value < indicator.threshold if indicator.kind == NPS else value > indicator.threshold))
        gap = None if value is None or indicator.target is None else value - indicator.target
        sentence = note or _sentence(indicator, unit, last, diff, deteriorated, alarm, opts.level)
        out.append(Status(indicator, unit, tuple(points), _num(diff.diff) if diff else None,
                          _num(diff.ci_low) if diff else None, _num(diff.ci_high) if diff else None,
                          _num(diff.p_value) if diff else None, _num(float(q)) if diff else None, deteriorated,
                          alarm, gap, sentence))
    return out


def _sentence(indicator: Indicator, unit: str, last: Point | None, diff: stats.Difference | None, deteriorated: bool,
              alarm: bool, level: float) -> str:
    if last is None or last.value is None:
        return "No responses in these periods."
    value = fmt.points(last.value) if unit == "points" else f"{last.value:.1f}%"
    text = f"{last.period}: {value} (n {last.n:,}, {fmt.level(level)} CI {fmt.points_range(last.low, last.high)})"
    if diff is None or math.isnan(diff.diff):
        text += "; no previous period to compare with."
    else:
        text += (f"; {fmt.points(diff.diff)} {'points' if unit == 'points' else 'pts'} vs the period before"
                 + (" — a significant deterioration." if deteriorated else " (within the noise or not worse)."))
    if alarm:
        side = "below" if indicator.kind == NPS else "above"
        text += f" Past its threshold ({side} {indicator.threshold:g})."
    return text


def with_owner_flags(statuses: Sequence[Status]) -> list[tuple[str, Status]]:
    """The flagged indicators (deteriorated or past threshold) whose owner should hear of it, as (owner, status)."""
    return [(s.indicator.owner, s) for s in statuses if s.indicator.owner and (s.deteriorated or s.alarm)]

