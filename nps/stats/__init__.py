"""NPS arithmetic on counts: scores, standard errors, intervals and differences.

Modules: :mod:`~nps.stats.intervals` (one group's NPS, SE and interval),
:mod:`~nps.stats.comparisons` (differences and their tests),
:mod:`~nps.stats.multiplicity` (many tests shown together),
:mod:`~nps.stats.shift_share` (an NPS change split into within, mix and interaction),
:mod:`~nps.stats.log_odds` (terms that lean to one group of comments).

Pure Python and numpy, no SQL: :mod:`nps.query` counts in DuckDB and hands the
small result here. Every NPS, standard error, bound and difference is in points
(−100..100 for an NPS, −200..200 for a difference); shares are fractions 0..1.

Formulas (pP, pD the shares of promoters and detractors, n the number of responses):

* NPS = 100·(pP − pD); SE = 100·sqrt((pP + pD − (pP − pD)²) / n), the multinomial
  variance with the promoter/detractor covariance term.
* ``wald``: NPS ± z·SE.
* ``adjusted-wald`` (Rocks 2016, *The American Statistician* 70(4)): add 0.75
  detractors, 1.5 passives and 0.75 promoters (n + 3), and centre the interval on
  the adjusted NPS with the SE of the adjusted shares on n + 3. Much better
  coverage at small n and at the extremes (0/0/10 gets a real interval).
* Bounds are clamped to the possible range, for both methods.
* Weighted (survey weights): shares are weighted, and n in the SE (and in the
  adjustment) is Kish's effective n = (Σw)² / Σw².
* Every interval contains its estimate. Where the adjusted-Wald interval would
  not (tiny n at an extreme: one promoter gives NPS +100 but an adjusted interval
  of −48.5..+98.5), the score interval is used instead: the NPS values θ with
  |NPS − θ| ≤ z·SE(θ), SE(θ) taken at the maximum-likelihood shares whose NPS is θ
  (the inverted score test; Rocks 2016 calls it the iterative interval).
* A difference of two independent groups (or periods): diff = NPS_a − NPS_b, of
  the *plain* NPS that are shown. Its interval is diff ± z·SE with SE =
  sqrt(SE_a² + SE_b²) of the chosen method (plain SEs for ``wald``, the adjusted
  SEs for ``adjusted-wald``). Its test is the score test: z = diff / SE₀, SE₀ from
  the two groups pooled (what "no difference" means), so a difference is never
  called significant because an SE happened to be 0 (one promoter vs one passive).
  A group below the minimum n is not tested at all (p NaN, never significant).
* Many tests shown together are adjusted for multiplicity (:func:`adjust_p_values`):
  Benjamini–Hochberg for screening displays (q = 1 − level), Holm for decisions.
"""

from __future__ import annotations

# The interval methods are named in nps.domain (re-exported here: the default and the choices).
from nps.domain import DEFAULT_METHOD, METHODS
from nps.stats.comparisons import (
    CHANGE_COLUMNS,
    Difference,
    add_change,
    adjust_differences,
    compare_results,
    compare_shares,
    difference_arrays,
    differences,
)
from nps.stats.intervals import (
    DEFAULT_LEVEL,
    DEFAULT_MIN_N,
    STAT_COLUMNS,
    NpsResult,
    add_stats,
    check_level,
    check_method,
    check_min_n,
    kish_effective_n,
    score_arrays,
    score_counts,
    score_interval,
    score_weighted,
    share_interval,
    two_sided_p,
    z_value,
)
from nps.stats.log_odds import score_log_odds
from nps.stats.multiplicity import DECISION, SCREENING, Family, adjust_p_values, check_multiplicity, flag_tests
from nps.stats.shift_share import ShiftShare, shift_share_of

__all__ = [
    "CHANGE_COLUMNS", "DECISION", "DEFAULT_LEVEL", "DEFAULT_METHOD", "DEFAULT_MIN_N", "METHODS", "SCREENING",
    "STAT_COLUMNS", "Difference", "Family", "NpsResult", "ShiftShare", "add_change", "add_stats",
    "adjust_differences", "adjust_p_values", "check_level", "check_method", "check_min_n", "check_multiplicity",
    "compare_results", "compare_shares", "difference_arrays", "differences", "flag_tests", "kish_effective_n",
    "score_arrays", "score_counts", "score_interval", "score_log_odds", "score_weighted", "share_interval",
    "shift_share_of", "two_sided_p", "z_value",
]
