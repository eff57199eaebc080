"""An indicator to monitor over its last periods: the value with its interval band, its threshold and target."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import altair as alt
import pandas as pd

from nps import format as fmt
from nps.charts.common import CATEGORY_COLOURS, LINE_COLOUR, _inline, _no_data, _title


def chart_indicator(points: Sequence[Any], *, unit: str, title: str, level: float = 0.95,
                    threshold: float | None = None, target: float | None = None,
                    scale: tuple[float, float] | None = None, item: str | None = None) -> alt.Chart | alt.LayerChart:
    """Line and points of an indicator's values per period (``points``: objects with period, n, value, low, high,
    as :class:`nps.query.indicators.Point`), its interval as a band, a red dashed rule at the threshold and a grey
    one at the target. ``unit`` is ``points`` (NPS), ``%`` (a theme share) or an item's scale (``1–5``): with
    ``scale`` (lowest, highest) the axis is the item's whole scale, titled with ``item`` (its readable name, plain
    text). Periods are labels (ordinal)."""
    rows = [p for p in points if p.value is not None]
    if not rows:
        return _no_data(title, height=160)
    frame = pd.DataFrame({"period": [p.period for p in rows], "n": [p.n for p in rows],
                          "value": [p.value for p in rows],
                          "low": [p.low if p.low is not None else p.value for p in rows],
                          "high": [p.high if p.high is not None else p.value for p in rows]})
    shown = ((lambda v: fmt.points(v)) if unit == "points" else (lambda v: f"{v:.1f}%") if scale is None
             else (lambda v: f"{v:.2f}"))
    frame["value_text"] = [f"{shown(v)} ({fmt.level(level)} CI {shown(lo)} to {shown(hi)})"
                           for v, lo, hi in zip(frame["value"], frame["low"], frame["high"])]
    axis = "NPS (points)" if unit == "points" else "Share (%)"
    y_scale = alt.Scale(zero=True)
    if scale is not None:
        # Short: Vega fits a vertical axis title into the chart's height, and a long one pushes the title out.
        axis = f"Mean ({scale[0]:g}–{scale[1]:g})"
        y_scale = alt.Scale(domain=[float(scale[0]), float(scale[1])], zero=False, nice=False)
    x = alt.X("period:O", title="Period", sort=None, axis=alt.Axis(labelAngle=0))
    band = alt.Chart().mark_area(opacity=0.18, color=LINE_COLOUR).encode(
        x=x, y=alt.Y("low:Q", title=axis, scale=y_scale), y2=alt.Y2(field="high"))
    line = alt.Chart().mark_line(color=LINE_COLOUR, strokeWidth=2).encode(x=x, y=alt.Y("value:Q", scale=y_scale))
    dots = alt.Chart().mark_point(filled=True, size=50, color=LINE_COLOUR).encode(
        x=x, y=alt.Y("value:Q", scale=y_scale),
        tooltip=[alt.Tooltip("period:N", title="Period"), alt.Tooltip("value_text:N", title="Value"),
                 alt.Tooltip("n:Q", title="n", format=",")])
    layers: list[Any] = [band, line, dots]
    for level_value, colour, name in ((threshold, CATEGORY_COLOURS[0], "threshold"), (target, "#636363", "target")):
        if level_value is not None:
            layers.append(alt.Chart(pd.DataFrame({"y": [level_value], "what": [name]})).mark_rule(
                color=colour, strokeDash=[4, 3]).encode(y="y:Q", tooltip=[alt.Tooltip("what:N", title=""),
                                                                           alt.Tooltip("y:Q", title="at")]))
    parts = ([f"Mean of {item or 'the item'}"] if scale is not None else
             ["Share of the detractors' comments"] if unit != "points" else [])
    parts.append(f"Shaded: {fmt.level(level)} interval")
    parts += ["red dashed: threshold"] * (threshold is not None) + ["grey dashed: target"] * (target is not None)
    subtitle = " · ".join(parts)
    return alt.layer(*layers, data=_inline(frame), title=_title(title, subtitle), width="container", height=260)
