"""Comment themes: category split, impact on NPS, who mentions each theme, themes over time, distinctive terms.

See :mod:`nps.charts` for what every builder promises.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from nps import format as fmt
from nps.charts.common import (
    CATEGORY_COLOURS,
    CATEGORY_SCALE,
    DISTINCTIVE_ROW,
    LINE_COLOUR,
    LOW_N_OPACITY,
    SERIES_COLOURS,
    _inline,
    _is_empty,
    _no_data,
    _require,
    _sample_labels,
    _sample_scale,
    _title,
    _value_labels,
    _with_periods,
    _zero_rule,
)
from nps.domain import CATEGORIES, DETRACTOR, PROMOTER, check_grain
from nps.format import is_finite


def chart_theme_bars(frame: pd.DataFrame, *, title: str = "Themes in comments") -> alt.Chart:
    """Horizontal bars per comment theme split into detractor / passive / promoter shares (100%).

    Takes a frame with columns theme, mentions (comments mentioning it) and
    detractors, passives, promoters (counts among them). Themes are sorted by
    mentions (most first) and labelled "theme (n=mentions)"; themes with no
    scored mention keep an empty row. Returns an ``alt.Chart`` (a "no data"
    chart for an empty frame). Raises ValueError for a missing column.
    """
    if _is_empty(frame, count="mentions"):
        return _no_data(title, height=160)
    _require(frame, ["theme", "mentions", "detractors", "passives", "promoters"], "chart_theme_bars")
    data = frame[["theme", "mentions", "detractors", "passives", "promoters"]].sort_values(
        "mentions", ascending=False, kind="stable")
    data["value_label"] = _value_labels(data, "theme", n_column="mentions")
    labels = data["value_label"].tolist()
    return (
        alt.Chart(_inline(data), title=_title(title), width="container", height=alt.Step(24))
        .transform_fold(["detractors", "passives", "promoters"], as_=["group", "responses"])
        .transform_calculate(
            category="slice(datum.group, 0, -1)",
            scored="datum.detractors + datum.passives + datum.promoters",
            stack_order="indexof(['detractors', 'passives', 'promoters'], datum.group)",
        )
        .transform_filter("datum.scored > 0")
        .transform_calculate(share="datum.responses / datum.scored")
        .mark_bar()
        .encode(
            x=alt.X("responses:Q", title="Share of mentions", stack="normalize", axis=alt.Axis(format="%")),
            y=alt.Y("value_label:N", title="Theme", sort=labels, scale=alt.Scale(domain=labels),
                    axis=alt.Axis(labelLimit=260)),
            color=alt.Color("category:N", scale=CATEGORY_SCALE, title="Category"),
            order=alt.Order("stack_order:Q"),
            tooltip=[
                alt.Tooltip("theme:N", title="Theme"),
                alt.Tooltip("mentions:Q", title="Mentions (n)", format=","),
                alt.Tooltip("category:N", title="Category"),
                alt.Tooltip("responses:Q", title="Responses", format=",.0f"),
                alt.Tooltip("share:Q", title="Share", format=".1%"),
            ],
        )
    )


def chart_theme_impact(
    frame: pd.DataFrame, *, title: str = "What each theme does to NPS", level: float = 0.95
) -> alt.Chart | alt.LayerChart:
    """Each theme's impact: NPS of commenters who mention it minus those who don't, with its interval.

    Takes :func:`nps.text.themes.theme_summary`'s frame (theme, mentions, impact,
    impact_ci_low, impact_ci_high, nps_with, nps_without, share). Themes without
    mentions are left out; sorted by impact (most negative first, the ones to
    fix). Themes whose impact is significant after the frame's multiplicity
    control (``impact_significant``, Benjamini–Hochberg across the themes) are
    drawn solid, the others faded; without that column, intervals that exclude
    zero are.
    """
    columns = ["theme", "mentions", "share", "nps_with", "nps_without", "impact", "impact_ci_low", "impact_ci_high"]
    if _is_empty(frame, count="mentions"):
        return _no_data(title, height=160)
    _require(frame, columns, "chart_theme_impact")
    flagged = "impact_significant" in frame.columns
    data = frame[columns + (["impact_significant"] if flagged else [])][
        pd.to_numeric(frame["mentions"], errors="coerce").fillna(0) > 0].copy()
    data = data[[is_finite(v) for v in data["impact"]]].sort_values("impact", kind="stable")
    if data.empty:
        return _no_data(title, height=160, message="Too few comments to compare")
    data["value_label"] = _value_labels(data, "theme", n_column="mentions")
    if flagged:
        data["marker"] = ["clear" if bool(f) else "within the noise" for f in data["impact_significant"].fillna(False)]
        data = data.drop(columns=["impact_significant"])
    else:
        data["marker"] = [
            "clear" if is_finite(lo) and is_finite(hi) and (lo > 0 or hi < 0) else "within the noise"
            for lo, hi in zip(data["impact_ci_low"], data["impact_ci_high"], strict=True)
        ]
    data["points_text"] = [
        fmt.chart_estimate(v, lo, hi, level)
        for v, lo, hi in zip(data["impact"], data["impact_ci_low"], data["impact_ci_high"], strict=True)
    ]
    labels = data["value_label"].tolist()
    y = alt.Y("value_label:N", title="Theme", sort=labels, scale=alt.Scale(domain=labels),
              axis=alt.Axis(labelLimit=260))
    opacity = alt.Opacity("marker:N", scale=alt.Scale(domain=["clear", "within the noise"], range=[1.0, LOW_N_OPACITY]),
                          legend=alt.Legend(title="Interval", orient="bottom"))
    tips = [
        alt.Tooltip("theme:N", title="Theme"),
        alt.Tooltip("mentions:Q", title="Mentions (n)", format=","),
        alt.Tooltip("share:Q", title="Share of comments", format=".1%"),
        alt.Tooltip("points_text:N", title="Impact (points)"),
        alt.Tooltip("nps_with:Q", title="NPS when mentioned", format="+.1f"),
        alt.Tooltip("nps_without:Q", title="NPS otherwise", format="+.1f"),
        alt.Tooltip("marker:N", title="Reading"),
    ]
    rules = alt.Chart().mark_rule(strokeWidth=2, color=LINE_COLOUR).encode(
        x=alt.X("impact_ci_low:Q", title="Impact on NPS (points)"), x2="impact_ci_high:Q", y=y,
        opacity=opacity, tooltip=tips)
    points = alt.Chart().mark_point(filled=True, size=70, color=LINE_COLOUR).encode(
        x="impact:Q", y=y, opacity=opacity, tooltip=tips)
    return alt.layer(_zero_rule("x"), rules, points, data=data).properties(
        title=_title(title, "NPS of commenters who mention the theme minus those who don't, with its interval"),
        width="container", height=alt.Step(24),
    )


def chart_theme_categories(frame: pd.DataFrame, *, title: str = "Who mentions each theme") -> alt.Chart:
    """Per theme, the share of detractors', passives' and promoters' comments that mention it.

    Takes :func:`nps.text.themes.theme_summary`'s frame (theme, mentions, detractors,
    passives, promoters as fractions 0..1 of each category's comments). Bars are
    grouped per theme in the category palette; themes sorted by mentions.
    """
    if _is_empty(frame, count="mentions"):
        return _no_data(title, height=160)
    _require(frame, ["theme", "mentions", "detractors", "passives", "promoters"], "chart_theme_categories")
    data = frame[["theme", "mentions", "detractors", "passives", "promoters"]].sort_values(
        "mentions", ascending=False, kind="stable").reset_index(drop=True)
    data["value_label"] = _value_labels(data, "theme", n_column="mentions")
    labels = data["value_label"].tolist()
    return (
        alt.Chart(data)
        .transform_fold(["detractors", "passives", "promoters"], as_=["group", "pct"])
        .transform_calculate(category="slice(datum.group, 0, -1)")
        .transform_filter("isValid(datum.pct)")
        .mark_bar()
        .encode(
            x=alt.X("pct:Q", title="Share of the category's comments that mention the theme",
                    axis=alt.Axis(format="%")),
            y=alt.Y("value_label:N", title="Theme", sort=labels, scale=alt.Scale(domain=labels),
                    axis=alt.Axis(labelLimit=260)),
            yOffset=alt.YOffset("category:N", sort=list(CATEGORIES)),
            color=alt.Color("category:N", scale=CATEGORY_SCALE, title="Category"),
            tooltip=[
                alt.Tooltip("theme:N", title="Theme"),
                alt.Tooltip("category:N", title="Category"),
                alt.Tooltip("pct:Q", title="Share of the category's comments", format=".1%"),
                alt.Tooltip("mentions:Q", title="Mentions, all categories (n)", format=","),
            ],
        )
        .properties(title=_title(title), width="container", height=alt.Step(9))
    )


def chart_theme_trend(
    frame: pd.DataFrame, *, grain: str = "month", title: str = "Themes over time", min_n: float | None = None
) -> alt.Chart | alt.LayerChart:
    """One line per theme: the share of the period's comments that mention it.

    Takes :func:`nps.text.themes.theme_trend`'s frame (period, theme, comments,
    mentions, share, nps_with, n_with, low_n). Periods with fewer comments than
    ``min_n`` (``low_n``) are drawn as faded points.
    """
    check_grain(grain)
    if _is_empty(frame, count="comments"):
        return _no_data(title, height=280)
    _require(frame, ["period", "theme", "comments", "mentions", "share", "low_n"], "chart_theme_trend")
    data = _with_periods(frame[["period", "theme", "comments", "mentions", "share", "low_n"]], grain)
    ok, low = _sample_labels(min_n)
    data["sample_size"] = [low if bool(f) else ok for f in data["low_n"].astype("boolean").fillna(False)]
    x = alt.X("period:T", title="Period")
    y = alt.Y("share:Q", title="Share of comments", axis=alt.Axis(format="%"))
    colour = alt.Color("theme:N", title="Theme", scale=alt.Scale(range=list(SERIES_COLOURS)))
    tips = [
        alt.Tooltip("theme:N", title="Theme"), alt.Tooltip("period_label:N", title="Period"),
        alt.Tooltip("share:Q", title="Share of comments", format=".1%"),
        alt.Tooltip("mentions:Q", title="Mentions", format=","),
        alt.Tooltip("comments:Q", title="Comments in the period (n)", format=","),
        alt.Tooltip("sample_size:N", title="Sample"),
    ]
    lines = alt.Chart().mark_line(strokeWidth=2).encode(x=x, y=y, color=colour)
    points = alt.Chart().mark_point(filled=True, size=40).encode(
        x=x, y=y, color=colour, tooltip=tips,
        opacity=alt.Opacity("sample_size:O", scale=_sample_scale(min_n, [1.0, LOW_N_OPACITY]),
                            legend=alt.Legend(title=None, orient="bottom")),
    )
    return alt.layer(lines, points, data=data).properties(title=_title(title), width="container", height=300)


def chart_distinctive_terms(frame: pd.DataFrame, *, title: str = "Words that set detractors and promoters apart") -> alt.Chart:
    """Diverging bars of the terms most typical of detractors (left, red) and promoters (right, teal).

    Takes :func:`nps.text.themes.distinctive_terms`' frame (side, term, score,
    detractors, promoters); the bar length is the log-odds z-score.
    """
    if frame is None or frame.empty:
        return _no_data(title, height=160, message="Too few comments to compare")
    _require(frame, ["side", "term", "score", "detractors", "promoters"], "chart_distinctive_terms")
    data = frame[["side", "term", "score", "detractors", "promoters"]].copy()
    data["label_at"] = [(-s if side == "detractors" else s) for side, s in zip(data["side"], data["score"], strict=True)]
    data["category"] = [DETRACTOR if side == "detractors" else PROMOTER for side in data["side"]]
    data = data.sort_values("label_at", kind="stable").reset_index(drop=True)
    # The side is the bar's direction and colour; a term on both sides still gets two rows.
    labels: list[str] = []
    for term in data["term"].astype(str):
        while term in labels:
            term += " "
        labels.append(term)
    data["value_label"] = labels
    sides = [c for c in (DETRACTOR, PROMOTER) if c in set(data["category"])]
    colours = [CATEGORY_COLOURS[CATEGORIES.index(c)] for c in sides]
    return (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X("label_at:Q", title="← more typical of detractors · z-score · more typical of promoters →"),
            # Every bar keeps its label: a row is taller than the label, and none is dropped for overlap.
            y=alt.Y("value_label:N", title=None, sort=labels, scale=alt.Scale(domain=labels),
                    axis=alt.Axis(labelLimit=260, labelOverlap=False, labelFontSize=12)),
            color=alt.Color("category:N", scale=alt.Scale(domain=sides, range=colours), title="Category"),
            tooltip=[
                alt.Tooltip("term:N", title="Term"), alt.Tooltip("side:N", title="Typical of"),
                alt.Tooltip("score:Q", title="z-score (log-odds, informative prior)", format=".2f"),
                alt.Tooltip("detractors:Q", title="Uses by detractors", format=","),
                alt.Tooltip("promoters:Q", title="Uses by promoters", format=","),
            ],
        )
        .properties(title=_title(title), width="container", height=alt.Step(DISTINCTIVE_ROW))
    )
