"""One group's NPS: its score, standard error and interval, from counts or weight sums (formulas: :mod:`nps.stats`)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any

import numpy as np
import pandas as pd

from nps.domain import DEFAULT_METHOD, METHODS, WALD

DEFAULT_LEVEL = 0.95
DEFAULT_MIN_N = 30

# Rocks (2016): pseudo-counts added before computing the adjusted-Wald interval.
ADD_DETRACTORS = 0.75
ADD_PASSIVES = 1.5
ADD_PROMOTERS = 0.75
ADD_N = ADD_DETRACTORS + ADD_PASSIVES + ADD_PROMOTERS
STAT_COLUMNS: tuple[str, ...] = ("nps", "se", "ci_low", "ci_high", "low_n")


@dataclass(frozen=True)
class NpsResult:
    """One group's NPS with its uncertainty.

    ``n`` is the number of responses. ``promoters``/``passives``/``detractors`` are
    counts (ints) or, when weighted, sums of weights (floats). ``nps``, ``se``,
    ``ci_low`` and ``ci_high`` are in points (−100..100) and NaN when there are no
    responses. ``low_n`` is True when n (the effective n when weighted) is below
    the minimum. ``effective_n`` is Kish's effective sample size, set only when
    weighted. ``suppressed`` is True when the employee survey's anonymity rule hides the group
    (:mod:`nps.query.anonymity`): then ``n`` and the counts are 0 and every statistic NaN, and
    nothing of it may be shown but that it is hidden.
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
    suppressed: bool = False


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


def share_interval(count: float, n: float, *, method: str = DEFAULT_METHOD,
                   level: float = DEFAULT_LEVEL) -> tuple[float, float]:
    """The interval (fractions 0..1) of one share, ``count`` of ``n`` (e.g. the detractors who mention a theme).

    ``wald``: p ± z·sqrt(p(1−p)/n). ``adjusted-wald``: Agresti–Coull (z²/2 successes and z²/2
    failures added), which always contains the Wilson interval and so the share itself. Clamped to
    0..1; NaN bounds when ``n`` is 0. Raises ValueError for an unknown method, a level outside (0, 1)
    or a count outside 0..n.
    """
    check_method(method)
    z = z_value(level)
    if not 0 <= count <= n * (1 + 1e-12):
        raise ValueError(f"a count must lie between 0 and its n, not {count!r} of {n!r}")
    if n <= 0:
        return math.nan, math.nan
    p = count / n
    if method == WALD:
        centre, size = p, n
    else:
        size = n + z * z
        centre = (count + z * z / 2) / size
    half = z * math.sqrt(max(centre * (1 - centre), 0.0) / size)
    return max(min(centre - half, p), 0.0), min(max(centre + half, p), 1.0)
