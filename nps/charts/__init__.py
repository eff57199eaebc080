"""Chart builders: small aggregate DataFrames (from :mod:`nps.query.queries`) in, Altair charts out.

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
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

import altair as alt
import numpy as np
import pandas as pd

from nps import format as fmt
from nps.domain import CATEGORIES, DETRACTOR, GRAINS, PROMOTER, SCORES, check_grain

__all__ = [
    "CATEGORIES", "CATEGORY_COLOURS", "CATEGORY_SCALE", "GRAINS", "NPS_SCALE", "chart_breakdown",
    "chart_category_shares", "chart_distribution", "chart_diverging", "chart_heatmap", "chart_shift_share",
    "chart_distinctive_terms", "chart_sparkline", "chart_theme_bars", "chart_theme_categories",
    "chart_theme_impact", "chart_theme_trend", "chart_trend", "chart_trend_by", "nps_axis_domain",
]

# The promoter teal leans blue rather than pure green so that it stays apart from the
# detractor red for deuteranopes and protanopes (ΔE ≈ 74 / 51 simulated, against ≈ 29 / 19
# for ColorBrewer's #1a9850); the passive grey keeps the middle neutral.
CATEGORY_COLOURS: tuple[str, str, str] = ("#d7301f", "#bdbdbd", "#0f7c8c")
CATEGORY_SCALE = alt.Scale(domain=list(CATEGORIES), range=list(CATEGORY_COLOURS))
# NPS as a colour (heatmap): the same red and teal at the ends, near-white at zero.
NPS_SCALE = alt.Scale(domain=[-100, 0, 100], range=[CATEGORY_COLOURS[0], "#f7f7f7", CATEGORY_COLOURS[2]])
NPS_DOMAIN: tuple[int, int] = (-100, 100)

LINE_COLOUR = "#2b4c7e"  # one series: a blue that none of the category colours is confused with
OK_COLOUR = "#252525"
LOW_N_COLOUR = "#a3a3a3"
LOW_N_OPACITY = 0.35
# Okabe–Ito without its yellow (unreadable as a line on white): safe for the common colour deficiencies.
SERIES_COLOURS: tuple[str, ...] = (
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000", "#999999",
)
MAX_CELL_LABELS = 150
DISTINCTIVE_ROW = 20  # pixels per term: more than the 12 px label, so none is hidden or overlaps
MIN_CELL_TEXT_WIDTH = 34  # pixels: "−100" at 11 px with room either side
MAX_ROWS = 5000  # Altair's default limit of embedded rows, kept by _inline

# The field that carries a dimension's values in the embedded rows. The column's own name is data, shown only in
# titles: in a Vega-Lite field, ".", "[", "]", "\\" and quotes are syntax, and a name holding them broke charts.
VALUE_FIELD = "value"
# Columns the builders add to the embedded rows.
_DERIVED = frozenset({
    "value_label", "nps_ci", "sample_size", "period_label", "vs_rest_text", "marker", "cell_text",
    "pct_detractor", "pct_passive", "pct_promoter", "start", "end", "label_at", "kind", "points_text",
    "running_text", "period", "message", "group", "responses", "pct", "category", "share", "scored",
    "stack_order", "change_text",
})
_STATS = ["n", "promoters", "passives", "detractors", "nps", "ci_low", "ci_high", "low_n"]
# nps.query.queries names the comparison with the rest vs_rest*; the older names are accepted too.
_VS_REST_NAMES = (("vs_rest", "vs_rest_p", "vs_rest_significant"),
                  ("diff_vs_rest", "p_vs_rest", "significant_vs_rest"))
_SHIFT_SHARE_ORDER = ("within-segment change", "mix change", "interaction", "total")


# ---------------------------------------------------------------------------
# Helpers


def _field(name: str) -> str:
    """A column name as a Vega-Lite field: dots and brackets escaped (they mean nesting there)."""
    return re.sub(r"([.\[\]\\])", r"\\\1", str(name))


def _finite(value: Any) -> bool:
    try:
        return value is not None and math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def _nps_ci_text(nps: Any, low: Any, high: Any, n: Any, level: float = 0.95) -> str:
    """'+23.4 (95% CI +18.0 to +28.8)'; Vega's number format would print a missing NPS as +0.0."""
    if not _finite(nps):
        return "no responses" if _finite(n) and float(n) == 0 else "not available"
    if _finite(low) and _finite(high):
        return f"{fmt.chart_points(nps)} ({fmt.level(level)} CI {fmt.chart_points(low)} to {fmt.chart_points(high)})"
    return fmt.chart_points(nps)


def _sample_labels(min_n: float | None) -> tuple[str, str]:
    """Legend entries for enough / too few responses."""
    if min_n is None:
        return "enough n", "low n"
    return f"n ≥ {fmt.chart_count(min_n)}", f"low n (< {fmt.chart_count(min_n)})"


def _require(frame: pd.DataFrame, columns: Sequence[str], builder: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(
            f"{builder} needs the columns {', '.join(columns)}; missing {', '.join(missing)} "
            f"(the frame has {', '.join(map(str, frame.columns)) or 'no columns'})"
        )


def _check_dimension(frame: pd.DataFrame, dimension: str, builder: str) -> None:
    if dimension in _STATS or dimension == "period":  # the query's own columns: the frame would hold two
        raise ValueError(f"{builder}: the dimension column may not be called {dimension!r} (a reserved name)")
    _require(frame, [dimension], builder)


def _as_value(frame: pd.DataFrame, dimension: str) -> pd.DataFrame:
    """``frame`` with the dimension's column renamed :data:`VALUE_FIELD` (the only name charts use as a field)."""
    out = frame.drop(columns=[c for c in dict.fromkeys((dimension, VALUE_FIELD)) if c in frame.columns])
    out.insert(0, VALUE_FIELD, frame[dimension].to_numpy())
    return out


def _is_empty(frame: pd.DataFrame | None, count: str = "n") -> bool:
    """No rows, or rows that count no responses at all."""
    if frame is None or len(frame) == 0:
        return True
    if count in frame.columns:
        total = pd.to_numeric(frame[count], errors="coerce").fillna(0).sum()
        return bool(total <= 0)
    return False


def _inline(frame: pd.DataFrame) -> dict[str, list[dict[str, Any]]]:
    """The frame's rows as inline Vega-Lite data, written as Altair writes a frame but a column at a time.

    Altair's own conversion sanitises cell by cell and costs more than the rest of a
    small chart. Same output: datetimes as ISO text ("" for NaT), NaN and ±inf as
    null, numpy scalars as Python numbers; more than Altair's 5,000 rows raise its
    MaxRowsError.
    """
    if len(frame) > MAX_ROWS:
        raise alt.MaxRowsError.from_limit_rows(len(frame), MAX_ROWS)
    columns: list[list[Any]] = []
    for name in frame.columns:
        col = frame[name]
        kind = col.dtype.kind
        if not isinstance(col.dtype, np.dtype):  # pandas extension types: strings, nullable numbers, categories
            values = [None if _missing(v) else (v.item() if isinstance(v, np.generic) else v) for v in col.tolist()]
        elif kind == "M":
            values = [v.isoformat() if v is not pd.NaT else "" for v in col]
        elif kind == "f":
            values = [v if math.isfinite(v) else None for v in col.to_numpy().tolist()]
        elif kind in "iub":
            values = col.to_numpy().tolist()
        elif kind == "m":
            raise ValueError(f'Field "{name}" has type "{col.dtype}" which is not supported by Altair.')
        else:
            values = [None if _missing(v) else v for v in col.tolist()]
        columns.append(values)
    names = [str(c) for c in frame.columns]
    return {"values": [dict(zip(names, row)) for row in zip(*columns)]}


def _missing(value: Any) -> bool:
    return value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value))


def _title(text: str, subtitle: str | None = None) -> alt.Title:
    return alt.Title(text, subtitle=subtitle) if subtitle else alt.Title(text)


def _no_data(title: str, *, height: int = 120, message: str = "No data for this selection") -> alt.Chart:
    """A text-only chart that says there is nothing to show, sized like the chart it replaces."""
    return (
        alt.Chart(alt.InlineData(values=[{"message": message}]))
        .mark_text(size=14, color="#737373")
        .encode(text=alt.Text("message:N"))
        .properties(**({"title": _title(title)} if title else {}), width="container", height=height)
    )


def _period_label(value: Any, grain: str) -> str:
    if value is None or pd.isna(value):
        return "(no date)"
    day = pd.Timestamp(value)
    if grain == "day":
        return f"{day.day} {day:%b %Y}"
    if grain == "week":
        return f"wk {day.day} {day:%b %Y}"
    if grain == "month":
        return f"{day:%b %Y}"
    if grain == "quarter":
        return f"{day.year} Q{(day.month - 1) // 3 + 1}"
    return f"{day.year}"


def _value_text(value: Any) -> str:
    return "(missing)" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


def _with_stats_text(frame: pd.DataFrame, min_n: float | None, level: float = 0.95) -> pd.DataFrame:
    """Adds nps_ci (tooltip text) and sample_size (legend/tooltip category) columns."""
    out = frame.copy()
    out["nps_ci"] = [
        _nps_ci_text(*row, level) for row in zip(out["nps"], out["ci_low"], out["ci_high"], out["n"], strict=True)
    ]
    ok, low = _sample_labels(min_n)
    flags = out["low_n"].astype("boolean").fillna(False).astype(bool)
    out["sample_size"] = [low if flag else ok for flag in flags]
    return out


def _with_periods(frame: pd.DataFrame, grain: str) -> pd.DataFrame:
    out = frame.copy()
    # DuckDB can hand back dates as objects; Altair only serialises datetime64 columns to ISO text.
    out["period"] = pd.to_datetime(out["period"])
    out["period_label"] = [_period_label(v, grain) for v in out["period"]]
    return out


def _sample_scale(min_n: float | None, on: Sequence[Any]) -> alt.Scale:
    return alt.Scale(domain=list(_sample_labels(min_n)), range=list(on))


def _stat_tooltips(frame: pd.DataFrame, first: Sequence[alt.Tooltip], level: float = 0.95) -> list[alt.Tooltip]:
    tips = [*first, alt.Tooltip("nps_ci:N", title=f"NPS ({fmt.level(level)} interval)"),
            alt.Tooltip("n:Q", title="Responses (n)", format=",")]
    if "effective_n" in frame.columns:
        tips.append(alt.Tooltip("effective_n:Q", title="Effective n (weighted)", format=",.0f"))
    tips += [
        alt.Tooltip("promoters:Q", title="Promoters", format=",.0f"),
        alt.Tooltip("passives:Q", title="Passives", format=",.0f"),
        alt.Tooltip("detractors:Q", title="Detractors", format=",.0f"),
        alt.Tooltip("sample_size:N", title="Sample"),
    ]
    return tips


def _nominal(name: str, **kwargs: Any) -> dict[str, Any]:
    return {"field": _field(name), "type": "nominal", **kwargs}


def _by_nps(frame: pd.DataFrame) -> pd.DataFrame:
    """Highest NPS first; groups without an NPS last, larger groups first among ties."""
    return frame.sort_values(["nps", "n"], ascending=[False, False], na_position="last", kind="stable")


def _value_labels(frame: pd.DataFrame, dimension: str, n_column: str = "n") -> list[str]:
    """'B2B (n=1,234)', made unique so that two values never share an axis row."""
    labels: list[str] = []
    seen: set[str] = set()
    for value, n in zip(frame[dimension], frame[n_column], strict=True):
        label = f"{_value_text(value)} (n={fmt.chart_count(n)})"
        while label in seen:
            label += " "
        seen.add(label)
        labels.append(label)
    return labels


def _vs_rest_columns(frame: pd.DataFrame) -> tuple[str, str | None, str] | None:
    for diff, p, significant in _VS_REST_NAMES:
        if diff in frame.columns and significant in frame.columns:
            return diff, (p if p in frame.columns else None), significant
    return None


def _p_text(p: Any) -> str:
    if not _finite(p):
        return ""
    return ", p < 0.001" if float(p) < 0.001 else f", p = {float(p):.3f}"


def _with_vs_rest(frame: pd.DataFrame) -> tuple[pd.DataFrame, bool]:
    """Adds marker (▲/▼/'') and vs_rest_text columns when the frame compares each group with the rest."""
    names = _vs_rest_columns(frame)
    if names is None:
        return frame, False
    diff_col, p_col, sig_col = names
    out = frame.copy()
    markers, texts = [], []
    p_values = out[p_col] if p_col else [None] * len(out)
    flags = out[sig_col].astype("boolean").fillna(False).astype(bool)
    for diff, p, significant in zip(out[diff_col], p_values, flags, strict=True):
        if not _finite(diff):
            markers.append("")
            texts.append("no comparison")
            continue
        up = float(diff) > 0
        marker = ("▲" if up else "▼") if significant else ""
        verdict = ("significantly above" if up else "significantly below") if significant else "not significant"
        markers.append(marker)
        texts.append(f"{fmt.chart_points(diff)} points vs the rest ({verdict}{_p_text(p)})")
    out["marker"] = markers
    out["vs_rest_text"] = texts
    return out, True


def nps_axis_domain(values: Sequence[Any], *, margin: float = 0.1, step: float = 10.0) -> tuple[float, float]:
    """An NPS axis (low, high) in points that fits ``values`` (NaN and None ignored) and 0.

    The span of the values and 0 is widened by ``margin`` of itself (at least 5 points a
    side: room for the ▲ / ▼ beside an interval), rounded out to multiples of ``step`` and
    kept within −100..100; without a finite value it is the full −100..100.
    """
    finite = [float(v) for v in values if _finite(v)]
    if not finite:
        return float(NPS_DOMAIN[0]), float(NPS_DOMAIN[1])
    low, high = min(0.0, *finite), max(0.0, *finite)
    pad = max(5.0, (high - low) * margin)
    low = max(float(NPS_DOMAIN[0]), math.floor((low - pad) / step) * step)
    high = min(float(NPS_DOMAIN[1]), math.ceil((high + pad) / step) * step)
    return low, high


def _zero_rule(channel: str = "x", *, axis: bool = True) -> alt.Chart:
    # Aggregated to one row so the rule is drawn once, not once per embedded row.
    hidden: dict[str, Any] = {} if axis else {"axis": None}
    position = alt.XDatum(0, **hidden) if channel == "x" else alt.YDatum(0, **hidden)
    return (
        alt.Chart()
        .transform_aggregate(rows="count()")
        .mark_rule(color="#737373", strokeWidth=1)
        .encode(**{channel: position})
    )


# ---------------------------------------------------------------------------
# Builders


def chart_distribution(frame: pd.DataFrame, *, title: str = "Responses by score") -> alt.Chart:
    """Bars of responses per score 0..10, coloured detractor / passive / promoter.

    Takes ``nps.query.queries.distribution``'s frame: columns score (0..10), category,
    n, share (0..1). All 11 scores are on the x axis even when rows are missing.
    Returns an ``alt.Chart`` (a "no data" chart for an empty frame or n = 0
    everywhere). Raises ValueError when a column is missing.
    """
    if _is_empty(frame):
        return _no_data(title, height=260)
    _require(frame, ["score", "category", "n", "share"], "chart_distribution")
    data = frame[["score", "category", "n", "share"]].copy()
    return (
        alt.Chart(_inline(data), title=_title(title), width="container", height=260)
        .mark_bar()
        .encode(
            x=alt.X("score:O", title="Score (0–10)", scale=alt.Scale(domain=list(SCORES)),
                    axis=alt.Axis(labelAngle=0)),
            y=alt.Y("n:Q", title="Responses"),
            color=alt.Color("category:N", scale=CATEGORY_SCALE, title="Category"),
            tooltip=[
                alt.Tooltip("score:O", title="Score"),
                alt.Tooltip("category:N", title="Category"),
                alt.Tooltip("n:Q", title="Responses (n)", format=","),
                alt.Tooltip("share:Q", title="Share of responses", format=".1%"),
            ],
        )
    )


def chart_trend(
    frame: pd.DataFrame,
    *,
    title: str = "NPS over time",
    grain: str = "month",
    min_n: float | None = None,
    level: float = 0.95,
    fit_y: bool = False,
) -> alt.Chart | alt.LayerChart:
    """NPS per period as a line with points over a shaded interval band (at ``level``).

    Takes ``nps.query.queries.trend``'s frame for one series: period (start of the
    period), n, promoters, passives, detractors, nps, ci_low, ci_high, low_n
    (optionally effective_n and change). ``grain`` (day, week, month, quarter,
    year) formats the period in tooltips; ``min_n`` is only used in the low-n
    legend text. The y axis spans −100..100, or with ``fit_y`` the data plus 0.
    Low-n periods are hollow, faded points; periods with n = 0 leave a gap.
    Returns an ``alt.LayerChart`` (an ``alt.Chart`` saying "no data" when there
    are no responses). Raises ValueError for a missing column or unknown grain.
    """
    check_grain(grain)
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
            fmt.chart_points(v) + (" (significant)" if flag and _finite(v) else "")
            for v, flag in zip(data["change"], flags, strict=True)
        ]
        tips.insert(2, alt.Tooltip("change_text:N", title="Change vs previous period"))
    domain = list(NPS_DOMAIN)
    if fit_y:
        values = pd.concat([data["ci_low"], data["ci_high"], data["nps"]]).dropna()
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
    return alt.layer(_zero_rule("y"), band, line, points, data=_inline(data),
                     title=_title(title, f"Shaded: {fmt.level(level)} interval"), width="container", height=280)


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

    Takes ``nps.query.queries.trend(by=[dimension])``'s frame: period, the dimension
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

    Takes ``nps.query.queries.trend``'s frame (one series): period, n, promoters,
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


def chart_breakdown(
    frame: pd.DataFrame,
    dimension: str,
    *,
    title: str | None = None,
    selection_name: str | None = None,
    overall: float | None = None,
    min_n: float | None = None,
    level: float = 0.95,
    label: str | None = None,
) -> alt.Chart | alt.LayerChart:
    """NPS per value of ``dimension``: a point at the NPS on a rule spanning its interval (at ``level``).

    Takes ``nps.query.queries.breakdown``'s frame: the dimension column, n,
    promoters, passives, detractors, nps, ci_low, ci_high, low_n and optionally
    vs_rest / vs_rest_p / vs_rest_significant (or diff_vs_rest / p_vs_rest /
    significant_vs_rest). Rows are sorted by NPS (highest first, n = 0 last) and
    labelled "value (n=1,234)"; ▲ / ▼ mark values significantly above / below
    the rest; low-n values are grey. ``overall`` adds a dashed rule at that NPS.
    With ``selection_name`` a point selection of that name on the dimension's
    field is added, for ``st.altair_chart(on_select="rerun")``. The NPS axis
    spans the intervals, the overall NPS and 0 with a margin
    (:func:`nps_axis_domain`), not always −100..100. ``label`` names the
    dimension on the axis and in tooltips (default: the column name). Returns an
    ``alt.LayerChart`` (an ``alt.Chart`` saying "no data" when there are no
    responses). Raises ValueError for a missing column.
    """
    title = title or f"NPS by {dimension}"
    label = label or dimension
    if _is_empty(frame):
        return _no_data(title, height=160)
    _check_dimension(frame, dimension, "chart_breakdown")
    _require(frame, _STATS, "chart_breakdown")
    vs_rest = _vs_rest_columns(frame)
    keep = [dimension, *_STATS] + [c for c in (vs_rest or ()) if c] + (
        ["effective_n"] if "effective_n" in frame.columns else [])
    data = _with_stats_text(_by_nps(_as_value(frame[keep], dimension)), min_n, level)
    data["value_label"] = _value_labels(data, VALUE_FIELD)
    data, compared = _with_vs_rest(data)
    labels = data["value_label"].tolist()

    y = alt.Y("value_label:N", title=label, sort=labels, scale=alt.Scale(domain=labels),
              axis=alt.Axis(labelLimit=260))
    low, high = nps_axis_domain([*data["ci_low"], *data["ci_high"], *data["nps"], overall])
    x_scale = alt.Scale(domain=[low, high], nice=False, zero=False)
    tick = 10 if high - low <= 100 else 20
    x_axis = alt.Axis(values=list(range(int(low), int(high) + 1, tick)))
    colour = alt.Color("sample_size:N", scale=_sample_scale(min_n, [OK_COLOUR, LOW_N_COLOUR]),
                       legend=alt.Legend(title=None, orient="bottom"))
    tips = _stat_tooltips(data, [alt.Tooltip(**_nominal(VALUE_FIELD, title=label))], level)
    if compared:
        tips.insert(2, alt.Tooltip("vs_rest_text:N", title="Versus the rest"))

    interval = (
        alt.Chart()
        .mark_rule(strokeWidth=2.5)
        .encode(x=alt.X("ci_low:Q", title="NPS (points)", scale=x_scale, axis=x_axis), x2=alt.X2(field="ci_high"), y=y,
                color=colour, tooltip=tips)
    )
    point = alt.Chart().mark_point(filled=True, size=90, opacity=1).encode(
        x=alt.X("nps:Q", title="NPS (points)", scale=x_scale, axis=x_axis), y=y, color=colour, tooltip=tips
    )
    if selection_name:
        pick = alt.selection_point(name=selection_name, fields=[VALUE_FIELD])
        point = point.add_params(pick).encode(
            size=alt.SizeValue(**alt.when(pick, empty=False).then(alt.value(180)).otherwise(alt.value(90)))
        )
    layers: list[alt.Chart] = [_zero_rule("x"), interval, point]
    subtitle = f"Dot: NPS; line: {fmt.level(level)} interval"
    if compared:
        subtitle += "; ▲ / ▼ significantly above / below the rest"
        layers.append(
            alt.Chart()
            .transform_filter("datum.marker != ''")
            .mark_text(align="left", dx=7, fontSize=13)
            .encode(
                x=alt.X("ci_high:Q", title="NPS (points)", scale=x_scale, axis=x_axis), y=y, text=alt.Text("marker:N"),
                color=alt.ColorValue(**alt.when(alt.datum.marker == "▲").then(alt.value(CATEGORY_COLOURS[2]))
                                     .otherwise(alt.value(CATEGORY_COLOURS[0]))),
                tooltip=tips,
            )
        )
    if _finite(overall):
        value = float(overall)  # type: ignore[arg-type]
        layers.append(
            alt.Chart()
            .transform_aggregate(rows="count()")
            .mark_rule(color="#525252", strokeDash=[4, 3], strokeWidth=1.5)
            .encode(x=alt.XDatum(value), tooltip=alt.TooltipValue(f"Overall NPS {fmt.chart_points(value)}"))
        )
        subtitle += f"; dashed: overall ({fmt.chart_points(value)})"
    return alt.layer(*layers, data=_inline(data), title=_title(title, subtitle), width="container",
                     height=alt.Step(26))


def chart_diverging(
    frame: pd.DataFrame,
    dimension: str,
    *,
    title: str | None = None,
    min_n: float | None = None,
    level: float = 0.95,
    label: str | None = None,
) -> alt.Chart | alt.LayerChart:
    """Diverging stacked bars of detractor / passive / promoter shares (%) per value of ``dimension``.

    Detractors extend left of zero, passives straddle it, promoters extend
    right, in the category palette. Takes ``nps.query.queries.breakdown``'s frame
    (the dimension column, n, promoters, passives, detractors, nps, ci_low,
    ci_high, low_n), sorted and labelled like :func:`chart_breakdown`; low-n
    values are faded, values with n = 0 keep an empty row. ``label`` names the
    dimension on the axis and in tooltips (default: the column name). Returns an
    ``alt.LayerChart`` (an ``alt.Chart`` saying "no data" when there are no
    responses). Raises ValueError for a missing column.
    """
    title = title or f"Promoters, passives and detractors by {dimension}"
    label = label or dimension
    if _is_empty(frame):
        return _no_data(title, height=160)
    _check_dimension(frame, dimension, "chart_diverging")
    _require(frame, _STATS, "chart_diverging")
    data = _with_stats_text(_by_nps(_as_value(frame[[dimension, *_STATS]], dimension)), min_n, level)
    data["value_label"] = _value_labels(data, VALUE_FIELD)
    counted = data["detractors"] + data["passives"] + data["promoters"]
    share = counted.where(counted > 0)
    for category, column in zip(CATEGORIES, ("detractors", "passives", "promoters"), strict=True):
        data[f"pct_{category}"] = data[column] / share * 100
    labels = data["value_label"].tolist()
    y = alt.Y("value_label:N", title=label, sort=labels, scale=alt.Scale(domain=labels),
              axis=alt.Axis(labelLimit=260))
    bars = (
        alt.Chart()
        # The layout is computed in Vega-Lite after a fold so that one row per value is embedded.
        .transform_fold(["pct_detractor", "pct_passive", "pct_promoter"], as_=["group", "pct"])
        .transform_filter("isValid(datum.pct) && isFinite(datum.pct)")
        .transform_calculate(
            category="replace(datum.group, 'pct_', '')",
            start=(
                "datum.group == 'pct_detractor' ? -(datum.pct_detractor + datum.pct_passive / 2)"
                " : datum.group == 'pct_passive' ? -datum.pct_passive / 2 : datum.pct_passive / 2"
            ),
            responses=(
                "datum.group == 'pct_detractor' ? datum.detractors"
                " : datum.group == 'pct_passive' ? datum.passives : datum.promoters"
            ),
        )
        .transform_calculate(end="datum.start + datum.pct")
        .mark_bar()
        .encode(
            x=alt.X("start:Q", title="Share of responses (%)",
                    axis=alt.Axis(labelExpr="abs(datum.value) + '%'")),
            x2=alt.X2(field="end"),
            y=y,
            color=alt.Color("category:N", scale=CATEGORY_SCALE, title="Category"),
            opacity=alt.Opacity("sample_size:O", scale=_sample_scale(min_n, [1.0, LOW_N_OPACITY]),
                                legend=alt.Legend(title=None)),
            tooltip=[
                alt.Tooltip(**_nominal(VALUE_FIELD, title=label)),
                alt.Tooltip("category:N", title="Category"),
                alt.Tooltip("responses:Q", title="Responses", format=",.0f"),
                alt.Tooltip("pct:Q", title="Share (%)", format=".1f"),
                alt.Tooltip("n:Q", title="Responses in group (n)", format=","),
                alt.Tooltip("nps_ci:N", title=f"NPS ({fmt.level(level)} interval)"),
                alt.Tooltip("sample_size:N", title="Sample"),
            ],
        )
    )
    return alt.layer(bars, _zero_rule("x"), data=_inline(data),
                     title=_title(title, "Detractors left of zero, promoters right, passives split around it"),
                     width="container", height=alt.Step(26))


def chart_heatmap(
    frame: pd.DataFrame,
    dimension: str,
    *,
    title: str | None = None,
    grain: str = "month",
    min_n: float | None = None,
    level: float = 0.95,
    label: str | None = None,
) -> alt.Chart | alt.LayerChart:
    """A value × period grid coloured by NPS (red–white–teal, fixed at −100 / 0 / 100).

    Takes ``nps.query.queries.trend(by=[dimension])``'s frame: period, the dimension
    column, n, promoters, passives, detractors, nps, ci_low, ci_high, low_n.
    Values are ordered by their total n (largest first), periods by date.
    Low-n cells are faded, cells with n = 0 are grey; cells carry their NPS as
    text while there are at most ``MAX_CELL_LABELS`` of them, shown only while a
    cell is at least ``MIN_CELL_TEXT_WIDTH`` pixels wide as drawn (so numbers never
    run together; the tooltip has them all). ``label`` names the dimension on the
    axis and in tooltips (default: the column name). Returns an
    ``alt.LayerChart`` (an ``alt.Chart`` saying "no data" when there are no
    responses). Raises ValueError for a missing column or unknown grain.
    """
    check_grain(grain)
    title = title or f"NPS by {dimension} and period"
    label = label or dimension
    if _is_empty(frame):
        return _no_data(title, height=200)
    _check_dimension(frame, dimension, "chart_heatmap")
    _require(frame, ["period", *_STATS], "chart_heatmap")
    keep = ["period", dimension, *_STATS] + (["effective_n"] if "effective_n" in frame.columns else [])
    data = _with_stats_text(_with_periods(_as_value(frame[keep], dimension), grain), min_n, level).sort_values(
        "period", kind="stable")
    data["value_label"] = [_value_text(v) for v in data[VALUE_FIELD]]
    totals = data.groupby("value_label", sort=False)["n"].sum().sort_values(ascending=False, kind="stable")
    values = totals.index.tolist()
    periods = list(dict.fromkeys(data["period_label"]))
    data["cell_text"] = [fmt.chart_points(v, 0) for v in data["nps"]]

    x = alt.X("period_label:O", title="Period", sort=periods, scale=alt.Scale(domain=periods),
              axis=alt.Axis(labelAngle=-40, labelOverlap=True))
    y = alt.Y("value_label:N", title=label, sort=values, scale=alt.Scale(domain=values),
              axis=alt.Axis(labelLimit=220))
    tips = _stat_tooltips(data, [alt.Tooltip(**_nominal(VALUE_FIELD, title=label)),
                                 alt.Tooltip("period_label:N", title="Period")], level)
    empty_cells = alt.Chart().mark_rect(color="#f0f0f0").encode(x=x, y=y, tooltip=tips)
    cells = (
        alt.Chart()
        .transform_filter("isValid(datum.nps) && isFinite(datum.nps)")
        .mark_rect()
        .encode(
            x=x, y=y,
            color=alt.Color("nps:Q", scale=NPS_SCALE, title="NPS",
                            legend=alt.Legend(orient="bottom", direction="horizontal", gradientLength=160)),
            opacity=alt.Opacity("sample_size:O", scale=_sample_scale(min_n, [1.0, LOW_N_OPACITY]),
                                legend=alt.Legend(title=None, orient="bottom")),
            tooltip=tips,
        )
    )
    layers: list[alt.Chart] = [empty_cells, cells]
    if len(data) <= MAX_CELL_LABELS:
        # The drawn width is only known in the browser: Vega's ``width`` signal decides.
        wide_enough = f"width / {len(periods)} >= {MIN_CELL_TEXT_WIDTH} ? 1 : 0"
        layers.append(
            alt.Chart()
            .mark_text(fontSize=11, opacity=alt.expr(wide_enough))
            .encode(
                x=x, y=y, text=alt.Text("cell_text:N"),
                # White on the saturated ends of the scale, dark elsewhere, so the text stays legible.
                color=alt.ColorValue(**alt.when("isValid(datum.nps) && abs(datum.nps) > 55").then(alt.value("white"))
                                     .otherwise(alt.value("#252525"))),
                tooltip=tips,
            )
        )
    return alt.layer(*layers, data=_inline(data), title=_title(title, "Grey: no responses; faded: low n"),
                     width="container", height=alt.Step(24))


def chart_sparkline(
    frame: pd.DataFrame, *, height: int = 60, min_n: float | None = None, level: float = 0.95
) -> alt.Chart | alt.LayerChart:
    """A tiny NPS line for a scorecard: no axes, a rule at zero, low-n points faded.

    Takes ``nps.query.queries.trend``'s frame (one series): period, n, promoters,
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


def chart_shift_share(frame: pd.DataFrame, *, title: str = "What moved NPS") -> alt.Chart | alt.LayerChart:
    """A horizontal waterfall of the NPS change split into its shift-share components.

    Takes a frame with columns component ('within-segment change', 'mix
    change', 'interaction', 'total') and points (float, NPS points). The
    parts run cumulatively from zero in that order and the total is drawn
    from zero, so the bars end where the total does; rises are teal, falls
    red, the total dark grey. Other component names are drawn after the
    three parts. Returns an ``alt.LayerChart`` (an ``alt.Chart`` saying "no
    data" for an empty frame). Raises ValueError for a missing column.
    """
    if _is_empty(frame):
        return _no_data(title, height=160)
    _require(frame, ["component", "points"], "chart_shift_share")
    data = frame[["component", "points"]].copy()
    data["component"] = [_value_text(v) for v in data["component"]]
    rank = {name: i for i, name in enumerate(_SHIFT_SHARE_ORDER)}
    data["_rank"] = [rank.get(c, len(_SHIFT_SHARE_ORDER) - 0.5) for c in data["component"]]
    data = data.sort_values("_rank", kind="stable").drop(columns="_rank")
    starts, ends, kinds, running_after = [], [], [], []
    running = 0.0
    for component, points in zip(data["component"], data["points"], strict=True):
        if component == "total":
            start, end, kind = 0.0, (float(points) if _finite(points) else None), "total"
        elif _finite(points):
            start, end = running, running + float(points)
            kind = "rise" if float(points) >= 0 else "fall"
            running = end
        else:
            start, end, kind = None, None, "rise"
        starts.append(start)
        ends.append(end)
        kinds.append(kind)
        running_after.append(end)
    data["start"], data["end"], data["kind"] = starts, ends, kinds
    data["label_at"] = [
        max(s, e) if s is not None and e is not None else None for s, e in zip(starts, ends, strict=True)
    ]
    data["points_text"] = [fmt.chart_points(v) for v in data["points"]]
    data["running_text"] = [fmt.chart_points(v) for v in running_after]
    order = data["component"].tolist()
    y = alt.Y("component:N", title=None, sort=order, scale=alt.Scale(domain=order), axis=alt.Axis(labelLimit=240))
    tips = [alt.Tooltip("component:N", title="Component"), alt.Tooltip("points_text:N", title="Points"),
            alt.Tooltip("running_text:N", title="Running total (points)")]
    bars = (
        alt.Chart()
        .transform_filter("isValid(datum.end)")
        .mark_bar(height={"band": 0.6})
        .encode(
            x=alt.X("start:Q", title="Change in NPS (points)"), x2=alt.X2(field="end"), y=y,
            color=alt.Color("kind:N", legend=None, scale=alt.Scale(
                domain=["rise", "fall", "total"], range=[CATEGORY_COLOURS[2], CATEGORY_COLOURS[0], "#525252"])),
            tooltip=tips,
        )
    )
    labels = (
        alt.Chart()
        .transform_filter("isValid(datum.label_at)")
        .mark_text(align="left", dx=4)
        .encode(x=alt.X("label_at:Q", title="Change in NPS (points)"), y=y, text=alt.Text("points_text:N"),
                 tooltip=tips)
    )
    return alt.layer(_zero_rule("x"), bars, labels, data=_inline(data),
                     title=_title(title, "Parts add up to the total change"), width="container", height=alt.Step(34))


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


def export_chart(chart: alt.TopLevelMixin, fmt: str, *, scale: float = 2.0) -> bytes:
    """The chart as an image file: ``fmt`` ``"svg"`` (UTF-8 text) or ``"png"`` (``scale`` × its size).

    Rendered locally by vl-convert (no browser, no network) in a child process, after
    every string of the spec is cleaned of characters it cannot draw (see
    :mod:`nps.charts.render`). Raises ValueError for another format and
    :class:`nps.charts.render.ChartRenderError` when the renderer fails or crashes.
    """
    from nps.charts import render

    if fmt not in render.FORMATS:
        raise ValueError(f"unknown image format {fmt!r}; use svg or png")
    return render.render_spec(chart.to_dict(validate=False), fmt, scale=scale)


# ---------------------------------------------------------------------------
# Comment themes


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
    data = data[[_finite(v) for v in data["impact"]]].sort_values("impact", kind="stable")
    if data.empty:
        return _no_data(title, height=160, message="Too few comments to compare")
    data["value_label"] = _value_labels(data, "theme", n_column="mentions")
    if flagged:
        data["marker"] = ["clear" if bool(f) else "within the noise" for f in data["impact_significant"].fillna(False)]
        data = data.drop(columns=["impact_significant"])
    else:
        data["marker"] = [
            "clear" if _finite(lo) and _finite(hi) and (lo > 0 or hi < 0) else "within the noise"
            for lo, hi in zip(data["impact_ci_low"], data["impact_ci_high"], strict=True)
        ]
    data["points_text"] = [
        f"{fmt.chart_points(v)} ({fmt.level(level)} CI {fmt.chart_points(lo)} to {fmt.chart_points(hi)})"
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
