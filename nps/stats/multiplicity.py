"""Many tests shown together: multiplicity-adjusted p-values (Benjamini–Hochberg, Holm) and the family they form."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from nps.domain import BH, HOLM, MULTIPLICITY, NO_ADJUSTMENT
from nps.stats.intervals import DEFAULT_LEVEL, check_level

# The multiplicity control of each kind of display: Benjamini–Hochberg (false discovery rate) for
# screening displays, Holm (family-wise error) where decisions are made.
SCREENING = BH
DECISION = HOLM

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
