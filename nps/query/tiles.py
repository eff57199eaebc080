"""The Overview page's figures that are not a query of their own: the category shares of its tiles."""

from __future__ import annotations

from nps import stats


def category_shares(result: stats.NpsResult) -> dict[str, float]:
    """The promoters', passives' and detractors' shares of ``result`` (of the weight sums when weighted)."""
    total = result.promoters + result.passives + result.detractors
    return {key: getattr(result, key) / total for key in ("promoters", "passives", "detractors")}
