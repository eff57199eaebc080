"""NPS arithmetic on counts: scores, standard errors, intervals and differences.

Pure Python and numpy, no SQL: :mod:`nps.queries` counts in DuckDB and hands the
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
* A difference of two independent groups: diff = centre_a − centre_b, SE =
  sqrt(SE_a² + SE_b²), two-sided normal p-value. With ``adjusted-wald`` each group
  is adjusted first, so the difference is of adjusted NPS.

Reported ``nps`` and ``se`` are always the plain estimates; only the interval (and
differences) depend on the method.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any

import numpy as np
import pandas as pd

METHODS: tuple[str, ...] = ("adjusted-wald", "wald")
DEFAULT_METHOD = "adjusted-wald"
DEFAULT_LEVEL = 0.95
DEFAULT_MIN_N = 30

# Rocks (2016): pseudo-counts added before computing the adjusted-Wald interval.
ADD_DETRACTORS = 0.75
ADD_PASSIVES = 1.5
ADD_PROMOTERS = 0.75
ADD_N = ADD_DETRACTORS + ADD_PASSIVES + ADD_PROMOTERS

COUNT_COLUMNS: tuple[str, ...] = ("n", "promoters", "passives", "detractors")
STAT_COLUMNS: tuple[str, ...] = ("nps", "se", "ci_low", "ci_high", "low_n")
CHANGE_COLUMNS: tuple[str, ...] = (
    "prev_n", "prev_nps", "change", "change_se", "change_ci_low", "change_ci_high", "change_p",
    "change_significant",
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

    ``p_value`` is two-sided (normal approximation); ``significant`` is
    ``p_value < 1 − level``. NaN (and not significant) when either side is empty.
    """

    diff: float
    se: float
    ci_low: float
    ci_high: float
    p_value: float
    significant: bool
    method: str
    level: float


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
        if method == "wald":
            centre, spread = nps, se
        else:
            m = n_eff + ADD_N
            ap = (sp * n_eff + ADD_PROMOTERS) / m
            ad = (sd * n_eff + ADD_DETRACTORS) / m
            centre = (ap - ad) * 100.0
            spread = np.where(ok, np.sqrt(np.maximum(ap + ad - (ap - ad) ** 2, 0.0) / m) * 100.0, np.nan)
    return {"nps": nps, "se": se, "centre": centre, "spread": spread}


def _interval(centre: np.ndarray, spread: np.ndarray, z: float, bound: float) -> tuple[np.ndarray, np.ndarray]:
    with np.errstate(invalid="ignore"):
        return np.clip(centre - z * spread, -bound, bound), np.clip(centre + z * spread, -bound, bound)


def _p_values(diff: np.ndarray, se: np.ndarray) -> np.ndarray:
    out = np.full(diff.shape, np.nan)
    for i, (dv, sv) in enumerate(zip(diff.tolist(), se.tolist())):
        if math.isnan(dv) or math.isnan(sv):
            continue
        # A zero SE (Wald on 0/0/n groups) leaves no doubt either way.
        out[i] = (1.0 if dv == 0 else 0.0) if sv == 0 else two_sided_p(dv / sv)
    return out


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
    rows with no responses get NaN stats and ``low_n`` True. Raises ValueError for
    an unknown method or a level outside (0, 1).
    """
    check_method(method)
    z = z_value(level)
    check_min_n(min_n)
    out = frame.copy()
    d, pa, p = _counts(out)
    n_eff = _n_eff(out)
    a = _arrays(d, pa, p, n_eff, method)
    lo, hi = _interval(a["centre"], a["spread"], z, 100.0)
    out["nps"] = a["nps"]
    out["se"] = a["se"]
    out["ci_low"] = lo
    out["ci_high"] = hi
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
    a = _arrays(d, pa, p, n_eff, method)
    lo, hi = _interval(a["centre"], a["spread"], z, 100.0)
    with np.errstate(invalid="ignore"):
        low_n = ~(n_eff >= min_n)
    return {"nps": a["nps"], "se": a["se"], "ci_low": lo, "ci_high": hi, "low_n": low_n}


def difference_arrays(
    a: tuple[Any, Any, Any, Any],
    b: tuple[Any, Any, Any, Any],
    *,
    method: str = DEFAULT_METHOD,
    level: float = DEFAULT_LEVEL,
) -> dict[str, np.ndarray]:
    """:func:`differences` on arrays: ``a`` and ``b`` are (detractors, passives, promoters, effective n).

    Returns {diff, se, ci_low, ci_high, p_value, significant}, element-wise, as
    :func:`differences` does. Raises ValueError on a bad method or level.
    """
    check_method(method)
    z = z_value(level)
    sa = _arrays(*a, method)
    sb = _arrays(*b, method)
    diff = sa["centre"] - sb["centre"]
    se = np.hypot(sa["spread"], sb["spread"])
    lo, hi = _interval(diff, se, z, 200.0)
    p = _p_values(diff, se)
    with np.errstate(invalid="ignore"):
        significant = p < (1.0 - level)
    return {"diff": diff, "se": se, "ci_low": lo, "ci_high": hi, "p_value": p, "significant": significant}


def differences(
    a: pd.DataFrame,
    b: pd.DataFrame,
    *,
    method: str = DEFAULT_METHOD,
    level: float = DEFAULT_LEVEL,
) -> pd.DataFrame:
    """Row-by-row difference a − b of two aligned count frames (same length, same order).

    Each frame has ``promoters``/``passives``/``detractors`` (and optionally
    ``effective_n``); missing counts (NaN) give NaN. Returns a DataFrame indexed
    like ``a`` with ``diff``, ``se``, ``ci_low``, ``ci_high`` (points, clamped to
    ±200), ``p_value`` (two-sided) and ``significant`` (p < 1 − level). Groups are
    assumed independent (disjoint responses). Raises ValueError on a bad method,
    level or mismatched lengths.
    """
    check_method(method)
    z = z_value(level)
    if len(a) != len(b):
        raise ValueError(f"cannot compare {len(a)} rows with {len(b)} rows")
    sa = _arrays(*_counts(a), _n_eff(a), method)
    sb = _arrays(*_counts(b), _n_eff(b), method)
    diff = sa["centre"] - sb["centre"]
    se = np.hypot(sa["spread"], sb["spread"])
    lo, hi = _interval(diff, se, z, 200.0)
    p = _p_values(diff, se)
    with np.errstate(invalid="ignore"):
        significant = p < (1.0 - level)
    return pd.DataFrame(
        {"diff": diff, "se": se, "ci_low": lo, "ci_high": hi, "p_value": p, "significant": significant},
        index=a.index,
    )


def add_change(
    current: pd.DataFrame,
    previous: pd.DataFrame,
    keys: Sequence[str],
    *,
    method: str = DEFAULT_METHOD,
    level: float = DEFAULT_LEVEL,
) -> pd.DataFrame:
    """Return ``current`` with the change versus ``previous`` matched on ``keys``.

    Both frames carry counts (``n``, ``promoters``, ``passives``, ``detractors``,
    optionally ``effective_n``). Adds ``prev_n``, ``prev_nps`` and the difference
    current − previous as ``change``, ``change_se``, ``change_ci_low``,
    ``change_ci_high`` (points), ``change_p`` and ``change_significant``. Rows with
    no match in ``previous`` get NaN (``prev_n`` 0) and are not significant. With
    no keys, both frames must have one row. Raises ValueError as :func:`differences`.
    """
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
    d = differences(merged, b, method=method, level=level)
    pd_ = _arrays(*_counts(b), _n_eff(b), method)
    merged["prev_n"] = merged["__prev_n"].fillna(0).astype("int64") if "__prev_n" in merged else 0
    merged["prev_nps"] = pd_["nps"]
    merged["change"] = d["diff"].to_numpy()
    merged["change_se"] = d["se"].to_numpy()
    merged["change_ci_low"] = d["ci_low"].to_numpy()
    merged["change_ci_high"] = d["ci_high"].to_numpy()
    merged["change_p"] = d["p_value"].to_numpy()
    merged["change_significant"] = d["significant"].to_numpy()
    return merged.drop(columns=[f"__prev_{c}" for c in count_cols])


def _result(
    n: int, d: float, pa: float, p: float, n_eff: float, weighted: bool, method: str, level: float, min_n: float
) -> NpsResult:
    check_method(method)
    z = z_value(level)
    check_min_n(min_n)
    a = _arrays([d], [pa], [p], [n_eff], method)
    lo, hi = _interval(a["centre"], a["spread"], z, 100.0)
    return NpsResult(
        n=n,
        promoters=p,
        passives=pa,
        detractors=d,
        nps=float(a["nps"][0]),
        se=float(a["se"][0]),
        ci_low=float(lo[0]),
        ci_high=float(hi[0]),
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
    return Difference(
        diff=float(r["diff"]), se=float(r["se"]), ci_low=float(r["ci_low"]), ci_high=float(r["ci_high"]),
        p_value=float(r["p_value"]), significant=bool(r["significant"]), method=method, level=float(level),
    )


def compare_results(
    a: NpsResult,
    b: NpsResult,
    *,
    method: str = DEFAULT_METHOD,
    level: float = DEFAULT_LEVEL,
) -> Difference:
    """Difference a − b of two independent groups or periods, in points, with CI and p-value.

    Uses the counts (and effective n, when weighted) stored in the results, so
    the method may differ from the one the results were scored with. Raises
    ValueError for an unknown method or a level outside (0, 1).
    """
    return _difference_of(differences(_frame_of(a), _frame_of(b), method=method, level=level), method, level)


def compare_shares(
    count_a: float,
    n_a: float,
    count_b: float,
    n_b: float,
    *,
    method: str = DEFAULT_METHOD,
    level: float = DEFAULT_LEVEL,
) -> Difference:
    """Difference of two independent shares (e.g. % promoters now vs before), in percentage points.

    ``count_x`` of ``n_x`` responses (for weighted data pass share × effective n
    and the effective n). ``wald``: 100·(pa − pb) with SE 100·sqrt(pa(1−pa)/na +
    pb(1−pb)/nb). ``adjusted-wald`` is Agresti–Caffo (2000): one success and one
    failure added to each group, centred on the adjusted difference. NaN and not
    significant when either n is 0. Raises ValueError for an unknown method, a
    level outside (0, 1) or a count outside 0..n.
    """
    check_method(method)
    z = z_value(level)
    for count, n in ((count_a, n_a), (count_b, n_b)):
        if not 0 <= count <= n:
            raise ValueError(f"a count must lie between 0 and its n, not {count!r} of {n!r}")
    add_x, add_n = (0.0, 0.0) if method == "wald" else (1.0, 2.0)
    if n_a <= 0 or n_b <= 0:
        nan = math.nan
        return Difference(nan, nan, nan, nan, nan, False, method, float(level))
    pa = (count_a + add_x) / (n_a + add_n)
    pb = (count_b + add_x) / (n_b + add_n)
    diff = (pa - pb) * 100.0
    se = math.sqrt(max(pa * (1 - pa), 0.0) / (n_a + add_n) + max(pb * (1 - pb), 0.0) / (n_b + add_n)) * 100.0
    p = _p_values(np.array([diff]), np.array([se]))[0]
    return Difference(
        diff=diff, se=se, ci_low=max(diff - z * se, -100.0), ci_high=min(diff + z * se, 100.0),
        p_value=float(p), significant=bool(p < 1.0 - level), method=method, level=float(level),
    )


def compare_to_target(
    result: NpsResult,
    target: float = 0.0,
    *,
    method: str = DEFAULT_METHOD,
    level: float = DEFAULT_LEVEL,
) -> Difference:
    """One-sample test of an NPS against a fixed ``target`` (points; 0 asks "is it positive?").

    Returns a :class:`Difference` whose ``diff`` is the (adjusted, for
    ``adjusted-wald``) NPS minus the target. Raises ValueError for an unknown
    method or a level outside (0, 1).
    """
    check_method(method)
    z = z_value(level)
    f = _frame_of(result)
    a = _arrays(*_counts(f), _n_eff(f), method)
    diff = a["centre"] - float(target)
    lo, hi = _interval(diff, a["spread"], z, 200.0)
    p = _p_values(diff, a["spread"])
    frame = pd.DataFrame(
        {"diff": diff, "se": a["spread"], "ci_low": lo, "ci_high": hi, "p_value": p,
         "significant": p < (1.0 - level)}
    )
    return _difference_of(frame, method, level)
