"""How to count and score (:class:`Options`) and the time grains a series is counted by (:data:`GRAINS`)."""

from __future__ import annotations

from dataclasses import dataclass

from nps import stats

# Each of domain.GRAINS in SQL: date_trunc part and the step between consecutive periods; week is ISO (Monday).
GRAINS: dict[str, tuple[str, str]] = {
    "day": ("day", "INTERVAL 1 DAY"),
    "week": ("week", "INTERVAL 7 DAY"),
    "month": ("month", "INTERVAL 1 MONTH"),
    "quarter": ("quarter", "INTERVAL 3 MONTH"),
    "year": ("year", "INTERVAL 1 YEAR"),
}


@dataclass(frozen=True)
class Options:
    """How to count and score: interval method, confidence level, minimum n, weighting, dedupe, multiplicity.

    ``multiplicity`` (bh, holm, none) overrides every display's own control of
    several tests shown together; None keeps each one's default
    (:data:`nps.stats.SCREENING` for breakdowns and trends,
    :data:`nps.stats.DECISION` for scorecards and the Overview's tiles). Raises
    ValueError on an unknown method or multiplicity, a level outside (0, 1) or a
    negative minimum n.
    """

    method: str = stats.DEFAULT_METHOD
    level: float = stats.DEFAULT_LEVEL
    min_n: int = stats.DEFAULT_MIN_N
    weighted: bool = False
    dedupe: bool = False
    multiplicity: str | None = None

    def __post_init__(self) -> None:
        stats.check_method(self.method)
        stats.check_level(self.level)
        stats.check_min_n(self.min_n)
        if self.multiplicity is not None:
            stats.check_multiplicity(self.multiplicity)

    def control(self, default: str) -> str:
        """The multiplicity control of a display whose own default is ``default``."""
        return self.multiplicity or default
