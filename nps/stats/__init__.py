"""NPS arithmetic on counts: scores, standard errors, intervals and differences.

Pure Python and numpy, no SQL: :mod:`nps.query.queries` counts in DuckDB and hands the
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

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any

import numpy as np
import pandas as pd

# The interval methods and multiplicity controls are named in nps.domain (re-exported here).
from nps.domain import BH, DEFAULT_METHOD, HOLM, METHODS, MULTIPLICITY, MULTIPLICITY_NAMES, NO_ADJUSTMENT, WALD

DEFAULT_LEVEL = 0.95
DEFAULT_MIN_N = 30

# Rocks (2016): pseudo-counts added before computing the adjusted-Wald interval.
ADD_DETRACTORS = 0.75
ADD_PASSIVES = 1.5
ADD_PROMOTERS = 0.75
ADD_N = ADD_DETRACTORS + ADD_PASSIVES + ADD_PROMOTERS

# The multiplicity control of each kind of display: Benjamini–Hochberg (false discovery rate) for
# screening displays, Holm (family-wise error) where decisions are made.
SCREENING = BH
DECISION = HOLM

COUNT_COLUMNS: tuple[str, ...] = ("n", "promoters", "passives", "detractors")
STAT_COLUMNS: tuple[str, ...] = ("nps", "se", "ci_low", "ci_high", "low_n")
CHANGE_COLUMNS: tuple[str, ...] = (
    "prev_n", "prev_nps", "change", "change_se", "change_ci_low", "change_ci_high", "change_p",
    "change_p_adjusted", "change_significant",
)
DIFFERENCE_COLUMNS: tuple[str, ...] = ("diff", "se", "ci_low", "ci_high", "p_value", "significant")


@dataclass(frozen=True)
class NpsResult:
    """One group's NPS with its uncertainty.

    ``n`` is the number of responses. ``promoters``/``passives``/``detractors`` are
    counts (ints) or, when weighted, sums of weights (floats). ``nps``, ``se``,
    ``ci_low`` and ``ci_high`` are in points (−100..100) and NaN when there are no
    responses. ``low_n`` is True when n (the effective n when weighted) is below
    the minimum. ``effective_n`` is Kish's effective sample size, set only when
    weighted.
    """

    n: int
    promoters: float
    passives: float
    detractors: float
    nps: float
    se: float
    ci_low: float
    ci_high: float
    low_n: bool
    effective_n: float | None = None


@dataclass(frozen=True)
class Difference:
    """A difference of two NPS (a − b, or a − a target), in points.

    ``diff`` is of the plain estimates shown; ``ci_low``/``ci_high`` always
    contain it. ``p_value`` is two-sided (score test, see the module docstring);
    ``p_adjusted`` is the p-value after multiplicity control within the family of
    tests shown with it (equal to ``p_value`` for a test on its own) and
    ``significant`` is ``p_adjusted < 1 − level``. NaN (and not significant) when
    either side is empty or below the minimum n.
    """

    diff: float
    se: float
    ci_low: float
    ci_high: float
    p_value: float
    significant: bool
    method: str
    level: float
    p_adjusted: float = math.nan
    multiplicity: str = NO_ADJUSTMENT
    tests: int = 1


@dataclass(frozen=True)
class Family:
    """A set of tests shown together and how their error rate is controlled.

    ``method`` is one of :data:`MULTIPLICITY`, ``tests`` the number of tests
    actually made (groups below the minimum n are not tested), ``level`` the
    confidence level (the error rate controlled is 1 − level).
    """

    method: str
    tests: int
    level: float

    def as_dict(self) -> dict[str, Any]:
        """``{"method", "tests", "level"}``: what a frame's ``attrs["family"]`` holds (JSON-safe)."""
        return {"method": self.method, "tests": self.tests, "level": self.level}


def check_method(method: str) -> str:
    """Return ``method`` if it is one of :data:`METHODS`; raise ValueError otherwise."""
    if method not in METHODS:
        raise ValueError(f"unknown interval method {method!r}; use one of {', '.join(METHODS)}")
    return method


def check_level(level: float) -> float:
    """Return ``level`` as a float if it lies strictly between 0 and 1; raise ValueError otherwise."""
    value = float(level)
    if not 0.0 < value < 1.0:
        raise ValueError(f"the confidence level must be between 0 and 1 (e.g. 0.95), not {level!r}")
    return value


def check_min_n(min_n: float) -> float:
    """Return ``min_n`` if it is a non-negative number; raise ValueError otherwise."""
    if min_n is None or isinstance(min_n, bool) or not min_n >= 0:
        raise ValueError(f"the minimum n must be a number of responses (0 or more), not {min_n!r}")
    return min_n


def check_multiplicity(method: str) -> str:
    """Return ``method`` if it is one of :data:`MULTIPLICITY` (bh, holm, none); raise ValueError otherwise."""
    if method not in MULTIPLICITY:
        raise ValueError(f"unknown multiplicity control {method!r}; use one of {', '.join(MULTIPLICITY)}")
    return method


def adjust_p_values(p_values: Any, method: str = SCREENING) -> np.ndarray:
    """Multiplicity-adjusted p-values, element-wise; NaN entries are not tests and stay NaN.

    ``bh``: Benjamini–Hochberg (step-up; controls the false discovery rate when
    each adjusted p is compared with q = 1 − level). ``holm``: Holm's step-down
    (controls the family-wise error rate). ``none``: unchanged. Adjusted values
    are capped at 1. Raises ValueError for an unknown method.
    """
    check_multiplicity(method)
    p = np.asarray(p_values, dtype=float).copy()
    tested = ~np.isnan(p)
    m = int(tested.sum())
    if method == NO_ADJUSTMENT or m == 0:
        return p
    values = p[tested]
    # numpy rather than scipy.stats.false_discovery_control (the tests check the two agree): importing
    # scipy.stats costs the command line half a second.
    order = np.argsort(values, kind="stable")
    ranked = values[order]
    if method == BH:
        stepped = np.minimum.accumulate((ranked * m / np.arange(1, m + 1))[::-1])[::-1]
    else:
        stepped = np.maximum.accumulate((m - np.arange(m)) * ranked)
    adjusted = np.empty(m)
    adjusted[order] = np.minimum(stepped, 1.0)
    p[tested] = adjusted
    return p


def flag_tests(
    p_values: Any, *, level: float = DEFAULT_LEVEL, multiplicity: str = SCREENING
) -> tuple[np.ndarray, np.ndarray, Family]:
    """Adjust a family of p-values and flag the significant ones.

    Returns (adjusted p-values, significant booleans, the :class:`Family`):
    significant where the adjusted p is below 1 − level; NaN p-values (groups
    not tested) are never significant and not counted. Raises ValueError for a
    bad level or multiplicity method.
    """
    check_level(level)
    adjusted = adjust_p_values(p_values, multiplicity)
    with np.errstate(invalid="ignore"):
        significant = adjusted < (1.0 - level)
    tests = int((~np.isnan(np.asarray(p_values, dtype=float))).sum())
    return adjusted, significant, Family(multiplicity, tests, float(level))


def z_value(level: float) -> float:
    """The two-sided normal critical value for a confidence ``level`` (1.959964 for 0.95)."""
    return NormalDist().inv_cdf(0.5 + check_level(level) / 2.0)


def two_sided_p(z: float) -> float:
    """Two-sided normal p-value of a z statistic (NaN for NaN)."""
    if math.isnan(z):
        return math.nan
    # erfc keeps precision in the far tail, where 1 − cdf would round to 0.
    return math.erfc(abs(z) / math.sqrt(2.0))


def kish_effective_n(sum_w: float, sum_w2: float) -> float:
    """Kish's effective sample size (Σw)² / Σw² (0.0 when Σw² is 0)."""
    return float(sum_w) ** 2 / float(sum_w2) if sum_w2 > 0 else 0.0


def _arrays(d: Any, pa: Any, p: Any, n_eff: Any, method: str) -> dict[str, np.ndarray]:
    """Plain NPS/SE and the interval's centre and SE, element-wise."""
    d, pa, p, n_eff = (np.asarray(x, dtype=float) for x in (d, pa, p, n_eff))
    total = d + pa + p
    ok = (total > 0) & (n_eff > 0)
    with np.errstate(all="ignore"):
        sp = np.where(ok, p / total, np.nan)
        sd = np.where(ok, d / total, np.nan)
        nps = (sp - sd) * 100.0
        # Rounding can make p + d − (p − d)² a hair below zero when one share is 1.
        se = np.sqrt(np.maximum(sp + sd - (sp - sd) ** 2, 0.0) / n_eff) * 100.0
        se = np.where(ok, se, np.nan)
        if method == WALD:
            centre, spread = nps, se
        else:
            m = n_eff + ADD_N
            ap = (sp * n_eff + ADD_PROMOTERS) / m
            ad = (sd * n_eff + ADD_DETRACTORS) / m
            centre = (ap - ad) * 100.0
            spread = np.where(ok, np.sqrt(np.maximum(ap + ad - (ap - ad) ** 2, 0.0) / m) * 100.0, np.nan)
    return {"nps": nps, "se": se, "centre": centre, "spread": spread, "sp": sp, "sd": sd, "n_eff": n_eff}


def _interval(centre: np.ndarray, spread: np.ndarray, z: float, bound: float) -> tuple[np.ndarray, np.ndarray]:
    with np.errstate(invalid="ignore"):
        return np.clip(centre - z * spread, -bound, bound), np.clip(centre + z * spread, -bound, bound)


def _pd_at(sp: np.ndarray, sd: np.ndarray, delta: np.ndarray) -> np.ndarray:
    """The detractor share t of the maximum-likelihood shares whose pP − pD is ``delta`` (fractions).

    Setting the derivative of pD·log t + pPa·log(1 − 2t − δ) + pP·log(t + δ) to
    zero and clearing the denominators leaves a quadratic (the shares sum to 1):
    2t² − B·t − C = 0 with B = pD(1 − 3δ) + pP(1 − δ) − 2·pPa·δ and
    C = pD·δ(1 − δ). Its larger root, kept within the feasible range, is the maximum.
    """
    sa = 1.0 - sp - sd
    b = sd * (1.0 - 3.0 * delta) + sp * (1.0 - delta) - 2.0 * sa * delta
    c = sd * delta * (1.0 - delta)
    t = (b + np.sqrt(np.maximum(b * b + 8.0 * c, 0.0))) / 4.0
    return np.clip(t, np.maximum(0.0, -delta), (1.0 - delta) / 2.0)


def _se_at(sp: np.ndarray, sd: np.ndarray, n_eff: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """The SE (fraction units) of an NPS whose true value is ``theta`` (fraction), at the constrained MLE."""
    t = _pd_at(sp, sd, theta)
    with np.errstate(all="ignore"):
        return np.sqrt(np.maximum(2.0 * t + theta - theta**2, 0.0) / n_eff)


def score_interval(
    detractors: Any, passives: Any, promoters: Any, effective_n: Any = None, *, level: float = DEFAULT_LEVEL
) -> tuple[np.ndarray, np.ndarray]:
    """The score interval of the NPS (points), element-wise: every θ with |NPS − θ| ≤ z·SE(θ).

    SE(θ) is taken at the maximum-likelihood shares whose NPS is θ; ``effective_n``
    defaults to the total of the counts. Always contains the NPS, never leaves
    −100..100, and is not empty at the extremes (one promoter: −58.7 to +100 at
    95%). NaN where there are no responses. Raises ValueError for a bad level.
    """
    z = z_value(level)
    d, pa, p = (np.atleast_1d(np.asarray(x, dtype=float)) for x in (detractors, passives, promoters))
    n_eff = d + pa + p if effective_n is None else np.atleast_1d(np.asarray(effective_n, dtype=float))
    total = d + pa + p
    ok = (total > 0) & (n_eff > 0)
    with np.errstate(all="ignore"):
        sp = np.where(ok, p / total, 0.0)
        sd = np.where(ok, d / total, 0.0)
        n = np.where(ok, n_eff, 1.0)
    est = sp - sd
    bounds = []
    for side in (-1.0, 1.0):
        # Between the estimate (inside) and the end of the range (outside), bisect on the crossing.
        inside, outside = est.copy(), np.full_like(est, side)
        for _ in range(45):
            mid = (inside + outside) / 2.0
            beyond = side * (mid - est) > z * _se_at(sp, sd, n, mid)
            outside = np.where(beyond, mid, outside)
            inside = np.where(beyond, inside, mid)
        bounds.append(np.where(ok, inside * 100.0, np.nan))
    return bounds[0], bounds[1]


def _bounds(d: Any, pa: Any, p: Any, n_eff: Any, method: str, z: float, level: float) -> dict[str, np.ndarray]:
    """:func:`_arrays` plus ``ci_low``/``ci_high``: the method's interval, or the score interval where it misses the NPS."""
    a = _arrays(d, pa, p, n_eff, method)
    lo, hi = _interval(a["centre"], a["spread"], z, 100.0)
    with np.errstate(invalid="ignore"):
        # A hair of tolerance: the Wald interval of 0/0/n is exactly [100, 100].
        misses = ~np.isnan(a["nps"]) & ((lo > a["nps"] + 1e-9) | (hi < a["nps"] - 1e-9))
    if misses.any():
        idx = np.flatnonzero(misses)
        arrays = [np.asarray(x, dtype=float) for x in (d, pa, p, n_eff)]
        s_lo, s_hi = score_interval(*(np.broadcast_to(x, misses.shape)[idx] for x in arrays), level=level)
        lo, hi = lo.copy(), hi.copy()
        lo[idx], hi[idx] = s_lo, s_hi
    a["ci_low"], a["ci_high"] = lo, hi
    return a


def _two_sided(z: np.ndarray) -> np.ndarray:
    return np.array([two_sided_p(v) for v in np.asarray(z, dtype=float).ravel().tolist()]).reshape(np.shape(z))


def _score_test(sa: dict[str, np.ndarray], sb: dict[str, np.ndarray], diff: np.ndarray) -> np.ndarray:
    """Two-sided p of NPS_a − NPS_b with the SE of the two groups pooled (their common distribution under H0)."""
    na, nb = sa["n_eff"], sb["n_eff"]
    with np.errstate(all="ignore"):
        pp = (sa["sp"] * na + sb["sp"] * nb) / (na + nb)
        pd_ = (sa["sd"] * na + sb["sd"] * nb) / (na + nb)
        se0 = 100.0 * np.sqrt(np.maximum(pp + pd_ - (pp - pd_) ** 2, 0.0) * (1.0 / na + 1.0 / nb))
        z = diff / se0
    p = _two_sided(z)
    # SE₀ is 0 only when every response of both groups is in one category: then the groups do not differ.
    return np.where(~np.isnan(diff) & (se0 == 0), 1.0, p)


def _difference_arrays(
    a: tuple[Any, Any, Any, Any], b: tuple[Any, Any, Any, Any], method: str, level: float, min_n: float
) -> dict[str, np.ndarray]:
    z = z_value(level)
    sa = _arrays(*a, method)
    sb = _arrays(*b, method)
    diff = sa["nps"] - sb["nps"]
    se = np.hypot(sa["spread"], sb["spread"])
    lo, hi = _interval(diff, se, z, 200.0)
    p = _score_test(sa, sb, diff)
    with np.errstate(invalid="ignore"):
        tested = (sa["n_eff"] >= min_n) & (sb["n_eff"] >= min_n)
        p = np.where(tested, p, np.nan)
        significant = p < (1.0 - level)
    return {"diff": diff, "se": se, "ci_low": lo, "ci_high": hi, "p_value": p, "significant": significant}


def _n_eff(frame: pd.DataFrame) -> np.ndarray:
    if "effective_n" in frame.columns:
        return frame["effective_n"].to_numpy(dtype=float, na_value=np.nan)
    return (frame["promoters"] + frame["passives"] + frame["detractors"]).to_numpy(dtype=float, na_value=np.nan)


def _counts(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return tuple(  # type: ignore[return-value]
        frame[c].to_numpy(dtype=float, na_value=np.nan) for c in ("detractors", "passives", "promoters")
    )


def add_stats(
    frame: pd.DataFrame,
    *,
    method: str = DEFAULT_METHOD,
    level: float = DEFAULT_LEVEL,
    min_n: float = DEFAULT_MIN_N,
) -> pd.DataFrame:
    """Return a copy of ``frame`` with ``nps``, ``se``, ``ci_low``, ``ci_high`` and ``low_n`` added.

    ``frame`` has columns ``promoters``, ``passives``, ``detractors`` (counts, or
    weight sums) and optionally ``effective_n`` (used for the SE and ``low_n``
    instead of the total when present, i.e. when weighted). Stats are in points;
    the interval always contains the NPS (see the module docstring); rows with no
    responses get NaN stats and ``low_n`` True. Raises ValueError for an unknown
    method or a level outside (0, 1).
    """
    check_method(method)
    z = z_value(level)
    check_min_n(min_n)
    out = frame.copy()
    d, pa, p = _counts(out)
    n_eff = _n_eff(out)
    a = _bounds(d, pa, p, n_eff, method, z, level)
    out["nps"] = a["nps"]
    out["se"] = a["se"]
    out["ci_low"] = a["ci_low"]
    out["ci_high"] = a["ci_high"]
    with np.errstate(invalid="ignore"):
        out["low_n"] = ~(n_eff >= min_n)
    return out


def score_arrays(
    detractors: Any,
    passives: Any,
    promoters: Any,
    effective_n: Any = None,
    *,
    method: str = DEFAULT_METHOD,
    level: float = DEFAULT_LEVEL,
    min_n: float = DEFAULT_MIN_N,
) -> dict[str, np.ndarray]:
    """:func:`add_stats` on arrays: {nps, se, ci_low, ci_high, low_n} (points), element-wise.

    ``effective_n`` defaults to the total of the counts (unweighted). The same
    numbers as :func:`add_stats`, without a frame to copy. Raises ValueError as it does.
    """
    check_method(method)
    z = z_value(level)
    check_min_n(min_n)
    d, pa, p = (np.asarray(x, dtype=float) for x in (detractors, passives, promoters))
    n_eff = d + pa + p if effective_n is None else np.asarray(effective_n, dtype=float)
    a = _bounds(d, pa, p, n_eff, method, z, level)
    with np.errstate(invalid="ignore"):
        low_n = ~(n_eff >= min_n)
    return {"nps": a["nps"], "se": a["se"], "ci_low": a["ci_low"], "ci_high": a["ci_high"], "low_n": low_n}


def difference_arrays(
    a: tuple[Any, Any, Any, Any],
    b: tuple[Any, Any, Any, Any],
    *,
    method: str = DEFAULT_METHOD,
    level: float = DEFAULT_LEVEL,
    min_n: float = 0,
) -> dict[str, np.ndarray]:
    """:func:`differences` on arrays: ``a`` and ``b`` are (detractors, passives, promoters, effective n).

    Returns {diff, se, ci_low, ci_high, p_value, significant}, element-wise, as
    :func:`differences` does (one test each, not adjusted for multiplicity).
    Raises ValueError on a bad method or level.
    """
    check_method(method)
    check_min_n(min_n)
    return _difference_arrays(a, b, method, level, min_n)


def differences(
    a: pd.DataFrame,
    b: pd.DataFrame,
    *,
    method: str = DEFAULT_METHOD,
    level: float = DEFAULT_LEVEL,
    min_n: float = 0,
) -> pd.DataFrame:
    """Row-by-row difference a − b of two aligned count frames (same length, same order).

    Each frame has ``promoters``/``passives``/``detractors`` (and optionally
    ``effective_n``); missing counts (NaN) give NaN. Returns a DataFrame indexed
    like ``a`` with ``diff`` (of the plain NPS), ``se`` and ``ci_low``, ``ci_high``
    (the chosen method's, points, clamped to ±200, always containing ``diff``),
    ``p_value`` (two-sided score test with the pooled SE; NaN when either side's
    n is below ``min_n``) and ``significant`` (p < 1 − level, one test on its own:
    adjust a family with :func:`flag_tests`). Groups are assumed independent
    (disjoint responses). Raises ValueError on a bad method, level or mismatched lengths.
    """
    check_method(method)
    check_min_n(min_n)
    if len(a) != len(b):
        raise ValueError(f"cannot compare {len(a)} rows with {len(b)} rows")
    d = _difference_arrays((*_counts(a), _n_eff(a)), (*_counts(b), _n_eff(b)), method, level, min_n)
    return pd.DataFrame(d, index=a.index)


def add_change(
    current: pd.DataFrame,
    previous: pd.DataFrame,
    keys: Sequence[str],
    *,
    method: str = DEFAULT_METHOD,
    level: float = DEFAULT_LEVEL,
    min_n: float = 0,
    multiplicity: str = DECISION,
) -> pd.DataFrame:
    """Return ``current`` with the change versus ``previous`` matched on ``keys``.

    Both frames carry counts (``n``, ``promoters``, ``passives``, ``detractors``,
    optionally ``effective_n``). Adds ``prev_n``, ``prev_nps`` and the difference
    current − previous of the plain NPS as ``change``, ``change_se``,
    ``change_ci_low``, ``change_ci_high`` (points), ``change_p`` (one test),
    ``change_p_adjusted`` (after ``multiplicity`` control across the rows) and
    ``change_significant`` (adjusted p < 1 − level). Rows with no match in
    ``previous``, or with either side below ``min_n``, are not tested (NaN p, not
    significant). With no keys, both frames must have one row. Raises ValueError
    as :func:`differences` and for an unknown multiplicity method.
    """
    check_multiplicity(multiplicity)
    keys = list(keys)
    count_cols = [c for c in ("n", "promoters", "passives", "detractors", "effective_n") if c in previous.columns]
    prev = previous[keys + count_cols].rename(columns={c: f"__prev_{c}" for c in count_cols})
    if keys:
        merged = current.merge(prev, on=keys, how="left", validate="one_to_one")
    else:
        if len(current) != 1 or len(prev) != 1:
            raise ValueError("without keys, the current and previous frames must have one row each")
        merged = pd.concat([current.reset_index(drop=True), prev.reset_index(drop=True)], axis=1)
    b = pd.DataFrame({c: merged[f"__prev_{c}"] for c in count_cols})
    d = differences(merged, b, method=method, level=level, min_n=min_n)
    pd_ = _arrays(*_counts(b), _n_eff(b), method)
    adjusted, significant, _ = flag_tests(d["p_value"].to_numpy(), level=level, multiplicity=multiplicity)
    merged["prev_n"] = merged["__prev_n"].fillna(0).astype("int64") if "__prev_n" in merged else 0
    merged["prev_nps"] = pd_["nps"]
    merged["change"] = d["diff"].to_numpy()
    merged["change_se"] = d["se"].to_numpy()
    merged["change_ci_low"] = d["ci_low"].to_numpy()
    merged["change_ci_high"] = d["ci_high"].to_numpy()
    merged["change_p"] = d["p_value"].to_numpy()
    merged["change_p_adjusted"] = adjusted
    merged["change_significant"] = significant
    return merged.drop(columns=[f"__prev_{c}" for c in count_cols])


def _result(
    n: int, d: float, pa: float, p: float, n_eff: float, weighted: bool, method: str, level: float, min_n: float
) -> NpsResult:
    check_method(method)
    z = z_value(level)
    check_min_n(min_n)
    a = _bounds([d], [pa], [p], [n_eff], method, z, level)
    return NpsResult(
        n=n,
        promoters=p,
        passives=pa,
        detractors=d,
        nps=float(a["nps"][0]),
        se=float(a["se"][0]),
        ci_low=float(a["ci_low"][0]),
        ci_high=float(a["ci_high"][0]),
        low_n=not n_eff >= min_n,
        effective_n=float(n_eff) if weighted else None,
    )


def score_counts(
    detractors: int,
    passives: int,
    promoters: int,
    *,
    method: str = DEFAULT_METHOD,
    level: float = DEFAULT_LEVEL,
    min_n: float = DEFAULT_MIN_N,
) -> NpsResult:
    """NPS, SE and interval (points) from counts of detractors, passives and promoters.

    Returns an :class:`NpsResult` with integer counts (NaN stats when all are 0).
    Raises ValueError for negative or non-integer counts, an unknown method or a
    level outside (0, 1).
    """
    counts = []
    for name, value in (("detractors", detractors), ("passives", passives), ("promoters", promoters)):
        if isinstance(value, bool) or int(value) != value or value < 0:
            raise ValueError(f"{name} must be a count (0 or more), not {value!r}")
        counts.append(int(value))
    d, pa, p = counts
    n = d + pa + p
    return _result(n, d, pa, p, n, False, method, level, min_n)


def score_weighted(
    detractors: float,
    passives: float,
    promoters: float,
    *,
    n: int,
    effective_n: float,
    method: str = DEFAULT_METHOD,
    level: float = DEFAULT_LEVEL,
    min_n: float = DEFAULT_MIN_N,
) -> NpsResult:
    """Weighted NPS, SE and interval (points) from sums of weights per category.

    ``n`` is the number of responses and ``effective_n`` Kish's effective n
    (see :func:`kish_effective_n`), which the SE, the adjustment and ``low_n`` use.
    Returns an :class:`NpsResult` with float sums and ``effective_n`` set. Raises
    ValueError for negative sums, an unknown method or a level outside (0, 1).
    """
    sums = []
    for name, value in (("detractors", detractors), ("passives", passives), ("promoters", promoters)):
        if not float(value) >= 0:
            raise ValueError(f"the weight sum of {name} must be 0 or more, not {value!r}")
        sums.append(float(value))
    if not float(effective_n) >= 0:
        raise ValueError(f"the effective n must be 0 or more, not {effective_n!r}")
    d, pa, p = sums
    return _result(int(n), d, pa, p, float(effective_n), True, method, level, min_n)


def _frame_of(result: NpsResult) -> pd.DataFrame:
    row: dict[str, Any] = {
        "n": [result.n], "promoters": [result.promoters], "passives": [result.passives],
        "detractors": [result.detractors],
    }
    if result.effective_n is not None:
        row["effective_n"] = [result.effective_n]
    return pd.DataFrame(row)


def _difference_of(frame: pd.DataFrame, method: str, level: float) -> Difference:
    r = frame.iloc[0]
    p = float(r["p_value"])
    return Difference(
        diff=float(r["diff"]), se=float(r["se"]), ci_low=float(r["ci_low"]), ci_high=float(r["ci_high"]),
        p_value=p, significant=bool(r["significant"]), method=method, level=float(level), p_adjusted=p,
        multiplicity=NO_ADJUSTMENT, tests=0 if math.isnan(p) else 1,
    )


def compare_results(
    a: NpsResult,
    b: NpsResult,
    *,
    method: str = DEFAULT_METHOD,
    level: float = DEFAULT_LEVEL,
    min_n: float = 0,
) -> Difference:
    """Difference a − b of two independent groups or periods, in points, with CI and p-value.

    ``diff`` is of the plain NPS; the interval is the method's, the test the
    pooled score test (see the module docstring); neither side below ``min_n``
    (effective n) or the difference is not tested. Uses the counts (and effective
    n, when weighted) stored in the results, so the method may differ from the
    one the results were scored with. Raises ValueError for an unknown method or
    a level outside (0, 1).
    """
    frame = differences(_frame_of(a), _frame_of(b), method=method, level=level, min_n=min_n)
    return _difference_of(frame, method, level)


def compare_shares(
    count_a: float,
    n_a: float,
    count_b: float,
    n_b: float,
    *,
    method: str = DEFAULT_METHOD,
    level: float = DEFAULT_LEVEL,
    min_n: float = 0,
) -> Difference:
    """Difference of two independent shares (e.g. % promoters now vs before), in percentage points.

    ``count_x`` of ``n_x`` responses; for weighted data pass share × effective n
    and the effective n (Kish), never the sum of weights. ``diff`` is 100·(pa − pb)
    of the plain shares. The interval is diff ± z·SE with, for ``wald``, SE =
    100·sqrt(pa(1−pa)/na + pb(1−pb)/nb) and, for ``adjusted-wald``, the
    Agresti–Caffo (2000) SE (one success and one failure added to each group), so
    it always contains ``diff``. The test is the pooled two-proportion z-test (a
    zero SE never makes a difference significant). NaN and not significant when
    either n is 0 or below ``min_n``. Raises ValueError for an unknown method, a
    level outside (0, 1) or a count outside 0..n.
    """
    check_method(method)
    z = z_value(level)
    check_min_n(min_n)
    for count, n in ((count_a, n_a), (count_b, n_b)):
        if not 0 <= count <= n * (1 + 1e-12):
            raise ValueError(f"a count must lie between 0 and its n, not {count!r} of {n!r}")
    if n_a <= 0 or n_b <= 0:
        nan = math.nan
        return Difference(nan, nan, nan, nan, nan, False, method, float(level), nan, NO_ADJUSTMENT, 0)
    pa, pb = count_a / n_a, count_b / n_b
    diff = (pa - pb) * 100.0
    add_x, add_n = (0.0, 0.0) if method == WALD else (1.0, 2.0)
    qa, qb = (count_a + add_x) / (n_a + add_n), (count_b + add_x) / (n_b + add_n)
    se = math.sqrt(max(qa * (1 - qa), 0.0) / (n_a + add_n) + max(qb * (1 - qb), 0.0) / (n_b + add_n)) * 100.0
    pooled = (count_a + count_b) / (n_a + n_b)
    se0 = math.sqrt(max(pooled * (1 - pooled), 0.0) * (1 / n_a + 1 / n_b)) * 100.0
    p = (1.0 if diff == 0 else two_sided_p(diff / se0)) if se0 > 0 else 1.0
    if n_a < min_n or n_b < min_n:
        p = math.nan
    return Difference(
        diff=diff, se=se, ci_low=max(diff - z * se, -100.0), ci_high=min(diff + z * se, 100.0),
        p_value=p, significant=bool(p < 1.0 - level), method=method, level=float(level), p_adjusted=p,
        multiplicity=NO_ADJUSTMENT, tests=0 if math.isnan(p) else 1,
    )


def compare_to_target(
    result: NpsResult,
    target: float = 0.0,
    *,
    method: str = DEFAULT_METHOD,
    level: float = DEFAULT_LEVEL,
    min_n: float = 0,
) -> Difference:
    """One-sample test of an NPS against a fixed ``target`` (points; 0 asks "is it positive?").

    ``diff`` is the plain NPS minus the target; its interval is the NPS's own
    interval (the chosen method's, see :func:`add_stats`) minus the target, so it
    contains ``diff``. The p-value is the score test: the SE taken at the
    most likely shares whose NPS equals the target. Not tested (NaN p) below
    ``min_n``. Raises ValueError for an unknown method or a level outside (0, 1).
    """
    check_method(method)
    z = z_value(level)
    check_min_n(min_n)
    f = _frame_of(result)
    a = _bounds(*_counts(f), _n_eff(f), method, z, level)
    nps = float(a["nps"][0])
    diff = nps - float(target)
    theta = np.array([min(max(float(target) / 100.0, -1.0), 1.0)])
    se0 = float(_se_at(np.nan_to_num(a["sp"]), np.nan_to_num(a["sd"]), a["n_eff"], theta)[0]) * 100.0
    if math.isnan(diff):
        p = math.nan
    elif se0 > 0:
        p = two_sided_p(diff / se0)
    else:
        p = 1.0 if diff == 0 else 0.0
    if not float(a["n_eff"][0]) >= min_n:
        p = math.nan
    return Difference(
        diff=diff, se=float(a["spread"][0]), ci_low=float(a["ci_low"][0]) - float(target),
        ci_high=float(a["ci_high"][0]) - float(target), p_value=p, significant=bool(p < 1.0 - level),
        method=method, level=float(level), p_adjusted=p, multiplicity=NO_ADJUSTMENT, tests=0 if math.isnan(p) else 1,
    )


def adjust_differences(
    named: dict[str, Difference], *, multiplicity: str = DECISION
) -> dict[str, Difference]:
    """The same :class:`Difference` objects with ``p_adjusted``/``significant`` set as one family.

    For tests shown together (the Overview's NPS and share tiles). All must share
    one level. Returns a new dict in the same order. Raises ValueError for an
    unknown multiplicity method or mixed levels.
    """
    from dataclasses import replace

    if not named:
        return {}
    levels = {d.level for d in named.values()}
    if len(levels) != 1:
        raise ValueError(f"tests at different levels cannot be adjusted together: {sorted(levels)}")
    adjusted, significant, family = flag_tests([d.p_value for d in named.values()], level=levels.pop(),
                                               multiplicity=multiplicity)
    return {
        key: replace(d, p_adjusted=float(q), significant=bool(s), multiplicity=family.method, tests=family.tests)
        for (key, d), q, s in zip(named.items(), adjusted, significant)
    }
