"""Key drivers of the score: which item ratings explain it (:mod:`~nps.drivers.analysis`) and where to act
(:mod:`~nps.drivers.quadrant`). No SQL: the frame of scores and items comes from :mod:`nps.query.drivers`."""

from __future__ import annotations

from nps.drivers.analysis import (
    METHODS,
    Driver,
    DriverResult,
    Moments,
    distinct_rows,
    item_scale,
    key_drivers,
    key_drivers_by,
    lmg,
    lmg_from_correlation_matrix,
    lmg_from_correlations,
    mcfadden_shapley,
    shapley,
    vif,
)
from nps.drivers.quadrant import QUADRANTS, importance_performance, performance

__all__ = [
    "METHODS", "QUADRANTS", "Driver", "DriverResult", "Moments", "distinct_rows", "importance_performance",
    "item_scale", "key_drivers", "key_drivers_by", "lmg", "lmg_from_correlation_matrix", "lmg_from_correlations",
    "mcfadden_shapley", "performance", "shapley", "vif",
]
