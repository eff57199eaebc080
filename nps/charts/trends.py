"""NPS over time: one series with its interval band, one line per group, category shares per period, sparklines.

See :mod:`nps.charts` for what every builder promises.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import altair as alt
import pandas as pd

from nps import format as fmt
from nps.charts.common import (
    CATEGORY_SCALE,
    LINE_COLOUR,
    LOW_N_OPACITY,
    NPS_DOMAIN,
    SERIES_COLOURS,
    VALUE_FIELD,
    _STATS,
    _as_value,
    _check_dimension,
    _inline,
    _is_empty,
    _no_data,
    _nominal,
    _require,
    _sample_scale,
    _stat_tooltips,
    _title,
    _with_periods,
    _with_stats_text,
    _zero_rule,
)
from nps.domain import check_grain
from nps.format import is_finite


def chart_trend(
    frame: pd.DataFrame,
    *,
    title: str = "NPS over time",
    grain: str = "month",
    min_n: float | None = None,
    level: float = 0.95,
    fit_y: bool = False,
    references: Sequence[tuple[str, float]] = (),
) -> alt.Chart | alt.LayerChart:
    """NPS per period as a line with points over a shaded interval band (at ``level``).

    Takes ``nps.query.trend``'s frame for one series: period (start of the
    period), n, promoters, passives, detractors, nps, ci_low, ci_high, low_n
    (optionally effective_n and change). ``grain`` (day, week, month, quarter,
    year) formats the period in tooltips; ``min_n`` is only used in the low-n
    legend text. The y axis spans −100..100, or with ``fit_y`` the data plus 0.
    Low-n periods are hollow, faded points; periods with n = 0 leave a gap.
    ``references`` are (label, NPS) reference lines, e.g. the external benchmarks
    comparable with the data: each a dashed horizontal rule labelled at its left
    end (``fit_y`` keeps them in view). Returns an ``alt.LayerChart`` (an
    ``alt.Chart`` saying "no data" when there are no responses). Raises
    ValueError for a missing column or unknown grain, or a reference value outside
    −100..100.
    """
    check_grain(grain)
    lines = _references(references)
    if _is_empty(frame):
        return _no_data(title, height=280)
    _require(frame, ["period", *_STATS], "chart_trend")
    keep = ["period", *_STATS] + [c for c in ("effective_n", "change", "change_significant") if c in frame.columns]
    data = _with_stats_text(_with_periods(frame[keep], grain), min_n, level)
    tips = _stat_tooltips(data, [alt.Tooltip("period_label:N", title="Period")], level)
    if "change" in data.columns:
        flags = (data["change_significant"].astype("boolean").fillna(False).astype(bool)
                 if "change_significant" in data.columns else [False] * len(data))
        data["change_text"] = [
            fmt.chart_points(v) + (" (significant)" if flag and is_finite(v) else "")
            for v, flag in zip(data["change"], flags, strict=True)
        ]
        tips.insert(2, alt.Tooltip("change_text:N", title="Change vs previous period"))
    domain = list(NPS_DOMAIN)
    if fit_y:
        values = pd.concat([data["ci_low"], data["ci_high"], data["nps"], lines["value"]]).dropna()
        low = min(0.0, float(values.min()) if len(values) else 0.0)
        high = max(0.0, float(values.max()) if len(values) else 0.0)
        domain = [max(-100, math.floor(low / 10) * 10 - 10), min(100, math.ceil(high / 10) * 10 + 10)]
    x = alt.X("period:T", title="Period")
    y_scale = alt.Scale(domain=domain)
    band = (
        alt.Chart()
        .mark_area(opacity=0.18, color=LINE_COLOUR)
        .encode(x=x, y=alt.Y("ci_low:Q", title="NPS (points)", scale=y_scale), y2=alt.Y2(field="ci_high"))
    )
    y = alt.Y("nps:Q", title="NPS (points)", scale=y_scale)
    line = alt.Chart().mark_line(color=LINE_COLOUR, strokeWidth=2).encode(x=x, y=y)
    points = (
        alt.Chart()
        .mark_point(filled=True, size=60, stroke=LINE_COLOUR, strokeWidth=1.5)
        .encode(
            x=x,
            y=y,
            fill=alt.Fill("sample_size:N", scale=_sample_scale(min_n, [LINE_COLOUR, "white"]),
                          legend=alt.Legend(title=None, orient="bottom")),
            tooltip=tips,
        )
    )
    layers: list[alt.Chart] = [_zero_rule("y"), band, line, points]
    if len(lines):
        rule_y = alt.Y("value:Q", scale=y_scale)
        tip = [alt.Tooltip("label:N", title="Reference"), alt.Tooltip("value_text:N", title="NPS")]
        layers += [
            alt.Chart(lines).mark_rule(color=REFERENCE_COLOUR, strokeDash=[6, 4], strokeWidth=1.5)
            .encode(y=rule_y, tooltip=tip),
            alt.Chart(lines).mark_text(align="left", baseline="bottom", dx=4, dy=-3, color=REFERENCE_COLOUR,
                                       fontSize=11).encode(x=alt.value(0), y=rule_y, text="label:N", tooltip=tip),
        ]
    subtitle = f"Shaded: {fmt.level(level)} interval" + ("; dashed: reference" if len(lines) else "")
    return alt.layer(*layers, data=_inline(data), title=_title(title, subtitle), width="container", height=280)


REFERENCE_COLOUR = "#7b3294"


def _references(references: Sequence[tuple[str, float]]) -> pd.DataFrame:
    """The reference lines as DataFrame[label, value, value_text]; ValueError for a value outside −100..100."""
    rows = []
    for label, value in references:
        number = float(value)
        if not -100 <= number <= 100:
            raise ValueError(f"a reference NPS must be within -100..100, not {value!r} ({label})")
        rows.append({"label": str(label), "value": number, "value_text": fmt.chart_points(number)})
    return pd.DataFrame(rows, columns=["label", "value", "value_text"])


def chart_trend_by(
    frame: pd.DataFrame,
    dimension: str,
    *,
    title: str | None = None,
    grain: str = "month",
    min_n: float | None = None,
    level: float = 0.95,
) -> alt.Chart | alt.LayerChart:
    """One NPS line per value of ``dimension`` (no bands), low-n points faded.

    Takes ``nps.query.trend(by=[dimension])``'s frame: period, the dimension
    column, n, promoters, passives, detractors, nps, ci_low, ci_high, low_n.
    Lines are coloured by value with a colour-blind-safe series palette (not
    the category palette). ``title`` defaults to "NPS over time by <dimension>".
    Returns an ``alt.LayerChart`` (an ``alt.Chart`` saying "no data" when there
    are no responses). Raises ValueError for a missing column or unknown grain.
    """
    check_grain(grain)
    title = title or f"NPS over time by {dimension}"
    if _is_empty(frame):
        return _no_data(title, height=280)
    _check_dimension(frame, dimension, "chart_trend_by")
    _require(frame, ["period", *_STATS], "chart_trend_by")
    keep = ["period", dimension, *_STATS] + (["effective_n"] if "effective_n" in frame.columns else [])
    data = _with_stats_text(_with_periods(_as_value(frame[keep], dimension), grain), min_n, level)
    x = alt.X("period:T", title="Period")
    y = alt.Y("nps:Q", title="NPS (points)", scale=alt.Scale(domain=list(NPS_DOMAIN)))
    colour = alt.Color(**_nominal(VALUE_FIELD, title=dimension, scale=alt.Scale(range=list(SERIES_COLOURS))))
    lines = alt.Chart().mark_line(strokeWidth=2).encode(x=x, y=y, color=colour)
    points = (
        alt.Chart()
        .mark_point(filled=True, size=50)
        .encode(
            x=x, y=y, color=colour,
            opacity=alt.Opacity("sample_size:O", scale=_sample_scale(min_n, [1.0, LOW_N_OPACITY]),
                                legend=alt.Legend(title=None, orient="bottom")),
            tooltip=_stat_tooltips(data, [alt.Tooltip(**_nominal(VALUE_FIELD, title=dimension)),
                                          alt.Tooltip("period_label:N", title="Period")], level),
        )
    )
    return alt.layer(_zero_rule("y"), lines, points, data=_inline(data), title=_title(title), width="container",
                     height=280)


def chart_category_shares(
    frame: pd.DataFrame,
    *,
    title: str = "Promoters, passives and detractors over time",
    grain: str = "month",
    min_n: float | None = None,
    level: float = 0.95,
) -> alt.Chart:
    """Stacked bars per period of the detractor / passive / promoter shares, normalised to 100%.

    Takes ``nps.query.trend``'s frame (one series): period, n, promoters,
    passives, detractors, nps, ci_low, ci_high, low_n. Periods with n = 0 stay
    on the axis, empty; low-n periods are faded. Returns an ``alt.Chart`` (a "no
    data" chart when there are no responses). Raises ValueError for a missing
    column or unknown grain.
    """
    check_grain(grain)
    if _is_empty(frame):
        return _no_data(title, height=260)
    _require(frame, ["period", *_STATS], "chart_category_shares")
    data = _with_stats_text(_with_periods(frame[["period", *_STATS]], grain), min_n, level)
    data = data.sort_values("period", kind="stable")
    periods = list(dict.fromkeys(data["period_label"]))
    return (
        alt.Chart(_inline(data), title=_title(title), width="container", height=260)
        # Folding in Vega-Lite keeps one embedded row per period instead of three.
        .transform_fold(["detractors", "passives", "promoters"], as_=["group", "responses"])
        .transform_filter("datum.n > 0")
        .transform_calculate(
            category="slice(datum.group, 0, -1)",
            share="datum.responses / (datum.detractors + datum.passives + datum.promoters)",
            stack_order="indexof(['detractors', 'passives', 'promoters'], datum.group)",
        )
        .mark_bar()
        .encode(
            x=alt.X("period_label:O", title="Period", sort=periods, scale=alt.Scale(domain=periods),
                    axis=alt.Axis(labelAngle=-40, labelLimit=110, labelOverlap="greedy")),
            y=alt.Y("responses:Q", title="Share of responses", stack="normalize", axis=alt.Axis(format="%")),
            color=alt.Color("category:N", scale=CATEGORY_SCALE, title="Category"),
            order=alt.Order("stack_order:Q"),
            opacity=alt.Opacity("sample_size:O", scale=_sample_scale(min_n, [1.0, LOW_N_OPACITY]),
                                legend=alt.Legend(title=None)),
            tooltip=[
                alt.Tooltip("period_label:N", title="Period"),
                alt.Tooltip("category:N", title="Category"),
                alt.Tooltip("responses:Q", title="Responses", format=",.0f"),
                alt.Tooltip("share:Q", title="Share", format=".1%"),
                alt.Tooltip("n:Q", title="Responses in period (n)", format=","),
                alt.Tooltip("nps_ci:N", title=f"NPS ({fmt.level(level)} interval)"),
                alt.Tooltip("sample_size:N", title="Sample"),
            ],
        )
    )


def chart_sparkline(
    frame: pd.DataFrame, *, height: int = 60, min_n: float | None = None, level: float = 0.95
) -> alt.Chart | alt.LayerChart:
    """A tiny NPS line for a scorecard: no axes, a rule at zero, low-n points faded.

    Takes ``nps.query.trend``'s frame (one series): period, n, promoters,
    passives, detractors, nps, ci_low, ci_high, low_n. The period is shown
    as a date in the tooltip (any grain). Returns an ``alt.LayerChart`` of
    ``height`` pixels (an empty ``alt.Chart`` saying "no data" when there are
    no responses). Raises ValueError for a missing column.
    """
    if _is_empty(frame):
        return _no_data("", height=height, message="No data")
    _require(frame, ["period", *_STATS], "chart_sparkline")
    data = _with_stats_text(_with_periods(frame[["period", *_STATS]], "day"), min_n, level)
    x = alt.X("period:T", axis=None, title="Period")
    y = alt.Y("nps:Q", axis=None, title="NPS (points)", scale=alt.Scale(zero=True))
    tips = [alt.Tooltip("period_label:N", title="Period"), alt.Tooltip("nps_ci:N", title=f"NPS ({fmt.level(level)} interval)"),
            alt.Tooltip("n:Q", title="Responses (n)", format=","), alt.Tooltip("sample_size:N", title="Sample")]
    line = alt.Chart().mark_line(color=LINE_COLOUR, strokeWidth=1.5).encode(x=x, y=y)
    points = (
        alt.Chart()
        .mark_point(filled=True, size=18, color=LINE_COLOUR)
        .encode(x=x, y=y, tooltip=tips,
                opacity=alt.Opacity("sample_size:O", scale=_sample_scale(min_n, [1.0, LOW_N_OPACITY]),
                                    legend=None))
    )
    return alt.layer(_zero_rule("y", axis=False), line, points, data=_inline(data), width="container",
                     height=height, view=alt.ViewBackground(strokeWidth=0))
