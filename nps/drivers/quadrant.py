"""The importance × performance quadrant of a key-driver analysis, and its simple mode (plain correlations).

Each item is placed by its importance (its share of the explained variance, or
in the simple mode its correlation with the score) and its performance (its mean
rescaled 0–100 on its scale), each cut at the median over the items: above the
median is "important" / "high". The quadrants are named as CX teams name them.
"""

from __future__ import annotations

import pandas as pd

from nps.drivers.analysis import DriverResult

QUADRANTS: dict[tuple[bool, bool], str] = {
    (True, False): "fix first",
    (True, True): "keep up",
    (False, False): "monitor",
    (False, True): "maintain",
}
MODES: tuple[str, ...] = ("drivers", "correlation")
COLUMNS: tuple[str, ...] = ("item", "importance", "performance", "mean", "direction", "quadrant")


def performance(mean: float, scale: tuple[int, int]) -> float:
    """An item's mean rescaled 0–100 on its scale (lowest value 0, highest 100)."""
    low, high = scale
    return 100.0 * (mean - low) / (high - low)


def importance_performance(result: DriverResult, *, mode: str = "drivers") -> pd.DataFrame:
    """One row per item: importance, performance (0–100), mean, direction and quadrant, most important first.

    ``mode`` ``drivers``: the importance is the item's share of the explained
    variance (shares sum to 1); ``correlation`` (the simple mode): its plain
    correlation with the outcome. Both axes are cut at their median over the
    items; an item strictly above the median is important / high. Empty when the
    analysis was not computed. Raises ValueError for an unknown mode.
    """
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; use one of {', '.join(MODES)}")
    rows = [
        {"item": d.item, "importance": d.share if mode == "drivers" else d.correlation,
         "performance": performance(d.mean, d.scale), "mean": d.mean, "direction": d.direction}
        for d in result.drivers
    ]
    frame = pd.DataFrame(rows, columns=list(COLUMNS[:-1]))
    if frame.empty:
        return frame.assign(quadrant=pd.Series(dtype=object))
    important = frame["importance"] > frame["importance"].median()
    high = frame["performance"] > frame["performance"].median()
    frame["quadrant"] = [QUADRANTS[(bool(i), bool(h))] for i, h in zip(important, high)]
    return frame.sort_values(["importance", "item"], ascending=[False, True], ignore_index=True)
