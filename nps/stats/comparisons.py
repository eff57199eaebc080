"""Differences of two groups or periods, their intervals and score tests.

A difference is of the plain NPS shown; its interval the method's; its test the
pooled score test (see :mod:`nps.stats`). A family of them is adjusted for
multiplicity with :mod:`nps.stats.multiplicity`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from nps.domain import DEFAULT_METHOD, NO_ADJUSTMENT, WALD
from nps.stats.intervals import (
    DEFAULT_LEVEL, NpsResult, _arrays, _counts, _interval, _n_eff, check_method, check_min_n,
    two_sided_p, z_value,
)
from nps.stats.multiplicity import DECISION, check_multiplicity, flag_tests

CHANGE_COLUMNS: tuple[str, ...] = (
    "prev_n", "prev_nps", "change", "change_se", "change_ci_low", "change_ci_high", "change_p",
    "change_p_adjusted", "change_significant",
)


@dataclass(frozen=True)
class Difference:
    """A difference of two NPS (a − b), or of two shares (percentage points).

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


def adjust_differences(
    named: dict[str, Difference], *, multiplicity: str = DECISION
) -> dict[str, Difference]:
    """The same :class:`Difference` objects with ``p_adjusted``/``significant`` set as one family.

    For tests shown together (the Overview's NPS and share tiles). All must share
    one level. Returns a new dict in the same order. Raises ValueError for an
    unknown multiplicity method or mixed levels.
    """
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
