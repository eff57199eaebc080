"""A dataset's key drivers as a page draws them: the rows read, the analysis (per group), the quadrant's rows.

:func:`analyse_dataset` reads each response's score and item ratings through the
row source (:func:`nps.query.drivers.item_frame`: filters, the reader's scope,
the latest response per respondent), runs :func:`nps.drivers.key_drivers` (or one
analysis per value of a column) with the employee anonymity threshold as the
fewest responses, and gives each result with its rows for the importance ×
performance chart and table, in both modes (the shares of the explained variance,
and the simple mode's plain correlations), so switching mode computes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import duckdb
import pandas as pd

from nps.drivers.analysis import MIN_RESPONSES, DriverResult, key_drivers, key_drivers_by
from nps.drivers.quadrant import importance_performance
from nps.query.anonymity import privacy_of
from nps.query.drivers import item_frame
from nps.query.filters import Filter
from nps.query.options import Options
from nps.store import Dataset

# The quadrant rows' columns: the axis value ``x`` (with its interval, missing in the simple mode) and its split,
# the performance ``y`` (the mean rescaled 0–100) and its split, then what a tooltip or table shows.
ROW_COLUMNS: tuple[str, ...] = (
    "item", "label", "x", "x_low", "x_high", "x_split", "y", "y_split", "importance", "importance_low",
    "importance_high", "share", "correlation", "mean", "scale", "direction", "quadrant", "n",
)


@dataclass(frozen=True)
class DriverView:
    """One analysis (all responses, or one value of the ``by`` column) and its quadrant rows in both modes.

    ``value`` is the group's value as text (None for all responses); ``drivers`` the rows whose axis is each
    item's part of the explained variance, ``simple`` the rows whose axis is its plain correlation with the score.
    """

    value: str | None
    result: DriverResult
    drivers: pd.DataFrame
    simple: pd.DataFrame


def quadrant_rows(result: DriverResult, *, mode: str = "drivers",
                  label: Callable[[str], str] | None = None) -> pd.DataFrame:
    """One row per item, most important first, with :data:`ROW_COLUMNS` (empty when nothing was computed).

    ``x`` is the item's part of the explained variance (its LMG importance; they sum to R²) with its
    bootstrap interval in ``mode`` ``drivers``, its plain correlation with the score in ``correlation``
    (no interval); ``y`` its performance, the mean rescaled 0–100 on its scale. ``x_split`` and ``y_split``
    are the medians over the items that the quadrants (:func:`nps.drivers.importance_performance`) are cut
    at; ``label`` names an item for people (default: its column name).
    """
    placed = importance_performance(result, mode=mode)
    if placed.empty:
        return pd.DataFrame(columns=list(ROW_COLUMNS))
    by_item = {d.item: d for d in result.drivers}
    drivers = [by_item[item] for item in placed["item"]]
    simple = mode == "correlation"
    x = [d.correlation if simple else d.importance for d in drivers]
    frame = pd.DataFrame({
        "item": [d.item for d in drivers],
        "label": [(label or str)(d.item) for d in drivers],
        "x": x,
        "x_low": [float("nan") if simple else d.importance_low for d in drivers],
        "x_high": [float("nan") if simple else d.importance_high for d in drivers],
        "x_split": float(pd.Series(x).median()),
        "y": placed["performance"].to_numpy(dtype=float),
        "y_split": float(placed["performance"].median()),
        "importance": [d.importance for d in drivers],
        "importance_low": [d.importance_low for d in drivers],
        "importance_high": [d.importance_high for d in drivers],
        "share": [d.share for d in drivers],
        "correlation": [d.correlation for d in drivers],
        "mean": [d.mean for d in drivers],
        "scale": [f"{d.scale[0]}–{d.scale[1]}" for d in drivers],
        "direction": [d.direction for d in drivers],
        "quadrant": placed["quadrant"].to_list(),
        "n": result.n,
    })
    return frame[list(ROW_COLUMNS)]


def analyse_dataset(
    cur: duckdb.DuckDBPyConnection,
    ds: Dataset,
    items: Sequence[str],
    flt: Filter | None = None,
    opts: Options = Options(),
    *,
    method: str = "lmg",
    by: str | None = None,
    bootstrap: int = 200,
    seed: int = 0,
    label: Callable[[str], str] | None = None,
) -> list[DriverView]:
    """The key drivers of the score among ``items`` for the responses ``flt`` and ``opts`` choose.

    One :class:`DriverView` for all responses, or with ``by`` one per value of that column (most
    responses first). The bootstrap interval is at ``opts.level``; responses count unweighted; the fewest
    responses analysed is 30, or an employee dataset's anonymity threshold when larger, and there a group with
    too few says so without its count (the anonymity rule). ``method`` is
    ``lmg`` or ``logistic`` (:data:`nps.drivers.METHODS`). Raises ValueError for no items or an
    unknown method, :class:`nps.errors.UnknownColumnError` for a column the dataset does not have.
    """
    privacy = privacy_of(ds)
    min_n = max(MIN_RESPONSES, privacy.min_group) if privacy is not None else MIN_RESPONSES
    frame = item_frame(cur, ds, items, flt, opts, by=by)
    options = {"method": method, "level": opts.level, "bootstrap": bootstrap, "seed": seed, "min_n": min_n}
    if by is None:
        found: list[tuple[object, DriverResult]] = [(None, key_drivers(frame, items, **options))]  # type: ignore[arg-type]
    else:
        found = key_drivers_by(frame, items, by, **options)
    if privacy is not None:  # an employee survey names no count below its threshold: too few says so without n
        hidden = (f"fewer than {min_n} complete responses (this employee survey shows no count of a group, and "
                  f"analyses none, below {min_n}): not computed")
        found = [(value, replace(result, warnings=(hidden,)) if result.n < min_n else result)
                 for value, result in found]
    return [DriverView(value=None if by is None else ("(blank)" if pd.isna(value) else str(value)), result=result,
                       drivers=quadrant_rows(result, mode="drivers", label=label),
                       simple=quadrant_rows(result, mode="correlation", label=label))
            for value, result in found]
