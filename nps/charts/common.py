"""What every chart shares: the palette, the embedded-data writer, field names, labels and tooltips."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

import altair as alt
import numpy as np
import pandas as pd

from nps import format as fmt
from nps.domain import CATEGORIES
from nps.format import is_finite

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
_STATS = ["n", "promoters", "passives", "detractors", "nps", "ci_low", "ci_high", "low_n"]
# The comparison of each group with the rest, as nps.query names it: difference, p-value, verdict.
_VS_REST_NAMES = ("vs_rest", "vs_rest_p", "vs_rest_significant")
_SHIFT_SHARE_ORDER = ("within-segment change", "mix change", "interaction", "total")


# ---------------------------------------------------------------------------
# Helpers


def _field(name: str) -> str:
    """A column name as a Vega-Lite field: dots and brackets escaped (they mean nesting there)."""
    return re.sub(r"([.\[\]\\])", r"\\\1", str(name))


def _nps_ci_text(nps: Any, low: Any, high: Any, n: Any, level: float = 0.95) -> str:
    """'+23.4 (95% CI +18.0 to +28.8)'; Vega's number format would print a missing NPS as +0.0."""
    if not is_finite(nps):
        return "no responses" if is_finite(n) and float(n) == 0 else "not available"
    return fmt.chart_estimate(nps, low, high, level)


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
    diff, p, significant = _VS_REST_NAMES
    if diff in frame.columns and significant in frame.columns:
        return diff, (p if p in frame.columns else None), significant
    return None


def _p_text(p: Any) -> str:
    if not is_finite(p):
        return ""
    return ", " + fmt.p_equals(float(p))


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
        if not is_finite(diff):
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
    finite = [float(v) for v in values if is_finite(v)]
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
