"""The lift of a group (promoters, detractors) on a value: its share among the group ÷ its share overall, with an interval.

Counts: ``a`` of the group's ``n_group`` members have the value, ``b`` of all ``n_total`` responses
(the group included). The rest of the responses (``c = b − a`` of ``n_rest = n_total − n_group``)
form an independent sample beside the group, so the share ratio group vs rest,
RR = (a/n_group) ÷ (c/n_rest), has Katz's log interval: log RR ± z·sqrt(1/a − 1/n_group + 1/c − 1/n_rest)
(Katz et al. 1978; half a response added to a and c, and one to each n, when a or c is 0). With
w = n_group/n_total the group's share of the responses, the overall share is w·(a/n_group) + (1 − w)·(c/n_rest),
so lift = RR ÷ (w·RR + 1 − w), increasing in RR: the lift's interval is the image of RR's (the group
sizes taken as fixed), widened to contain the lift itself where the half-response correction moved it. The
test of "no lift" is that of RR = 1 (z = log RR / SE). Not tested (p NaN) when the value counts fewer than
``min_n`` responses, or the group or the rest is empty. All element-wise on arrays.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from nps.stats.intervals import DEFAULT_LEVEL, check_level, z_value


def lift_arrays(a: Any, n_group: Any, b: Any, n_total: Any, *, level: float = DEFAULT_LEVEL,
                min_n: float = 0) -> dict[str, np.ndarray]:
    """{lift, low, high, p_value} of the group's lift on the value (see the module); NaN where undefined.

    lift NaN when the group or the value has no response; 1 (interval 1..1, not tested) when the group
    is every response. Raises ValueError for a bad level or counts that do not nest (a ≤ b, a ≤ n_group,
    b − a ≤ n_total − n_group).
    """
    check_level(level)
    z = z_value(level)
    a, ng, b, nt = (np.atleast_1d(np.asarray(x, dtype=float)) for x in (a, n_group, b, n_total))
    c, nr = b - a, nt - ng
    if np.any((a < 0) | (c < 0) | (a > ng) | (c > nr)):
        raise ValueError("counts do not nest: need 0 <= a <= b, a <= n_group and b - a <= n_total - n_group")
    out = {k: np.full(a.shape, math.nan) for k in ("lift", "low", "high", "p_value")}
    with np.errstate(all="ignore"):
        defined = (ng > 0) & (b > 0)
        lift = np.where(defined, (a / ng) / (b / nt), math.nan)
        whole = defined & (nr == 0)
        tested = defined & (nr > 0)
        zero = (a == 0) | (c == 0)
        ac, cc = np.where(zero, a + 0.5, a), np.where(zero, c + 0.5, c)
        ngc, nrc = np.where(zero, ng + 1, ng), np.where(zero, nr + 1, nr)
        log_rr = np.log((ac / ngc) / (cc / nrc))
        se = np.sqrt(1 / ac - 1 / ngc + 1 / cc - 1 / nrc)
        w = ng / nt

        def to_lift(log_ratio: np.ndarray) -> np.ndarray:
            rr = np.exp(log_ratio)
            return np.where(np.isinf(rr), 1 / w, rr / (w * rr + 1 - w))

        low = np.minimum(to_lift(log_rr - z * se), lift)
        high = np.maximum(to_lift(log_rr + z * se), lift)
        p = np.array([math.erfc(abs(v) / math.sqrt(2)) for v in (log_rr / se).ravel()]).reshape(a.shape) \
            if a.size else np.zeros(0)
    out["lift"] = np.where(defined, lift, math.nan)
    out["low"] = np.where(tested, low, np.where(whole, 1.0, math.nan))
    out["high"] = np.where(tested, high, np.where(whole, 1.0, math.nan))
    out["lift"] = np.where(whole, 1.0, out["lift"])
    out["p_value"] = np.where(tested & (b >= min_n), p, math.nan)
    return out
