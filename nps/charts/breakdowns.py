"""NPS by group: intervals per value, diverging category shares, the two-way heatmap, the shift-share waterfall.

See :mod:`nps.charts` for what every builder promises.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from nps import format as fmt
from nps.charts.common import (
    CATEGORY_COLOURS,
    CATEGORY_SCALE,
    LOW_N_COLOUR,
    LOW_N_OPACITY,
    MAX_CELL_LABELS,
    MIN_CELL_TEXT_WIDTH,
    NPS_SCALE,
    OK_COLOUR,
    VALUE_FIELD,
    _SHIFT_SHARE_ORDER,
    _STATS,
    _as_value,
    _by_nps,
    _check_dimension,
    _inline,
    _is_empty,
    _no_data,
    _nominal,
    _require,
    _sample_scale,
    _stat_tooltips,
    _title,
    _value_labels,
    _value_text,
    _vs_rest_columns,
    _with_periods,
    _with_stats_text,
    _with_vs_rest,
    _zero_rule,
    nps_axis_domain,
)
from nps.domain import CATEGORIES, check_grain
from nps.format import is_finite


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

    Takes ``nps.query.breakdown``'s frame: the dimension column, n,
    promoters, passives, detractors, nps, ci_low, ci_high, low_n and optionally
    vs_rest / vs_rest_p / vs_rest_significant. Rows are sorted by NPS (highest first, n = 0 last) and
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
    if is_finite(overall):
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
    right, in the category palette. Takes ``nps.query.breakdown``'s frame
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

    Takes ``nps.query.trend(by=[dimension])``'s frame: period, the dimension
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
            start, end, kind = 0.0, (float(points) if is_finite(points) else None), "total"
        elif is_finite(points):
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
