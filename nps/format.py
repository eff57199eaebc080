"""Numbers as people read them: one family of formatters for NPS points, intervals, shares, deltas and counts.

Text that people read (pages, tables, sentences) writes a negative number with the
minus sign U+2212 (``−4.0``) and a missing value as an em dash (``—``). Three
places keep their own marks, each for a reason:

* :func:`delta` (st.metric's change) writes an ASCII ``-``: Streamlit reads a
  leading ``-`` to point the arrow down;
* :func:`chart_points`, :func:`chart_estimate` and :func:`chart_count` (text inside Vega-Lite charts:
  tooltips, labels, cells) write ASCII ``+``/``-`` and an en dash (``–``) for a
  missing value, as the charts always have;
* :func:`number` (the command line's terminal tables) writes an ASCII ``-``: text
  that scripts read and terminals of any encoding show.

Imports nothing of the project.
"""

from __future__ import annotations

import math
from typing import Any

MINUS = "\u2212"
MISSING = "—"  # a missing value in text and tables (em dash)
CHART_MISSING = "–"  # a missing value inside a chart (en dash)
NO_INTERVAL = "no interval"


def _missing(value: Any) -> bool:
    """None or a float NaN (numpy floats included)."""
    return value is None or (isinstance(value, float) and math.isnan(value))


def is_finite(value: Any) -> bool:
    """A number that is neither missing, NaN nor infinite (text, None and ``pd.NA`` are not)."""
    try:
        return value is not None and math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def points(value: float | None, *, signed: bool = True, digits: int = 1) -> str:
    """An NPS or a change in points: ``+12.3``, ``−4.0``, ``0.0`` (no sign on zero); ``—`` when missing.

    ``signed=False`` leaves out the ``+`` (a negative value keeps its ``−``).
    """
    if _missing(value):
        return MISSING
    text = f"{abs(value):.{digits}f}"
    if float(text) == 0:
        return text
    if value < 0:
        return MINUS + text
    return ("+" + text) if signed else text


def points_range(low: float | None, high: float | None) -> str:
    """Two bounds in points: ``−30.1 to −19.2``; ``—`` when either is missing."""
    if _missing(low) or _missing(high):
        return MISSING
    return f"{points(low)} to {points(high)}"


def delta(value: float, note: str = "") -> str:
    """A change for a metric tile: ``+3.4 (significant)``, ``-1.9 (noise)``.

    The sign is ASCII on purpose: Streamlit's st.metric reads a leading ``-`` to point the arrow down.
    """
    text = f"{value:+.1f}"
    return f"{text} {note}".strip()


def level(value: float) -> str:
    """A confidence level (or an error rate) 0..1 as a percentage: ``95%``, ``90%``, ``99.5%``, ``5%``."""
    return f"{100 * float(value):.10g}%"


def interval(low: float | None, high: float | None, *, level: float = 0.95) -> str:
    """``95% CI −30.1 to −19.2``; ``no interval`` when either bound is missing."""
    if _missing(low) or _missing(high):
        return NO_INTERVAL
    return f"{_level(level)} CI {points(low)} to {points(high)}"


_level = level  # interval's keyword argument hides the function inside it


def share(value: float | None) -> str:
    """A share 0..1 as a percentage with one decimal (``41.2%``); ``—`` when missing."""
    if _missing(value):
        return MISSING
    return f"{100 * value:.1f}%"


def p_value(value: float | None) -> str:
    """A p-value with three decimals, ``<0.001`` below that; ``—`` when missing."""
    if _missing(value):
        return MISSING
    return "<0.001" if value < 0.001 else f"{value:.3f}"


def p_equals(value: float, *, name: str = "p", digits: int = 3) -> str:
    """A p-value in a sentence: ``p = 0.012``, ``adjusted p = 0.41`` (``digits=2``), ``p < 0.001`` below that."""
    return f"{name} < 0.001" if value < 0.001 else f"{name} = {value:.{digits}f}"


def count(value: Any) -> str:
    """A count in text and tables: ``1,234``; ``—`` when missing."""
    if _missing(value):
        return MISSING
    return f"{int(value):,}"


def number(value: Any, *, digits: int = 1) -> str:
    """A plain number for a terminal table: a float with ``digits`` decimals and an ASCII sign, anything else as is.

    ``—`` for None. ``12.34`` → ``12.3``, ``-4.0`` → ``-4.0``, ``7`` → ``7``.
    """
    if value is None:
        return MISSING
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)


def number_range(low: Any, high: Any, *, digits: int = 1) -> str:
    """Two bounds for a terminal table, each as :func:`number`: ``[-12.3, -3.2]``, ``[—, —]`` when missing."""
    return f"[{number(low, digits=digits)}, {number(high, digits=digits)}]"


def chart_points(value: Any, digits: int = 1) -> str:
    """Points inside a chart: ``+30.0``, ``-3.0``, ``+0.0`` (always signed, ASCII); ``–`` unless finite."""
    return f"{float(value):+.{digits}f}" if is_finite(value) else CHART_MISSING


def chart_estimate(value: Any, low: Any, high: Any, level: float = 0.95) -> str:
    """An estimate with its interval inside a chart: ``+23.4 (95% CI +18.0 to +28.8)``; the points alone without bounds."""
    if is_finite(low) and is_finite(high):
        return f"{chart_points(value)} ({_level(level)} CI {chart_points(low)} to {chart_points(high)})"
    return chart_points(value)


def chart_count(value: Any) -> str:
    """A count inside a chart: ``1,234``, or ``1,234.5`` for a weighted count; ``–`` unless finite."""
    if not is_finite(value):
        return CHART_MISSING
    value = float(value)
    return f"{value:,.0f}" if value == round(value) else f"{value:,.1f}"


def period_code(start: Any, grain: str) -> str:
    """A period's start (a date, datetime or pandas Timestamp) as a short, sortable label: ``2026`` (year),
    ``2026-Q2`` (quarter), ``2026-03`` (month), else the day (``2026-03-02``). The packs' and indicators' periods."""
    day = start.date() if hasattr(start, "date") and callable(start.date) else start
    if grain == "year":
        return f"{day.year}"
    if grain == "quarter":
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    if grain == "month":
        return f"{day.year}-{day.month:02d}"
    return day.isoformat()
