"""Chart builders: small aggregate DataFrames (from :mod:`nps.query`) in, Altair charts out.

Every builder takes the rows it is given and embeds exactly those rows (derived
labels are added as columns, never as rows), returns a chart with a title, axis
titles and tooltips, and never fails on an empty frame or on NaN statistics
(periods or groups with n = 0): an empty frame gives a "no data" text chart.
NPS, intervals and differences are in points (−100..100); shares are fractions
0..1 on input and shown as percentages.

One palette for detractor / passive / promoter, :data:`CATEGORY_SCALE`, is used
by every chart that colours by category. Groups and periods flagged ``low_n``
are drawn faded (and hollow where they are points) with a legend entry and a
tooltip note "low n (< min n)".

The builders live by subject: :mod:`~nps.charts.scores` (the score distribution),
:mod:`~nps.charts.trends` (over time), :mod:`~nps.charts.breakdowns` (by group),
:mod:`~nps.charts.themes` (comment themes); what they share (palette, embedded
data, labels, tooltips) is :mod:`~nps.charts.common`; images are drawn by
:mod:`~nps.charts.render` and the tables beside the charts by :mod:`~nps.charts.tables`.
"""

from __future__ import annotations

from nps.charts.breakdowns import chart_breakdown, chart_diverging, chart_heatmap, chart_shift_share
from nps.charts.common import (
    CATEGORY_COLOURS,
    CATEGORY_SCALE,
    DISTINCTIVE_ROW,
    LINE_COLOUR,
    MAX_CELL_LABELS,
    MAX_ROWS,
    MIN_CELL_TEXT_WIDTH,
    NPS_SCALE,
    VALUE_FIELD,
    nps_axis_domain,
)
from nps.charts.indicators import chart_indicator
from nps.charts.render import export_chart
from nps.charts.scores import chart_distribution
from nps.charts.themes import (
    chart_distinctive_terms,
    chart_theme_bars,
    chart_theme_categories,
    chart_theme_impact,
    chart_theme_trend,
)
from nps.charts.trends import chart_category_shares, chart_sparkline, chart_trend, chart_trend_by
from nps.domain import CATEGORIES, GRAINS

__all__ = [
    "chart_indicator",
    "CATEGORIES", "CATEGORY_COLOURS", "CATEGORY_SCALE", "DISTINCTIVE_ROW", "GRAINS", "LINE_COLOUR",
    "MAX_CELL_LABELS", "MAX_ROWS", "MIN_CELL_TEXT_WIDTH", "NPS_SCALE", "VALUE_FIELD", "chart_breakdown",
    "chart_category_shares", "chart_distinctive_terms", "chart_distribution", "chart_diverging", "chart_heatmap",
    "chart_shift_share", "chart_sparkline", "chart_theme_bars", "chart_theme_categories", "chart_theme_impact",
    "chart_theme_trend", "chart_trend", "chart_trend_by", "export_chart", "nps_axis_domain",
]
