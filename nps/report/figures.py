"""A pack section's charts as Vega-Lite specs, drawn by the dashboard's own chart builders (:mod:`nps.charts`).

The renderers draw natively what their format can (PowerPoint's bar and line charts) and take
these specs, rendered by vl-convert (:func:`nps.charts.render.render_specs`), for the rest, so a
chart in a pack looks like the same chart on screen. Every spec has a fixed size (the screen's
charts fill their container; an image needs pixels).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from nps import charts, domain
from nps.report.model import Pack, Section

WIDTH = 560
SCORES = tuple(range(11))


def _sized(chart: Any, width: int, height: int) -> dict[str, Any]:
    spec: dict[str, Any] = chart.to_dict(validate=False)
    spec["width"] = width
    spec["height"] = height
    spec.setdefault("background", "white")
    return spec


def _period_start(label: str) -> dt.date:
    """The first day of a period label (``2026``, ``2026-Q2``, ``2026-03``, ``2026-03-02``)."""
    if "-Q" in label:
        year, quarter = label.split("-Q")
        return dt.date(int(year), 3 * int(quarter) - 2, 1)
    parts = [int(p) for p in label.split("-")]
    return dt.date(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)


def trend_frame(section: Section) -> pd.DataFrame:
    """The section's trend as the frame :func:`nps.charts.chart_trend` takes."""
    return pd.DataFrame({
        "period": pd.to_datetime([_period_start(p.period) for p in section.trend]),
        "n": [p.n for p in section.trend],
        "promoters": [0.0] * len(section.trend), "passives": [0.0] * len(section.trend),
        "detractors": [0.0] * len(section.trend),
        "nps": [p.nps if p.nps is not None else float("nan") for p in section.trend],
        "ci_low": [p.ci_low if p.ci_low is not None else float("nan") for p in section.trend],
        "ci_high": [p.ci_high if p.ci_high is not None else float("nan") for p in section.trend],
        "low_n": [p.low_n for p in section.trend],
    })


def distribution_frame(section: Section) -> pd.DataFrame:
    """The section's 0–10 counts as the frame :func:`nps.charts.chart_distribution` takes."""
    counts = list(section.distribution)
    total = sum(counts) or 1
    return pd.DataFrame({"score": list(SCORES[:len(counts)]), "category": [domain.category(s) for s in SCORES[:len(counts)]],
                         "n": counts, "share": [c / total for c in counts]})


def breakdown_frame(section: Section) -> pd.DataFrame:
    """The section's breakdown as the frame :func:`nps.charts.chart_breakdown` takes (markers as vs_rest flags)."""
    bars = section.breakdown.bars if section.breakdown else ()
    nan = float("nan")
    return pd.DataFrame({
        "value": [b.value for b in bars], "n": [b.n for b in bars],
        "promoters": [0.0] * len(bars), "passives": [0.0] * len(bars), "detractors": [0.0] * len(bars),
        "nps": [b.nps if b.nps is not None else nan for b in bars],
        "ci_low": [b.ci_low if b.ci_low is not None else nan for b in bars],
        "ci_high": [b.ci_high if b.ci_high is not None else nan for b in bars],
        "low_n": [b.low_n for b in bars],
        "vs_rest": [1.0 if b.marker == "▲" else -1.0 if b.marker == "▼" else 0.0 for b in bars],
        "vs_rest_p": [nan] * len(bars),
        "vs_rest_significant": [b.marker in ("▲", "▼") for b in bars],
    })


def section_specs(section: Section, level: float, *, min_n: float | None = None) -> dict[str, dict[str, Any]]:
    """The charts of one section that have data, by name: ``trend``, ``distribution``, ``breakdown``, ``movement``."""
    out: dict[str, dict[str, Any]] = {}
    if section.figure.suppressed:
        return out
    if section.trend:
        out["trend"] = _sized(charts.chart_trend(trend_frame(section), title=f"NPS over time, {section.title}",
                                                 grain=section.grain, min_n=min_n, level=level, fit_y=True),
                              WIDTH, 220)
    if section.distribution and sum(section.distribution):
        out["distribution"] = _sized(charts.chart_distribution(distribution_frame(section),
                                                               title=f"Scores, {section.title}"), WIDTH, 200)
    if section.breakdown and section.breakdown.bars:
        out["breakdown"] = _sized(charts.chart_breakdown(breakdown_frame(section), "value",
                                                         title=f"NPS by {section.breakdown.label.lower()}",
                                                         overall=section.figure.nps, min_n=min_n, level=level,
                                                         label=section.breakdown.label),
                                  WIDTH, max(80, 28 * len(section.breakdown.bars)))
    if section.movement is not None:
        parts = pd.DataFrame({"component": ["within-segment change", "mix change", "total"],
                              "points": [section.movement.within,
                                         section.movement.mix + section.movement.interaction, section.movement.total]})
        out["movement"] = _sized(charts.chart_shift_share(parts, title=f"What moved NPS, by "
                                                          f"{section.movement.label.lower()}"), WIDTH, 140)
    return out


def summary_spec(pack: Pack, *, min_n: float | None = None) -> dict[str, Any] | None:
    """The cross-functional chart: each section's NPS with its interval (the Segments page's chart), or None."""
    shown = [s for s in pack.sections if not s.figure.suppressed and s.figure.nps is not None]
    if not shown:
        return None
    nan = float("nan")
    frame = pd.DataFrame({
        "value": [s.title for s in shown], "n": [s.figure.n for s in shown],
        "promoters": [0.0] * len(shown), "passives": [0.0] * len(shown), "detractors": [0.0] * len(shown),
        "nps": [s.figure.nps for s in shown],
        "ci_low": [s.figure.ci_low if s.figure.ci_low is not None else nan for s in shown],
        "ci_high": [s.figure.ci_high if s.figure.ci_high is not None else nan for s in shown],
        "low_n": [s.figure.low_n for s in shown],
    })
    return _sized(charts.chart_breakdown(frame, "value", title=f"NPS by {pack.dimension_label.lower()}",
                                         overall=pack.summary.figure.nps, min_n=min_n, level=pack.level,
                                         label=pack.dimension_label), WIDTH, max(80, 28 * len(shown)))
