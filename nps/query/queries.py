"""The questions the app dispatches by bare name (``"overall"``, ``"breakdown"``, …), gathered in one module.

The app's cached queries look a name up in a submodule named ``queries`` (app.py's
dispatch); until that dispatch names the modules themselves, this module
re-exports the functions it uses from their homes: :mod:`nps.query.scores`,
:mod:`nps.query.breakdowns`, :mod:`nps.query.trends`,
:mod:`nps.query.comparisons`, :mod:`nps.query.combined`, :mod:`nps.query.options`.
Library code imports from those modules (or :mod:`nps.query`), not from here.
"""

from __future__ import annotations

from nps.query.breakdowns import breakdown
from nps.query.combined import Overview, overview
from nps.query.comparisons import Comparison, compare, shift_share, tile_changes
from nps.query.options import GRAINS, Options
from nps.query.periods import previous_period, same_period_last_year
from nps.query.scores import (
    DailyCounts, data_range, dimension_counts, dimension_counts_by_day, dimension_values, distribution, overall,
)
from nps.query.trends import trend
from nps.stats.shift_share import ShiftShare

__all__ = [
    "GRAINS", "Comparison", "DailyCounts", "Options", "Overview", "ShiftShare", "breakdown", "compare", "data_range",
    "dimension_counts", "dimension_counts_by_day", "dimension_values", "distribution", "overall", "overview",
    "previous_period", "same_period_last_year", "shift_share", "tile_changes", "trend",
]
