"""The difference of two independent means with Welch's interval and test (unequal variances), element-wise.

Group a (``n_a`` ratings, mean ``mean_a``, sample variance ``var_a``, denominator n − 1) against group b:
diff = mean_a − mean_b, SE = sqrt(var_a/n_a + var_b/n_b), the Welch–Satterthwaite degrees of freedom
df = SE⁴ / ((var_a/n_a)²/(n_a − 1) + (var_b/n_b)²/(n_b − 1)); the interval is diff ± t(df)·SE and the test
of "no difference" t = diff / SE, two-sided (Welch 1947). Undefined (NaN) where a group is empty; no
interval where a group has fewer than 2 ratings; not tested (p NaN) where a group has fewer than ``min_n``
ratings or SE is 0 (every rating equal on both sides: nothing to test). All on arrays.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from nps.stats.intervals import DEFAULT_LEVEL, check_level


def welch_arrays(mean_a: Any, var_a: Any, n_a: Any, mean_b: Any, var_b: Any, n_b: Any, *,
                 level: float = DEFAULT_LEVEL, min_n: float = 0) -> dict[str, np.ndarray]:
    """{diff, low, high, se, df, p_value} of mean_a − mean_b (see the module); NaN where undefined.

    Raises ValueError for a bad level or a negative count or variance.
    """
    check_level(level)
    ma, va, na, mb, vb, nb = (np.atleast_1d(np.asarray(x, dtype=float)) for x in (mean_a, var_a, n_a, mean_b, var_b, n_b))
    if np.any((na < 0) | (nb < 0)) or np.any((va < 0) | (vb < 0)):
        raise ValueError("counts and variances cannot be negative")
    from scipy.special import stdtr, stdtrit  # the t distribution without importing scipy.stats (slow)

    out = {k: np.full(ma.shape, math.nan) for k in ("diff", "low", "high", "se", "df", "p_value")}
    with np.errstate(all="ignore"):
        defined = (na > 0) & (nb > 0)
        out["diff"] = np.where(defined, ma - mb, math.nan)
        spread = (na >= 2) & (nb >= 2)
        qa, qb = va / na, vb / nb
        se = np.sqrt(qa + qb)
        df = (qa + qb) ** 2 / (qa ** 2 / (na - 1) + qb ** 2 / (nb - 1))
        positive = spread & (se > 0)
        t = np.where(positive, stdtrit(np.where(positive, df, 1.0), 0.5 + level / 2), 0.0)
        out["se"] = np.where(spread, se, math.nan)
        out["df"] = np.where(positive, df, math.nan)
        half = np.where(positive, t * se, 0.0)
        out["low"] = np.where(spread, out["diff"] - half, math.nan)
        out["high"] = np.where(spread, out["diff"] + half, math.nan)
        stat = np.where(positive, np.abs(out["diff"]) / np.where(positive, se, 1.0), 0.0)
        p = 2 * stdtr(np.where(positive, df, 1.0), -stat)
        tested = positive & (na >= min_n) & (nb >= min_n)
        out["p_value"] = np.where(tested, np.minimum(p, 1.0), math.nan)
    return out


def mean_interval_arrays(mean: Any, var: Any, n: Any, *, level: float = DEFAULT_LEVEL) -> tuple[np.ndarray, np.ndarray]:
    """(low, high) of the t interval of a mean, element-wise: mean ± t(n − 1)·sqrt(var / n) (``var`` the sample
    variance, denominator n − 1); NaN with fewer than 2 ratings; the mean itself when every rating is equal."""
    check_level(level)
    m, v, k = (np.atleast_1d(np.asarray(x, dtype=float)) for x in (mean, var, n))
    if np.any(k < 0) or np.any(v < 0):
        raise ValueError("counts and variances cannot be negative")
    from scipy.special import stdtrit

    with np.errstate(all="ignore"):
        spread = k >= 2
        t = np.where(spread, stdtrit(np.where(spread, k - 1, 1.0), 0.5 + level / 2), 0.0)
        half = np.where(spread, t * np.sqrt(np.where(spread, v / k, 0.0)), math.nan)
    return m - half, m + half


__all__ = ["mean_interval_arrays", "welch_arrays"]
