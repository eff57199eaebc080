"""The queries: every read of responses, answered on any filter.

Modules: :mod:`~nps.query.filters` (the :class:`Filter`), :mod:`~nps.query.rows` (the one
row source: WHERE, dedupe, weights), :mod:`~nps.query.options` (:class:`Options`,
:data:`GRAINS`), :mod:`~nps.query.counting` (the shared counting blocks),
:mod:`~nps.query.scores`, :mod:`~nps.query.breakdowns`, :mod:`~nps.query.trends`,
:mod:`~nps.query.comparisons`, :mod:`~nps.query.combined` (the Overview in one scan),
:mod:`~nps.query.periods` (reporting periods), :mod:`~nps.query.simulation`,
:mod:`~nps.query.responses` (single responses), :mod:`~nps.query.review` (the review
meeting's cards), :mod:`~nps.query.actions` (an improvement action's before/since evidence), :mod:`~nps.query.caveats` (how far to trust a view), :mod:`~nps.query.themes`, :mod:`~nps.query.clusters` and
:mod:`~nps.query.explorer` (comments, over the stored tags), :mod:`~nps.query.anonymity` (the
employee survey's anonymity rule, applied by the questions above). This package exports the
questions the pages and the command line ask.

Each question runs one grouped query through :mod:`nps.store.sql` (counts per category
with ``FILTER`` clauses) and finishes the tiny result with :mod:`nps.stats`. NPS,
SE, bounds and differences are in points (−100..100); shares are fractions 0..1.

Conventions shared by every question:

* A NULL value of a column is shown as ``"(blank)"`` (:data:`nps.store.sql.BLANK`); a
  filter that includes or excludes ``"(blank)"`` matches NULL.
* ``Options.weighted``: each response counts with its ``_weight``; a NULL weight
  counts as 1.0 (so a dataset without a weight column gives the unweighted
  answer). ``promoters``/``passives``/``detractors`` are then sums of weights,
  ``n`` stays the number of responses, and ``effective_n`` (Kish, (Σw)²/Σw²) is
  added and used for the SE, the interval and ``low_n``.
* ``Options.dedupe``: each respondent counts once, with their latest response
  (latest ``_date``, then latest wave, then latest row; undated responses are
  older than dated ones) within the filter's period; the filter's other
  conditions (values, categories, text) then apply to those latest responses.
  Responses without a respondent id are always kept.
"""

from __future__ import annotations

from nps.query.breakdowns import breakdown
from nps.query.combined import Overview, overview
from nps.query.comparisons import Comparison, compare, shift_share, tile_changes
from nps.query.filters import Filter, filter_keys
from nps.query.options import GRAINS, Options
from nps.query.periods import PRESETS, previous_period, resolve_preset, same_period_last_year
from nps.query.rows import where_clause, where_for
from nps.query.scores import (
    DailyCounts, data_range, dimension_counts, dimension_counts_by_day, dimension_values, distribution, overall,
)
from nps.query.trends import trend
from nps.stats.shift_share import ShiftShare

__all__ = [
    "GRAINS", "PRESETS", "Comparison", "DailyCounts", "Filter", "Options", "Overview", "ShiftShare", "breakdown",
    "compare", "data_range", "dimension_counts", "dimension_counts_by_day", "dimension_values", "distribution",
    "filter_keys", "overall", "overview", "previous_period", "resolve_preset", "same_period_last_year",
    "shift_share", "tile_changes", "trend", "where_clause", "where_for",
]
