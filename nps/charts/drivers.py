"""The key drivers' importance × performance quadrant, and the table beside it.

Both take the quadrant rows of :func:`nps.drivers.dataset.quadrant_rows` (aggregates:
one row per item, a handful of items): ``label``, ``x`` (the item's part of the
explained variance, or its correlation with the score in the simple mode) with
``x_low``/``x_high`` (its bootstrap interval) and ``x_split``, ``y`` (performance: the
mean rescaled 0–100) and ``y_split``, ``importance``, ``share``, ``correlation``,
``mean``, ``scale``, ``direction``, ``quadrant`` and ``n``.
"""

from __future__ import annotations

import math
from typing import Any

import altair as alt
import pandas as pd

from nps import format as fmt
from nps.charts.common import CATEGORY_COLOURS, LINE_COLOUR, _inline, _no_data, _require, _title

# The quadrants as CX teams name them, each with its colour: act (red), protect (teal), watch (grey), keep (blue).
QUADRANT_ORDER: tuple[str, ...] = ("fix first", "keep up", "monitor", "maintain")
QUADRANT_COLOURS: tuple[str, ...] = (CATEGORY_COLOURS[0], CATEGORY_COLOURS[2], "#737373", LINE_COLOUR)
# Where each quadrant's name is written: (right of the importance split?, above the performance split?).
_CORNERS = {"fix first": (True, False), "keep up": (True, True), "monitor": (False, False), "maintain": (False, True)}
_NEEDED = ("label", "x", "x_low", "x_high", "x_split", "y", "y_split", "importance", "importance_low",
           "importance_high", "share", "correlation", "mean", "scale", "direction", "quadrant", "n")
SPLIT_COLOUR = "#9e9e9e"


def _finite(values: Any) -> list[float]:
    return [float(v) for v in values if fmt.is_finite(v)]


def _domains(rows: pd.DataFrame) -> tuple[tuple[float, float], tuple[float, float]]:
    """The axes' extents: importance around the items and their intervals (from 0 at the lowest, room on the right
    for the items' names), so close items stay apart; performance in tens around the items, within 0–100."""
    xs = _finite([*rows["x"], *rows["x_low"], *rows["x_high"]]) or [0.0, 1.0]
    low, high = min(xs), max(xs)
    span = (high - low) or abs(high) or 1.0
    left = low - 0.1 * span
    x_domain = (max(0.0, left) if low >= 0 else left, high + 0.35 * span)
    ys = _finite(rows["y"]) or [0.0, 100.0]
    y_domain = (max(0.0, math.floor((min(ys) - 10) / 10) * 10), min(100.0, math.ceil((max(ys) + 10) / 10) * 10))
    return x_domain, y_domain


def _importance_text(row: Any, level: float) -> str:
    """``18.2% of the variance (95% CI 17.7% to 18.8%)``; without bounds, the share alone."""
    text = f"{fmt.share(row.importance)} of the score's variance"
    if fmt.is_finite(row.importance_low) and fmt.is_finite(row.importance_high):
        text += f" ({fmt.level(level)} CI {fmt.share(row.importance_low)} to {fmt.share(row.importance_high)})"
    return text


def chart_drivers(rows: pd.DataFrame, *, title: str, level: float = 0.95, mode: str = "drivers") -> alt.LayerChart | alt.Chart:
    """Each item as a point: its importance (x) against its performance (y), its bootstrap interval as a bar, the
    medians the quadrants are cut at as dashed lines, and the quadrants named in their corners (fix first: important
    and low; keep up: important and high; monitor: less important and low; maintain: less important and high).

    ``mode`` ``drivers``: x is the item's part of the explained variance (a percentage; the interval at ``level``
    drawn); ``correlation`` (the simple mode): its plain correlation with the score (no interval). Items are
    coloured by quadrant and named beside their point; the tooltip has the importance with its interval, the share
    of R², the mean on its scale, the correlation, the direction and n. Empty rows give a "no data" chart.
    """
    if rows is None or rows.empty:
        return _no_data(title, height=420)
    _require(rows, _NEEDED, "chart_drivers")
    simple = mode == "correlation"
    frame = pd.DataFrame({
        "label": rows["label"].astype(str).to_numpy(), "x": rows["x"].to_numpy(dtype=float),
        "x_low": rows["x_low"].to_numpy(dtype=float), "x_high": rows["x_high"].to_numpy(dtype=float),
        "y": rows["y"].to_numpy(dtype=float), "quadrant": rows["quadrant"].astype(str).to_numpy(),
        "n": rows["n"].to_numpy(),
    })
    frame["importance_text"] = [_importance_text(r, level) for r in rows.itertuples()]
    frame["share_text"] = [fmt.share(v) for v in rows["share"]]
    frame["mean_text"] = [f"{m:.2f} on {s} ({fmt.number(y, digits=0)} of 100)" for m, s, y in
                          zip(rows["mean"], rows["scale"], rows["y"])]
    frame["correlation_text"] = [f"{c:+.2f}" if fmt.is_finite(c) else fmt.CHART_MISSING for c in rows["correlation"]]
    frame["direction"] = rows["direction"].astype(str).to_numpy()
    (x0, x1), (y0, y1) = _domains(rows)
    # Short axis titles: Vega fits the whole chart, axis titles included, into its height, so a vertical title
    # longer than the plot would squeeze the plot (the units are in the tooltip and the table).
    x_title = "Correlation with the score" if simple else "Importance (share of the score's variance)"
    x_axis = alt.Axis(format="+.2f" if simple else ".1%", grid=False, tickCount=8)
    y_title = "Performance (mean, 0–100)"

    def x(field: str = "x") -> alt.X:
        return alt.X(f"{field}:Q", title=x_title, scale=alt.Scale(domain=[x0, x1], nice=False, zero=False), axis=x_axis)

    def y(field: str = "y") -> alt.Y:
        return alt.Y(f"{field}:Q", title=y_title, scale=alt.Scale(domain=[y0, y1], nice=False, zero=False),
                     axis=alt.Axis(grid=False))

    # No legend: each quadrant's name is written in its corner in its colour (and in the tooltip).
    colour = alt.Color("quadrant:N", title="Quadrant",
                       scale=alt.Scale(domain=list(QUADRANT_ORDER), range=list(QUADRANT_COLOURS)), legend=None)
    tooltip = [alt.Tooltip("label:N", title="Item"), alt.Tooltip("quadrant:N", title="Quadrant"),
               alt.Tooltip("importance_text:N", title="Importance"), alt.Tooltip("share_text:N", title="Share of R²"),
               alt.Tooltip("mean_text:N", title="Mean"), alt.Tooltip("correlation_text:N", title="Correlation"),
               alt.Tooltip("direction:N", title="Direction"), alt.Tooltip("n:Q", title="n", format=",")]
    layers: list[Any] = []
    x_split, y_split = float(rows["x_split"].iloc[0]), float(rows["y_split"].iloc[0])
    splits = pd.DataFrame({"x": [x_split], "y": [y_split]})
    rule = {"color": SPLIT_COLOUR, "strokeDash": [5, 4], "strokeWidth": 1}
    layers.append(alt.Chart(_inline(splits)).mark_rule(**rule).encode(x=x()))
    layers.append(alt.Chart(_inline(splits)).mark_rule(**rule).encode(y=y()))
    for name, (right, top) in _CORNERS.items():
        corner = pd.DataFrame({"x": [x1 if right else x0], "y": [y1 if top else y0], "name": [name]})
        layers.append(alt.Chart(_inline(corner)).mark_text(
            align="right" if right else "left", baseline="top" if top else "bottom", dx=-6 if right else 6,
            dy=4 if top else -4, fontSize=13, fontWeight="bold", opacity=0.55,
            color=QUADRANT_COLOURS[QUADRANT_ORDER.index(name)],
        ).encode(x=x(), y=y(), text="name:N"))
    if not simple:
        layers.append(alt.Chart().mark_rule(strokeWidth=2, opacity=0.6).encode(
            x=x("x_low"), x2=alt.X2(field="x_high"), y=y(), color=colour, tooltip=tooltip))
    layers.append(alt.Chart().mark_point(filled=True, size=110, opacity=1).encode(x=x(), y=y(), color=colour,
                                                                                   tooltip=tooltip))
    layers.append(alt.Chart().mark_text(align="left", dx=9, dy=-9, fontSize=12, color="#252525").encode(
        x=x(), y=y(), text="label:N", tooltip=tooltip))
    subtitle = ("Dashed lines: the medians over the items, where the quadrants are cut"
                + ("" if simple else f" · bars: {fmt.level(level)} bootstrap interval"))
    return alt.layer(*layers, data=_inline(frame), title=_title(title, subtitle), width="container", height=420)


def drivers_table(rows: pd.DataFrame, *, level: float = 0.95) -> pd.DataFrame:
    """The quadrant rows as a table for people: item, quadrant, importance with its interval at ``level``, share of
    R², direction, mean on its scale, correlation, n (the columns a reader acts on first)."""
    name = f"{fmt.level(level)} interval"
    if rows is None or rows.empty:
        return pd.DataFrame(columns=["item", "quadrant", "variance explained", name, "share of R²", "direction",
                                     "mean", "scale", "correlation", "n"])
    return pd.DataFrame({
        "item": rows["label"].astype(str).to_numpy(),
        "quadrant": rows["quadrant"].astype(str).to_numpy(),
        "variance explained": [fmt.share(v) for v in rows["importance"]],
        name: [f"{fmt.share(lo)} to {fmt.share(hi)}" if fmt.is_finite(lo) and fmt.is_finite(hi) else fmt.MISSING
               for lo, hi in zip(rows["importance_low"], rows["importance_high"])],
        "share of R²": [fmt.share(v) for v in rows["share"]],
        "direction": rows["direction"].astype(str).to_numpy(),
        "mean": [f"{v:.2f}" for v in rows["mean"]],
        "scale": rows["scale"].astype(str).to_numpy(),
        "correlation": [f"{v:.2f}".replace("-", fmt.MINUS) if fmt.is_finite(v) else fmt.MISSING
                        for v in rows["correlation"]],
        "n": [fmt.count(v) for v in rows["n"]],
    })
